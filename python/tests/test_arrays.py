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


def test_outputs_are_numpy_arrays_the_run_wrote_into():
    r = gearbox.run("velocity", grid=GRID, backend="rayon", **inputs())
    for name, array in r.outputs.items():
        # NumPy's own allocation, written by the run: not a view of another array
        # (no copy or reshape after the run).
        assert array.flags.owndata and array.base is None, name
        assert array.flags.c_contiguous and array.flags.writeable
    assert not np.shares_memory(r["vx"], r["vy"])
    vx = r["vx"]
    vx[0, 0, 0] = 42.0  # writable, and still alive after the result goes
    del r
    assert vx[0, 0, 0] == 42.0


def test_the_grid_is_taken_from_the_arrays_without_grid():
    given = inputs()
    inferred = gearbox.run("velocity", backend="serial", **given)
    assert inferred.params["grid"] == GRID
    explicit = gearbox.run("velocity", grid=GRID, backend="serial", **given)
    for name in ("vx", "vy", "vz"):
        assert np.array_equal(inferred[name], explicit[name])


def test_arrays_that_disagree_are_named():
    given = inputs()
    given["vlon"] = np.zeros((24, 10, 37))
    given["radius"] = np.zeros(11)
    with pytest.raises(ValueError, match=r"disagree.*make the grid \(24, 10, 36\), which vlon \(24, 10, 37\), radius \(11,\) do not fit"):
        gearbox.run("velocity", backend="serial", **given)


@pytest.mark.parametrize(
    "how",
    ["float32", "fortran", "strided", "readonly", "big-endian", "misaligned"],
)
def test_arrays_as_users_hand_them(how):
    given = inputs()
    expected = gearbox.run("velocity", backend="serial", **{k: v.astype(np.float32).astype(np.float64) if how == "float32" else v for k, v in given.items()})
    if how == "float32":
        handed = {k: v.astype(np.float32) for k, v in given.items()}
    elif how == "fortran":
        handed = {k: np.asfortranarray(v) for k, v in given.items()}
    elif how == "strided":
        handed = {k: np.repeat(v, 2, axis=-1)[..., ::2] for k, v in given.items()}
        assert not handed["vlat"].flags.c_contiguous
    elif how == "readonly":
        handed = {k: v.copy() for k, v in given.items()}
        for v in handed.values():
            v.flags.writeable = False
    elif how == "misaligned":
        # As pickled buffers (Dask) and frombuffer at an odd offset hand them.
        def misaligned(v):
            raw = bytearray(v.nbytes + 1)
            a = np.frombuffer(raw, np.float64, count=v.size, offset=1).reshape(v.shape)
            a[...] = v
            return a
        handed = {k: misaligned(v) for k, v in given.items()}
        assert not handed["vlat"].flags.aligned
    else:
        handed = {k: v.astype(">f8") for k, v in given.items()}
    r = gearbox.run("velocity", backend="serial", **handed)
    for name in ("vx", "vy", "vz"):
        assert r[name].dtype == np.float64 and r[name].shape == SHAPE
        assert np.array_equal(r[name], expected[name]), name


def test_float32_outputs_when_asked():
    given = inputs()
    r = gearbox.run("velocity", backend="serial", dtype=np.float32, **given)
    full = gearbox.run("velocity", backend="serial", **given)
    for name in ("vx", "vy", "vz"):
        assert r[name].dtype == np.float32
        assert np.array_equal(r[name], full[name].astype(np.float32))
    with pytest.raises(TypeError, match="float64 or float32"):
        gearbox.run("velocity", backend="serial", dtype=np.int32, **given)


def test_out_arrays_are_computed_into_and_reused(backend):
    given = inputs()
    expected = gearbox.run("velocity", backend="serial", **given)
    out = [np.full(SHAPE, np.nan) for _ in range(3)]
    r = gearbox.run("velocity", backend=backend, out=out, **given)
    for name, target in zip(("vx", "vy", "vz"), out):
        assert r[name] is target
        np.testing.assert_allclose(target, expected[name], rtol=0, atol=1e-14)
    by_name = {"vz": out[2], "vx": out[0], "vy": out[1]}
    again = gearbox.run("velocity", backend=backend, out=by_name, **given)
    assert again["vz"] is out[2]


def test_bad_out_arrays_are_refused():
    given = inputs()
    with pytest.raises(ValueError, match="out= for vx must be C-contiguous of shape"):
        gearbox.run("velocity", backend="serial", out=[np.empty((24, 10, 35))] + [np.empty(SHAPE)] * 2, **given)
    locked = np.empty(SHAPE)
    locked.flags.writeable = False
    with pytest.raises(ValueError, match="cannot be written"):
        gearbox.run("velocity", backend="serial", out=[locked, np.empty(SHAPE), np.empty(SHAPE)], **given)
    with pytest.raises(ValueError, match="cannot be written"):
        gearbox.run("velocity", backend="serial", out=[given["vlat"], np.empty(SHAPE), np.empty(SHAPE)], **given)
    with pytest.raises(ValueError, match="one array for each of vx, vy, vz"):
        gearbox.run("velocity", backend="serial", out={"vx": np.empty(SHAPE)}, **given)
    with pytest.raises(TypeError, match="float64"):
        gearbox.run("velocity", backend="serial", out=[np.empty(SHAPE, np.float32)] * 3, **given)


def test_generated_inputs_when_none_are_given():
    b, b_minus_1 = gearbox.run("sincos", n=1000, backend="serial")
    assert b.shape == (1000,)
    np.testing.assert_allclose(b, 1.0, rtol=0, atol=4e-16)
    np.testing.assert_array_equal(b_minus_1, b - 1.0)
