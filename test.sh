#!/usr/bin/env bash
# Runs every gearbox test. The integration tests load the backend and workload
# libraries from target/release, so the whole workspace is built first.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --workspace
cargo test --release --workspace
examples/check-template.sh

# The kernels at every other CPU level this machine runs (issue 23): the tests of the
# dispatched sums, the math on blocks, the expression evaluator and the series and
# grid plugins, with GEARBOX_CPU forcing the level (tests/tests/cpu_levels.rs, run
# above, also compares the levels' bits). `gearbox list` refuses a level the CPU lacks.
best=$(target/release/gearbox list --json | sed -n 's/.*"cpu_level":"\([a-z0-9]*\)".*/\1/p')
for level in baseline avx2 avx512; do
    if [ "$level" != "$best" ] && GEARBOX_CPU=$level target/release/gearbox list >/dev/null 2>&1; then
        echo "== kernels at GEARBOX_CPU=$level"
        GEARBOX_CPU=$level cargo test --release -q -p gearbox-core -p gearbox-expr --lib
        GEARBOX_CPU=$level cargo test --release -q -p gearbox-tests --test basel --test trig --test sincos --test velocity --test expressions
    fi
done

# The Python package, installed into target/venv (made on the first run), and its tests.
venv=target/venv
if [ ! -x "$venv/bin/python" ]; then
    # First run on this machine: a virtual environment with what the tests import (from PyPI).
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet maturin numpy pytest
fi
PATH="$PWD/$venv/bin:$PATH" pip install --quiet --no-build-isolation ./python
"$venv/bin/python" -m pytest -rs python/tests

# gearbox-mpi under mpirun where MPI is installed (CI installs it, so there it must run).
if command -v mpirun >/dev/null; then
    mpi/tests/run.sh
elif [ "${CI:-}" = true ]; then
    echo "CI=true, but mpirun is missing: install openmpi-bin and libopenmpi-dev" >&2
    exit 1
else
    echo "skipped: the MPI tests (no mpirun; see docs/DISTRIBUTED.md)"
fi
