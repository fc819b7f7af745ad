#!/usr/bin/env python3
"""Runs gearbox and the peer programs of ../shared/peers side by side, alternating,
several rounds, and writes a Markdown table of medians and ratios (BENCHMARKS.md).

usage: bench/peers.py [--rounds K] [--out BENCHMARKS.md] [--only NAME[,NAME]]

Every program reports its own compute time ("seconds" in its JSON line), after a
warm-up: gearbox's is the backend's run in `gearbox bench --repeat 1` (library load
excluded, as the peers exclude imports, JIT and input set-up). Medians over the rounds; ratios are peer median / gearbox median.
Run ../shared/peers/setup.sh once first, and build gearbox in release.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("GEARBOX_PEERS", REPO.parent / "shared" / "peers"))
GEARBOX = REPO / "target" / "release" / "gearbox"
PY = str(PEERS / ".venv" / "bin" / "python")

# (comparison name, target description, gearbox command, [(peer label, command, env, target)])
# target: ("faster", X) means gearbox must be ≥ X× faster; ("within", X): gearbox ≤ X× the peer's time.
CASES = [
    ("basel", "N = 1e9",
     ["run", "basel", "--n", "1e9", "--backend", "rayon"],
     [("basel_limit (C, -Ofast, OpenMP 2 threads)", [str(PEERS / "build/basel_limit"), "1000000000"], {"OMP_NUM_THREADS": "2"}, ("within", 1.25)),
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
     [("trig_numba.py (serial)", [PY, str(PEERS / "trig_numba.py"), "100000000"], {}, ("faster", 8)),
      ("rust-naive trig serial", [str(PEERS / "build/rust-naive"), "trig", "serial", "100000000"], {}, None)]),
    ("trig", "N = 1e8",
     ["run", "trig", "--n", "1e8", "--backend", "rayon"],
     [("trig_numba.py --parallel", [PY, str(PEERS / "trig_numba.py"), "100000000", "--parallel"], {}, None)]),
    ("velocity", "500 × 800 × 300",
     ["run", "velocity", "--grid", "500x800x300", "--backend", "rayon"],
     [("velocity_numpy.py", [PY, str(PEERS / "velocity_numpy.py"), "500", "800", "300"], {}, ("faster", 10)),
      ("stream6 120000000 (memory floor, 2 threads)", [str(PEERS / "build/stream6"), "120000000"], {"OMP_NUM_THREADS": "2"}, ("within", 2.0))]),
    ("sincos", "N = 1e8",
     ["run", "sincos", "--n", "1e8", "--backend", "rayon"],
     [("sincos_numexpr.py (2 threads)", [PY, str(PEERS / "sincos_numexpr.py"), "100000000", "2"], {}, ("faster", 8)),
      ("sincos_numexpr.py --numpy", [PY, str(PEERS / "sincos_numexpr.py"), "100000000", "--numpy"], {}, None)]),
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
    return run_json([str(GEARBOX)] + args + ["--repeat", "1", "--json", "--quiet"])["seconds"]["median"]


def peer_seconds(cmd, env):
    return run_json(cmd, env)["seconds"]


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
    times = {}
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
    lines = [
        "# Benchmarks: gearbox against the peers",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, {cpu_model()}; "
        f"{args.rounds} alternating rounds, medians of each program's own compute time (seconds). "
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


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
