#!/usr/bin/env bash
# Runs every gearbox test. The integration tests load the backend and workload
# libraries from target/release, so the whole workspace is built first.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --workspace
cargo test --release --workspace
examples/check-template.sh
# gearbox-mpi under mpirun where MPI is installed (CI installs it, so there it must run).
if command -v mpirun >/dev/null; then
    mpi/tests/run.sh
elif [ "${CI:-}" = true ]; then
    echo "CI=true, but mpirun is missing: install openmpi-bin and libopenmpi-dev" >&2
    exit 1
else
    echo "skipped: the MPI tests (no mpirun; see docs/DISTRIBUTED.md)"
fi
