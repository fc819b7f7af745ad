"""gearbox.dask on a real LocalCluster of worker processes: series bit for bit
gearbox.run's for 1, 2 and 3 workers and when a worker is killed mid-sum, grids and
evaluate equal to the in-memory runs."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import need_module, velocity_inputs, velocity_reference, wait_for

distributed = need_module("distributed")
da = need_module("dask.array")

import gearbox  # noqa: E402
import gearbox.dask  # noqa: E402

#: 8 canonical batches (2^28 terms each, the last one short).
N = 2 * 10**9


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield cluster, client


def scale(cluster, n):
    """The cluster with exactly `n` workers, once they have joined."""
    cluster, client = cluster
    cluster.scale(n)
    wait_for(f"{n} workers", lambda: len(client.scheduler_info()["workers"]) == n)
    return client


@pytest.fixture(scope="module")
def reference():
    return gearbox.run("basel", n=N, threads=2)


@pytest.mark.parametrize("workers, per_task", [(1, None), (2, None), (3, 3)])
def test_series_bits_equal_gearbox_run(cluster, reference, workers, per_task):
    client = scale(cluster, workers)
    r = gearbox.dask.run("basel", client=client, n=N, threads=1, batches_per_task=per_task)
    assert r.value.hex() == reference.value.hex()
    assert (r.exact, r.error_ulps, r.workload, r.params) == (
        reference.exact,
        reference.error_ulps,
        "basel",
        {"n": N},
    )


def test_series_worker_killed_mid_sum(cluster):
    client = scale(cluster, 2)
    n = 2 * N
    expected = gearbox.run("basel", n=n, threads=2).value
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(gearbox.dask.run, "basel", client=client, n=n, threads=1)

        def busy():
            return next((w for w, keys in client.processing().items() if keys), None)

        wait_for("a worker summing batches", lambda: busy() is not None)
        victim = busy()
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        r = running.result(timeout=300)
    assert r.value.hex() == expected.hex()


def test_series_errors_before_any_task(cluster):
    _, client = cluster
    with pytest.raises(TypeError, match="unknown parameter m"):
        gearbox.dask.run("basel", client=client, m=5)
    with pytest.raises(ValueError, match="batches_per_task"):
        gearbox.dask.run("basel", client=client, n=N, batches_per_task=0)


def test_grid_equals_in_memory_run(cluster):
    client = scale(cluster, 2)
    inputs = velocity_inputs()
    chunked = {k: da.from_array(v, chunks=(5,) + v.shape[1:]) for k, v in inputs.items()}
    out = gearbox.dask.run("velocity", client=client, **chunked)
    assert out["vx"].numblocks == (5, 1, 1)
    computed = dict(zip(out, client.compute(list(out.values()), sync=True)))
    expected = velocity_reference(inputs)
    assert list(computed) == list(expected)
    for name, array in expected.items():
        np.testing.assert_array_equal(computed[name], array)


def test_evaluate_broadcasts_axes_per_block(cluster):
    client = scale(cluster, 2)
    rng = np.random.default_rng(3)
    lat, v = rng.uniform(-90, 90, 30), rng.standard_normal((30, 8, 6))
    formulas = {"a": "cos(radians(lat))*v + s", "b": "v*v"}
    expected = gearbox.evaluate(formulas, lat=lat[:, None, None], v=v, s=2.0)
    lazy = gearbox.dask.evaluate(
        formulas, lat=da.from_array(lat[:, None, None], chunks=7), v=da.from_array(v, chunks=(7, 8, 6)), s=2.0
    )
    computed = client.compute(lazy, sync=True)
    for name in formulas:
        np.testing.assert_array_equal(computed[name], expected[name])
