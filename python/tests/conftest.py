"""Shared helpers: the CLI the results are checked against, the backends to run on,
and the test fixtures' libraries."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import gearbox

ROOT = Path(__file__).resolve().parents[2]
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
GEARBOX = RELEASE / "gearbox"
BACKENDS = ["serial", "rayon", "wgpu"]

# Each test sees only the bundled libraries unless it asks for more.
os.environ.pop("GEARBOX_PLUGIN_PATH", None)
os.environ.setdefault("NODEVICE_SELECT", "1")


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


@pytest.fixture(params=BACKENDS)
def backend(request):
    need_backend(request.param)
    return request.param


def fixture_dir(tmp_path, fixture, name):
    """A directory holding the test fixture library `fixture` installed as `name`."""
    src = RELEASE / f"lib{fixture}.so"
    shutil.copy(src, tmp_path / f"lib{name}.so")
    return tmp_path
