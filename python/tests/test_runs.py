"""Every workload on every backend from Python, bit for bit what the CLI prints."""

import math

import pytest

import gearbox
from conftest import cli

# Small sizes: each run takes milliseconds.
PARAMS = {
    "basel": {"n": 100_000},
    "kempner": {"n": 100_000, "exclude": "7"},
    "trig": {"n": 100_000},
    "sincos": {"n": 100_000, "seed": 3},
    "velocity": {"grid": "12x20x8"},
}


def flags(params):
    return [arg for name, value in params.items() for arg in (f"--{name}", value)]


def test_every_workload_is_found_in_the_package_with_its_parameters():
    found = {w.name: w for w in gearbox.workloads()}
    assert set(PARAMS) <= set(found), found.keys()
    basel = found["basel"]
    assert basel.kind == "series" and found["velocity"].kind == "grid"
    (n,) = basel.params
    assert (n.name, n.kind, n.default) == ("n", "count", 10**9)
    assert n.help
    assert any(str(gearbox.BUNDLED) in d for d in gearbox.search_dirs())
    assert all(str(gearbox.BUNDLED) in w.file for w in found.values()), found


def test_backends_are_listed_with_their_devices():
    listed = {b.name: b for b in gearbox.backends()}
    assert {"serial", "rayon", "wgpu"} <= set(listed)
    assert listed["serial"].available and listed["serial"].threads == 1
    assert listed["rayon"].available and listed["rayon"].threads >= 1


@pytest.mark.parametrize("workload", sorted(PARAMS))
def test_equals_the_cli_bit_for_bit(workload, backend):
    params = PARAMS[workload]
    r = gearbox.run(workload, backend=backend, **params)
    c = cli("run", workload, "--backend", backend, *flags(params))
    d = r.to_dict()
    assert d["result"] == c["result"]
    assert set(d) == set(c) and set(d["result"]) == set(c["result"])
    assert (d["schema"], d["command"], d["params"]) == (1, "run", c["params"])
    assert (r.backend, r.device, r.threads) == (c["backend"], c["device"], c["threads"])
    assert [p.name for p in r.phases][0] == "load" and r.seconds > 0
    if r.kind == "series":
        assert r.value == c["result"]["value"] and r.exact == c["result"]["exact"]
        return
    # Grid: the arrays hold what the CLI summarised: its samples exactly, its checksums.
    for sample in c["result"]["samples"]:
        for name, array in r.outputs.items():
            assert array[tuple(sample["index"])] == sample[name], (name, sample)
    for check in c["result"]["checksums"]:
        array = r[check["name"]]
        assert array.shape == tuple(c["result"]["grid"])
        scale = math.sqrt(array.size * check["sum_sq"]) + 1.0
        assert abs(math.fsum(array.ravel()) - check["sum"]) <= 1e-15 * scale
        assert math.isclose(math.fsum(array.ravel() ** 2), check["sum_sq"], rel_tol=1e-14)


def test_series_are_accurate_against_the_exact_value():
    r = gearbox.run("basel", n=10**6, backend="rayon", threads=2)
    assert r.threads == 2
    assert r.exact is not None and r.error_ulps <= 1.0
    assert abs(r.value - r.exact) <= r.error_ulps * math.ulp(r.exact)
    assert "basel on rayon" in repr(r)
    with pytest.raises(TypeError, match="series"):
        list(r)


def test_compare_has_one_row_per_backend():
    rows = gearbox.compare("basel", n=10**5)
    assert [row.backend for row in rows] == [b.name for b in gearbox.backends()]
    ran = [row for row in rows if isinstance(row, gearbox.Result)]
    assert {"serial", "rayon"} <= {row.backend for row in ran}
    for row in ran:
        assert row.error_ulps <= 16, row
    assert all(isinstance(row, gearbox.Failure) and row.error for row in rows if row not in ran)


@pytest.mark.parametrize(
    "workload, params",
    [("basel", {"n": 10**5}), ("sincos", {"n": 10**6}), ("velocity", {"grid": "20x30x10"})],
)
def test_compare_checks_every_backend_against_serial_within_the_error_bound(workload, params):
    # sincos's b - 1 is rounding noise: the GPU's differs from the CPU's, and
    # still agrees, bounded by the scale of b (as `gearbox compare` bounds it).
    rows = gearbox.compare(workload, **params)
    ran = [row for row in rows if isinstance(row, gearbox.Result)]
    assert {"serial", "rayon"} <= {row.backend for row in ran}
    for row in ran:
        assert row.agrees is True, row.to_dict()
        key = "vs_serial_ulps" if row.kind == "series" else "worst_fraction_of_bound"
        assert key in row.to_dict(), row.to_dict()
    assert gearbox.run(workload, **params).agrees is None
