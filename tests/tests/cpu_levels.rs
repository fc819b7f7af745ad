//! Run-time CPU dispatch through the real binary (issue 23): every level this
//! CPU runs gives the same bits as the baseline kernels wherever the algorithm
//! is the same, `gearbox list` names the level in use, and a level that does
//! not exist or that the CPU lacks is refused with one line and exit 2.

#[allow(dead_code, reason = "helpers shared with other test files")]
mod common;

use common::{gearbox_in, stderr, stdout_json};
use gearbox_core::dispatch::Level;
use gearbox_host::kit;
use std::process::{Command, Output};

/// Runs the `gearbox` built next to the test binary with `GEARBOX_CPU=level`.
fn at_level(level: &str, args: &[&str]) -> Output {
    let mut command = Command::new(kit::target_dir().join("gearbox"));
    command
        .args(args)
        .env_remove("GEARBOX_PLUGIN_PATH")
        .env("GEARBOX_CPU", level);
    command.output().expect("gearbox runs")
}

/// Small runs of every kernel family: the series sums (`sum_terms_dd`,
/// `Reciprocals`, `Lanes`, the expression evaluator) and the grid maps. The
/// flag says whether the AVX-512 level runs another algorithm (a reciprocal
/// from `vrcp14pd` in place of a division), so only the baseline and AVX2
/// levels must agree bit for bit there.
const RUNS: &[(&[&str], bool)] = &[
    (&["run", "basel", "--n", "300000"], false),
    (&["run", "kempner", "--n", "300000"], true),
    (&["run", "trig", "--n", "300000"], true),
    (
        &[
            "run",
            "series",
            "--term",
            "log(k)/k**p + atan(1/k)",
            "--with",
            "p=2.5",
            "--n",
            "300000",
        ],
        false,
    ),
    (&["run", "sincos", "--n", "100000"], false),
    (&["run", "velocity", "--grid", "20x30x40"], false),
];

/// The part of a run record that depends on the kernels (not the timings).
fn result(o: &Output) -> serde_json::Value {
    stdout_json(o)["result"].clone()
}

#[test]
fn every_level_gives_the_baseline_bits_where_the_algorithm_is_the_same() {
    let levels: Vec<Level> = Level::ALL.into_iter().filter(|l| l.supported()).collect();
    for (args, other_on_avx512) in RUNS {
        let args: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--backend", "serial", "--json"])
            .collect();
        let baseline = result(&at_level("baseline", &args));
        for &level in &levels[1..] {
            if *other_on_avx512 && level == Level::Avx512 {
                continue;
            }
            let got = result(&at_level(level.name(), &args));
            assert_eq!(got, baseline, "{args:?} at {level}");
        }
    }
}

#[test]
fn list_names_the_level_in_use() {
    let best = Level::best();
    let list = stdout_json(&gearbox_in(
        &kit::target_dir().join("gearbox"),
        &["list", "--json"],
    ));
    assert_eq!(list["cpu_level"], best.name(), "{list}");
    let forced = stdout_json(&at_level("baseline", &["list", "--json"]));
    assert_eq!(forced["cpu_level"], "baseline");
    let text = at_level("baseline", &["list"]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("CPU kernels: baseline"), "{out}");
}

#[test]
fn unknown_and_unsupported_levels_are_refused_in_one_line() {
    let mut refused = vec![("sse9", "not a CPU level")];
    if let Some(missing) = Level::ALL.into_iter().find(|l| !l.supported()) {
        refused.push((missing.name(), "this CPU cannot run"));
    }
    for (level, why) in refused {
        for args in [&["list"][..], &["run", "basel", "--n", "1000"]] {
            let o = at_level(level, args);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{level} {args:?}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
            assert!(err.contains("GEARBOX_CPU") && err.contains(why), "{err}");
        }
    }
}
