//! Every kind of gearbox-host error, from the site that knows it to the front end
//! (issue 22, mechanism (a)): the `gearbox` command's exit code (2 for a mistake
//! in the request, 1 for a failed run), its one line on stderr, and the `kind` of
//! its `--json` error document (docs/JSON.md). Python's exceptions for the same
//! kinds are in python/tests/test_errors.py.

#[allow(
    dead_code,
    reason = "shared helpers; this file reads error documents, not results"
)]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{gearbox, install, scratch, stderr};
use gearbox_host::kit;
use gearbox_host::{ErrorKind, kind_of};

/// Checks a failure with `--json`: exit `code`, one line on stderr containing
/// `needle`, and a JSON error document of `kind` with that code on stdout.
fn fails_as(o: &Output, code: i32, kind: &str, needle: &str) {
    assert_eq!(
        stderr(o).trim_end().lines().count(),
        1,
        "not one line: {}",
        stderr(o)
    );
    ends_as(o, code, kind, needle);
}

/// As [`fails_as`], for a plugin that panics: its own panic message may come first
/// (printed by the plugin's panic hook), gearbox's line is the last.
fn ends_as(o: &Output, code: i32, kind: &str, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("gearbox: error: "), "{err}");
    assert!(last.contains(needle), "{needle:?} not in: {err}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["error"]["kind"], kind, "{doc}");
    assert_eq!(doc["error"]["exit_code"], code, "{doc}");
}

/// A scratch directory holding the `hostile` fixture as a workload library.
fn hostile_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    install("fixture_hostile", &dir, "gearbox_plugin_hostile");
    dir
}

/// `gearbox ARGS --json --plugin-dir DIR` with `GEARBOX_HOSTILE=mode`.
fn hostile(mode: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(kit::target_dir().join("gearbox"))
        .args(args)
        .args(["--json", "--plugin-dir", dir.to_str().unwrap()])
        .env_remove("GEARBOX_PLUGIN_PATH")
        .env("GEARBOX_HOSTILE", mode)
        .output()
        .unwrap()
}

#[test]
fn request_mistakes_exit_2_with_their_kind() {
    let o = gearbox(&["run", "basel", "--n", "10", "--adapter", "x", "--json"]);
    fails_as(&o, 2, "usage", "backend rayon does not take --adapter");
    let o = gearbox(&["run", "basel", "--plugin-dir", "/no/such/dir", "--json"]);
    fails_as(
        &o,
        2,
        "not-found",
        "--plugin-dir /no/such/dir: no such directory",
    );
    // Refused by the parameter's declared kind, on the command line …
    let o = gearbox(&["run", "basel", "--n", "0", "--json"]);
    fails_as(&o, 2, "bad-parameter", "--n must be positive (at least 1)");
    // … and by the workload's own from_params.
    let o = gearbox(&["run", "velocity", "--grid", "0x1x1", "--json"]);
    fails_as(&o, 2, "bad-parameter", "velocity: --grid");
}

#[test]
fn failed_runs_exit_1_with_their_kind() {
    let dir = hostile_dir("kinds-hostile");
    let run = ["run", "hostile", "--backend", "serial", "--quiet"];
    let o = hostile("panic-create", &dir, &run);
    ends_as(
        &o,
        1,
        "plugin",
        "hostile: hostile panicked: deliberate panic in create",
    );
    let o = hostile("null-create", &dir, &run);
    fails_as(&o, 1, "plugin", "create returned no instance");
    // A second library declaring basel: neither can be used.
    let o = hostile("basel", &dir, &["run", "basel", "--quiet"]);
    fails_as(&o, 1, "load", "workload basel is declared by 2 libraries");
    let o = gearbox(&[
        "run",
        "sincos",
        "--n",
        "1e18",
        "--backend",
        "serial",
        "--json",
    ]);
    fails_as(&o, 1, "resources", "of memory needed, only");
}

#[test]
fn an_error_no_site_classified_exits_1_as_failed() {
    // The output directory cannot be made: an I/O error, of no kind.
    let dir = scratch("kinds-failed");
    std::fs::write(dir.join("out"), b"").unwrap();
    let out = dir.join("out").join("sub");
    let o = gearbox(&[
        "run",
        "sincos",
        "--n",
        "10",
        "--quiet",
        "--json",
        "--output",
        out.to_str().unwrap(),
    ]);
    fails_as(&o, 1, "failed", "cannot create");
}

#[test]
fn the_host_gives_each_mistake_in_a_request_its_kind() {
    let registry = kit::registry();
    let basel = registry.workload("basel").expect("basel is built");
    let kind = |r: anyhow::Result<gearbox_host::Instance<'_>>| kind_of(&r.err().unwrap());
    assert_eq!(
        kind(basel.instantiate([("m", "5")])),
        Some(ErrorKind::UnknownParameter)
    );
    assert_eq!(
        kind(basel.instantiate([("n", "lots")])),
        Some(ErrorKind::BadParameter)
    );
    let open = |name: &str| {
        kind_of(
            &registry
                .open_backend(name, &Default::default())
                .err()
                .unwrap(),
        )
    };
    assert_eq!(open("abacus"), Some(ErrorKind::NotFound));
}

#[test]
fn a_full_disk_is_refused_before_the_run_with_the_whole_sets_size() {
    // Three outputs of 80 TB each: more than the disk holds, not more than memory needs.
    let dir = scratch("kinds-disk");
    let out = dir.join("out");
    let o = gearbox(&[
        "run",
        "velocity",
        "--grid",
        "100000x100000x1000",
        "--backend",
        "serial",
        "--quiet",
        "--json",
        "--output",
        out.to_str().unwrap(),
    ]);
    fails_as(
        &o,
        1,
        "resources",
        "not enough disk space for the 3 output files (74505.81 GiB each): 223517.42 GiB needed",
    );
    assert!(!out.exists(), "nothing is created");
}
