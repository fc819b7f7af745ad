#!/usr/bin/env bash
# Runs every gearbox test. The integration tests load the backend and workload
# libraries from target/release, so the whole workspace is built first.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --workspace
cargo test --release --workspace
examples/check-template.sh
