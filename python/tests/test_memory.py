"""The memory check sees a cgroup's limit (a Slurm job, a container): a run too
large for it is an exception naming the cgroup, not a silent kill of Python."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def memory_cgroup(name, limit):
    """A new memory cgroup limited to `limit` bytes (v2, else v1), or skips the test."""
    v2 = Path("/sys/fs/cgroup")
    try:
        enabled = (v2 / "cgroup.subtree_control").read_text().split()
    except OSError:
        enabled = []
    if "memory" in enabled:
        group, limit_file = v2 / name, "memory.max"
    else:
        group, limit_file = v2 / "memory" / name, "memory.limit_in_bytes"
    try:
        group.mkdir()
        (group / limit_file).write_text(str(limit))
    except OSError as e:
        if group.exists():
            group.rmdir()
        pytest.skip(f"NOTICE: cannot make a memory cgroup here: {e}")
    return group


def test_a_run_over_the_cgroup_limit_is_an_error_not_a_kill():
    group = memory_cgroup(f"gearbox-pytest-{os.getpid()}", 400 << 20)
    # Coordinate axes alone of 0.76 GiB: over the limit, within the machine's memory.
    code = (
        "import gearbox\n"
        "try:\n"
        "    gearbox.run('velocity', grid='100000000x1x1', backend='serial')\n"
        "except Exception as e:  # the kind of error is not what this tests\n"
        "    print(e)\n"
    )
    procs = group / "cgroup.procs"
    try:
        out = subprocess.run(
            ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(procs)]
            + [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        group.rmdir()
    assert out.returncode == 0, out.stderr
    assert "of memory needed, only" in out.stdout, out.stdout + out.stderr
    assert f"under the memory limit of cgroup {group}" in out.stdout, out.stdout
