#!/usr/bin/env bash
# Checks that the series template works the way docs/PLUGINS.md says: a copy
# outside the gearbox tree, renamed to "altharm", builds on its own, runs on the
# serial, rayon and wgpu backends within its bounds of an independent reference,
# and passes its own tests. Needs the workspace built (cargo build --release).
#
# wgpu without any adapter: a failure under CI=true, a visible SKIP otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gearbox="$root/target/release/gearbox"
[[ -x "$gearbox" ]] || { echo "check-template: $gearbox missing; run cargo build --release first" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/gearbox-template.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="$work/target" NODEVICE_SELECT=1
export GEARBOX_PLUGIN_PATH="$root/target/release"

# 1. Copy and rename, as the guide tells a newcomer to.
plugin="$work/altharm"
cp -r "$root/examples/series-template" "$plugin"
rm -rf "$plugin/target" "$plugin/Cargo.lock"
sed -i 's/my-series/altharm/g; s/my_series/altharm/g; s/MySeries/AltHarm/g' \
    "$plugin/Cargo.toml" "$plugin"/src/*.rs "$plugin"/tests/*.rs
sed -i "s#path = \"../../core\"#path = \"$root/core\"#" "$plugin/Cargo.toml"
# The workspace's lock file pins the same dependency versions (and needs no network).
cp "$root/Cargo.lock" "$plugin/Cargo.lock"

# 2. Build it on its own.
(cd "$plugin" && cargo build --release --quiet)
plugins="$CARGO_TARGET_DIR/release"
[[ -f "$plugins/libgearbox_plugin_altharm.so" ]] || { echo "check-template: no libgearbox_plugin_altharm.so in $plugins" >&2; exit 1; }

# 3. Run it on every backend and check the results.
n=1234567
backends=(serial rayon)
if "$gearbox" list --json | python3 -c 'import json, sys; sys.exit(0 if any(b["name"] == "wgpu" and b["available"] for b in json.load(sys.stdin)["backends"]) else 1)'; then
    backends+=(wgpu)
elif [[ "${CI:-}" == "true" ]]; then
    echo "check-template: the wgpu backend has no adapter under CI" >&2
    exit 1
else
    echo "SKIP: check-template: altharm on wgpu (no GPU adapter here; see gearbox list)"
fi
for backend in "${backends[@]}"; do
    "$gearbox" run altharm --n "$n" --plugin-dir "$plugins" --backend "$backend" --json --quiet > "$work/$backend.json"
done
python3 - "$work" "$n" "${backends[@]}" <<'EOF'
import json, math, sys
from decimal import Decimal, getcontext

work, n, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# S(N) = sum of (-1)^(k+1)/k, smallest terms first, with 40 significant digits.
getcontext().prec = 40
s = Decimal(0)
for k in range(n, 0, -1):
    s = s + Decimal(1) / k if k & 1 else s - Decimal(1) / k
reference = float(s)
ulp = math.ulp(reference)
bounds = {"serial": 2, "rayon": 2, "wgpu": 8}
failed = False
for backend in backends:
    run = json.load(open(f"{work}/{backend}.json"))
    error = abs(run["result"] - reference) / ulp
    ok = run["workload"] == "altharm" and error <= bounds[backend] and abs(run["exact"] - reference) <= ulp
    failed |= not ok
    print(f"check-template: altharm N={n} on {backend}: {run['result']!r} "
          f"({error:.1f} ulp from the reference {reference!r}, exact {run['exact']!r}) "
          f"{'ok' if ok else 'FAILED'}")
sys.exit(1 if failed else 0)
EOF

# 4. Its own tests, through the test kit.
(cd "$plugin" && cargo test --release --quiet)
echo "check-template: ok"
