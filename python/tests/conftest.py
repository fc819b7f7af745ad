"""Shared helpers: the CLI the results are checked against, the backends to run on,
and the test fixtures' libraries."""

import importlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import gearbox

ROOT = Path(__file__).resolve().parents[2]
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
GEARBOX = RELEASE / "gearbox"
BACKENDS = ["serial", "rayon", "wgpu"]

# Each test sees only the bundled libraries unless it asks for more.
os.environ.pop("GEARBOX_PLUGIN_PATH", None)
os.environ.setdefault("NODEVICE_SELECT", "1")

# The Ctrl-C tests send SIGINT and expect KeyboardInterrupt. Python installs that
# handler only when it starts with SIGINT not ignored, and a background job of a
# non-interactive shell (`./test.sh &` in a script, nohup) starts with it ignored:
# there the tests' SIGINT would vanish and their endless runs never end.
signal.signal(signal.SIGINT, signal.default_int_handler)


def cli(*args):
    """`gearbox ARGS --json --quiet`, parsed; the libraries are the build's own."""
    out = subprocess.run(
        [str(GEARBOX), *map(str, args), "--json", "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def need_backend(name):
    """Skips (with the reason shown) when `name` has no device here; under CI=true, fails."""
    info = next(b for b in gearbox.backends() if b.name == name)
    if not info.available:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is unavailable under CI: {info.reason}")
        pytest.skip(f"NOTICE: {name} is unavailable here, its tests are skipped: {info.reason}")


def need_module(name):
    """The module `name` (an optional extra); skips with the reason shown when it is
    not installed, and under CI=true (where .ci/run installs the extras) fails."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed under CI: {e}")
        pytest.skip(f"NOTICE: {name} is not installed, its tests are skipped: {e}", allow_module_level=True)


def wait_for(what, predicate, timeout=120):
    """Polls `predicate` until it holds; fails naming `what` after `timeout` s (a hang guard)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(params=BACKENDS)
def backend(request):
    need_backend(request.param)
    return request.param


def fixture_dir(tmp_path, fixture, name):
    """A directory holding the test fixture library `fixture` installed as `name`."""
    src = RELEASE / f"lib{fixture}.so"
    shutil.copy(src, tmp_path / f"lib{name}.so")
    return tmp_path


#: A velocity grid small enough for a test and cut into several blocks.
VELOCITY_GRID = (24, 30, 20)


def velocity_inputs(seed=7):
    """Random axes and fields for velocity on VELOCITY_GRID, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    n0, n1, n2 = VELOCITY_GRID
    return {
        "latitude": np.sort(rng.uniform(-89.0, 89.0, n0)),
        "radius": np.sort(rng.uniform(3480.0, 6371.0, n1)),
        "longitude": np.sort(rng.uniform(0.0, 360.0, n2)),
        **{f: rng.standard_normal(VELOCITY_GRID) for f in ("vlat", "vlon", "vrad")},
    }


def velocity_reference(inputs):
    """The outputs of the in-memory run over `inputs`, by name."""
    n0, n1, n2 = VELOCITY_GRID
    return gearbox.run("velocity", grid=f"{n0}x{n2}x{n1}", **inputs).outputs  # lat x lon x r
