//! The `gearbox` command as a user meets it: output, JSON, exit codes, and the
//! loader's behaviour with missing, foreign-ABI and panicking libraries.

mod common;

use std::process::Command;

use common::{gearbox, gearbox_in, install, scratch, stderr, stdout_json};
use gearbox_host::kit;
use gearbox_host::loader::library_file_name;

#[test]
fn run_prints_result_exact_value_and_error() {
    let o = gearbox(&["run", "basel", "--n", "1000", "--backend", "serial"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("result    1.643934566681559"), "{out}");
    assert!(out.contains("exact") && out.contains("ulp"), "{out}");
}

#[test]
fn json_run_reports_value_exact_backend_and_time() {
    let v = stdout_json(&gearbox(&[
        "run",
        "basel",
        "--n",
        "1_000_000",
        "--json",
        "--threads",
        "2",
    ]));
    assert_eq!(v["schema"], 1);
    assert_eq!(v["command"], "run");
    assert_eq!(v["workload"], "basel");
    assert_eq!(v["kind"], "series");
    assert_eq!(v["backend"], "rayon");
    assert_eq!(v["threads"], 2);
    assert_eq!(v["params"]["n"], 1_000_000, "parameters are typed");
    let phases = v["phases"].as_array().unwrap();
    assert_eq!(phases[0]["name"], "load", "{phases:?}");
    assert!(phases.iter().all(|p| p["seconds"].is_f64()), "{phases:?}");
    let r = &v["result"];
    let (result, exact) = (r["value"].as_f64().unwrap(), r["exact"].as_f64().unwrap());
    assert!(
        gearbox_core::dd::ulp_error(result, exact) <= 1.0,
        "{result} vs {exact}"
    );
    assert!(v["seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn n_accepts_every_spelling() {
    let values: Vec<f64> = ["1e6", "1_000_000", "1000000"]
        .iter()
        .map(|n| {
            stdout_json(&gearbox(&["run", "basel", "--n", n, "--json"]))["result"]["value"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
}

#[test]
fn bad_n_is_one_line_and_exit_code_2() {
    for bad in ["0", "-3", "abc", "1.5", "1e20", "18446744073709551616"] {
        let o = gearbox(&["run", "basel", &format!("--n={bad}")]);
        assert_eq!(o.status.code(), Some(2), "--n {bad}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "--n {bad}: {err}");
        assert!(err.contains("--n"), "{err}");
    }
}

#[test]
fn mistyped_names_get_a_suggestion() {
    let o = gearbox(&["run", "basle"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean 'basel'"),
        "{}",
        stderr(&o)
    );
    let o = gearbox(&["run", "basel", "--backend", "rayn"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean 'rayon'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn list_shows_backends_with_files_and_workloads_with_parameters() {
    let v = stdout_json(&gearbox(&["list", "--json"]));
    assert_eq!((&v["schema"], &v["command"]), (&1.into(), &"list".into()));
    let backends = v["backends"].as_array().unwrap();
    for name in ["serial", "rayon"] {
        let b = backends
            .iter()
            .find(|b| b["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {v}"));
        assert_eq!(b["available"], true, "{b}");
        assert!(
            b["file"]
                .as_str()
                .unwrap()
                .ends_with(&library_file_name(&format!("gearbox_backend_{name}")))
        );
    }
    assert!(
        backends.iter().any(|b| b["name"] == "wgpu"),
        "wgpu is always listed"
    );
    let basel = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "basel")
        .expect("basel listed");
    assert_eq!(basel["params"][0]["name"], "n");
    assert_eq!(basel["params"][0]["default"], 1_000_000_000u64);
    assert_eq!(basel["params"][0]["kind"], "count");
}

#[test]
fn a_library_built_against_another_abi_is_refused_by_name_and_versions() {
    let dir = scratch("old-abi");
    install("fixture_old_abi", &dir, "gearbox_plugin_old");
    let v = stdout_json(&gearbox(&[
        "list",
        "--json",
        "--plugin-dir",
        dir.to_str().unwrap(),
    ]));
    let problems = v["problems"].to_string();
    let abi = gearbox_core::abi::ABI_VERSION.to_string();
    assert!(
        problems.contains("libgearbox_plugin_old")
            && problems.contains("999")
            && problems.contains(&abi),
        "{problems}"
    );
}

#[test]
fn a_panicking_kernel_is_an_error_not_an_abort() {
    let dir = scratch("panicky");
    install("fixture_panicky", &dir, "gearbox_plugin_panicky");
    for backend in ["serial", "rayon"] {
        let o = gearbox(&[
            "run",
            "panicky",
            "--backend",
            backend,
            "--plugin-dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{backend}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("panicky panicked: deliberate panic at k = 500000"),
            "{backend}: {err}"
        );
    }
}

#[test]
fn a_deleted_backend_library_disables_only_that_backend() {
    let dir = scratch("no-rayon");
    std::fs::copy(kit::target_dir().join("gearbox"), dir.join("gearbox")).unwrap();
    install("gearbox_backend_serial", &dir, "gearbox_backend_serial");
    install("gearbox_plugin_basel", &dir, "gearbox_plugin_basel");
    let exe = dir.join("gearbox");
    let o = gearbox_in(
        &exe,
        &["run", "basel", "--n", "1000", "--backend", "serial"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gearbox_in(&exe, &["run", "basel", "--n", "1000", "--backend", "rayon"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&library_file_name("gearbox_backend_rayon")),
        "{}",
        stderr(&o)
    );
    let v = stdout_json(&gearbox_in(&exe, &["list", "--json"]));
    let rayon = v["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "rayon")
        .unwrap()
        .clone();
    assert_eq!(rayon["available"], false);
    assert!(
        rayon["reason"].as_str().unwrap().contains("not found"),
        "{rayon}"
    );
}

#[test]
fn the_binary_links_no_backend_code() {
    let exe = kit::target_dir().join("gearbox");
    let o = Command::new("nm")
        .arg("-C")
        .arg(&exe)
        .output()
        .expect("nm (binutils) is installed");
    let symbols = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && symbols.lines().count() > 100,
        "nm gave no symbols"
    );
    for foreign in ["wgpu", "naga::", "rayon_core::", "gearbox_backend"] {
        assert!(
            !symbols.lines().any(|l| l.contains(foreign)),
            "the gearbox binary contains {foreign} symbols"
        );
    }
}
