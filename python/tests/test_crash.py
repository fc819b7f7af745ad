"""A library that crashes the interpreter is named on stderr before Python dies,
as the CLI names it: the handler is installed when gearbox is imported."""

import os
import signal
import subprocess
import sys

from conftest import fixture_dir


def test_a_truncated_library_is_named_before_the_interpreter_dies(tmp_path):
    # The fixture truncates its own file while loaded and runs on into the lost
    # code: SIGBUS, as when a library is rebuilt or copied over in place.
    plugins = fixture_dir(tmp_path, "fixture_hostile", "gearbox_plugin_hostile")
    code = f"import gearbox; gearbox.workloads(plugin_dirs=[{str(plugins)!r}])"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "GEARBOX_HOSTILE": "truncate-self"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == -signal.SIGBUS, out.stderr
    assert "gearbox: crashed (SIGBUS) in describe of " in out.stderr, out.stderr
    assert "libgearbox_plugin_hostile.so; that library is faulty" in out.stderr, out.stderr
