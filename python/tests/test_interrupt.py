"""The GIL is released while a run computes, and Ctrl-C stops it promptly.

Each test waits for a state (another thread has run 100 times while gearbox
computes), never for a duration, so it passes on a machine of any speed: the
runs are sized to last minutes on the fastest CPU and only end when interrupted.
"""

import os
import signal
import threading
import time

import gearbox

#: Basel terms on one thread: over a minute on any current CPU.
ENDLESS = 10**12


def interrupt_after_ticks(ticks_wanted: int, ticks: list, sent: list) -> threading.Thread:
    """A thread that ticks every millisecond (it needs the GIL for each tick) and
    sends SIGINT to this process once it has ticked `ticks_wanted` times."""

    def tick():
        while len(ticks) < ticks_wanted:
            ticks.append(time.perf_counter())
            time.sleep(0.001)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    return threading.Thread(target=tick)


def test_other_threads_run_while_gearbox_computes_and_ctrl_c_stops_it():
    ticks, sent = [], []
    ticker = interrupt_after_ticks(100, ticks, sent)
    ticker.start()
    try:
        # Holding the GIL for the run would stop the ticker at a tick or two: it
        # could never reach 100 ticks and send the SIGINT that ends this run.
        gearbox.run("basel", n=ENDLESS, backend="serial")
        raise AssertionError("the run ended without being interrupted")
    except KeyboardInterrupt:
        stopped = time.perf_counter()
    finally:
        ticker.join()
    assert len(ticks) == 100 and sent, "interrupted before the ticker finished"
    # The run checks for Ctrl-C between chunks (milliseconds each); an unchecked
    # run would go on for minutes. The bound is generous for a loaded machine.
    assert stopped - sent[0] < 10.0, f"{stopped - sent[0]:.2f} s after Ctrl-C"
    # Python goes on, and the next run is unaffected.
    r = gearbox.run("basel", n=10**5, backend="serial")
    assert r.error_ulps <= 1


def test_ctrl_c_stops_a_multithreaded_run():
    ticks, sent = [], []
    ticker = interrupt_after_ticks(20, ticks, sent)
    ticker.start()
    try:
        gearbox.run("basel", n=100 * ENDLESS, backend="rayon", threads=2)
        raise AssertionError("the run ended without being interrupted")
    except KeyboardInterrupt:
        stopped = time.perf_counter()
    finally:
        ticker.join()
    assert sent and stopped - sent[0] < 10.0, f"{stopped - sent[0]:.2f} s after Ctrl-C"
