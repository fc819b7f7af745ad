#!/usr/bin/env python3
"""Predicted parallel efficiency of gearbox-mpi (docs/DISTRIBUTED.md), from times
measured on one machine:

  bench/mpi_model.py --chunk-us 212.6 --slab-ms 3.5 --rtt-us 18 --start-s 0.6

Series (basel, N = 1e13): 2^18-term chunks in batches of 1024; rank 0 hands out
batches on demand, so a rank idles at most one batch at the end (half on average).
Grid (velocity at 10x the seed grid, 5000x800x300, no output files): slabs of one
latitude row split evenly; each rank sends its per-slab checksums once.
E(K) = T(1) / (K T(K)), with T(K) = start + work/K + tail + messages at rank 0."""

import argparse
import math

CHUNK = 1 << 18
BATCH = 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunk-us", type=float, required=True, help="basel time per 2^18-term chunk, one core (µs)")
    p.add_argument("--slab-ms", type=float, required=True, help="velocity time per 240000-point slab, one core (ms)")
    p.add_argument("--rtt-us", type=float, required=True, help="round trip of a 24-byte message and its 8-byte answer (µs)")
    p.add_argument("--start-s", type=float, required=True, help="mpirun start, MPI_Init and library loading (s)")
    a = p.parse_args()

    chunks = math.ceil(1e13 / CHUNK)
    batches = math.ceil(chunks / BATCH)
    t_batch = BATCH * a.chunk_us * 1e-6
    series_work = chunks * a.chunk_us * 1e-6
    slabs = 5000
    slab_bytes = 3 * 4 * 8  # Σx and Σx² as double-doubles, three output fields
    grid_work = slabs * a.slab_ms * 1e-3
    rtt = a.rtt_us * 1e-6

    def series(k: int) -> float:
        # Rank 0 answers every batch: one message in, one out (bounded by its load, not its latency).
        rank0 = batches * rtt / 2
        return a.start_s + max(series_work / k + (t_batch / 2 if k > 1 else 0), rank0)

    def grid(k: int) -> float:
        # Set-up agreements and the final gather pass through rank 0 one rank at a time.
        return a.start_s + math.ceil(slabs / k) * a.slab_ms * 1e-3 + 4 * (k - 1) * rtt

    print(f"basel N=1e13: {chunks} chunks, {batches} batches of {t_batch:.3f} s; "
          f"per batch 24 B to rank 0 and 8 B back ({batches * 32 / 1e6:.2f} MB in all)")
    print(f"velocity 5000x800x300: {slabs} slabs of {a.slab_ms:.2f} ms; "
          f"per slab {slab_bytes} B of checksums to rank 0 ({slabs * slab_bytes / 1e3:.0f} kB in all)")
    print(f"{'ranks':>6} {'basel T(K) s':>14} {'E':>7} {'velocity T(K) s':>16} {'E':>7}")
    for k in (1, 2, 10, 100, 1000):
        s, g = series(k), grid(k)
        print(f"{k:>6} {s:>14.2f} {series(1) / (k * s):>7.1%} {g:>16.3f} {grid(1) / (k * g):>7.1%}")


if __name__ == "__main__":
    main()
