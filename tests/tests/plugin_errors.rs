//! The errors a plugin author meets, as `gearbox` prints them: each is one line
//! that names the workload (or its library file) and what to fix. The texts here
//! are the ones docs/PLUGINS.md quotes.
//!
//! The `careless` fixture (tests/fixtures/careless) makes, on request, each
//! mistake; it is copied into a scratch directory under a gearbox library name.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{gearbox, install, scratch, stderr, stdout_json};
use gearbox_core::abi::ABI_VERSION;
use gearbox_host::loader::library_file_name;

/// A scratch directory holding the `careless` fixture as a workload library.
fn careless_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    install("fixture_careless", &dir, "gearbox_plugin_careless");
    dir
}

/// `gearbox run careless` with `args`, loading the fixture from `dir`.
fn run_careless(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["run", "careless", "--quiet", "--plugin-dir"];
    all.push(dir.to_str().unwrap());
    all.extend(args);
    gearbox(&all)
}

/// The problems `gearbox list` reports about the libraries in `dir` (other
/// libraries in the target directory may have their own).
fn problems_in(dir: &Path) -> Vec<String> {
    let v = stdout_json(&gearbox(&[
        "list",
        "--json",
        "--plugin-dir",
        dir.to_str().unwrap(),
    ]));
    let dir = dir.display().to_string();
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| p.contains(&dir))
        .map(str::to_string)
        .collect()
}

/// The one line a failed run printed, checking the exit code.
fn one_line_error(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    err.trim_end().to_string()
}

/// Whether the wgpu backend has an adapter here. Without one the GPU tests fail
/// under `CI=true` and are skipped, with a notice, everywhere else.
fn wgpu_available() -> bool {
    let v = stdout_json(&gearbox(&["list", "--json"]));
    let wgpu = v["backends"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == "wgpu"))
        .cloned()
        .unwrap_or_default();
    if wgpu["available"] == true {
        return true;
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "the wgpu backend is unavailable under CI: {wgpu}"
    );
    eprintln!("NOTICE: skipping a wgpu test (backend unavailable here): {wgpu}");
    false
}

#[test]
fn a_library_built_against_another_abi_names_the_file_and_both_versions() {
    let dir = scratch("errors-old-abi");
    install("fixture_old_abi", &dir, "gearbox_plugin_old");
    let o = gearbox(&["list", "--plugin-dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = dir.join(library_file_name("gearbox_plugin_old"));
    let expected = format!(
        "{}: built against gearbox ABI version 999, but this gearbox uses ABI version {ABI_VERSION}; rebuild it against this gearbox-core",
        file.display()
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().any(|l| l.trim() == expected), "{out}");
}

#[test]
fn wgsl_that_does_not_compile_names_the_workload_and_its_line() {
    if !wgpu_available() {
        return;
    }
    let dir = careless_dir("errors-bad-wgsl");
    let o = run_careless(&dir, &["--mistake", "bad-wgsl", "--backend", "wgpu"]);
    let err = one_line_error(&o, 1);
    assert!(
        err.starts_with(
            "gearbox: error: careless on wgpu: WGSL error at workload WGSL line 3 (`let x: f64 = first;`)"
        ),
        "{err}"
    );
}

#[test]
fn a_grid_wgsl_error_names_the_workload_and_backend_once() {
    if !wgpu_available() {
        return;
    }
    let dir = scratch("errors-grid-wgsl");
    install("fixture_gpu_grid", &dir, "gearbox_plugin_gpu_grid");
    let o = gearbox(&[
        "run",
        "gpu-grid",
        "--case",
        "badwgsl",
        "--backend",
        "wgpu",
        "--quiet",
        "--plugin-dir",
        dir.to_str().unwrap(),
    ]);
    let err = one_line_error(&o, 1);
    assert!(
        err.starts_with("gearbox: error: gpu-grid on wgpu: WGSL error at workload WGSL line 2"),
        "{err}"
    );
    assert_eq!(err.matches("on wgpu").count(), 1, "{err}");
}

#[test]
fn an_f64_transcendental_builtin_is_refused_with_its_line() {
    if !wgpu_available() {
        return;
    }
    let dir = careless_dir("errors-f64-builtin");
    let o = run_careless(&dir, &["--mistake", "f64-builtin", "--backend", "wgpu"]);
    assert_eq!(
        one_line_error(&o, 1),
        "gearbox: error: careless on wgpu: WGSL calls the built-in cos on f64, which is wrong on most Vulkan drivers (wgpu #6087); use cos_f64 from gearbox's shared WGSL (at workload WGSL line 3 (`let count = index_f64(last - first + 1lu) * cos(x - x);`))"
    );
}

#[test]
fn a_workload_without_a_gpu_kernel_says_so_on_wgpu() {
    if !wgpu_available() {
        return;
    }
    let dir = careless_dir("errors-no-gpu");
    let o = run_careless(&dir, &["--mistake", "no-gpu", "--backend", "wgpu"]);
    let err = one_line_error(&o, 1);
    assert!(
        err.starts_with("gearbox: error: careless on wgpu: ")
            && err.contains("workload careless has no GPU kernel; run it on serial or rayon"),
        "{err}"
    );
    // The CPU backends run it.
    let o = run_careless(&dir, &["--mistake", "no-gpu", "--backend", "serial"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn reading_an_undeclared_parameter_names_the_workload_and_the_parameter() {
    let dir = careless_dir("errors-undeclared");
    let o = run_careless(&dir, &["--mistake", "undeclared", "--backend", "serial"]);
    // A plugin's bug, not a value the user can fix: a failed run.
    assert_eq!(
        one_line_error(&o, 1),
        "gearbox: error: careless: from_params reads parameter --terms, which params() does not declare (it declares --label, --mistake, --n)"
    );
}

#[test]
fn reading_a_text_parameter_as_an_integer_names_the_workload_and_the_parameter() {
    let dir = careless_dir("errors-text-as-integer");
    let o = run_careless(
        &dir,
        &["--mistake", "text-as-integer", "--backend", "serial"],
    );
    assert_eq!(
        one_line_error(&o, 1),
        "gearbox: error: careless: parameter --label is declared ParamKind::Text, but from_params reads it with Params::integer, which reads Count or Integer parameters"
    );
}

#[test]
fn two_libraries_declaring_one_workload_are_named_by_list_and_run() {
    let dir = careless_dir("errors-duplicate");
    // Another build of the same workload: the same code with different bytes.
    let first = dir.join(library_file_name("gearbox_plugin_careless"));
    let second = dir.join(library_file_name("gearbox_plugin_careless_v2"));
    let mut bytes = std::fs::read(&first).unwrap();
    bytes.extend_from_slice(b"another build");
    std::fs::write(&second, bytes).unwrap();

    assert_eq!(
        problems_in(&dir),
        [format!(
            "{}: declares workload \"careless\", already declared by {}; remove one of them",
            second.display(),
            first.display()
        )]
    );

    // Neither library can be used until one is removed: a load error, exit 1.
    let o = run_careless(&dir, &["--backend", "serial"]);
    assert_eq!(
        one_line_error(&o, 1),
        format!(
            "gearbox: error: workload careless is declared by 2 libraries: {} and {}; remove all but one",
            first.display(),
            second.display()
        )
    );
}

#[test]
fn the_same_library_found_twice_is_no_conflict() {
    // cargo hard-links target/release/lib*.so into target/release/deps, and a copy
    // of one build has the same bytes: neither is a second declaration.
    let dir = careless_dir("errors-same-file");
    let original = dir.join(library_file_name("gearbox_plugin_careless"));
    std::fs::hard_link(
        &original,
        dir.join(library_file_name("gearbox_plugin_linked")),
    )
    .unwrap();
    std::fs::copy(
        &original,
        dir.join(library_file_name("gearbox_plugin_copied")),
    )
    .unwrap();
    assert_eq!(problems_in(&dir), Vec::<String>::new());
    let o = run_careless(&dir, &["--backend", "serial", "--json"]);
    assert_eq!(stdout_json(&o)["result"]["value"], 1000.0);
}
