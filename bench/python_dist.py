#!/usr/bin/env python3
"""gearbox.dask and gearbox.ray against gearbox.run on this machine (docs/DISTRIBUTED.md):

  target/venv/bin/python bench/python_dist.py [--n 1e10] [--grid 100x800x300] [-r 3]

Series: basel at N with gearbox.run (2 threads) and over a local Dask cluster and
local Ray of 1 and 2 single-thread workers (threads=1 per task); the values must
agree bit for bit. Grid: velocity on random arrays of the given grid (lat x lon x r),
in memory against the dask arrays (one chunk per 10 outer rows) computed on the
same clusters, outputs compared. Also the cost of a no-op task (1000 of them) on
each, for the model. Medians of -r runs; clusters are started before timing.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import gearbox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python" / "examples"))
from velocity import median_time  # noqa: E402  (median seconds, last result of -r calls)


def velocity_inputs(grid):
    n0, n2, n1 = (int(x) for x in grid.split("x"))  # the grid parameter is lat x lon x r
    rng = np.random.default_rng(1)
    shape = (n0, n1, n2)
    return {
        "latitude": np.linspace(-89.5, 89.5, n0),
        "radius": np.linspace(3485.0, 6371.0, n1),
        "longitude": np.linspace(0.0, 359.5, n2),
        **{f: rng.standard_normal(shape) for f in ("vlat", "vlon", "vrad")},
    }


def row(name, seconds, reference):
    print(f"| {name} | {seconds:.2f} s | {reference / seconds:.2f} |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=float, default=1e10)
    p.add_argument("--grid", default="100x800x300")
    p.add_argument("-r", "--repeat", type=int, default=3)
    a = p.parse_args()
    n = int(a.n)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    base, ref = median_time(lambda: gearbox.run("basel", n=n, threads=2), a.repeat)
    inputs = velocity_inputs(a.grid)
    grid_base, grid_ref = median_time(lambda: gearbox.run("velocity", grid=a.grid, threads=2, **inputs), a.repeat)
    print(f"| job | time | speed vs gearbox.run |\n|---|---:|---:|")
    row(f"basel N={a.n:g}: gearbox.run, 2 threads", base, base)

    import dask.array as da
    import distributed

    import gearbox.dask

    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            t, r = median_time(lambda: gearbox.dask.run("basel", client=client, n=n, threads=1), a.repeat)
            assert r.value.hex() == ref.value.hex(), (r.value, ref.value)
            row(f"basel: gearbox.dask, {workers} worker(s) x 1 thread", t, base)
            chunked = {k: da.from_array(v, chunks=(10,) + v.shape[1:]) for k, v in inputs.items()}
            out = gearbox.dask.run("velocity", client=client, threads=1, **chunked)
            t, got = median_time(lambda: client.compute(list(out.values()), sync=True), a.repeat)
            assert all(np.array_equal(g, e) for g, e in zip(got, grid_ref.outputs.values()))
            row(f"velocity {a.grid}: gearbox.dask, {workers} worker(s) (in memory: {grid_base:.2f} s)", t, grid_base)
            t, _ = median_time(lambda: client.gather(client.map(int, range(1000), pure=False)), a.repeat)
            print(f"| dask: no-op task, {workers} worker(s) | {t:.3f} ms per task | |", flush=True)

    import ray

    import gearbox.ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for workers in (1, 2):
        t, r = median_time(lambda: gearbox.ray.run("basel", n=n, threads=1, num_cpus=2 / workers), a.repeat)
        assert r.value.hex() == ref.value.hex(), (r.value, ref.value)
        row(f"basel: gearbox.ray, {workers} worker(s) x 1 thread", t, base)
    refs = {k: ray.put(v) for k, v in inputs.items()}

    def grid():
        out = gearbox.ray.run("velocity", threads=1, **refs)
        return [np.concatenate(ray.get(v)) for v in out.values()]

    t, got = median_time(grid, a.repeat)
    assert all(np.array_equal(g, e) for g, e in zip(got, grid_ref.outputs.values()))
    row(f"velocity {a.grid}: gearbox.ray, 2 workers, outputs fetched (in memory: {grid_base:.2f} s)", t, grid_base)
    noop = ray.remote(int)
    t, _ = median_time(lambda: ray.get([noop.remote(i) for i in range(1000)]), a.repeat)
    print(f"| ray: no-op task, 2 workers | {t:.3f} ms per task | |", flush=True)
    ray.shutdown()
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
