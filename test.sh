#!/usr/bin/env bash
# Runs every gearbox test. The integration tests load the backend and workload
# libraries from target/release, so the whole workspace is built first.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --workspace
cargo test --release --workspace
examples/check-template.sh

# The Python package, installed into the venv .ci/run makes, and its tests.
venv=target/venv
if [ ! -x "$venv/bin/python" ]; then
    echo "test.sh: no $venv: python3 -m venv $venv && $venv/bin/pip install maturin numpy pytest" >&2
    exit 1
fi
PATH="$PWD/$venv/bin:$PATH" pip install --quiet --no-build-isolation ./python
"$venv/bin/python" -m pytest -rs python/tests
