#!/usr/bin/env python3
"""The NumPy peer of `gearbox run velocity --input DIR --output DIR`, and the
writer of its input files.

usage:
  velocity_io_numpy.py make DIR NLAT NLON NR [--dtype f8|f4] [--fortran]
      writes latitude/longitude/radius.npy and vlat/vlon/vrad.npy (the seed's
      Legendre fields, laid out (nlat, nr, nlon)) latitude by latitude, so
      grids larger than memory can be made
  velocity_io_numpy.py convert IN OUT
      loads the inputs with np.load, converts them as the seed does (a loop over
      latitude, each iteration vectorised over the (nr, nlon) slab, like
      ../shared/peers/velocity_numpy.py) and saves vx/vy/vz.npy with np.save;
      prints one JSON line with the seconds of each step
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
from numpy.lib.format import open_memmap


def p2(x):
    return (3.0 * x * x - 1.0) / 2.0


def p3(x):
    return (5.0 * x**3 - 3.0 * x) / 2.0


def make(out, nlat, nlon, nr, dtype="f8", fortran=False):
    out.mkdir(parents=True, exist_ok=True)
    latitude = np.linspace(-90.0, 90.0, nlat)
    longitude = np.linspace(0.0, 360.0, nlon)
    radius = np.linspace(3485.0, 6371.0, nr)
    for name, axis in (("latitude", latitude), ("longitude", longitude), ("radius", radius)):
        np.save(out / f"{name}.npy", axis)
    shape = (nlat, nr, nlon)
    lon_field = p2(longitude / 180.0 - 1.0)[None, :].astype(dtype)
    rad_field = p3((radius - 4928.0) / 1443.0)[:, None].astype(dtype)
    for name in ("vlat", "vlon", "vrad"):
        field = open_memmap(out / f"{name}.npy", mode="w+", dtype=dtype, shape=shape,
                            fortran_order=fortran)
        for i in range(nlat):
            if name == "vlat":
                field[i] = p3(latitude[i] / 90.0)
            elif name == "vlon":
                field[i] = lon_field
            else:
                field[i] = rad_field
        field.flush()
        del field


def convert(src, dst):
    t0 = time.perf_counter()
    latitude = np.load(src / "latitude.npy")
    longitude = np.load(src / "longitude.npy")
    vlat = np.load(src / "vlat.npy")
    vlon = np.load(src / "vlon.npy")
    vrad = np.load(src / "vrad.npy")
    t1 = time.perf_counter()
    nlat, nr, nlon = vlat.shape
    vx = np.empty((nlat, nr, nlon))
    vy = np.empty((nlat, nr, nlon))
    vz = np.empty((nlat, nr, nlon))
    lon = np.radians(longitude)
    sinlon = np.sin(lon)
    coslon = np.cos(lon)
    lat = np.radians(latitude)
    for i in range(nlat):
        sinlat = np.sin(lat[i])
        coslat = np.cos(lat[i])
        vx[i] = (-sinlon * vlon[i] - sinlat * coslon * vlat[i]
                 + coslat * coslon * vrad[i])
        vy[i] = (coslon * vlon[i] - sinlat * sinlon * vlat[i]
                 + coslat * sinlon * vrad[i])
        vz[i] = coslat * vlat[i] + sinlat * vrad[i]
    t2 = time.perf_counter()
    dst.mkdir(parents=True, exist_ok=True)
    np.save(dst / "vx.npy", vx)
    np.save(dst / "vy.npy", vy)
    np.save(dst / "vz.npy", vz)
    t3 = time.perf_counter()
    print(json.dumps({"impl": "numpy load+loop+save", "shape": [nlat, nr, nlon],
                      "load": t1 - t0, "convert": t2 - t1, "save": t3 - t2,
                      "seconds": t3 - t0}))


def main():
    args = sys.argv[1:]
    if len(args) >= 5 and args[0] == "make":
        dtype = args[args.index("--dtype") + 1] if "--dtype" in args else "f8"
        make(Path(args[1]), *(int(a) for a in args[2:5]), dtype=dtype,
             fortran="--fortran" in args)
    elif len(args) == 3 and args[0] == "convert":
        convert(Path(args[1]), Path(args[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
