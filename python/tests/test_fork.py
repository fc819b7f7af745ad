"""A process forked after gearbox has run (os.fork, a multiprocessing pool with the
"fork" start method) runs gearbox too: it opens backends of its own instead of
waiting forever on its parent's thread pools and GPU devices, whose threads did
not survive the fork.

Every child and pool is bounded by HANG_GUARD, only so that a regression fails
instead of hanging: a child that works answers in well under a second.
"""

import multiprocessing
import os
import pickle
import select
import signal

import numpy as np
import pytest

import gearbox

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform"),
    # Python 3.12+ warns on every fork of a process with threads (pytest's, rayon's).
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

#: Seconds a child or a pool may take before the test gives up on it.
HANG_GUARD = 120.0

#: Series sizes: milliseconds each.
SIZES = [10**3, 10**4, 10**5, 10**6]


def in_forked_child(job):
    """Forks; the child calls `job()` and sends back what it returned (pickled). The
    child never returns into pytest, and one still running after HANG_GUARD is killed."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read)
            try:
                answer = ("returned", job())
            except BaseException as e:  # noqa: BLE001 (sent to the parent, which fails)
                answer = ("raised", f"{type(e).__name__}: {e}")
            with os.fdopen(write, "wb") as out:
                out.write(pickle.dumps(answer))
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as answers:
        # Readable once the child has written its answer, or has died (end of file).
        if not select.select([answers], [], [], HANG_GUARD)[0]:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child did not finish in {HANG_GUARD:.0f} s: it hangs")
        payload = answers.read()
    _, status = os.waitpid(pid, 0)
    assert payload, f"the forked child died without an answer (wait status {status:#x})"
    how, value = pickle.loads(payload)
    assert how == "returned", f"the forked child raised {value}"
    return value


def test_a_forked_child_runs_a_series_on_the_backend_its_parent_used(backend):
    before = gearbox.run("basel", n=SIZES[-1], backend=backend)

    def child():
        # Twice: the second run reuses the backend the child opened.
        return [gearbox.run("basel", n=n, backend=backend).to_dict() for n in SIZES[-2:]]

    small, same = in_forked_child(child)
    assert same["result"]["value"] == before.value
    assert same["device"] == before.device
    assert small["result"]["value"] == gearbox.run("basel", n=SIZES[-2], backend=backend).value
    # The parent's own backend still works after its child's runs.
    assert gearbox.run("basel", n=SIZES[-1], backend=backend).value == before.value


def test_a_forked_child_runs_a_grid(backend):
    before = gearbox.run("velocity", grid="6x7x5", backend=backend)

    def child():
        return [np.array(a) for a in gearbox.run("velocity", grid="6x7x5", backend=backend)]

    outputs = in_forked_child(child)
    assert len(outputs) == len(before) == 3
    for mine, theirs in zip(before, outputs):
        np.testing.assert_array_equal(mine, theirs)


def test_a_grandchild_runs_too():
    """A fork of a fork: each generation opens a backend of its own."""
    expected = gearbox.run("basel", n=SIZES[-1], backend="rayon").value

    def child():
        gearbox.run("basel", n=SIZES[0], backend="rayon")
        return in_forked_child(lambda: gearbox.run("basel", n=SIZES[-1], backend="rayon").value)

    assert in_forked_child(child) == expected


def basel_on_rayon(n):
    """A pool's task (module level, so that "spawn" workers find it by name)."""
    return gearbox.run("basel", n=n, backend="rayon").value


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_pool_maps_runs_over_its_workers(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method on this platform")
    # In this process first: a "fork" pool's workers inherit the open rayon backend.
    expected = [basel_on_rayon(n) for n in SIZES]
    with multiprocessing.get_context(method).Pool(2) as pool:
        try:
            got = pool.map_async(basel_on_rayon, SIZES).get(timeout=HANG_GUARD)
        except multiprocessing.TimeoutError:
            pytest.fail(f"a {method} pool did not finish {SIZES} in {HANG_GUARD:.0f} s: it hangs")
    assert got == expected
