#!/usr/bin/env python3
"""Runs gearbox and peer programs side by side, alternating, several rounds, and
writes a Markdown table of medians and ratios (BENCHMARKS.md).

usage: GEARBOX_PEERS=DIR bench/peers.py [--rounds K] [--out BENCHMARKS.md] [--only NAME[,NAME]]

Every program reports its own compute time ("seconds" in its JSON line), after a
warm-up: gearbox's is the backend's run in `gearbox bench --repeat 1` (library load
excluded, as the peers exclude imports, JIT and input set-up). Medians over the rounds; ratios are peer median / gearbox median.
Build gearbox in release first (cargo build --release --workspace, which includes
bench/limits: its cycles per instruction give the table of cycles per term).

The peers are not part of this repository. GEARBOX_PEERS names a directory holding them; each prints one JSON line with its compute "seconds":
  build/basel N                 plain C Basel loop (gcc -O3 -march=native)
  build/basel_limit N           C Basel, -ffast-math + OpenMP (a speed limit)
  build/stream6 N               read 3 + write 3 float64 arrays, OpenMP (memory floor)
  build/rust-naive W B N        naive Rust iterators, W = basel|slow|trig, B = serial|rayon
  .venv/bin/python              a Python with NumPy, Numba and NumExpr, running
  basel_numpy_chunks.py, basel_numba.py, slow_numba.py, slow_numexpr.py,
  trig_numba.py, velocity_numpy.py, sincos_numexpr.py   the same workloads in Python
The script names what is missing and stops before running anything.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS_VAR = "GEARBOX_PEERS"
PEERS = Path(os.environ.get(PEERS_VAR, ""))
GEARBOX = REPO / "target" / "release" / "gearbox"
LIMITS = REPO / "target" / "release" / "gearbox-limits"
PY = str(PEERS / ".venv" / "bin" / "python")

# (comparison name, target description, gearbox command, [(peer label, command, env, target)])
# target: ("faster", X) means gearbox must be ≥ X× faster; ("within", X): gearbox ≤ X× the peer's time.
CASES = [
    ("basel", "N = 1e9",
     ["run", "basel", "--n", "1e9", "--backend", "rayon"],
     [("basel_limit (C, -Ofast, OpenMP 2 threads)", [str(PEERS / "build/basel_limit"), "1000000000"], {"OMP_NUM_THREADS": "2"}, ("faster", 1)),
      ("basel_numpy_chunks.py", [PY, str(PEERS / "basel_numpy_chunks.py"), "1000000000"], {}, ("faster", 30)),
      ("basel_numba.py --parallel", [PY, str(PEERS / "basel_numba.py"), "1000000000", "--parallel"], {}, None),
      ("rust-naive basel rayon", [str(PEERS / "build/rust-naive"), "basel", "rayon", "1000000000"], {}, None)]),
    ("basel serial", "N = 1e9",
     ["run", "basel", "--n", "1e9", "--backend", "serial"],
     [("C -O3 -march=native (build/basel)", [str(PEERS / "build/basel"), "1000000000"], {}, None),
      ("rust-naive basel serial", [str(PEERS / "build/rust-naive"), "basel", "serial", "1000000000"], {}, None)]),
    ("kempner serial", "N = 1e8, exclude 9",
     ["run", "kempner", "--n", "1e8", "--backend", "serial"],
     [("slow_numba.py (serial)", [PY, str(PEERS / "slow_numba.py"), "100000000"], {}, ("faster", 10)),
      ("rust-naive slow serial", [str(PEERS / "build/rust-naive"), "slow", "serial", "100000000"], {}, None)]),
    ("kempner", "N = 1e8, exclude 9",
     ["run", "kempner", "--n", "1e8", "--backend", "rayon"],
     [("slow_numba.py --parallel", [PY, str(PEERS / "slow_numba.py"), "100000000", "--parallel"], {}, None),
      ("slow_numexpr.py (2 threads)", [PY, str(PEERS / "slow_numexpr.py"), "100000000", "2"], {}, None)]),
    ("trig serial", "N = 1e8",
     ["run", "trig", "--n", "1e8", "--backend", "serial"],
     [("trig_numba.py (serial)", [PY, str(PEERS / "trig_numba.py"), "100000000"], {}, ("faster", 25)),
      ("rust-naive trig serial", [str(PEERS / "build/rust-naive"), "trig", "serial", "100000000"], {}, None)]),
    ("trig", "N = 1e8",
     ["run", "trig", "--n", "1e8", "--backend", "rayon"],
     [("trig_numba.py --parallel", [PY, str(PEERS / "trig_numba.py"), "100000000", "--parallel"], {}, None)]),
    # The CLI with inputs it generates (they never leave the cache): not the same
    # work as the peer's arrays in memory; bench/velocity.py compares that, from Python.
    ("velocity (CLI, generated inputs)", "500 × 800 × 300",
     ["run", "velocity", "--grid", "500x800x300", "--backend", "rayon"],
     [("velocity_numpy.py", [PY, str(PEERS / "velocity_numpy.py"), "500", "800", "300"], {}, None),
      ("stream6 120000000 (memory floor, 2 threads)", [str(PEERS / "build/stream6"), "120000000"], {"OMP_NUM_THREADS": "2"}, ("within", 2.0))]),
    ("sincos", "N = 1e8",
     ["run", "sincos", "--n", "1e8", "--backend", "rayon"],
     [("sincos_numexpr.py (2 threads)", [PY, str(PEERS / "sincos_numexpr.py"), "100000000", "2"], {}, ("faster", 15)),
      ("sincos_numexpr.py --numpy", [PY, str(PEERS / "sincos_numexpr.py"), "100000000", "--numpy"], {}, None)]),
]

# The expression language (docs/EXPRESSIONS.md): formulas against the hand-written
# plugins and the peers. The closure plugin is built out of tree (bench/closure).
CLOSURE = REPO / "target" / "closure" / "release"
CASES += [
    ("series 1/k**2", "N = 1e9",
     ["run", "series", "--term", "1/k**2", "--n", "1e9", "--backend", "rayon"],
     [("gearbox basel (hand-tuned plugin)", [str(GEARBOX), "bench", "basel", "--n", "1e9", "--backend", "rayon", "--repeat", "1", "--json", "--quiet"], {}, ("within", 2.0)),
      ("basel_numba.py --parallel", [PY, str(PEERS / "basel_numba.py"), "1000000000", "--parallel"], {}, ("faster", 4))]),
    # Issue 23: a closure over sum_terms, out of tree, within 1.5x of the term's fastest form.
    ("closure log(k)/k**2.5 (out-of-tree plugin: bench/closure)", "N = 1e8",
     ["run", "closure", "--n", "1e8", "--backend", "rayon", "--plugin-dir", str(CLOSURE)],
     [("gearbox series --term 'log(k)/k**2.5'", [str(GEARBOX), "bench", "series", "--term", "log(k)/k**2.5", "--n", "1e8", "--backend", "rayon", "--repeat", "1", "--json", "--quiet"], {}, ("within", 1.5))]),
    ("evaluate sincos", "N = 1e8",
     ["run", "evaluate", "--shape", "1e8", "--backend", "rayon"],
     [("sincos_numexpr.py (2 threads)", [PY, str(PEERS / "sincos_numexpr.py"), "100000000", "2"], {}, ("faster", 5)),
      ("gearbox sincos (hand-written plugin)", [str(GEARBOX), "bench", "sincos", "--n", "1e8", "--backend", "rayon", "--repeat", "1", "--json", "--quiet"], {}, None)]),
]

# The dispatching build against a build for this machine's CPU only (issue 23: the
# same speed within 3 %): the same gearbox sources built with target-cpu=native in
# GEARBOX_NATIVE (default target/native/release), e.g.
#   RUSTFLAGS="-C target-cpu=native" cargo build --release --target-dir target/native \
#       -p gearbox-cli -p gearbox-backend-rayon -p gearbox-plugin-basel …
NATIVE = Path(os.environ.get("GEARBOX_NATIVE", REPO / "target" / "native" / "release")) / "gearbox"
CASES += [
    (f"{name} (dispatch vs native)", size, ["run", name, *args, "--backend", "rayon"],
     [("the same, built with target-cpu=native", [str(NATIVE), "bench", name, *args, "--backend", "rayon", "--repeat", "1", "--json", "--quiet"], {}, ("within", 1.03))])
    for name, size, args in [
        ("basel", "N = 1e9", ["--n", "1e9"]),
        ("kempner", "N = 1e9", ["--n", "1e9"]),
        ("trig", "N = 1e9", ["--n", "1e9"]),
        ("sincos", "N = 1e8", ["--n", "1e8"]),
        ("velocity", "500 × 800 × 300", []),
    ]
]

# Cycles per term of each case: its hot loop (objdump of the kernel) as a mix of zmm
# instructions, against the cycles per instruction bench/limits measures here. Where
# adds have pipes of their own (AMD Zen 4: fma+add is half the FMA figure) the FMA
# pipes bound the loop; where they share them (Intel: fma+add equals it), all of it.
# (case, terms evaluated, the bound, its limit in cycles per term from the cycles per
# instruction c). Kempner N = 1e8 evaluates the 9^8 numbers without a 9 (and 1e8).

def pipes(fma_ops, adds, terms, note):
    """(bound, limit): `fma_ops` FMA-pipe zmm ops and `adds` adds per `terms` terms."""
    bound = f"FP pipes: {fma_ops} FMA-pipe zmm ops and {adds} adds per {terms} terms ({note})"
    return bound, lambda c: max(fma_ops * c["vfmadd231pd"], (fma_ops + adds) * c["fma+add"]) / terms


BASEL = pipes(10, 7, 16, "pairs; vrcp14pd + FMA")
KEMPNER = pipes(7, 5, 8, "vrcp14pd + FMA")
TRIG = pipes(8, 2, 8, "vrcp14pd + FMA")
CYCLES = [
    ("basel", 1e9, *BASEL),
    ("basel serial", 1e9, *BASEL),
    ("kempner serial", 9 ** 8, *KEMPNER),
    ("kempner", 9 ** 8, *KEMPNER),
    ("trig serial", 1e8, *TRIG),
    ("trig", 1e8, *TRIG),
    ("velocity (CLI, generated inputs)", 1.2e8, "memory: stream6 (3 arrays read, 3 written; its wall time × threads)", None),
    ("sincos", 1e8, "FP pipes: 78 zmm ops per 8 elements (map only, at the fma+add rate)", lambda c: 78 * c["fma+add"] / 8),
]

# rayon (2 threads) vs serial on every series at its seed size: target ≥ 1.8×.
SCALING = [("basel", "1e9"), ("kempner", "1e8"), ("trig", "1e8")]


def run_json(cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    out = subprocess.run(cmd, capture_output=True, text=True, env=e, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    return json.loads(line)


def gearbox_seconds(args):
    """One timed run after a warm-up in the same process (`gearbox bench --repeat 1`), as the
    peers time their compute after a warm-up call (JIT, thread pools, idle cores waking)."""
    args = ["bench"] + args[1:] if args[0] == "run" else args
    return run_json([str(GEARBOX)] + args + ["--repeat", "1", "--json", "--quiet"])["seconds"]


def peer_seconds(cmd, env):
    return run_json(cmd, env)["seconds"]


def check_ready(cases):
    """Exits with one line naming what is missing: the peers' directory, a peer
    program the chosen cases need, or the gearbox executable."""
    if not os.environ.get(PEERS_VAR):
        sys.exit(f"bench/peers.py: set {PEERS_VAR}=DIR, a directory with the peer programs "
                 "(build/basel, build/basel_limit, build/stream6, build/rust-naive, .venv/bin/python "
                 "and the Python peers); see the top of bench/peers.py")
    needed = {p for _, _, _, peers in cases for _, cmd, _, _ in peers
              for p in cmd[:2] if p == cmd[0] or p.endswith(".py")}
    missing = sorted(os.path.relpath(p, PEERS) for p in needed if not Path(p).is_file())
    if missing:
        sys.exit(f"bench/peers.py: {PEERS_VAR}={PEERS} lacks {', '.join(missing)}; "
                 "see the top of bench/peers.py")
    if not GEARBOX.is_file():
        sys.exit(f"bench/peers.py: {GEARBOX} not found; build it first: cargo build --release --workspace")


def startup_wall():
    start = time.perf_counter()
    subprocess.run([str(GEARBOX), "run", "basel", "--n", "1000", "--quiet"], capture_output=True, check=True)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    ap.add_argument("--only", default="", help="comma-separated case names")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    cases = [c for c in CASES if not only or c[0] in only]
    check_ready(cases)
    times = {}
    load_before = os.getloadavg()
    for r in range(args.rounds):
        for name, _, gcmd, peers in cases:
            times.setdefault((name, "gearbox"), []).append(gearbox_seconds(gcmd))
            for label, cmd, env, _ in peers:
                times.setdefault((name, label), []).append(peer_seconds(cmd, env))
        for series, n in SCALING if not only else []:
            for backend in ("serial", "rayon"):
                times.setdefault((f"{series} scaling", backend), []).append(
                    gearbox_seconds(["run", series, "--n", n, "--backend", backend, "--threads", "2"] if backend == "rayon"
                                    else ["run", series, "--n", n, "--backend", backend]))
        if not only:
            times.setdefault(("startup", "wall"), []).append(startup_wall())
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    med = {k: statistics.median(v) for k, v in times.items()}
    try:
        limits = run_json([str(LIMITS), "--json"])
    except RuntimeError as e:
        # gearbox-limits measures zmm instructions: nothing to say without AVX-512.
        print(f"bench/peers.py: no cycle tables: {e}", file=sys.stderr)
        limits = None
    lines = [
        "# Benchmarks: gearbox against the peers",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, {cpu_model()}; "
        f"{args.rounds} alternating rounds, medians of each program's own compute time (seconds); "
        f"load average (1, 5, 15 min) {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after. "
        "Written by `bench/peers.py`; ratio = peer median / gearbox median (> 1: gearbox is faster).",
        "",
        "| workload | size | gearbox | peer | peer s | gearbox s | ratio | target | met |",
        "|---|---|---|---|---:|---:|---:|---|---|",
    ]
    for name, size, gcmd, peers in cases:
        g = med[(name, "gearbox")]
        backend = gcmd[gcmd.index("--backend") + 1]
        for label, _, _, target in peers:
            p = med[(name, label)]
            ratio = p / g
            if target is None:
                tgt, met = "", ""
            elif target[0] == "faster":
                tgt, met = f"≥ {target[1]}× faster", "yes" if ratio >= target[1] else "**no**"
            else:
                tgt, met = f"≤ {target[1]}× its time", "yes" if g <= target[1] * p else "**no**"
            lines.append(f"| {name} | {size} | {backend} | {label} | {p:.4f} | {g:.4f} | {ratio:.2f}× | {tgt} | {met} |")
    if not only:
        lines += ["", "| series | serial s | rayon (2 threads) s | speed-up | target ≥ 1.8× |", "|---|---:|---:|---:|---|"]
        for series, n in SCALING:
            s, r = med[(f"{series} scaling", "serial")], med[(f"{series} scaling", "rayon")]
            lines.append(f"| {series} N = {n} | {s:.4f} | {r:.4f} | {s / r:.2f}× | {'yes' if s / r >= 1.8 else '**no**'} |")
        w = med[("startup", "wall")]
        lines += ["", f"`gearbox run basel --n 1000` (rayon), whole process wall time incl. library loading: "
                  f"median {w * 1e3:.1f} ms (target < 30 ms: {'yes' if w < 0.03 else '**no**'})."]
    if limits is None:
        lines += ["", "No cycles-per-term table: this CPU has no AVX-512 for `gearbox-limits` to time."]
    else:
        if ("basel", "gearbox") in med:
            lines += division_limit_line(med, limits)
        lines += cycles_table(cases, med, limits)
    lines += ["", "Raw samples (seconds):", "", "```"]
    for k, v in times.items():
        lines.append(f"{k[0]:<16} {k[1]:<45} " + " ".join(f"{x:.4f}" for x in v))
    lines.append("```")
    out = Path(args.out)
    # Sections other scripts write (bench/io.py's "## Grids from files") are kept.
    kept = out.read_text().partition("\n## ")[2] if out.exists() else ""
    temp = out.with_name(f".{out.name}.tmp")
    temp.write_text("\n".join(lines) + "\n" + (f"\n## {kept}" if kept else ""))
    temp.replace(out)
    print("\n".join(lines))


def cpu_seconds(cmd, env=None, runs=1):
    """CPU seconds (user + system, all threads) of one run of `cmd`, divided by `runs`:
    unlike wall time, not inflated by waiting for a core on a busy machine."""
    e = dict(os.environ)
    e.update(env or {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, capture_output=True, env=e, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / runs


def gearbox_cpu_seconds(args, repeat=5):
    """CPU seconds of one gearbox run: `gearbox bench --repeat 5` (a warm-up and 5 runs) / 6."""
    args = ["bench"] + args[1:] if args[0] == "run" else args
    return cpu_seconds([str(GEARBOX)] + args + ["--repeat", str(repeat), "--quiet"], runs=repeat + 1)


def cycles_table(cases, med, limits):
    """Cycles per term of each case, from CPU time, against the instruction limit of its
    hot loop."""
    clock = limits["clock_ghz"] * 1e9
    per_instr = {k: 8 * v for k, v in limits.items() if k != "clock_ghz"}
    lines = ["", f"Cycles per term (core clock {clock / 1e9:.3f} GHz; per zmm instruction: "
             + ", ".join(f"{k} {v:.2f}" for k, v in per_instr.items())
             + "; from `target/release/gearbox-limits`, same run). Measured = CPU seconds of a run (all threads, "
             "so a busy machine does not inflate it) × clock / terms; fraction = limit / measured.", "",
             "| workload | threads | cycles/term | bound by | limit cycles/term | fraction | division limit |",
             "|---|---:|---:|---|---:|---:|---:|"]
    names = {c[0]: c for c in cases}
    for name, terms, bound, limit in CYCLES:
        if name not in names:
            continue
        gcmd = names[name][2]
        threads = os.cpu_count() if "rayon" in gcmd else 1
        cycles = gearbox_cpu_seconds(gcmd) * clock / terms
        if limit is None:
            # stream6's own best time of its 3 repetitions (wall), median over the rounds.
            label = next(p[0] for p in names[name][3] if p[0].startswith("stream6"))
            lim = med[(name, label)] * clock * threads / terms
        else:
            lim = limit(per_instr)
        lines.append(f"| {name} | {threads} | {cycles:.3f} | {bound} | {lim:.3f} | {lim / cycles:.0%} | "
                     f"{per_instr['vdivpd'] / 8:.3f} |")
    return lines


def division_limit_line(med, limits):
    """basel rayon against the division-limit time of this machine (target ≤ 0.8×)."""
    clock = limits["clock_ghz"] * 1e9
    division = 1e9 * limits["vdivpd"] / clock / os.cpu_count()
    g = med[("basel", "gearbox")]
    return ["", f"basel N = 1e9 rayon: median {g:.4f} s = {g / division:.2f}× the division-limit time "
            f"{division:.4f} s (N × vdivpd cycles per element ÷ clock ÷ {os.cpu_count()} threads; "
            f"target ≤ 0.8×: {'yes' if g <= 0.8 * division else '**no**'})."]


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        sys.exit(f"bench/peers.py: {' '.join(str(e).split())}")
    except KeyboardInterrupt:
        sys.exit(130)
