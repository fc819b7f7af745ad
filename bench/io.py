#!/usr/bin/env python3
"""Grids from files, end to end: gearbox `run velocity --input DIR --output DIR`
on every backend against plain sequential I/O of the same bytes and a NumPy
peer that loads, converts and saves (bench/velocity_io_numpy.py), in the same
session, alternating, several rounds, page cache warm and (as root) cold.

usage: bench/io.py [--grid 500x800x300] [--rounds 3] [--dir /tmp/gearbox-io]
                   [--backends serial,rayon,wgpu] [--evaluate] [--no-cold] [--python PY]

With --evaluate, each backend also runs the same conversion written as formulas
(`gearbox run evaluate --expr 'vx = …; vy = …; vz = …' --axes latitude:0,longitude:2`,
VELOCITY_FORMULAS below): the same files in, the same three files out.

Every command runs under /usr/bin/time -v: wall time of the whole process and
its peak RSS. Plain I/O is `cat` of the three inputs to /dev/null plus `dd` of
three outputs of the same size, with and without conv=fsync (gearbox flushes
its outputs before it renames them in place, so the fsync row is its floor).
`sync` runs before every command, untimed, so no command pays for the last
one's writeback; cold rounds also drop the page cache before each command.
PY must have NumPy (it writes the inputs once and runs the peer).
Prints a Markdown table of medians and the raw samples.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GEARBOX = REPO / "target" / "release" / "gearbox"
PEER = REPO / "bench" / "velocity_io_numpy.py"
FIELDS = ("vlat", "vlon", "vrad")
# The seed's conversion as `evaluate` formulas: the axes are read from latitude.npy
# (dimension 0) and longitude.npy (dimension 2), the fields from vlat/vlon/vrad.npy.
VELOCITY_FORMULAS = "; ".join(
    f"{out} = " + formula.replace("sφ", "sin(radians(latitude))").replace("cφ", "cos(radians(latitude))")
    .replace("sλ", "sin(radians(longitude))").replace("cλ", "cos(radians(longitude))")
    for out, formula in (("vx", "-sλ*vlon - sφ*cλ*vlat + cφ*cλ*vrad"),
                         ("vy", "cλ*vlon - sφ*sλ*vlat + cφ*sλ*vrad"),
                         ("vz", "cφ*vlat + sφ*vrad")))


def timed(cmd, env=None):
    """(wall seconds, peak RSS MiB, stdout) of `cmd` under /usr/bin/time -v."""
    subprocess.run(["sync"], check=True)
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if out.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{out.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", out.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return seconds, rss / 1024, out.stdout


def drop_caches():
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", default="500x800x300")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/gearbox-io")
    ap.add_argument("--backends", default="serial,rayon,wgpu")
    ap.add_argument("--evaluate", action="store_true",
                    help="also run the conversion as evaluate formulas on each backend")
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    nlat, nlon, nr = (int(x) for x in args.grid.split("x"))
    root = Path(args.dir)
    src, out = root / "in", root / "out"
    if not all((src / f"{f}.npy").exists() for f in FIELDS):
        subprocess.run([args.python, PEER, "make", src, str(nlat), str(nlon), str(nr)], check=True)
    field_bytes = nlat * nlon * nr * 8
    count = field_bytes // (1 << 20)
    inputs = [str(src / f"{f}.npy") for f in FIELDS]
    scratch = [str(root / f"dd{i}.bin") for i in range(3)]
    dd = " && ".join(f"dd if=/dev/zero of={f} bs=1M count={count} status=none" for f in scratch)
    commands = {
        "plain read (cat inputs)": ["sh", "-c", f"cat {' '.join(inputs)} > /dev/null"],
        "plain write (dd outputs)": ["sh", "-c", dd],
        "plain write (dd outputs, fsync)": ["sh", "-c", dd.replace("status=none", "status=none conv=fsync")],
    }
    for b in args.backends.split(","):
        commands[f"gearbox {b}"] = [GEARBOX, "run", "velocity", "--grid", args.grid, "--backend", b,
                                    "--input", src, "--output", out, "--json", "--quiet"]
        if args.evaluate:
            commands[f"gearbox evaluate {b}"] = [
                GEARBOX, "run", "evaluate", "--expr", VELOCITY_FORMULAS,
                "--axes", "latitude:0,longitude:2", "--backend", b,
                "--input", src, "--output", root / "eval", "--json", "--quiet"]
    commands["NumPy load + convert + save"] = [args.python, PEER, "convert", src, root / "np"]
    cold_ok = not args.no_cold and os.access("/proc/sys/vm/drop_caches", os.W_OK)
    modes = ["warm"] + (["cold"] if cold_ok else [])
    samples = {(name, mode): [] for name in commands for mode in modes}
    phases = {}
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for mode in modes:
            for name, cmd in commands.items():
                if mode == "cold":
                    drop_caches()
                elif name.startswith("plain read") or name.startswith("gearbox") or name.startswith("NumPy"):
                    subprocess.run(["cat", *inputs], stdout=subprocess.DEVNULL, check=True)
                seconds, rss, stdout = timed(cmd, {"NODEVICE_SELECT": "1"})
                samples[(name, mode)].append((seconds, rss))
                if name.startswith("gearbox") and mode == "warm":
                    run = json.loads(stdout)
                    for p in run["phases"]:
                        phases.setdefault(name, {}).setdefault(p["name"], []).append(p["seconds"])
                for f in scratch:
                    Path(f).unlink(missing_ok=True)
    load_after = os.getloadavg()

    med = {k: (statistics.median(s for s, _ in v), max(r for _, r in v)) for k, v in samples.items()}
    def plain(mode, fsync):
        write = "plain write (dd outputs, fsync)" if fsync else "plain write (dd outputs)"
        return med[("plain read (cat inputs)", mode)][0] + med[(write, mode)][0]
    numpy = {m: med[("NumPy load + convert + save", m)][0] for m in modes}
    print(f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
          f"{platform.node()}: {os.cpu_count()} cores; grid {args.grid} "
          f"({3 * field_bytes / 1e9:.2f} GB in, {3 * field_bytes / 1e9:.2f} GB out); "
          f"{args.rounds} alternating rounds, medians; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after.\n")
    head = "| command |" + "".join(f" {m} s | × plain I/O + fsync ({m}) | NumPy ÷ this ({m}) |" for m in modes)
    print(head + " peak RSS MiB |")
    print("|---|" + "---:|---:|---:|" * len(modes) + "---:|")
    for name in commands:
        row = f"| {name} |"
        for m in modes:
            s = med[(name, m)][0]
            row += f" {s:.2f} | {s / plain(m, True):.2f}× | {numpy[m] / s:.2f}× |"
        print(row + f" {max(med[(name, m)][1] for m in modes):.0f} |")
    for m in modes:
        print(f"\nplain I/O ({m}): read + write {plain(m, False):.2f} s, read + write + fsync {plain(m, True):.2f} s")
    print("\nPhases of the warm gearbox runs (median s; read runs in the background, "
          "\"read wait\" is what the compute waited for it):\n")
    for name, ph in phases.items():
        print(f"- {name}: " + ", ".join(f"{p} {statistics.median(v):.2f}" for p, v in ph.items()))
    print("\nRaw samples (seconds, peak RSS MiB):\n\n```")
    for (name, mode), v in samples.items():
        print(f"{name:<34} {mode:<5} " + "  ".join(f"{s:.2f}/{r:.0f}" for s, r in v))
    print("```")


if __name__ == "__main__":
    main()
