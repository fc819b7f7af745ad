#!/usr/bin/env python3
"""The seed notebook's Basel sum (Σ 1/k² for k = 1..N) with NumPy, in chunks as
the notebook does, and with gearbox: both values against π²/6's partial sum, and
both times.

usage: python basel.py [N] [--backend rayon] [--threads T]
"""

import argparse
import time

import numpy as np

import gearbox


def numpy_basel(n, chunk=10**7):
    """Σ 1/k² in float64 chunks of `chunk` terms, smallest terms first."""
    total = 0.0
    for stop in range(n, 0, -chunk):
        k = np.arange(max(stop - chunk, 0) + 1, stop + 1, dtype=np.float64)
        total += float(np.sum(1.0 / (k * k)))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=float, default=1e9)
    parser.add_argument("--backend", default="rayon")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    n = int(args.n)

    start = time.perf_counter()
    ours = numpy_basel(n)
    numpy_s = time.perf_counter() - start
    gearbox.run("basel", n=1000, backend=args.backend, threads=args.threads)  # warm-up
    r = gearbox.run("basel", n=n, backend=args.backend, threads=args.threads)
    ulps = lambda v: abs(v - r.exact) / np.spacing(r.exact)  # noqa: E731
    print(f"basel N = {n:.3g}, exact partial sum {r.exact!r}")
    print(f"  numpy          {ours!r:<22} {ulps(ours):8.1f} ulp  {numpy_s:8.4f} s")
    print(f"  gearbox {r.backend:<6} {r.value!r:<22} {r.error_ulps:8.1f} ulp  {r.seconds:8.4f} s"
          f"  ({r.device}; {numpy_s / r.seconds:.1f}x)")


if __name__ == "__main__":
    main()
