#!/usr/bin/env python3
"""The seed notebook's velocity conversion (spherical → Cartesian on an
(nlat, nr, nlon) grid) with NumPy and with gearbox, on the same arrays: checks
they agree and prints both times.

usage: python velocity.py [NLATxNLONxNR] [--backend rayon] [--repeat 3]
"""

import argparse
import statistics
import time

import numpy as np

import gearbox


def make_inputs(nlat, nlon, nr):
    """The seed's inputs: Legendre polynomials of the coordinates, full 3-d fields."""
    latitude = np.linspace(-90.0, 90.0, nlat)
    longitude = np.linspace(0.0, 360.0, nlon)
    radius = np.linspace(3485.0, 6371.0, nr)
    p2 = lambda x: 0.5 * (3.0 * x**2 - 1.0)  # noqa: E731  (scipy's lpmv(0, 2, x))
    p3 = lambda x: 0.5 * (5.0 * x**3 - 3.0 * x)  # noqa: E731  (lpmv(0, 3, x))
    shape = (nlat, nr, nlon)
    vlat = np.empty(shape)
    vlat[...] = p3(latitude / 90.0)[:, None, None]
    vlon = np.empty(shape)
    vlon[...] = p2(longitude / 180.0 - 1.0)[None, None, :]
    vrad = np.empty(shape)
    vrad[...] = p3((radius - 4928.0) / 1443.0)[None, :, None]
    return dict(latitude=latitude, longitude=longitude, radius=radius, vlat=vlat, vlon=vlon, vrad=vrad)


def numpy_velocity(latitude, longitude, radius, vlat, vlon, vrad):
    """The seed's NumPy version: a loop over latitude, each slab vectorised."""
    nlat, nr, nlon = vlat.shape
    vx, vy, vz = np.empty(vlat.shape), np.empty(vlat.shape), np.empty(vlat.shape)
    lon = np.radians(longitude)
    sinlon, coslon = np.sin(lon), np.cos(lon)
    lat = np.radians(latitude)
    for i in range(nlat):
        sinlat, coslat = np.sin(lat[i]), np.cos(lat[i])
        vx[i] = -sinlon * vlon[i] - sinlat * coslon * vlat[i] + coslat * coslon * vrad[i]
        vy[i] = coslon * vlon[i] - sinlat * sinlon * vlat[i] + coslat * sinlon * vrad[i]
        vz[i] = coslat * vlat[i] + sinlat * vrad[i]
    return vx, vy, vz


def median_time(f, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grid", nargs="?", default="250x400x150", help="NLATxNLONxNR")
    parser.add_argument("--backend", default="rayon")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    nlat, nlon, nr = (int(s) for s in args.grid.split("x"))
    arrays = make_inputs(nlat, nlon, nr)

    gearbox.run("velocity", grid="2x2x2", backend=args.backend)  # warm-up: open the backend
    numpy_s, expected = median_time(lambda: numpy_velocity(**arrays), args.repeat)
    gearbox_s, result = median_time(
        lambda: gearbox.run("velocity", grid=args.grid, backend=args.backend, **arrays), args.repeat
    )
    worst = max(float(np.max(np.abs(ours - theirs))) for ours, theirs in zip(result, expected))
    agree = worst <= 1e-13
    mb = arrays["vlat"].nbytes / 1e6
    print(f"velocity {nlat}x{nlon}x{nr} ({mb:.0f} MB per field), median of {args.repeat} runs")
    print(f"  numpy                  {numpy_s:9.4f} s")
    print(f"  gearbox {args.backend:<8}       {gearbox_s:9.4f} s  ({result.device}; "
          f"{numpy_s / gearbox_s:.1f}x)   run on the backend: {result.seconds:.4f} s")
    print(f"  largest difference     {worst:.3e}  -> {'agree' if agree else 'DISAGREE'}")
    raise SystemExit(0 if agree else 1)


if __name__ == "__main__":
    main()
