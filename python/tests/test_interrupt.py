"""The GIL is released while a run computes, and Ctrl-C stops it within a second."""

import os
import signal
import threading
import time

import gearbox


def test_ctrl_c_raises_keyboard_interrupt_quickly_and_python_goes_on():
    sent = []

    def interrupt():
        time.sleep(0.5)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt).start()
    start = time.perf_counter()
    try:
        # About a minute of work on one thread: it only ends early if interrupted.
        gearbox.run("basel", n=10**11, backend="serial")
        raise AssertionError("the run was not interrupted")
    except KeyboardInterrupt:
        stopped = time.perf_counter()
    assert sent, "interrupted before the signal was sent"
    assert stopped - sent[0] < 1.0, f"{stopped - sent[0]:.2f} s after Ctrl-C"
    assert stopped - start < 5.0
    r = gearbox.run("basel", n=10**5, backend="serial")
    assert r.error_ulps <= 1


def test_other_threads_run_while_gearbox_computes():
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        r = gearbox.run("basel", n=2 * 10**9, backend="serial")  # about a second
    finally:
        done.set()
        counter.join()
    during = [t for t in ticks if t > ticks[0] + 0.05]
    assert r.seconds > 0.2, "the run was too short to tell"
    # Holding the GIL for the whole run would leave the counter at a tick or two.
    assert len(during) > 50, f"{len(during)} ticks in {r.seconds:.2f} s"
