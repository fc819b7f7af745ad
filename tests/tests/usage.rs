//! What the command says when it is used wrongly (issue 22, items 9 and 10,
//! through the real binary): a usage error exits 2 and a failed run 1, with
//! `--json` an error document on stdout too; `--input DIR` takes the grid from
//! the files; ambiguous `.npy` headers, an `--output` that is a file and an
//! unreadable `--plugin-dir` are refused with a reason.

use std::path::Path;
use std::process::{Command, Output};

use gearbox_host::kit::{self, ScratchDir};

fn gearbox(args: &[&str]) -> Output {
    Command::new(kit::target_dir().join("gearbox"))
        .args(args)
        .env_remove("GEARBOX_PLUGIN_PATH")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Checks a failure: exit `code`, one line on stderr containing `needle`.
fn fails(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes velocity inputs for `--grid GRID` into `dir`: the workload's own axes
/// and small integer fields.
fn velocity_inputs(dir: &Path, grid: &str) {
    let lib = kit::registry()
        .workload("velocity")
        .expect("velocity is built");
    let instance = lib.instantiate([("grid", grid)]).unwrap();
    let layout = instance.layout().unwrap();
    let axes = instance.axes(&layout).unwrap();
    for (name, values) in layout.axes.iter().zip(&axes) {
        write_f64(
            &dir.join(format!("{name}.npy")),
            &[values.len() as u64],
            values,
        );
    }
    let len = layout.len() as usize;
    for (i, name) in layout.inputs.iter().enumerate() {
        let values: Vec<f64> = (0..len).map(|k| ((k * 7 + i) % 11) as f64 - 5.0).collect();
        write_f64(&dir.join(format!("{name}.npy")), &layout.dims, &values);
    }
}

fn write_f64(path: &Path, shape: &[u64], values: &[f64]) {
    let mut bytes = gearbox_host::npy::header(shape);
    bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn usage_errors_exit_2_and_failed_runs_1() {
    let o = gearbox(&["run", "basel", "--n", "10", "--adapter", "x"]);
    fails(&o, 2, "backend rayon does not take --adapter");
    let dir = ScratchDir::new("usage-bad-input");
    std::fs::write(dir.path().join("latitude.npy"), b"junk").unwrap();
    let o = gearbox(&["run", "velocity", "--quiet", "--input", path(dir.path())]);
    fails(&o, 2, "latitude.npy: too short to be a .npy file");
    // A run that fails (here: more memory than the machine has) is 1.
    let o = gearbox(&["run", "sincos", "--n", "1e18", "--backend", "serial"]);
    fails(&o, 1, "of memory needed, only");
}

#[test]
fn with_json_a_failure_is_also_a_json_document_on_stdout() {
    let o = gearbox(&["run", "basel", "--n", "10", "--adapter", "x", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["command"], "run");
    assert_eq!(doc["error"]["kind"], "usage");
    assert_eq!(doc["error"]["exit_code"], 2);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not take --adapter"),
        "{doc}"
    );
    let o = gearbox(&["run", "basel", "--bogus", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["error"]["kind"], "usage");
    // A failed run's document, of each kind: tests/tests/error_kinds.rs.
    // Without --json, stdout stays empty.
    let o = gearbox(&["run", "basel", "--n", "10", "--adapter", "x"]);
    assert!(o.stdout.is_empty());
}

#[test]
fn compare_with_an_adapter_that_matches_nothing_fails() {
    let o = gearbox(&[
        "compare",
        "basel",
        "--n",
        "1000",
        "--quiet",
        "--adapter",
        "no adapter is named like this",
    ]);
    let err = stderr(&o);
    if !kit::registry()
        .backend("wgpu")
        .library
        .is_ok_and(|lib| lib.takes("adapter"))
    {
        return; // no backend reads --adapter in this build
    }
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("wgpu"), "{err}");
}

#[test]
fn input_files_give_the_grid_and_a_disagreeing_file_is_named() {
    let dir = ScratchDir::new("usage-grid-from-files");
    velocity_inputs(dir.path(), "6x7x5");
    let o = gearbox(&[
        "run",
        "velocity",
        "--backend",
        "serial",
        "--quiet",
        "--json",
        "--input",
        path(dir.path()),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["result"]["grid"], serde_json::json!([6, 5, 7]));
    assert_eq!(doc["params"]["grid"], "6x7x5");
    // One axis of another length: the file is named.
    write_f64(&dir.path().join("radius.npy"), &[4], &[1.0, 2.0, 3.0, 4.0]);
    let o = gearbox(&["run", "velocity", "--quiet", "--input", path(dir.path())]);
    fails(&o, 2, "radius.npy: shape [4], expected [5]");
    // A grid given on the command line is kept, and the files are checked against it.
    velocity_inputs(dir.path(), "6x7x5");
    let o = gearbox(&[
        "run",
        "velocity",
        "--quiet",
        "--grid",
        "6x7x4",
        "--input",
        path(dir.path()),
    ]);
    fails(&o, 2, "expected [4]");
}

#[test]
fn npy_headers_with_a_key_twice_are_refused() {
    let dir = ScratchDir::new("usage-duplicate-keys");
    velocity_inputs(dir.path(), "2x3x2");
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'shape': (2,), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let padded = format!("{dict:<117}\n");
    bytes.extend_from_slice(&(padded.len() as u16).to_le_bytes());
    bytes.extend_from_slice(padded.as_bytes());
    bytes.extend(std::iter::repeat_n(0u8, 24));
    std::fs::write(dir.path().join("latitude.npy"), bytes).unwrap();
    let o = gearbox(&[
        "run",
        "velocity",
        "--quiet",
        "--grid",
        "2x3x2",
        "--input",
        path(dir.path()),
    ]);
    fails(
        &o,
        2,
        "latitude.npy: the header gives 'shape' more than once",
    );
}

#[test]
fn an_output_path_that_is_a_file_is_named_as_one() {
    let dir = ScratchDir::new("usage-output-file");
    let file = dir.path().join("results");
    std::fs::write(&file, b"keep me").unwrap();
    let o = gearbox(&[
        "run",
        "velocity",
        "--quiet",
        "--grid",
        "2x3x2",
        "--output",
        path(&file),
    ]);
    fails(&o, 2, "results: is a file, not a directory");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn a_plugin_dir_that_cannot_be_read_is_an_error() {
    let o = gearbox(&["list", "--plugin-dir", "/nonexistent/gearbox"]);
    fails(
        &o,
        2,
        "--plugin-dir /nonexistent/gearbox: no such directory",
    );
    use std::os::unix::fs::PermissionsExt;
    let dir = ScratchDir::new("usage-unreadable-dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o300)).unwrap();
    let args = ["list", "--plugin-dir", path(dir.path())];
    // SAFETY: geteuid has no preconditions.
    let o = if unsafe { libc::geteuid() } == 0 {
        // Root reads any directory, whatever its mode: run as nobody instead.
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(kit::target_dir().join("gearbox"))
            .args(args)
            .env_remove("GEARBOX_PLUGIN_PATH")
            .output();
        match o {
            Ok(o) if !matches!(o.status.code(), Some(126 | 127)) => o,
            _ => {
                eprintln!(
                    "NOTICE: skipped the unreadable --plugin-dir case: running as root, and nobody cannot run {} through setpriv",
                    kit::target_dir().join("gearbox").display()
                );
                return;
            }
        }
    } else {
        gearbox(&args)
    };
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    fails(&o, 2, "cannot be read");
}
