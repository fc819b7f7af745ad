#!/usr/bin/env python3
"""gearbox.evaluate against NumExpr and NumPy on the seeds' element-wise lines, in
memory, from Python: the same arrays in, the same arrays out.

usage: python bench/evaluate.py [--grid 500x800x300] [--n 1e8] [--rounds 3] [--threads 2]

Needs the gearbox package and NumExpr in the running Python (pip install numexpr).
Times are medians of --rounds runs of each method, alternating, after one warm-up;
each line also gives the largest difference from NumPy's result in ulps of the
vector's length (velocity) or of the value (sincos).
"""
import argparse
import os
import statistics
import time

import numpy as np

import gearbox

try:
    import numexpr as ne
except ImportError:
    raise SystemExit("bench/evaluate.py needs NumExpr: pip install numexpr")

VELOCITY = {
    "vx": "-sin(radians(lon))*vlon - sin(radians(lat))*cos(radians(lon))*vlat + cos(radians(lat))*cos(radians(lon))*vrad",
    "vy": "cos(radians(lon))*vlon - sin(radians(lat))*sin(radians(lon))*vlat + cos(radians(lat))*sin(radians(lon))*vrad",
    "vz": "cos(radians(lat))*vlat + sin(radians(lat))*vrad",
}
# NumExpr has no radians(): the same lines with the conversion written out.
NUMEXPR = {k: v.replace("radians(lat)", "(lat*d2r)").replace("radians(lon)", "(lon*d2r)") for k, v in VELOCITY.items()}


def legendre_inputs(nlat, nlon, nr):
    """The seed's inputs (the Legendre fields of bench/velocity_io_numpy.py): full (nlat, nr, nlon) arrays of Legendre values."""
    lat, lon, r = np.linspace(-90, 90, nlat), np.linspace(0, 360, nlon), np.linspace(3485, 6371, nr)
    p2 = lambda x: (3 * x * x - 1) / 2
    p3 = lambda x: (5 * x**3 - 3 * x) / 2
    shape = (nlat, nr, nlon)
    vlat = np.ascontiguousarray(np.broadcast_to(p3(lat / 90)[:, None, None], shape))
    vlon = np.ascontiguousarray(np.broadcast_to(p2(lon / 180 - 1)[None, None, :], shape))
    vrad = np.ascontiguousarray(np.broadcast_to(p3((r - 4928) / 1443)[None, :, None], shape))
    return lat, lon, vlat, vlon, vrad


def velocity_numpy(lat, lon, vlat, vlon, vrad):
    """The seed's NumPy conversion, broadcast over (radius, longitude) at once."""
    phi, lam = np.radians(lat)[:, None, None], np.radians(lon)[None, None, :]
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    vx = -sl * vlon - sp * cl * vlat + cp * cl * vrad
    vy = cl * vlon - sp * sl * vlat + cp * sl * vrad
    vz = cp * vlat + sp * vrad
    return {"vx": vx, "vy": vy, "vz": vz}


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench(methods, rounds, check):
    """Median seconds of each method (a warm-up first) and its worst error against the first."""
    for fn in methods.values():
        del_out = fn()
        del del_out
    times = {name: [] for name in methods}
    errors = {}
    for _ in range(rounds):
        reference = None
        for name, fn in methods.items():
            t, out = timed(fn)
            times[name].append(t)
            if reference is None:
                reference = out
            else:
                errors[name] = max(errors.get(name, 0.0), check(out, reference))
            del out
        del reference
    return {n: statistics.median(v) for n, v in times.items()}, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", default="500x800x300", help="nlat x nlon x nr")
    ap.add_argument("--n", default="1e8", help="elements of the sincos line")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    ne.set_num_threads(args.threads)
    print(f"# {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; threads {args.threads}; medians of {args.rounds}")

    n = int(float(args.n))
    a = np.random.default_rng(0).random(n)
    twoPi = 2 * np.pi  # noqa: N806 - the seed's name
    line = "sin(twoPi*a)**2 + cos(twoPi*a)**2"
    sincos = {
        "NumPy": lambda: np.sin(twoPi * a) ** 2 + np.cos(twoPi * a) ** 2,
        "NumExpr": lambda: ne.evaluate(line, local_dict={"a": a, "twoPi": twoPi}),
        "gearbox.evaluate rayon": lambda: gearbox.evaluate(line, a=a, twoPi=twoPi, threads=args.threads),
        "gearbox.evaluate serial": lambda: gearbox.evaluate(line, a=a, twoPi=twoPi, backend="serial"),
    }
    med, err = bench(sincos, args.rounds, lambda o, r: float(np.max(np.abs(o - r)) / np.spacing(1.0)))
    report(f"sincos line, N = {n:.0e}", med, err, "ulps of 1")
    del a

    nlat, nlon, nr = map(int, args.grid.split("x"))
    lat, lon, vlat, vlon, vrad = legendre_inputs(nlat, nlon, nr)
    d2r = np.pi / 180
    ops = dict(lat=lat[:, None, None], lon=lon[None, None, :], vlat=vlat, vlon=vlon, vrad=vrad)
    velocity = {
        "NumPy (seed, broadcast)": lambda: velocity_numpy(lat, lon, vlat, vlon, vrad),
        "NumExpr": lambda: {k: ne.evaluate(v, local_dict=dict(ops, d2r=d2r)) for k, v in NUMEXPR.items()},
        "gearbox.evaluate rayon": lambda: gearbox.evaluate(VELOCITY, threads=args.threads, **ops),
    }
    length = np.sqrt(vlat**2 + vlon**2 + vrad**2)

    def check(out, ref):
        return max(float(np.max(np.abs(out[k] - ref[k]) / np.spacing(np.maximum(length, 1e-300)))) for k in ref)

    med, err = bench(velocity, args.rounds, check)
    report(f"velocity lines, {nlat}x{nlon}x{nr}", med, err, "ulps of |v|")


def report(title, med, err, unit):
    first = next(iter(med))
    print(f"\n## {title}\n")
    print(f"| method | seconds | vs {first} | vs NumExpr | max diff from {first} ({unit}) |")
    print("|---|---:|---:|---:|---:|")
    for name, t in med.items():
        print(f"| {name} | {t:.3f} | {med[first] / t:.1f}× | {med['NumExpr'] / t:.1f}× | {err.get(name, 0.0):.1f} |")


if __name__ == "__main__":
    main()
