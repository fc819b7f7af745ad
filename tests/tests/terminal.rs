//! What a scientist at the terminal relies on, tested without a terminal:
//! compare's verdicts and exit codes, scale's CSV and plot, bench's statistics,
//! and interrupted runs leaving no partial files behind.

mod common;

use std::path::Path;

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

/// `compare` on every built-in workload at two small sizes (within one chunk or
/// slab, and over several): every backend that runs agrees with serial within the
/// workload's error bound, and the command exits 0. Where a Vulkan driver is
/// installed (CI installs lavapipe, and there the GPU must run) that includes the
/// wgpu backend, whose sin and cos round differently from the CPU's: sincos's
/// b − 1, pure rounding noise, is bounded by the scale of b it cancels from.
#[test]
fn compare_agrees_on_every_builtin_workload() {
    let cases = [
        ("basel", "--n", ["1e3", "1e6"]),
        ("kempner", "--n", ["1e3", "1e6"]),
        ("trig", "--n", ["1e3", "1e6"]),
        ("velocity", "--grid", ["5x6x7", "64x80x60"]),
        ("sincos", "--n", ["1e3", "1e6"]),
        ("series", "--n", ["1e3", "1e6"]),
        ("evaluate", "--shape", ["1e3", "1e6"]),
    ];
    let ci = std::env::var("CI").as_deref() == Ok("true");
    for (workload, flag, sizes) in cases {
        for size in sizes {
            let o = gearbox(&["compare", workload, flag, size, "--json", "--quiet"]);
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{workload} {flag} {size}: {}{out}",
                stderr(&o)
            );
            let v = stdout_json(&o);
            let rows = v["backends"].as_array().unwrap();
            for row in rows {
                let backend = row["backend"].as_str().unwrap();
                match row["error"].as_str() {
                    Some(e) => assert!(
                        e.starts_with("unavailable") && !(ci && backend == "wgpu"),
                        "{workload} {size} on {backend}: {e}"
                    ),
                    None => assert_eq!(row["agrees"], true, "{workload} {size}: {row}"),
                }
            }
            let ran: Vec<&str> = rows
                .iter()
                .filter(|r| r["agrees"] == true)
                .filter_map(|r| r["backend"].as_str())
                .collect();
            assert!(
                ran.contains(&"serial") && ran.contains(&"rayon"),
                "{workload} {size}: {ran:?}"
            );
        }
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
fn scale_writes_the_table_as_csv_and_draws_a_labelled_svg() {
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
    assert!(plot.starts_with("<svg"), "not an SVG");
    assert_has(
        &svg_texts(&plot),
        &[
            "basel on rayon",
            "Speed-up",
            "Runtime against n",
            "threads",
            "speed-up over 1 thread (×)",
            "runtime (s)",
            "n: number of terms N",
            "10⁵",
            "10⁶",
            "n = 1e5",
            "2 threads",
        ],
    );
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
}

/// The text of every `<text>` element of an SVG drawn by plotters, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let (_, rest) = t.split_once('>')?;
            let (text, _) = rest.split_once("</text>")?;
            Some(text.trim().to_string())
        })
        .collect()
}

/// Asserts that every one of `labels` is among `texts`.
fn assert_has(texts: &[String], labels: &[&str]) {
    for label in labels {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
}

/// Runs `gearbox scale ARGS --quiet --plot PLOT` and checks that it succeeds.
fn scale_plot(args: &str, plot: &Path) {
    let mut all: Vec<&str> = ["scale"].into_iter().chain(args.split(' ')).collect();
    all.extend(["--quiet", "--plot", plot.to_str().unwrap()]);
    let o = gearbox(&all);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn scale_draws_a_png_by_its_extension() {
    let png = scratch("scale-png").join("basel.png");
    scale_plot("basel --threads 1,2 --n 1e5,1e6 --repeat 2", &png);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "no PNG signature");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG header");
    let info = reader.info();
    // Two panels (speed-up and runtime) side by side, at twice the SVG's size.
    assert_eq!((info.width, info.height), (2480, 1120));
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader
        .next_frame(&mut pixels)
        .expect("PNG data that decodes");
    let pixels = &pixels[..frame.buffer_size()];
    // Drawn in the palette's first colour (Okabe–Ito blue), on white.
    let blue = pixels.chunks(3).filter(|p| *p == [0, 114, 178]).count();
    let white = pixels.chunks(3).filter(|p| *p == [255, 255, 255]).count();
    assert!(blue > 500, "{blue} blue pixels");
    assert!(white > pixels.len() / 6, "{white} white pixels");
}

#[test]
fn scale_plots_text_parameters_on_a_categorical_axis() {
    let svg = scratch("scale-categories").join("kempner.svg");
    scale_plot(
        "kempner --threads 1 --n 1e5 --exclude 9,42,314 --repeat 1",
        &svg,
    );
    let texts = svg_texts(&std::fs::read_to_string(&svg).unwrap());
    assert_has(
        &texts,
        &["Runtime against exclude", "9", "42", "314", "runtime (s)"],
    );
    assert!(
        texts.iter().any(|t| t.starts_with("exclude: ")),
        "no axis label in {texts:?}"
    );
    // One thread count: no speed-up panel.
    assert!(!texts.iter().any(|t| t == "Speed-up"), "{texts:?}");
}

#[test]
fn scale_refuses_a_plot_type_it_cannot_write() {
    let dir = scratch("scale-jpg");
    let jpg = dir.join("basel.jpg");
    let o = gearbox(&[
        "scale",
        "basel",
        "--n",
        "1e5",
        "--plot",
        jpg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(".svg or .png, not .jpg"), "{err}");
    assert!(!jpg.exists());
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
    gearbox_tests::state::wait_until_writing_under(child.id(), &dir);
    // SIGINT, as Ctrl-C sends it.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
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
