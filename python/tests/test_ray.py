"""gearbox.ray on a local Ray instance (ray.init(num_cpus=2)): series bit for bit
gearbox.run's for 1, 2 and 3 workers at once and when a worker is killed
mid-sum, a grid over the object store equal to the in-memory run."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import need_module, velocity_inputs, velocity_reference, wait_for

ray = need_module("ray")

import gearbox  # noqa: E402
import gearbox.ray  # noqa: E402

#: 8 canonical batches (2^28 terms each, the last one short).
N = 2 * 10**9
CPUS = 2


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=CPUS, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def reference():
    return gearbox.run("basel", n=N, threads=2)


# Workers at once, set by the CPUs each task asks for: 2 of 2, 1 of 2, and 0.6,
# of which 3 fit in 2 (Ray keeps 4 decimals: 3 x 0.6667 would not).
@pytest.mark.parametrize("workers, cpus, per_task", [(1, 2, None), (2, 1, None), (3, 0.6, 3)])
def test_series_bits_equal_gearbox_run(reference, workers, cpus, per_task):
    assert int(CPUS // cpus) == workers
    r = gearbox.ray.run("basel", n=N, threads=1, num_cpus=cpus, batches_per_task=per_task)
    assert r.value.hex() == reference.value.hex()
    assert (r.exact, r.error_ulps, r.params) == (reference.exact, reference.error_ulps, {"n": N})


def summing_workers():
    """Pids of the Ray workers running a series task now (Ray titles a worker
    process after the task it runs)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().startswith(b"ray::series_task"):
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="NOTICE: finds Ray's workers through /proc")
def test_series_worker_killed_mid_sum():
    n = 2 * N
    expected = gearbox.run("basel", n=n, threads=2).value
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(gearbox.ray.run, "basel", n=n, threads=1)
        wait_for("a Ray worker summing batches", lambda: summing_workers() != [])
        os.kill(summing_workers()[0], signal.SIGKILL)
        r = running.result(timeout=300)
    assert r.value.hex() == expected.hex()


def test_grid_from_object_store_equals_in_memory_run():
    inputs = velocity_inputs()
    refs = {k: ray.put(v) for k, v in inputs.items()}
    out = gearbox.ray.run("velocity", blocks=5, **refs)
    expected = velocity_reference(inputs)
    assert list(out) == list(expected)
    for name, array in expected.items():
        assert len(out[name]) == 5
        np.testing.assert_array_equal(np.concatenate(ray.get(out[name])), array)
