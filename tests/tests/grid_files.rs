//! Grid files: .npy inputs in every layout gearbox accepts or refuses, malformed
//! headers, and output sets committed as one unit (through the real binary):
//! nothing left by a killed run, no mix from concurrent runs, no change from a
//! failed one, stale temporaries removed.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gearbox_host::grid::{GridOutcome, GridRequest};
use gearbox_host::kit::{self, ScratchDir};

/// The grid of these tests: 6 latitudes, 7 longitudes, 5 radii, laid out (nlat, nr, nlon).
const GRID: &str = "6x7x5";
const SHAPE: [u64; 3] = [6, 5, 7];

/// A `.npy` file with header `dict` (padded, version 1 or 2) and `data`.
fn write_raw(path: &Path, version: u8, dict: &str, data: &[u8]) {
    let mut dict = dict.to_string();
    let fixed = if version == 1 { 10 } else { 12 };
    let unpadded = fixed + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(data);
    std::fs::write(path, out).unwrap();
}

/// Writes `values` as dtype `descr` (`<f8`, `>f8`, `<f4` or `>f4`).
fn write_values(path: &Path, descr: &str, fortran: bool, shape: &[u64], values: &[f64]) {
    let data: Vec<u8> = values
        .iter()
        .flat_map(|&v| match descr {
            "<f8" => v.to_le_bytes().to_vec(),
            ">f8" => v.to_be_bytes().to_vec(),
            "<f4" => (v as f32).to_le_bytes().to_vec(),
            ">f4" => (v as f32).to_be_bytes().to_vec(),
            _ => unreachable!("{descr}"),
        })
        .collect();
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let shape = format!("({},)", dims.join(", "));
    let fortran = if fortran { "True" } else { "False" };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
    write_raw(path, 1, &dict, &data);
}

/// A value exactly representable in float32, so every dtype holds the same numbers.
fn value(i: u64) -> f64 {
    f64::from(((i * 2_654_435_761) % 2001) as f32 / 1000.0 - 1.0)
}

/// Writes the velocity inputs and axes of [`GRID`] to `dir` in dtype `descr`.
fn write_inputs(dir: &Path, descr: &str) {
    let axes = [
        ("latitude", 6u64, -75.0),
        ("radius", 5, 3500.0),
        ("longitude", 7, 10.0),
    ];
    for (name, n, start) in axes {
        let values: Vec<f64> = (0..n).map(|i| start + 25.0 * i as f64).collect();
        write_values(
            &dir.join(format!("{name}.npy")),
            descr,
            false,
            &[n],
            &values,
        );
    }
    let len: u64 = SHAPE.iter().product();
    for (f, name) in ["vlat", "vlon", "vrad"].iter().enumerate() {
        let values: Vec<f64> = (0..len).map(|i| value(i * 3 + f as u64)).collect();
        write_values(
            &dir.join(format!("{name}.npy")),
            descr,
            false,
            &SHAPE,
            &values,
        );
    }
}

fn run(backend: &str, dir: &Path) -> anyhow::Result<GridOutcome> {
    let backend = kit::open_backend(backend, &Default::default()).expect("backend opens");
    let request = GridRequest {
        input_dir: Some(dir.to_path_buf()),
        ..GridRequest::default()
    };
    kit::run_grid(&backend, "velocity", &[("grid", GRID)], &request).map(|(g, _)| g)
}

fn input_error(dir: &Path) -> String {
    let e = format!("{:#}", run("serial", dir).expect_err("the run should fail"));
    assert!(!e.contains('\n'), "not one line: {e}");
    e
}

#[test]
fn float32_and_big_endian_inputs_stream_as_their_float64_values() {
    let reference = ScratchDir::new("npy-f8");
    write_inputs(reference.path(), "<f8");
    let expected = run("serial", reference.path()).unwrap();
    assert!(expected.checksums.iter().all(|c| c.sum_sq > 0.0));
    for descr in [">f8", "<f4", ">f4"] {
        let dir = ScratchDir::new("npy-other");
        write_inputs(dir.path(), descr);
        for backend in ["serial", "rayon"] {
            let got = run(backend, dir.path()).unwrap();
            assert_eq!(got.checksums, expected.checksums, "{descr} on {backend}");
            assert_eq!(got.samples, expected.samples, "{descr} on {backend}");
        }
    }
}

#[test]
fn fortran_ordered_grids_are_refused_with_the_reason_and_vectors_accepted() {
    let dir = ScratchDir::new("npy-fortran");
    write_inputs(dir.path(), "<f8");
    // A 1-D axis is the same bytes in either order.
    let lat: Vec<f64> = (0..6).map(|i| -75.0 + 25.0 * f64::from(i)).collect();
    write_values(&dir.path().join("latitude.npy"), "<f8", true, &[6], &lat);
    run("serial", dir.path()).expect("a Fortran-ordered vector is read");
    let len: u64 = SHAPE.iter().product();
    let values: Vec<f64> = (0..len).map(value).collect();
    write_values(&dir.path().join("vlon.npy"), "<f8", true, &SHAPE, &values);
    let e = input_error(dir.path());
    assert!(
        e.contains("vlon.npy") && e.contains("Fortran-ordered") && e.contains("ascontiguousarray"),
        "{e}"
    );
}

#[test]
fn malformed_headers_and_directories_get_a_reason() {
    let dir = ScratchDir::new("npy-bad");
    write_inputs(dir.path(), "<f8");
    let vrad = dir.path().join("vrad.npy");
    let cases = [
        (
            1,
            "{'descr': '', 'fortran_order': False, 'shape': (6, 5, 7), }",
            "names no dtype",
        ),
        (
            1,
            "{'fortran_order': False, 'shape': (6, 5, 7), }",
            "names no dtype",
        ),
        (
            1,
            "{'descr': '<i8', 'fortran_order': False, 'shape': (6, 5, 7), }",
            "'<i8' is not float64 or float32",
        ),
        (
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (6, five, 7), }",
            "unreadable shape",
        ),
        (
            1,
            "{'descr': '<f8', 'shape': (6, 5, 7), }",
            "no fortran_order",
        ),
    ];
    for (version, dict, message) in cases {
        write_raw(&vrad, version, dict, &[0; 6 * 5 * 7 * 8]);
        let e = input_error(dir.path());
        assert!(e.contains("vrad.npy") && e.contains(message), "{dict}: {e}");
    }
    // A version 2 header whose length field says 4 GiB: refused before allocating.
    let mut huge = b"\x93NUMPY\x02\x00".to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&vrad, huge).unwrap();
    let e = input_error(dir.path());
    assert!(
        e.contains("header length 4294967295 is over the 65536-byte limit"),
        "{e}"
    );
    // Too few values for the header.
    write_raw(
        &vrad,
        2,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (6, 5, 7), }",
        &[0; 16],
    );
    assert!(input_error(dir.path()).contains("holds fewer than the 210 values"));
    // A directory where a file should be.
    std::fs::remove_file(&vrad).unwrap();
    std::fs::create_dir(&vrad).unwrap();
    let e = input_error(dir.path());
    assert!(
        e.contains("vrad.npy: is a directory, not a .npy file"),
        "{e}"
    );
}

/// Waits for `child` at most `secs` seconds, killing it (and failing) after that.
fn wait(mut child: Child, secs: u64) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("gearbox did not finish in {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Starts `gearbox run velocity --grid GRID --backend serial --quiet` followed by
/// `extra` (`--output DIR`, `--input DIR`), its stderr piped.
fn spawn_velocity(grid: &str, extra: &[&OsStr]) -> Child {
    Command::new(kit::target_dir().join("gearbox"))
        .args([
            "run",
            "velocity",
            "--grid",
            grid,
            "--backend",
            "serial",
            "--quiet",
        ])
        .args(extra)
        .env_remove("GEARBOX_PLUGIN_PATH")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn spawn_run(grid: &str, out: &Path) -> Child {
    spawn_velocity(grid, &["--output".as_ref(), out.as_os_str()])
}

/// A FIFO, a character device (through a symbolic link) and a socket where input
/// files should be: one line naming what each is, and nothing opened that could
/// block. The FIFO runs the real binary as a child that is killed after a generous
/// wait, so a regression (open(2) on a FIFO blocks until a writer comes) fails this
/// test instead of hanging it.
#[test]
fn non_regular_inputs_are_refused_without_blocking() {
    let dir = ScratchDir::new("npy-fifo");
    write_inputs(dir.path(), "<f8");
    let vlat = dir.path().join("vlat.npy");
    std::fs::remove_file(&vlat).unwrap();
    let c_path = std::ffi::CString::new(vlat.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path that outlives the call.
    let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo: {}", std::io::Error::last_os_error());
    let out = wait(
        spawn_velocity(GRID, &["--input".as_ref(), dir.path().as_os_str()]),
        60,
    );
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && out.status.code().is_some(),
        "{:?}: {message}",
        out.status
    );
    assert_eq!(
        message.trim_end().lines().count(),
        1,
        "not one line: {message}"
    );
    assert!(
        message.contains("vlat.npy: is a FIFO, not a regular .npy file"),
        "{message}"
    );

    std::fs::remove_file(&vlat).unwrap();
    std::os::unix::fs::symlink("/dev/null", &vlat).unwrap();
    let e = input_error(dir.path());
    assert!(
        e.contains("vlat.npy: is a character device, not a regular .npy file"),
        "{e}"
    );

    std::fs::remove_file(&vlat).unwrap();
    write_inputs(dir.path(), "<f8");
    let vrad = dir.path().join("vrad.npy");
    std::fs::remove_file(&vrad).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(&vrad).unwrap();
    let e = input_error(dir.path());
    assert!(
        e.contains("vrad.npy: is a socket, not a regular .npy file"),
        "{e}"
    );
}

/// Every entry of `dir` (hidden ones too) with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    entries.sort();
    entries
}

/// The shape in the header of the .npy file `path`.
fn shape_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let header = String::from_utf8_lossy(&bytes[..128]);
    let at = header.find("'shape': ").unwrap();
    header[at..].split(')').next().unwrap().to_string()
}

fn write_old_set(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let out = wait(spawn_run("4x5x6", dir), 30);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    snapshot(dir)
}

#[test]
fn a_killed_run_leaves_the_old_set_and_nothing_else() {
    let dir = ScratchDir::new("out-killed");
    let before = write_old_set(dir.path());
    assert_eq!(before.len(), 3);
    let child = spawn_run("2000x800x300", dir.path());
    gearbox_tests::state::wait_until_writing_under(child.id(), dir.path());
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = wait(child, 10);
    assert_eq!(out.status.code(), None, "killed by a signal");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn concurrent_runs_into_one_directory_never_mix() {
    let dir = ScratchDir::new("out-concurrent");
    let grids = ["30x40x50", "31x40x50", "32x40x50", "33x40x50"];
    let children: Vec<Child> = grids.iter().map(|g| spawn_run(g, dir.path())).collect();
    for child in children {
        let out = wait(child, 60);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let names: Vec<String> = snapshot(dir.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["vx.npy", "vy.npy", "vz.npy"]);
    let shapes: Vec<String> = names
        .iter()
        .map(|n| shape_of(&dir.path().join(n)))
        .collect();
    assert!(
        shapes.iter().all(|s| *s == shapes[0]),
        "mixed set: {shapes:?}"
    );
}

#[test]
fn a_run_failing_on_its_second_output_changes_nothing() {
    let dir = ScratchDir::new("out-second");
    write_old_set(dir.path());
    std::fs::remove_file(dir.path().join("vy.npy")).unwrap();
    std::fs::create_dir(dir.path().join("vy.npy")).unwrap();
    let before = snapshot(dir.path());
    let out = wait(spawn_run("5x5x5", dir.path()), 30);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("vy.npy: is a directory"), "{message}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn stale_temporaries_of_dead_processes_are_removed() {
    use gearbox_host::outputs::temp_path;
    let dir = ScratchDir::new("out-stale");
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    // No process has an id past the kernel's limit (at most 2²²).
    let never = i32::MAX as u32 - 1;
    let vx = dir.path().join("vx.npy");
    let name = |p: std::path::PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
    let stale = [
        // What a CLI or Python run killed without O_TMPFILE, or any gearbox-mpi
        // run killed before its commit (rank 0's id), leaves.
        name(temp_path(&vx, gone.id())),
        name(temp_path(&dir.path().join("vlat.npy"), never)),
        // Names of older versions: the CLI's, and gearbox-mpi's.
        format!(".vx.npy.gearbox-{never}.tmp"),
        format!(".vx.npy.mpi-{never}.tmp"),
    ];
    let kept = [
        name(temp_path(&vx, std::process::id())),
        // Another machine's (a shared directory): its owner cannot be checked here.
        format!(".vx.npy.gearbox-{never}@elsewhere.tmp"),
        // Not gearbox's.
        format!(".vx.npy.other-{never}.tmp"),
    ];
    for file in stale.iter().chain(&kept) {
        std::fs::write(dir.path().join(file), b"old").unwrap();
    }
    write_old_set(dir.path());
    for file in &stale {
        assert!(!dir.path().join(file).exists(), "stale {file} kept");
    }
    for file in &kept {
        assert!(dir.path().join(file).exists(), "{file} removed");
    }
}
