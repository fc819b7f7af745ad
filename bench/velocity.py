#!/usr/bin/env python3
"""The velocity conversion from Python on NumPy arrays in memory — arrays in, new
arrays out — against the seed's NumPy code and the memory floor, side by side.

usage: GEARBOX_PEERS=DIR python bench/velocity.py [--grid 500x800x300] [--rounds 5] [--threads 2]

The same work for every method: the seed's inputs (three (nlat, nr, nlon) float64
fields and three axes) in memory, three float64 fields out:
- ``velocity_numpy.py``: the peer's ``sph2cart_loop_lat`` (allocating its outputs);
- ``gearbox.run``: ``gearbox.run("velocity", **arrays)``, new output arrays;
- ``gearbox.run out=``: the same into the previous run's arrays (no allocation);
- ``stream6``: the memory floor (DIR/build/stream6: read three arrays of the grid's
  length, write three; OpenMP, ``--threads``; its best of 3 each round).
Medians of --rounds rounds, methods alternating, after one warm-up each. Needs
the gearbox package, and SciPy for the peer's module (it imports ``lpmv``).
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import gearbox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import legendre_inputs  # noqa: E402 - the seed's inputs, one definition


def peer_module(peers: Path):
    """The peer's velocity_numpy.py as a module."""
    spec = importlib.util.spec_from_file_location("velocity_numpy", peers / "velocity_numpy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stream6(peers: Path, n: int, threads: int) -> float:
    """stream6's best of 3 over n elements."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([str(peers / "build" / "stream6"), str(n)], capture_output=True, text=True, env=env, check=True)
    return float(json.loads(out.stdout)["seconds"])


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", default="500x800x300", help="nlat x nlon x nr")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    peers = Path(os.environ.get("GEARBOX_PEERS", ""))
    if not (peers / "velocity_numpy.py").is_file() or not (peers / "build" / "stream6").is_file():
        raise SystemExit("set GEARBOX_PEERS to the peers' directory (velocity_numpy.py, build/stream6)")
    load = os.getloadavg()[0]
    peer = peer_module(peers)
    nlat, nlon, nr = map(int, args.grid.split("x"))
    lat, lon, vlat, vlon, vrad = legendre_inputs(nlat, nlon, nr)
    radius = np.linspace(3485, 6371, nr)
    arrays = dict(latitude=lat, longitude=lon, radius=radius, vlat=vlat, vlon=vlon, vrad=vrad)
    kept = {}

    def run_new():
        kept["out"] = gearbox.run("velocity", threads=args.threads, **arrays)

    def run_into():
        gearbox.run("velocity", threads=args.threads, out=list(kept["out"]), **arrays)

    methods = {
        "velocity_numpy.py (sph2cart_loop_lat)": lambda: peer.sph2cart_loop_lat(lat, lon, vlat, vlon, vrad),
        "gearbox.run (new arrays)": run_new,
        "gearbox.run out= (arrays reused)": run_into,
    }
    n = nlat * nlon * nr
    times = {name: [] for name in methods}
    times["stream6 (memory floor)"] = []
    for fn in methods.values():
        fn()  # warm-up
    for _ in range(args.rounds):
        for name, fn in methods.items():
            times[name].append(timed(fn))
        times["stream6 (memory floor)"].append(stream6(peers, n, args.threads))
    check = peer.sph2cart_loop_lat(lat, lon, vlat, vlon, vrad)
    length = np.sqrt(vlat**2 + vlon**2 + vrad**2)
    worst = max(float(np.max(np.abs(ours - theirs) / np.spacing(length))) for ours, theirs in zip(kept["out"], check))
    del check, length
    med = {name: statistics.median(t) for name, t in times.items()}
    floor, numpy_s = med["stream6 (memory floor)"], med["velocity_numpy.py (sph2cart_loop_lat)"]
    print(
        f"# velocity {nlat}x{nlon}x{nr} from Python, in memory; {args.threads} threads; medians of {args.rounds}; "
        f"load average at start: {load:.2f}; largest difference from NumPy: {worst:.1f} ulps of |v|\n"
    )
    print("| method | seconds (median) | rounds | × stream6 time | NumPy time / its time |")
    print("|---|---:|---|---:|---:|")
    for name, t in med.items():
        rounds = " ".join(f"{x:.3f}" for x in times[name])
        print(f"| {name} | {t:.3f} | {rounds} | {t / floor:.2f}× | {numpy_s / t:.1f}× |")


if __name__ == "__main__":
    main()
