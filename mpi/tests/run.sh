#!/usr/bin/env bash
# Tests of gearbox-mpi under mpirun (called by test.sh where mpirun exists): series
# results bit-identical to `gearbox run` for 1, 2 and 3 ranks, grid output files
# byte-identical, a rank that fails ending the job with one line and an error
# exit, never a hang, and ranks started with different jobs refused. Expects the workspace built in release (test.sh does it).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet --manifest-path mpi/Cargo.toml --target-dir target

bin=target/release
mpirun=(mpirun -q --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# The result's fields of a --json report (wherever the schema puts them), exactly as printed.
pick() {
    python3 -c '
import json, sys
def find(d, key):
    if isinstance(d, dict):
        if key in d:
            return d[key]
        for v in d.values():
            r = find(v, key)
            if r is not None:
                return r
    return None
d = json.loads(sys.argv[1])
print(" ".join(json.dumps(find(d, k)) for k in sys.argv[2:]))' "$@" 2>/dev/null || echo "(unreadable: $1)"
}
value() { pick "$1" value; }
fields() { pick "$1" checksums samples; }

# Series: the same bits from one process and from every rank count and backend.
for job in "basel --n 1e9" "kempner --n 1e9" "trig --n 1e9" "series --n 1e8 --from 3"; do
    for backend in "serial" "rayon --threads 2"; do
        # shellcheck disable=SC2086
        want=$(value "$("$bin/gearbox" run $job --backend $backend --json)")
        for np in 1 2 3; do
            # shellcheck disable=SC2086
            got=$(value "$(timeout 120 "${mpirun[@]}" -np "$np" "$bin/gearbox-mpi" run $job --backend $backend --json)")
            if [ "$got" = "$want" ]; then
                echo "ok   $job --backend $backend, $np ranks: $got"
            else
                fail "$job --backend $backend, $np ranks: $got, one process: $want"
            fi
        done
    done
done

# The GPU backend (lavapipe here) across ranks too, where it has an adapter.
if "$bin/gearbox" run basel --n 1e3 --backend wgpu --quiet >/dev/null 2>&1; then
    want=$(value "$("$bin/gearbox" run basel --n 1e9 --backend wgpu --json)")
    got=$(value "$(timeout 120 "${mpirun[@]}" -np 2 "$bin/gearbox-mpi" run basel --n 1e9 --backend wgpu --json)")
    [ "$got" = "$want" ] && echo "ok   basel --n 1e9 --backend wgpu, 2 ranks: $got" ||
        fail "basel --n 1e9 --backend wgpu, 2 ranks: $got, one process: $want"
elif [ "${CI:-}" = true ]; then
    fail "no wgpu adapter (CI=true requires one)"
else
    echo "skipped: wgpu across ranks (no adapter here)"
fi

# Grids without files: checksums and samples equal one process's.
for job in "velocity --grid 30x200x200" "sincos --n 3e6"; do
    # shellcheck disable=SC2086
    want=$(fields "$("$bin/gearbox" run $job --json)")
    # shellcheck disable=SC2086
    got=$(fields "$(timeout 120 "${mpirun[@]}" -np 3 "$bin/gearbox-mpi" run $job --json)")
    [ "$got" = "$want" ] && echo "ok   $job, 3 ranks: checksums and samples identical" ||
        fail "$job, 3 ranks: $got, one process: $want"
done

# Grids with files: the .npy files every rank wrote into equal one process's, byte for byte.
"$bin/gearbox" run velocity --grid 30x200x200 --output "$scratch/one" --quiet >/dev/null
for np in 2 3; do
    timeout 120 "${mpirun[@]}" -np "$np" "$bin/gearbox-mpi" run velocity --grid 30x200x200 \
        --output "$scratch/np$np" --quiet >/dev/null
    for field in vx vy vz; do
        if cmp -s "$scratch/one/$field.npy" "$scratch/np$np/$field.npy"; then
            echo "ok   velocity $field.npy, $np ranks: identical"
        else
            fail "velocity $field.npy from $np ranks differs from one process's"
        fi
    done
    extra=$(find "$scratch/np$np" -name '.*' -type f | wc -l)
    [ "$extra" = 0 ] || fail "velocity, $np ranks: $extra temporary files left"
done

# SIGKILL of rank 0 during --output leaves its temporaries (nothing can remove
# them then); the next run's commit into that directory removes them, as their
# owner (rank 0's process id, in their names) is gone. The grid grows until a run
# is still going when its files appear (a measurement, not a duration).
killed="$scratch/killed"
rows=25
left=0
while [ "$left" = 0 ] && [ "$rows" -le 6400 ]; do
    rm -rf "$killed"
    timeout 300 "${mpirun[@]}" -np 2 "$bin/gearbox-mpi" run velocity --grid "${rows}x200x200" \
        --threads 1 --output "$killed" --quiet >/dev/null 2>&1 &
    job=$!
    temp=""
    while kill -0 "$job" 2>/dev/null && [ -z "$temp" ]; do
        temp=$(find "$killed" -name '.*.gearbox-*.tmp' 2>/dev/null | head -n 1 || true)
        [ -n "$temp" ] || sleep 0.01
    done
    if [ -n "$temp" ]; then
        owner=${temp##*.gearbox-}
        kill -KILL "${owner%%@*}" 2>/dev/null || true
    fi
    wait "$job" || true
    left=$(find "$killed" -name '.*.tmp' 2>/dev/null | wc -l || true)
    rows=$((rows * 4))
done
if [ "$left" = 0 ]; then
    fail "SIGKILL of rank 0: no run was still going when its files appeared"
else
    timeout 120 "${mpirun[@]}" -np 2 "$bin/gearbox-mpi" run velocity --grid 30x200x200 \
        --output "$killed" --quiet >/dev/null
    after=$(find "$killed" -name '.*.tmp' | wc -l)
    if [ "$after" = 0 ] && [ -f "$killed/vx.npy" ]; then
        echo "ok   SIGKILL of rank 0 left $left temporaries; the next run removed them"
    else
        fail "SIGKILL of rank 0: $after of $left temporaries still there after the next run"
    fi
fi

# A library truncated on disk while loaded crashes with SIGBUS: the rank names it.
mkdir "$scratch/truncated"
cp "$bin/libfixture_hostile.so" "$scratch/truncated/libgearbox_plugin_hostile.so"
set +e
err=$(GEARBOX_HOSTILE=truncate-self timeout 60 "${mpirun[@]}" -np 1 "$bin/gearbox-mpi" \
    --plugin-dir "$scratch/truncated" run hostile 2>&1 >/dev/null)
code=$?
set -e
if [ "$code" != 0 ] && [ "$code" != 124 ] &&
    grep -q "gearbox-mpi: rank 0: crashed (SIGBUS) in describe of .*libgearbox_plugin_hostile.so" <<<"$err"; then
    echo "ok   a truncated library: exit $code: $(grep -m1 crashed <<<"$err")"
else
    fail "a truncated library: exit $code, stderr: $err"
fi

# Faults: one rank fails (at set-up or while summing); the job ends with an error
# exit and one line naming rank 1, within the timeout, and commits no output.
cp "$bin/libfixture_rank_fault.so" "$scratch/libgearbox_plugin_rank_fault.so"
for stage in setup run; do
    set +e
    err=$(timeout 60 "${mpirun[@]}" -np 3 "$bin/gearbox-mpi" --plugin-dir "$scratch" \
        run rank-fault --stage "$stage" --threads 1 2>&1 >/dev/null)
    code=$?
    set -e
    lines=$(grep -c . <<<"$err" || true)
    if [ "$code" = 124 ]; then
        fail "rank-fault --stage $stage: still running after 60 s"
    elif [ "$code" = 0 ] || [ "$lines" != 1 ] || ! grep -q "rank 1" <<<"$err"; then
        fail "rank-fault --stage $stage: exit $code, stderr: $err"
    else
        echo "ok   rank-fault --stage $stage: exit $code: $err"
    fi
done

# Ranks started with different jobs (MPMD syntax): every rank fails at once, with
# exit 2 and one line naming the ranks that differ and how, never a wrong result.
disagree() { # WANT_IN_STDERR, then mpirun's arguments after its options
    local want=$1 err code lines
    shift
    set +e
    err=$(timeout 60 "${mpirun[@]}" "$@" 2>&1 >/dev/null)
    code=$?
    set -e
    lines=$(grep -c . <<<"$err" || true)
    if [ "$code" = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" <<<"$err"; then
        echo "ok   ranks disagree: exit $code: $err"
    else
        fail "ranks disagree ($*): exit $code, stderr: $err"
    fi
}
disagree "ranks disagree on the job: rank 1 differs from rank 0 (run basel --n 2e9 vs run basel --n 1e9)" \
    -np 1 "$bin/gearbox-mpi" run basel --n 1e9 : -np 1 "$bin/gearbox-mpi" run basel --n 2e9
disagree "rank 1 differs from rank 0 (run trig --n 1e9 vs run basel --n 1e9)" \
    -np 1 "$bin/gearbox-mpi" run basel --n 1e9 : -np 1 "$bin/gearbox-mpi" run trig --n 1e9
disagree "rank 2 differs from rank 0 (run velocity --grid 30x200x200 vs run sincos --n 3e6)" \
    -np 2 "$bin/gearbox-mpi" run sincos --n 3e6 : -np 1 "$bin/gearbox-mpi" run velocity --grid 30x200x200
disagree "ranks 1, 2 differ from rank 0 (bench basel --n 1e7 --repeat 3 vs bench basel --n 1e7 --repeat 2)" \
    -np 1 "$bin/gearbox-mpi" bench basel --n 1e7 -r 2 : -np 2 "$bin/gearbox-mpi" bench basel --n 1e7 -r 3
# The same command over another build of the workload's library (here: the same
# file under another name) is another job too.
mkdir "$scratch/renamed"
cp "$bin/libgearbox_plugin_basel.so" "$scratch/renamed/libgearbox_basel_renamed.so"
disagree "rank 1 differs from rank 0 (libgearbox_basel_renamed.so declaring basel" \
    -np 1 "$bin/gearbox-mpi" run basel --n 1e7 : \
    -np 1 "$bin/gearbox-mpi" --plugin-dir "$scratch/renamed" run basel --n 1e7
# A rank killed mid-run: the job ends (no hang), not as a success, and the line
# the other ranks print says that a dead rank is one reason for the signal they got.
set +e
timeout 120 "${mpirun[@]}" -np 2 "$bin/gearbox-mpi" run basel --n 1e12 --yes \
    >/dev/null 2>"$scratch/killed.err" &
job=$!
victim=
for _ in $(seq 600); do # up to a minute for rank 1 to be computing
    for pid in $(pgrep -f "gearbox-mpi run basel --n 1e12"); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 &&
            [ "$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)" -gt 30 ]; then
            victim=$pid
        fi
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
[ -n "$victim" ] && kill -KILL "$victim"
wait "$job"
code=$?
set -e
if [ -z "$victim" ]; then
    fail "killed rank: rank 1 never started computing"
elif [ "$code" = 0 ] || [ "$code" = 124 ]; then
    fail "killed rank: exit $code, stderr: $(cat "$scratch/killed.err")"
elif grep -q "interrupted" "$scratch/killed.err" && ! grep -q "a rank died" "$scratch/killed.err"; then
    fail "killed rank reads as a plain interrupt: $(cat "$scratch/killed.err")"
else
    echo "ok   a rank killed mid-run: exit $code: $(grep -m1 . "$scratch/killed.err")"
fi

# A set of outputs larger than the disk: refused before any file is made, naming
# the whole set's size (gearbox-host's check, at rank 0).
set +e
err=$(timeout 60 "${mpirun[@]}" -np 2 "$bin/gearbox-mpi" run velocity --grid 100000x100000x1000 \
    --output "$scratch/huge" 2>&1 >/dev/null)
code=$?
set -e
if [ "$code" = 1 ] && grep -qF "not enough disk space for the 3 output files" <<<"$err" &&
    [ -z "$(ls -A "$scratch/huge" 2>/dev/null)" ]; then
    echo "ok   outputs larger than the disk: exit $code: $err"
else
    fail "outputs larger than the disk: exit $code, stderr: $err"
fi
# What may differ: the thread count, and how a number is written.
want=$(value "$("$bin/gearbox" run basel --n 1e9 --json)")
got=$(value "$(timeout 120 "${mpirun[@]}" -np 1 "$bin/gearbox-mpi" run basel --n 1e9 --threads 1 --json \
    : -np 1 "$bin/gearbox-mpi" run basel --n 1_000_000_000 --threads 2 --quiet)")
[ "$got" = "$want" ] && echo "ok   the same job with different --threads and spellings of --n: $got" ||
    fail "the same job with different --threads and spellings of --n: $got, one process: $want"

# Rank 0 keeps mpirun's `2>` redirect, even when the job runs in a terminal
# (script(1) gives it one): the error goes to the file, not the terminal.
if command -v script >/dev/null; then
    rm -f "$scratch/err.txt"
    timeout 120 script -qec "${mpirun[*]} -np 1 $bin/gearbox-mpi run basel --n 10 --adapter x 2>$scratch/err.txt" /dev/null >/dev/null || true
    grep -q "does not take --adapter" "$scratch/err.txt" 2>/dev/null &&
        echo "ok   rank 0 keeps mpirun's stderr redirect in a terminal" ||
        fail "rank 0's error did not reach mpirun's 2> file: $(cat "$scratch/err.txt" 2>/dev/null)"
fi
# Built on its own (no libraries beside it): a message saying where it looked.
mkdir "$scratch/alone"
cp "$bin/gearbox-mpi" "$scratch/alone/"
err=$(cd "$scratch" && timeout 120 "${mpirun[@]}" -np 1 "$scratch/alone/gearbox-mpi" run basel --n 10 2>&1 >/dev/null) && code=0 || code=$?
[ "$code" = 2 ] && [[ "$err" == *"no gearbox workload libraries"*"$scratch/alone"*"--target-dir target"* ]] &&
    echo "ok   gearbox-mpi without libraries says where it looked" ||
    fail "gearbox-mpi without libraries: exit $code: $err"

[ "$failures" = 0 ] || { echo "$failures MPI test(s) failed"; exit 1; }
echo "all MPI tests passed"
