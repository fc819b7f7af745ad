//! Helpers shared by the integration tests that run the `gearbox` executable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gearbox_host::kit;
use gearbox_host::loader::library_file_name;

/// Runs the `gearbox` executable `exe` with `args`, ignoring `GEARBOX_PLUGIN_PATH`.
pub fn gearbox_in(exe: &Path, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .env_remove("GEARBOX_PLUGIN_PATH")
        .output()
        .expect("gearbox runs")
}

/// Runs the `gearbox` built next to the test binary.
pub fn gearbox(args: &[&str]) -> Output {
    gearbox_in(&kit::target_dir().join("gearbox"), args)
}

/// What a run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one JSON object a successful run printed on stdout.
pub fn stdout_json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("one JSON object on stdout")
}

/// A fresh directory under the target directory, removed first if present.
pub fn scratch(name: &str) -> PathBuf {
    let dir = kit::target_dir().join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies a built library (by its crate's lib name) into `dir` under a gearbox library name.
pub fn install(built: &str, dir: &Path, as_stem: &str) {
    let from = kit::target_dir().join(library_file_name(built));
    std::fs::copy(&from, dir.join(library_file_name(as_stem)))
        .unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}
