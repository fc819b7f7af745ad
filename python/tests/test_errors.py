"""Bad arguments raise the Python exception that fits, with gearbox's one-line message;
failing plugins raise GearboxError and leave the interpreter usable."""

import numpy as np
import pytest

import gearbox
from conftest import fixture_dir
from test_arrays import GRID, inputs


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: gearbox.run("basel", m=5), TypeError, "basel: unknown parameter m (it takes n)"),
        # Parameters named as the keywords Python takes, not as the command line's flags.
        (lambda: gearbox.run("basel", n=-5), ValueError, "basel: n must be positive (at least 1), got \"-5\""),
        (lambda: gearbox.run("basel", n=0), ValueError, "at least 1"),
        (lambda: gearbox.run("basel", n="lots"), ValueError, "not a whole number"),
        (lambda: gearbox.run("basel", n=True), TypeError, "bool"),
        (lambda: gearbox.run("basel", n=10, backend="abacus"), ValueError, "unknown backend abacus"),
        (lambda: gearbox.run("basel", n=10, threads=0), ValueError, "threads must be at least 1"),
        (lambda: gearbox.run("basel", n=10, threads=1.5), TypeError, "threads must be an int"),
        (lambda: gearbox.run("nope"), ValueError, "unknown workload nope"),
        (lambda: gearbox.run("velocity", grid="0x1x1"), ValueError, "velocity: grid must be NLATxNLONxNR"),
        (lambda: gearbox.sum("1+sn(k)", n=10), ValueError, "unknown function 'sn'"),
        (lambda: gearbox.run("basel", n=10, x=np.zeros(3)), TypeError, "a series takes no arrays"),
        (lambda: gearbox.run("basel", plugin_dirs=["/no/such/dir"]), ValueError, "no such directory"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error) as e:
        call()
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def velocity_with(**changed):
    return gearbox.run("velocity", grid=GRID, backend="serial", **{**inputs(), **changed})


def test_wrong_dtype_is_a_type_error_saying_how_to_convert():
    with pytest.raises(TypeError, match=r"vlat has dtype int64, gearbox takes float64 \(use vlat.astype"):
        velocity_with(vlat=inputs()["vlat"].astype(np.int64))
    with pytest.raises(TypeError, match="vrad has dtype complex128"):
        velocity_with(vrad=inputs()["vrad"].astype(np.complex128))


def test_not_an_array_is_a_type_error():
    with pytest.raises(TypeError, match="latitude must be a NumPy array of float64, got list"):
        velocity_with(latitude=list(inputs()["latitude"]))


def test_wrong_shape_is_a_value_error_naming_the_arrays_and_shapes():
    with pytest.raises(ValueError, match=r"make the grid \(24, 10, 36\), which vlon \(24, 36, 10\) does not fit"):
        velocity_with(vlon=np.zeros((24, 36, 10)))
    with pytest.raises(ValueError, match=r"which radius \(9,\) does not fit"):
        velocity_with(radius=np.zeros(9))
    # Arrays that agree with each other but not with the grid= given.
    with pytest.raises(ValueError, match=r"longitude has shape \(36,\), the grid needs \(35,\)"):
        gearbox.run("velocity", grid="24x35x10", **inputs())


def test_some_arrays_but_not_all_is_a_value_error_and_unknown_ones_a_type_error():
    with pytest.raises(ValueError, match="missing arrays latitude, radius, longitude, vlon, vrad"):
        gearbox.run("velocity", grid=GRID, vlat=inputs()["vlat"])
    with pytest.raises(TypeError, match="unexpected array pressure"):
        velocity_with(pressure=np.zeros(3))


def test_a_panicking_plugin_is_an_exception_and_python_goes_on(tmp_path):
    dirs = [fixture_dir(tmp_path, "fixture_panicky", "gearbox_plugin_panicky")]
    for backend in ("serial", "rayon"):
        with pytest.raises(gearbox.GearboxError, match="panic") as e:
            gearbox.run("panicky", n=10**6, backend=backend, plugin_dirs=dirs)
        assert "\n" not in str(e.value)
    assert gearbox.run("basel", n=1000, backend="serial").error_ulps <= 1


@pytest.mark.parametrize(
    "mode, message",
    [
        ("panic-create", "hostile panicked: deliberate panic in create"),
        ("null-create", "create returned no instance"),
    ],
)
def test_a_plugin_that_fails_while_made_is_a_gearbox_error(tmp_path, monkeypatch, mode, message):
    # The plugin's own failure in create, not a value it refused: GearboxError, not ValueError.
    monkeypatch.setenv("GEARBOX_HOSTILE", mode)
    dirs = [fixture_dir(tmp_path, "fixture_hostile", "gearbox_plugin_hostile")]
    with pytest.raises(gearbox.GearboxError, match=message) as e:
        gearbox.run("hostile", n=10, backend="serial", plugin_dirs=dirs)
    assert "\n" not in str(e.value)


def test_a_plugin_reading_a_parameter_it_does_not_declare_is_a_gearbox_error(tmp_path):
    dirs = [fixture_dir(tmp_path, "fixture_careless", "gearbox_plugin_careless")]
    with pytest.raises(gearbox.GearboxError, match=r"which params\(\) does not declare"):
        gearbox.run("careless", mistake="undeclared", backend="serial", plugin_dirs=dirs)


def test_a_workload_declared_by_two_libraries_is_a_gearbox_error(tmp_path, monkeypatch):
    # A library that cannot be used (here: a second declaration of basel) is a load error.
    monkeypatch.setenv("GEARBOX_HOSTILE", "basel")
    dirs = [fixture_dir(tmp_path, "fixture_hostile", "gearbox_plugin_hostile")]
    with pytest.raises(gearbox.GearboxError, match="basel is declared by 2 libraries"):
        gearbox.run("basel", backend="serial", plugin_dirs=dirs)


def test_too_little_memory_is_a_gearbox_error():
    with pytest.raises(gearbox.GearboxError, match="of memory needed"):
        gearbox.run("sincos", n=10**18, backend="serial")


def test_gearbox_plugin_path_and_plugin_dirs_add_libraries(tmp_path, monkeypatch):
    extra = fixture_dir(tmp_path, "fixture_panicky", "gearbox_plugin_panicky")
    assert "panicky" not in {w.name for w in gearbox.workloads()}
    assert "panicky" in {w.name for w in gearbox.workloads(plugin_dirs=[extra])}
    # One path, as text or a Path, is one directory (not one per character).
    assert "panicky" in {w.name for w in gearbox.workloads(plugin_dirs=str(extra))}
    assert "panicky" in {w.name for w in gearbox.workloads(plugin_dirs=extra)}
    monkeypatch.setenv("GEARBOX_PLUGIN_PATH", str(extra))
    names = {w.name for w in gearbox.workloads()}
    assert {"panicky", "basel"} <= names
    assert gearbox.search_dirs()[0] == str(extra)
