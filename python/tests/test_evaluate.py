"""gearbox.evaluate: the seeds' NumExpr and NumPy lines on every backend, with
NumPy broadcasting, against NumPy, in ulps."""

import numpy as np
import pytest

import gearbox
from conftest import BACKENDS, need_backend


def max_ulps(got, want):
    """Largest difference in ulps of the NumPy value (at least one ulp of 1 for
    values that cancel to near zero)."""
    spacing = np.spacing(np.maximum(np.abs(want), np.finfo(float).tiny))
    return float(np.max(np.abs(got - want) / spacing))


def velocity_numpy(lat, lon, vlat, vlon, vrad):
    """The seed notebook's NumPy conversion, arrays laid out (nlat, nr, nlon)."""
    phi = np.radians(lat)[:, None, None]
    lam = np.radians(lon)[None, None, :]
    vx = -np.sin(lam) * vlon - np.sin(phi) * np.cos(lam) * vlat + np.cos(phi) * np.cos(lam) * vrad
    vy = np.cos(lam) * vlon - np.sin(phi) * np.sin(lam) * vlat + np.cos(phi) * np.sin(lam) * vrad
    vz = np.cos(phi) * vlat + np.sin(phi) * vrad
    return vx, vy, vz


VELOCITY = {
    "vx": "-sin(radians(lon))*vlon - sin(radians(lat))*cos(radians(lon))*vlat + cos(radians(lat))*cos(radians(lon))*vrad",
    "vy": "cos(radians(lon))*vlon - sin(radians(lat))*sin(radians(lon))*vlat + cos(radians(lat))*sin(radians(lon))*vrad",
    "vz": "cos(radians(lat))*vlat + sin(radians(lat))*vrad",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_seed_sincos_line(backend):
    need_backend(backend)
    a = np.random.default_rng(0).random(100_003)
    twoPi = 2 * np.pi  # noqa: N806 - the seed's name, found in this frame
    b = gearbox.evaluate("sin(twoPi*a)**2 + cos(twoPi*a)**2", backend=backend)
    want = np.sin(twoPi * a) ** 2 + np.cos(twoPi * a) ** 2
    assert b.shape == a.shape and b.dtype == np.float64
    assert max_ulps(b, want) <= 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_seed_velocity_lines_broadcast_from_the_axes(backend):
    need_backend(backend)
    nlat, nr, nlon = 17, 5, 23
    lat, lon = np.linspace(-90, 90, nlat), np.linspace(0, 360, nlon)
    rng = np.random.default_rng(1)
    vlat, vlon, vrad = (rng.standard_normal((nlat, nr, nlon)) for _ in range(3))
    got = gearbox.evaluate(
        VELOCITY,
        lat=lat[:, None, None], lon=lon[None, None, :], vlat=vlat, vlon=vlon, vrad=vrad, backend=backend
    )
    want = velocity_numpy(lat, lon, vlat, vlon, vrad)
    for name, w in zip(("vx", "vy", "vz"), want):
        # Each component is accurate to a few ulps of the vector's length.
        scale = np.sqrt(vlat**2 + vlon**2 + vrad**2)
        assert np.max(np.abs(got[name] - w) / scale) <= 8 * np.finfo(float).eps, name


def test_broadcasting_shapes_scalars_and_mixed():
    rng = np.random.default_rng(2)
    col, row, full = rng.random((6, 1, 1)), rng.random((1, 1, 7)), rng.random((6, 4, 7))
    got = gearbox.evaluate("col*full + row - s", col=col, row=row, full=full, s=0.5, backend="serial")
    assert got.shape == (6, 4, 7)
    assert np.array_equal(got, col * full + row - 0.5)
    # A 2-D broadcast operand is expanded; a (1, 4, 1) one is an axis along dimension 1.
    plane, mid = rng.random((6, 1, 7)), rng.random((1, 4, 1))
    got = gearbox.evaluate("plane + mid*full", plane=plane, mid=mid, full=full, backend="rayon")
    assert np.array_equal(got, plane + mid * full)
    # Lower-dimensional operands broadcast from the left, as in NumPy.
    got = gearbox.evaluate("full + r", full=full, r=rng.random(7), backend="serial")
    assert got.shape == full.shape


def test_outputs_share_subexpressions_and_out_writes_into_given_arrays():
    a = np.linspace(0, 1, 1000)
    out = {"s": np.empty(1000), "c": np.empty(1000)}
    got = gearbox.evaluate({"s": "sind(360*a)", "c": "cosd(360*a)"}, a=a, out=out)
    assert got["s"] is out["s"] and got["c"] is out["c"]
    assert np.max(np.abs(out["s"] ** 2 + out["c"] ** 2 - 1)) < 1e-15
    target = np.empty(1000)
    assert gearbox.evaluate("a*2", a=a, out=target) is target and np.array_equal(target, a * 2)


def test_operands_come_from_the_callers_frame():
    x = np.arange(5.0)
    k = 3

    def inner():
        y = np.ones(5)
        return gearbox.evaluate("y*k", y=y, k=k)

    assert np.array_equal(gearbox.evaluate("x + k"), x + 3)
    assert np.array_equal(inner(), np.full(5, 3.0))


def test_errors_name_the_operands_and_shapes():
    with pytest.raises(ValueError, match=r"do not broadcast.*a \(3,\).*b \(4,\)"):
        gearbox.evaluate("a + b", a=np.ones(3), b=np.ones(4))
    with pytest.raises(ValueError, match="unknown name 'nowhere'"):
        gearbox.evaluate("nowhere + 1")
    with pytest.raises(ValueError, match=r"^evaluate: expr: unknown function 'sn' at column 1; did you mean sin\?"):
        gearbox.evaluate("sn(a)", a=np.ones(3))
    with pytest.raises(ValueError, match=r"vz: unknown function 'sn' at column 5; did you mean sin\?"):
        gearbox.evaluate({"vx": "vlat", "vz": "1 + sn(vlat)"}, vlat=np.ones(3))
    with pytest.raises(TypeError, match="not in any formula: b"):
        gearbox.evaluate("a", a=np.ones(3), b=np.ones(3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_axes_along_every_dimension_of_two_and_three(backend):
    need_backend(backend)
    rng = np.random.default_rng(3)
    for shape in [(9, 13), (5, 6, 7)]:
        full = rng.random(shape)
        for d in range(len(shape)):
            axis_shape = [1] * len(shape)
            axis_shape[d] = shape[d]
            axis = rng.random(shape[d]).reshape(axis_shape)
            got = gearbox.evaluate("sind(360*x)*f + x", x=axis, f=full, backend=backend)
            want = np.sin(2 * np.pi * axis) * full + axis
            # sind(360 x) rounds 360 x first, NumPy 2π x: a few ulps of 2π apart.
            assert np.max(np.abs(got - want)) <= 16 * np.finfo(float).eps, (shape, d)
            # Wired to the right axis: a transposed read would be far off.
            assert np.max(np.abs(got - want)) < 1e-12
