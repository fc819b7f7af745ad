#!/usr/bin/env bash
# Checks that the templates work the way docs/PLUGINS.md says: copies outside the
# gearbox tree, renamed (series-template → "altharm", grid-template → "polar"),
# build on their own, run on the serial, rayon and wgpu backends within bounds of
# references computed here, and pass their own tests. Needs the workspace built
# (cargo build --release).
#
# wgpu without any adapter: a failure under CI=true, a visible SKIP otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gearbox="$root/target/release/gearbox"
[[ -x "$gearbox" ]] || { echo "check-template: $gearbox missing; run cargo build --release first" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/gearbox-template.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# One target directory for both copies, so their dependencies are built once.
export CARGO_TARGET_DIR="$work/target"
export GEARBOX_PLUGIN_PATH="$root/target/release"
plugins="$CARGO_TARGET_DIR/release"

# Copies examples/$1 to $work/$2 and renames my-<kind> to $2, as the guide says.
copy_renamed() {
    local template="$1" name="$2" kind="${1%-template}"
    local Kind="${kind^}"
    mkdir "$work/$name"
    tar -C "$root/examples/$template" --exclude=./target --exclude=./Cargo.lock -cf - . | tar -C "$work/$name" -xf -
    sed -i "s/my-$kind/$name/g; s/my_$kind/$name/g; s/My$Kind/${name^}/g" \
        "$work/$name/Cargo.toml" "$work/$name"/src/*.rs "$work/$name"/tests/*.rs
    sed -i "s#path = \"../../#path = \"$root/#" "$work/$name/Cargo.toml"
    # The workspace's lock file pins the same dependency versions (no network needed).
    cp "$root/Cargo.lock" "$work/$name/Cargo.lock"
    (cd "$work/$name" && cargo build --release --quiet)
    [[ -f "$plugins/libgearbox_plugin_$name.so" ]] || { echo "check-template: no libgearbox_plugin_$name.so in $plugins" >&2; exit 1; }
}
copy_renamed series-template altharm
copy_renamed grid-template polar

# A copy describes its own workload, not the template it came from (the package
# description and what `gearbox list` shows).
if grep -i '^description.*template' "$work/altharm/Cargo.toml" "$work/polar/Cargo.toml" ||
    "$gearbox" list --json --plugin-dir "$plugins" |
    python3 -c 'import json, sys; sys.exit(0 if any("template" in w["about"].lower() for w in json.load(sys.stdin)["workloads"] if w["name"] in ("altharm", "polar")) else 1)'; then
    echo "check-template: a copy still calls itself a template" >&2
    exit 1
fi

backends=(serial rayon)
if "$gearbox" list --json | python3 -c 'import json, sys; sys.exit(0 if any(b["name"] == "wgpu" and b["available"] for b in json.load(sys.stdin)["backends"]) else 1)'; then
    backends+=(wgpu)
elif [[ "${CI:-}" == "true" ]]; then
    echo "check-template: the wgpu backend has no adapter under CI" >&2
    exit 1
else
    echo "SKIP: check-template: the templates on wgpu (no GPU adapter here; see gearbox list)"
fi

n=1234567 nr=300 nangle=500
for backend in "${backends[@]}"; do
    "$gearbox" run altharm --n "$n" --plugin-dir "$plugins" --backend "$backend" --json --quiet > "$work/altharm-$backend.json"
    "$gearbox" run polar --nr "$nr" --nangle "$nangle" --plugin-dir "$plugins" --backend "$backend" --json --quiet > "$work/polar-$backend.json"
done
python3 - "$work" "$n" "$nr" "$nangle" "${backends[@]}" <<'EOF'
import json, math, sys
from decimal import Decimal, getcontext

work, n, nr, nangle, backends = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
failed = False

def report(ok, text):
    global failed
    failed |= not ok
    print(f"check-template: {text} {'ok' if ok else 'FAILED'}")

# altharm: S(N) = sum of (-1)^(k+1)/k, smallest terms first, with 40 digits.
getcontext().prec = 40
s = Decimal(0)
for k in range(n, 0, -1):
    s = s + Decimal(1) / k if k & 1 else s - Decimal(1) / k
reference = float(s)
ulp = math.ulp(reference)
for backend in backends:
    run = json.load(open(f"{work}/altharm-{backend}.json"))
    result = run["result"]
    error = abs(result["value"] - reference) / ulp
    bound = 8 if backend == "wgpu" else 2
    report(run["workload"] == "altharm" and error <= bound and abs(result["exact"] - reference) <= ulp,
           f"altharm N={n} on {backend}: {result['value']!r}, {error:.1f} ulp from {reference!r} (bound {bound}),")

# polar: sum and sum of squares of vx and vy over the grid.
step = 1.0 / (nr - 1)
sums = {"vx": [], "vy": []}
for i in range(nr):
    r = 1.0 + i * step
    for j in range(nangle):
        sin, cos = math.sin(math.tau * j / nangle), math.cos(math.tau * j / nangle)
        sums["vx"].append(cos / r - r * sin)
        sums["vy"].append(sin / r + r * cos)
for backend in backends:
    run = json.load(open(f"{work}/polar-{backend}.json"))
    for c in run["result"]["checksums"]:
        values = sums[c["name"]]
        sq = math.fsum(v * v for v in values)
        # Each element is within a few ulps of its terms (|1/r| + |r| < 3).
        ok = abs(c["sum"] - math.fsum(values)) <= 1e-14 * len(values) and abs(c["sum_sq"] - sq) <= 1e-13 * sq
        report(ok, f"polar {nr}x{nangle} on {backend}: {c['name']} sum {c['sum']:.3e}, sum of squares {c['sum_sq']!r} vs {sq!r}")
sys.exit(1 if failed else 0)
EOF

# Their own tests, through the test kit.
for name in altharm polar; do
    if ! (cd "$work/$name" && cargo test --release --quiet > "$work/$name-test.log" 2>&1); then
        cat "$work/$name-test.log" >&2
        echo "check-template: $name's own tests failed" >&2
        exit 1
    fi
    echo "check-template: $name's own tests: $(grep -c '^test result: ok' "$work/$name-test.log") test binaries ok"
done
echo "check-template: ok"
