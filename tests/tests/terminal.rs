//! What a scientist at the terminal relies on, tested without a terminal:
//! compare's verdicts and exit codes, scale's CSV and plot, bench's statistics,
//! and interrupted runs leaving no partial files behind.

mod common;

use common::{gearbox, install, scratch, stderr, stdout_json};

#[test]
fn compare_passes_when_backends_agree_with_the_exact_value() {
    let o = gearbox(&["compare", "basel", "--n", "1e6", "--json", "--quiet"]);
    let v = stdout_json(&o);
    assert_eq!(
        (&v["schema"], &v["command"]),
        (&1.into(), &"compare".into())
    );
    let rows = v["backends"].as_array().unwrap();
    for name in ["serial", "rayon"] {
        let row = rows.iter().find(|r| r["backend"] == name).unwrap();
        assert_eq!(row["agrees"], true, "{row}");
        assert!(
            row["result"]["error_ulps"].as_f64().unwrap() <= 1.0,
            "{row}"
        );
        assert!(row["phases"].is_array() && row["seconds"].is_f64(), "{row}");
    }
}

#[test]
fn compare_fails_when_a_backend_is_wrong() {
    let dir = scratch("wrong-backend");
    install("fixture_wrong_backend", &dir, "gearbox_backend_wrong");
    let o = gearbox(&[
        "compare",
        "basel",
        "--n",
        "1e5",
        "--quiet",
        "--plugin-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    let wrong = table
        .lines()
        .find(|l| l.starts_with("wrong"))
        .unwrap_or_else(|| panic!("no row for the wrong backend:\n{table}"));
    assert!(wrong.trim_end().ends_with("NO"), "{wrong}");
    let serial = table.lines().find(|l| l.starts_with("serial")).unwrap();
    assert!(serial.trim_end().ends_with("yes"), "{serial}");
    assert!(
        stderr(&o).contains("disagree") && stderr(&o).contains("wrong"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn scale_writes_the_table_as_csv_and_draws_an_svg() {
    let dir = scratch("scale");
    let (csv, svg) = (dir.join("basel.csv"), dir.join("basel.svg"));
    let o = gearbox(&[
        "scale",
        "basel",
        "--threads",
        "1,2",
        "--n",
        "1e5,1e6",
        "--repeat",
        "1",
        "--quiet",
        "--csv",
        csv.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "n,threads,median_s,min_s,max_s,speedup,efficiency"
    );
    assert_eq!(lines.len(), 5, "{text}");
    for line in &lines[1..] {
        let f: Vec<&str> = line.split(',').collect();
        let (threads, median, speedup, efficiency): (u32, f64, f64, f64) = (
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
            f[5].parse().unwrap(),
            f[6].parse().unwrap(),
        );
        assert!(median > 0.0, "{line}");
        if threads == 1 {
            assert_eq!((speedup, efficiency), (1.0, 1.0), "{line}");
        } else {
            assert!((efficiency - speedup / 2.0).abs() < 1e-5, "{line}");
        }
    }
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(
        plot.starts_with("<svg") && plot.contains("speed-up") && plot.contains("runtime against n"),
        "not the plot"
    );
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
}

#[test]
fn scale_rejects_a_malformed_list_with_exit_code_2() {
    for bad in [
        ["--threads", "1,,2"],
        ["--threads", "0"],
        ["--n", "1e5,zero"],
    ] {
        let o = gearbox(&["scale", "basel", bad[0], bad[1]]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    }
}

#[test]
fn bench_reports_ordered_statistics_and_phases() {
    let v = stdout_json(&gearbox(&[
        "bench", "basel", "--n", "1e6", "--repeat", "3", "--json", "--quiet",
    ]));
    assert_eq!((&v["schema"], &v["command"]), (&1.into(), &"bench".into()));
    let (min, median, max) = (
        v["seconds_min"].as_f64().unwrap(),
        v["seconds"].as_f64().unwrap(),
        v["seconds_max"].as_f64().unwrap(),
    );
    assert!(0.0 < min && min <= median && median <= max, "{v}");
    assert_eq!(v["repeat"], 3);
    assert!(v["throughput"].as_f64().unwrap() > 0.0);
    let phases = v["phases"].as_array().unwrap();
    let phase = |name: &str| phases.iter().find(|p| p["name"] == name).cloned();
    assert!(
        phase("compute").unwrap()["seconds"].as_f64().unwrap() > 0.0,
        "{phases:?}"
    );
    assert_eq!(phases[0]["name"], "load", "{phases:?}");
    assert!(v["result"]["value"].is_f64(), "{v}");
}

#[test]
fn profile_lists_the_phases() {
    let o = gearbox(&["run", "basel", "--n", "1e6", "--profile", "--quiet"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("phases") && out.contains("load") && out.contains("compute"),
        "{out}"
    );
}

#[test]
fn help_lists_every_command_with_an_example() {
    let o = gearbox(&["--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    for command in ["run", "list", "compare", "bench", "scale"] {
        assert!(
            out.contains(&format!("  {command} ")),
            "{command} missing from --help:\n{out}"
        );
        assert!(
            out.contains(&format!("gearbox {command} ")),
            "no example of {command}:\n{out}"
        );
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_grid_run_exits_130_and_leaves_no_output_files() {
    use std::process::{Command, Stdio};
    let dir = scratch("interrupt");
    let exe = gearbox_host::kit::target_dir().join("gearbox");
    let child = Command::new(&exe)
        .args([
            "run",
            "velocity",
            "--grid",
            "2000x800x300",
            "--backend",
            "serial",
            "--quiet",
            "--output",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    // SIGINT, as Ctrl-C sends it.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        start.elapsed().as_secs_f64() < 2.0,
        "took {:?} to stop",
        start.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stopped after"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
