#!/usr/bin/env python3
"""gearbox.dask and gearbox.ray against gearbox.run on this machine (docs/DISTRIBUTED.md):

  target/venv/bin/python bench/python_dist.py [--n 1e10] [--grid 100x800x300] [-r 3]
  target/venv/bin/python bench/python_dist.py --model CHUNK_US TASK_MS START_S

Series: basel at N with gearbox.run (2 threads) and over a local Dask cluster and
local Ray of 1 and 2 single-thread workers (threads=1 per task); the values must
agree bit for bit. Grid: velocity on random arrays of the given grid (lat x lon x r),
in memory against the dask arrays (one chunk per 10 outer rows) computed on the
same clusters, outputs compared. Also the cost of a no-op task (1000 of them) on
each, for the model. Medians of -r runs, gearbox.run's alternating with the
distributed ones (so both see the same load); clusters are started before timing.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

import dask.array as da
import distributed
import numpy as np
import ray

import gearbox
import gearbox.dask
import gearbox.ray

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


def compare(job, base, test, repeat, check):
    """Times `base` (gearbox.run) and `test` alternately, `repeat` times each (so
    both see the same load), checks their results agree and prints a table row."""
    tb, tt = [], []
    for _ in range(repeat):
        sb, b = median_time(base, 1)
        st, t = median_time(test, 1)
        tb.append(sb)
        tt.append(st)
        check(b, t)
    mb, mt = statistics.median(tb), statistics.median(tt)
    print(f"| {job} | {mb:.2f} s | {mt:.2f} s | {mt / mb:.2f} |", flush=True)


def noop_task(i):
    """A Ray task that does nothing but return."""
    return i


def same_value(a, b):
    assert a.value.hex() == b.value.hex(), (a.value, b.value)


def same_arrays(a, b):
    assert all(np.array_equal(x, y) for x, y in zip(a.outputs.values(), b)), "outputs differ"


def model(chunk_us, task_ms, start_s):
    """T(K) and efficiency of basel N = 1e13 over K single-thread workers, with
    gearbox.dask's default of 8 tasks per worker: start-up, then work/K plus the
    last task's tail (half a task on average), or, when it is longer, the time the
    scheduler takes to hand out every task one after the other (its throughput)."""
    chunks = -(-10**13 // 2**18)
    batches = -(-chunks // 1024)
    work = chunks * chunk_us * 1e-6
    print("| workers | tasks | T(K) | efficiency |\n|---:|---:|---:|---:|")
    t1 = None
    for k in (1, 10, 100, 1000):
        tasks = min(batches, 8 * k)
        per_task = work / tasks
        tail = per_task / 2 if k > 1 else 0.0
        t = start_s + max(work / k + tail, tasks * task_ms * 1e-3)
        t1 = t1 or t
        print(f"| {k} | {tasks} | {t:.1f} s | {100 * t1 / (k * t):.0f} % |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=float, default=1e10)
    p.add_argument("--grid", default="100x800x300")
    p.add_argument("-r", "--repeat", type=int, default=3)
    p.add_argument("--model", nargs=3, type=float, metavar=("CHUNK_US", "TASK_MS", "START_S"), help="print the model's table only")
    a = p.parse_args()
    if a.model:
        return model(*a.model)
    n = int(a.n)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    series = lambda: gearbox.run("basel", n=n, threads=2)  # noqa: E731
    inputs = velocity_inputs(a.grid)
    grid = lambda: gearbox.run("velocity", grid=a.grid, threads=2, **inputs)  # noqa: E731
    print("| job | gearbox.run, 2 threads | distributed | ratio |\n|---|---:|---:|---:|")
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            test = lambda: gearbox.dask.run("basel", client=client, n=n, threads=1)  # noqa: E731
            compare(f"basel N = {a.n:g}, gearbox.dask, {workers} worker(s) x 1 thread", series, test, a.repeat, same_value)
            chunked = {k: da.from_array(v, chunks=(10,) + v.shape[1:]) for k, v in inputs.items()}
            out = gearbox.dask.run("velocity", client=client, threads=1, **chunked)
            test = lambda: client.compute(list(out.values()), sync=True)  # noqa: E731
            compare(f"velocity {a.grid} (NumPy in, NumPy out), gearbox.dask, {workers} worker(s)", grid, test, a.repeat, same_arrays)
            t, _ = median_time(lambda: client.gather(client.map(int, range(1000), pure=False)), a.repeat)
            print(f"| dask: 1000 no-op tasks, {workers} worker(s) | | {t:.2f} s | |", flush=True)

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for workers in (1, 2):
        test = lambda: gearbox.ray.run("basel", n=n, threads=1, num_cpus=2 / workers)  # noqa: E731
        compare(f"basel N = {a.n:g}, gearbox.ray, {workers} worker(s) x 1 thread", series, test, a.repeat, same_value)
    refs = {k: ray.put(v) for k, v in inputs.items()}

    def ray_grid():
        out = gearbox.ray.run("velocity", threads=1, **refs)
        return [np.concatenate(ray.get(v)) for v in out.values()]

    compare(f"velocity {a.grid} (object store in, outputs fetched), gearbox.ray, 2 workers", grid, ray_grid, a.repeat, same_arrays)
    noop = ray.remote(noop_task)
    t, _ = median_time(lambda: ray.get([noop.remote(i) for i in range(1000)]), a.repeat)
    print(f"| ray: 1000 no-op tasks, 2 workers | | {t:.2f} s | |", flush=True)
    ray.shutdown()
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
