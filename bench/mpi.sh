#!/usr/bin/env bash
# gearbox against gearbox-mpi on this machine: the value and median wall time of
# `gearbox run` (1 and 2 threads) and of `mpirun -np 1/2/3 gearbox-mpi run` (one
# thread per rank) for each job, and whether every value is the same to the last
# bit. Usage: bench/mpi.sh [REPEAT] (default 3). Needs the workspace and gearbox-mpi
# built in release (docs/DISTRIBUTED.md).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-3}
bin=target/release
mpirun=(mpirun -q --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
jobs=("basel --n 1e10" "kempner --n 1e10" "trig --n 1e9")

# Median wall time and the printed value of REPEAT runs of a command (--json).
measure() {
    local times=() out
    for _ in $(seq "$repeat"); do
        local start end
        start=$(date +%s.%N)
        out=$("$@" --json --quiet)
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((repeat + 1) / 2))p")
    local value
    value=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(repr(d.get("value", d.get("result", {}).get("value") if isinstance(d.get("result"), dict) else None)))' "$out")
    printf '%s %s\n' "$median" "$value"
}

echo "load: $(uptime | sed 's/.*load average: //')"
printf '%-18s %-26s %24s %10s\n' job run value "median s"
for job in "${jobs[@]}"; do
    read -r -a args <<<"$job"
    values=()
    for run in "gearbox 1 thread" "gearbox 2 threads" "mpirun -np 1" "mpirun -np 2" "mpirun -np 3"; do
        case $run in
        "gearbox 1 thread") cmd=("$bin/gearbox" run "${args[@]}" --threads 1) ;;
        "gearbox 2 threads") cmd=("$bin/gearbox" run "${args[@]}" --threads 2) ;;
        *) cmd=("${mpirun[@]}" -np "${run##* }" "$bin/gearbox-mpi" run "${args[@]}" --threads 1) ;;
        esac
        read -r seconds value < <(measure "${cmd[@]}")
        values+=("$value")
        printf '%-18s %-26s %24s %10.3f\n' "$job" "$run" "$value" "$seconds"
    done
    if [ "$(printf '%s\n' "${values[@]}" | sort -u | wc -l)" = 1 ]; then
        echo "  -> identical to the last bit"
    else
        echo "  -> VALUES DIFFER"
    fi
done
echo "load: $(uptime | sed 's/.*load average: //')"
