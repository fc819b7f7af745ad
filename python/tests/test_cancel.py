"""Runs that must end without Ctrl-C: a ``timeout=``, the interpreter's exit
while a run goes on in another thread, and inputs resized from another thread.

Each test waits for a state (a run is in progress: ``_gearbox.running()``; the
timeout has passed), never asserts a duration: the runs are sized to last many
minutes on the fastest CPU, so only a cancellation ends them.
"""

import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import gearbox
from gearbox import _gearbox

#: Basel terms on one thread: many minutes on any current CPU.
ENDLESS = 10**13


def wait_until_running(count=1):
    """Waits until `count` runs are in progress."""
    while _gearbox.running() < count:
        time.sleep(0.001)


@pytest.mark.parametrize("call", ["run", "sum"])
def test_timeout_cancels_with_a_clear_error(call):
    with pytest.raises(TimeoutError, match=r"timeout=0.2 s and was cancelled"):
        if call == "run":
            gearbox.run("basel", n=ENDLESS, backend="serial", timeout=0.2)
        else:
            gearbox.sum("1/k**2", n=ENDLESS, backend="serial", timeout=0.2)
    assert _gearbox.running() == 0
    # The next run is unaffected.
    assert gearbox.run("basel", n=10**5, backend="serial", timeout=600).error_ulps <= 1


def test_evaluate_takes_a_timeout():
    a = np.linspace(0, 1, 1000)
    b = gearbox.evaluate("sin(a)**2 + cos(a)**2", a=a, backend="serial", timeout=600)
    np.testing.assert_allclose(b, 1.0, rtol=0, atol=4e-16)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), ("1", TypeError)])
def test_bad_timeouts_are_refused(bad, error):
    with pytest.raises(error, match="timeout"):
        gearbox.run("basel", n=10, backend="serial", timeout=bad)


def test_a_run_on_another_thread_is_cancelled_when_the_interpreter_exits():
    script = (
        "import threading, time, gearbox\n"
        "from gearbox import _gearbox\n"
        "def work():\n"
        "    try:\n"
        f"        gearbox.run('basel', n={ENDLESS}, backend='serial')\n"
        "    except gearbox.GearboxError as e:\n"
        "        print('stopped:', e, flush=True)\n"
        "threading.Thread(target=work).start()\n"
        "while _gearbox.running() == 0:\n"
        "    time.sleep(0.001)\n"
        "print('running', flush=True)\n"
    )
    # The time limit only keeps a regression from hanging the suite: unfixed, the
    # exit would wait for the whole run.
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["running", "stopped: cancelled: the interpreter is exiting"], out


def test_inputs_cannot_be_resized_from_another_thread_during_a_run():
    n = 4_000_000
    a = np.linspace(0.0, 1.0, n)
    results, errors = [], []

    def work():
        results.append(gearbox.evaluate("a * 2.0", a=a, backend="serial"))

    runner = threading.Thread(target=work)
    runner.start()
    wait_until_running()
    try:
        a.resize(2 * n)
    except ValueError as e:
        errors.append(e)
    runner.join()
    assert errors and "cannot resize" in str(errors[0])
    assert a.shape == (n,)
    np.testing.assert_array_equal(results[0], np.linspace(0.0, 1.0, n) * 2.0)
