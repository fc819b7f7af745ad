"""NumPy arrays in and out: inputs used in place, outputs handed over without a copy."""

import numpy as np
import pytest

import gearbox

SHAPE = (24, 10, 36)  # (nlat, nr, nlon): grid "24x36x10"
GRID = "24x36x10"


def inputs():
    """The seed's inputs (Legendre polynomials P2, P3 of the coordinates)."""
    nlat, nr, nlon = SHAPE
    latitude = np.linspace(-90.0, 90.0, nlat)
    longitude = np.linspace(0.0, 360.0, nlon)
    radius = np.linspace(3485.0, 6371.0, nr)
    p2 = lambda x: 0.5 * (3 * x**2 - 1)  # noqa: E731
    p3 = lambda x: 0.5 * (5 * x**3 - 3 * x)  # noqa: E731
    vlat = np.broadcast_to(p3(latitude / 90.0)[:, None, None], SHAPE).copy()
    vlon = np.broadcast_to(p2(longitude / 180.0 - 1.0)[None, None, :], SHAPE).copy()
    vrad = np.broadcast_to(p3((radius - 4928.0) / 1443.0)[None, :, None], SHAPE).copy()
    return dict(latitude=latitude, longitude=longitude, radius=radius, vlat=vlat, vlon=vlon, vrad=vrad)


def numpy_velocity(latitude, longitude, radius, vlat, vlon, vrad):
    lat = np.radians(latitude)[:, None, None]
    lon = np.radians(longitude)[None, None, :]
    sinlat, coslat, sinlon, coslon = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    vx = -sinlon * vlon - sinlat * coslon * vlat + coslat * coslon * vrad
    vy = coslon * vlon - sinlat * sinlon * vlat + coslat * sinlon * vrad
    vz = coslat * vlat + sinlat * vrad
    return vx, vy, vz


def test_outputs_from_numpy_inputs_agree_with_numpy(backend):
    given = inputs()
    before = {k: v.copy() for k, v in given.items()}
    vx, vy, vz = gearbox.run("velocity", grid=GRID, backend=backend, **given)
    for ours, theirs in zip((vx, vy, vz), numpy_velocity(**given)):
        assert ours.shape == SHAPE and ours.dtype == np.float64
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)
    for name, array in given.items():
        assert np.array_equal(array, before[name]), f"{name} was changed"


def test_same_arrays_give_the_same_bits_on_both_cpu_backends():
    given = inputs()
    serial = gearbox.run("velocity", grid=GRID, backend="serial", **given)
    rayon = gearbox.run("velocity", grid=GRID, backend="rayon", threads=2, **given)
    for name in ("vx", "vy", "vz"):
        assert np.array_equal(serial[name], rayon[name])


def test_outputs_own_the_buffer_the_run_filled():
    r = gearbox.run("velocity", grid=GRID, backend="rayon", **inputs())
    for name, array in r.outputs.items():
        # The array is a view of the Rust vector the run wrote into: not NumPy's own
        # allocation, not a view of another array (no copy or reshape after the run).
        assert not array.flags.owndata, name
        assert type(array.base).__name__ == "PySliceContainer", type(array.base)
        assert array.flags.c_contiguous and array.flags.writeable
    assert not np.shares_memory(r["vx"], r["vy"])
    vx = r["vx"]
    vx[0, 0, 0] = 42.0  # writable, and still alive after the result goes
    del r
    assert vx[0, 0, 0] == 42.0


def test_generated_inputs_when_none_are_given():
    b, b_minus_1 = gearbox.run("sincos", n=1000, backend="serial")
    assert b.shape == (1000,)
    np.testing.assert_allclose(b, 1.0, rtol=0, atol=4e-16)
    np.testing.assert_array_equal(b_minus_1, b - 1.0)
