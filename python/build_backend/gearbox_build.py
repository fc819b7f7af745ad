"""The package's PEP 517 build backend: maturin, after one step of its own.

Before maturin builds the wheel, ``cargo build --release --workspace`` builds the
backend and workload libraries, and every cdylib named ``gearbox_*`` (backends/
and plugins/) is copied into ``gearbox/plugins/``, which maturin packs with the
Python files, so ``import gearbox`` finds them with no environment variable.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import maturin
from maturin import (  # noqa: F401  (the hooks maturin already provides)
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

PACKAGE = Path(__file__).resolve().parent.parent
WORKSPACE = PACKAGE.parent / "Cargo.toml"


def _library_file(name: str) -> str:
    if sys.platform == "darwin":
        return f"lib{name}.dylib"
    if sys.platform == "win32":
        return f"{name}.dll"
    return f"lib{name}.so"


def bundle_plugins() -> None:
    """Builds the workspace and copies its gearbox_* cdylibs into gearbox/plugins/."""
    cargo = ["cargo", "metadata", "--no-deps", "--format-version", "1"]
    meta = json.loads(subprocess.check_output([*cargo, "--manifest-path", str(WORKSPACE)]))
    libraries = [
        t["name"]
        for p in meta["packages"]
        for t in p["targets"]
        if "cdylib" in t["kind"] and t["name"].startswith("gearbox_")
    ]
    # The whole workspace, as ./test.sh builds it: the same features, so after the
    # tests this is a no-op, and the copied libraries are the ones the tests ran.
    build = ["cargo", "build", "--release", "--workspace", "--manifest-path", str(WORKSPACE)]
    subprocess.run(build, check=True, stdout=sys.stderr)
    release = Path(meta["target_directory"]) / "release"
    plugins = PACKAGE / "gearbox" / "plugins"
    shutil.rmtree(plugins, ignore_errors=True)
    plugins.mkdir()
    for lib in libraries:
        shutil.copy2(release / _library_file(lib), plugins)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    bundle_plugins()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    bundle_plugins()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)
