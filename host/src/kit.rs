//! The test kit: one way to cross-check a workload on every backend against a
//! reference. Plugin tests (gearbox's own and third-party ones) call it.
//!
//! ```no_run
//! use gearbox_host::kit;
//! // Σ 1/k² for k ≤ 1000 on serial, rayon and wgpu, within 1 ulp on CPUs and 4 on the GPU.
//! let exact = 1.643934566681559803;
//! kit::check_series("basel", &[("n", "1000")], exact, kit::Bound::ulps(1.0, 4.0));
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use gearbox_core::dd::ulp_error;
use gearbox_core::{BackendOptions, ChunkPlan, GridLayout};

use crate::agree;
use crate::grid::{GridOutcome, GridRequest};
use crate::npy;
use crate::{OpenBackend, Registry, Silent};

/// How far a backend's result may be from the reference.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// Maximum error on CPU backends, in ulps of the reference.
    pub cpu_ulps: f64,
    /// Maximum error on GPU backends, in ulps of the reference.
    pub gpu_ulps: f64,
}

impl Bound {
    /// A bound in ulps, one for CPU backends and one for GPU backends.
    pub fn ulps(cpu_ulps: f64, gpu_ulps: f64) -> Bound {
        Bound { cpu_ulps, gpu_ulps }
    }

    /// A bound given as an absolute error, converted to ulps of `reference`.
    pub fn absolute(reference: f64, cpu: f64, gpu: f64) -> Bound {
        let spacing = f64::from_bits(reference.abs().to_bits() + 1) - reference.abs();
        Bound {
            cpu_ulps: cpu / spacing,
            gpu_ulps: gpu / spacing,
        }
    }

    fn for_backend(&self, backend: &str) -> f64 {
        if is_gpu(backend) {
            self.gpu_ulps
        } else {
            self.cpu_ulps
        }
    }
}

/// One backend's result in a cross-check.
#[derive(Clone, Debug)]
pub struct Report {
    /// Backend name.
    pub backend: String,
    /// Device it ran on.
    pub device: String,
    /// The value computed.
    pub value: f64,
    /// Its error against the reference, in ulps.
    pub ulps: f64,
    /// Wall time of the run.
    pub seconds: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<8} {:<40} {:>24.17e} {:>8.2} ulp {:>9.4} s",
            self.backend, self.device, self.value, self.ulps, self.seconds
        )
    }
}

fn is_gpu(backend: &str) -> bool {
    backend == "wgpu"
}

/// The registry the kit uses: `GEARBOX_PLUGIN_PATH`, then the test binary's target directory.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::discover(&[]).unwrap_or_else(|e| panic!("gearbox libraries: {e:#}"))
    })
}

/// Opens backend `name`. A GPU backend with no usable adapter fails the test when
/// `CI=true`, and otherwise is skipped with a visible notice (`None`).
pub fn open_backend(name: &str, options: &BackendOptions) -> Option<OpenBackend> {
    let slot = registry().backend(name);
    let opened = slot
        .library
        .map_err(anyhow::Error::msg)
        .and_then(|lib| lib.open(options));
    match opened {
        Ok(backend) => Some(backend),
        Err(e) if is_gpu(name) && std::env::var("CI").as_deref() != Ok("true") => {
            // Written to stderr directly, not with eprintln!, so the test harness does not capture it.
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: skipping the {name} backend (no usable GPU adapter here): {e:#}"
            );
            None
        }
        Err(e) => panic!("backend {name} is unavailable: {e:#}"),
    }
}

/// Every backend the kit checks: serial, rayon, and wgpu where an adapter exists.
pub fn backends() -> &'static [OpenBackend] {
    static OPEN: OnceLock<Vec<OpenBackend>> = OnceLock::new();
    OPEN.get_or_init(|| {
        crate::loader::BUILTIN_BACKENDS
            .iter()
            .filter_map(|name| open_backend(name, &BackendOptions::default()))
            .collect()
    })
}

/// Sums series `workload` with `params` on `backend`, returning the value and its wall time.
pub fn run_series(
    backend: &OpenBackend,
    workload: &str,
    params: &[(&str, &str)],
) -> anyhow::Result<(f64, f64)> {
    let lib = registry()
        .workload(workload)
        .ok_or_else(|| anyhow::anyhow!("workload {workload} not found"))?;
    let instance = lib.instantiate(params.iter().copied())?;
    let (first, last) = instance.range()?;
    let start = Instant::now();
    let outcome = backend.run_series(&instance, &ChunkPlan::new(first, last), &Silent)?;
    Ok((outcome.sum.to_f64(), start.elapsed().as_secs_f64()))
}

/// Runs series `workload` on every available backend and asserts each result is
/// within `bound` of `reference`; prints one line per backend. Returns the reports.
pub fn check_series(
    workload: &str,
    params: &[(&str, &str)],
    reference: f64,
    bound: Bound,
) -> Vec<Report> {
    let reports: Vec<Report> = backends()
        .iter()
        .map(|backend| {
            let (value, seconds) = run_series(backend, workload, params)
                .unwrap_or_else(|e| panic!("{workload} {params:?} on {}: {e:#}", backend.name));
            Report {
                backend: backend.name.clone(),
                device: backend.device.device.clone(),
                value,
                ulps: ulp_error(value, reference),
                seconds,
            }
        })
        .collect();
    eprintln!("{workload} {params:?}: reference {reference:.17e}");
    for r in &reports {
        eprintln!("  {r}");
    }
    for r in &reports {
        let limit = bound.for_backend(&r.backend);
        assert!(
            r.ulps <= limit,
            "{workload} {params:?} on {}: {:.17e} is {:.2} ulp from the reference {reference:.17e} (bound {limit} ulp)",
            r.backend,
            r.value,
            r.ulps
        );
    }
    reports
}

/// Directory holding the built gearbox libraries next to the running test binary.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().expect("test binary directory");
    if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

// ---- grids ----

/// A directory under the system's temporary directory, removed with its contents
/// when dropped: for tests that pass `--input`/`--output` directories.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates a fresh, empty directory whose name starts with `label`.
    pub fn new(label: &str) -> ScratchDir {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("gearbox-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("{}: cannot create: {e}", path.display()));
        ScratchDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs grid `workload` with `params` on `backend`, reading inputs from and writing
/// outputs to the directories of `request`; returns the outcome and its wall time.
pub fn run_grid(
    backend: &OpenBackend,
    workload: &str,
    params: &[(&str, &str)],
    request: &GridRequest,
) -> anyhow::Result<(GridOutcome, f64)> {
    let lib = registry()
        .workload(workload)
        .ok_or_else(|| anyhow::anyhow!("workload {workload} not found"))?;
    let instance = lib.instantiate(params.iter().copied())?;
    let start = Instant::now();
    let outcome = backend.run_grid(&instance, request, &Silent)?;
    Ok((outcome, start.elapsed().as_secs_f64()))
}

/// The reference of [`check_grid`]: for a grid index, per output field in layout
/// order, the expected value and the unit its error is measured in.
pub type GridReference<'a> = dyn Fn(&[u64]) -> Vec<(f64, f64)> + Sync + 'a;

/// The worst element of one output field in [`check_grid`].
#[derive(Clone, Debug)]
pub struct FieldError {
    /// Output field.
    pub field: String,
    /// The largest |value − reference| / unit over the field.
    pub units: f64,
    /// Where it occurs (index along each dimension).
    pub index: Vec<u64>,
    /// The value computed there.
    pub value: f64,
    /// The reference there.
    pub reference: f64,
}

/// One backend's result in [`check_grid`].
#[derive(Clone, Debug)]
pub struct GridReport {
    /// Backend name.
    pub backend: String,
    /// Device it ran on.
    pub device: String,
    /// Wall time of the run (outputs written to `.npy` files included).
    pub seconds: f64,
    /// Checksums and samples, for comparing backends with each other.
    pub outcome: GridOutcome,
    /// The worst element of each output field.
    pub worst: Vec<FieldError>,
}

impl std::fmt::Display for GridReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<8} {:<40} {:>9.4} s",
            self.backend, self.device, self.seconds
        )?;
        for w in &self.worst {
            write!(f, "  {} {:.2} at {:?}", w.field, w.units, w.index)?;
        }
        Ok(())
    }
}

/// Runs grid `workload` on every available backend, with its inputs generated or
/// read from `input_dir` and its outputs written to `.npy` files, reads every output element back and checks it against
/// `reference(index)`, which returns, per output field in layout order, the
/// reference value and the unit its error is measured in (its ulp, or a scale of
/// the terms where the value cancels). `bound` is the allowed error in those units
/// on CPU and GPU backends. Each backend's checksums must also agree with serial's
/// within the bound of [`crate::agree`], as `gearbox compare` requires. Prints
/// one line per backend; returns the reports.
pub fn check_grid(
    workload: &str,
    params: &[(&str, &str)],
    input_dir: Option<&std::path::Path>,
    reference: &GridReference<'_>,
    bound: Bound,
) -> Vec<GridReport> {
    let reports: Vec<GridReport> = backends()
        .iter()
        .map(|backend| {
            let dir = ScratchDir::new(workload);
            let request = GridRequest {
                input_dir: input_dir.map(std::path::Path::to_path_buf),
                output_dir: Some(dir.path().to_path_buf()),
                ..Default::default()
            };
            let (outcome, seconds) = run_grid(backend, workload, params, &request)
                .unwrap_or_else(|e| panic!("{workload} {params:?} on {}: {e:#}", backend.name));
            let worst = compare_fields(&outcome.layout, dir.path(), reference)
                .unwrap_or_else(|e| panic!("{workload} {params:?} on {}: {e:#}", backend.name));
            GridReport {
                backend: backend.name.clone(),
                device: backend.device.device.clone(),
                seconds,
                outcome,
                worst,
            }
        })
        .collect();
    eprintln!("{workload} {params:?}:");
    for r in &reports {
        eprintln!("  {r}");
    }
    for r in &reports {
        let limit = bound.for_backend(&r.backend);
        for w in &r.worst {
            assert!(
                w.units <= limit,
                "{workload} {params:?} on {}: {} at {:?} is {:.17e}, reference {:.17e}: {:.2} units off (bound {limit})",
                r.backend,
                w.field,
                w.index,
                w.value,
                w.reference,
                w.units
            );
        }
    }
    // Every backend's checksums against serial's, within the bound `gearbox
    // compare` applies (the workload's error scales).
    if let Some(serial) = reports.iter().find(|r| r.backend == "serial") {
        for r in &reports {
            let agreement = agree::grid(
                &serial.outcome.layout,
                &serial.outcome.checksums,
                &r.outcome.checksums,
                is_gpu(&r.backend),
            );
            assert!(
                agreement.agrees(),
                "{workload} {params:?} on {}: checksums {:?} disagree with serial's {:?} ({agreement:?})",
                r.backend,
                r.outcome.checksums,
                serial.outcome.checksums
            );
        }
    }
    reports
}

/// Reads every output of `layout` from `dir` and finds each field's worst element.
fn compare_fields(
    layout: &GridLayout,
    dir: &std::path::Path,
    reference: &GridReference<'_>,
) -> anyhow::Result<Vec<FieldError>> {
    let fields: Vec<Vec<f64>> = layout
        .outputs
        .iter()
        .map(|name| npy::read(&dir.join(format!("{name}.npy")), &layout.dims))
        .collect::<anyhow::Result<_>>()?;
    let mut worst: Vec<FieldError> = layout
        .outputs
        .iter()
        .map(|name| FieldError {
            field: name.clone(),
            units: f64::NEG_INFINITY,
            index: vec![0; layout.dims.len()],
            value: f64::NAN,
            reference: f64::NAN,
        })
        .collect();
    let mut index = vec![0u64; layout.dims.len()];
    for flat in 0..layout.len() as usize {
        let expected = reference(&index);
        anyhow::ensure!(
            expected.len() == fields.len(),
            "the reference gave {} values for {} output fields",
            expected.len(),
            fields.len()
        );
        for ((field, w), (value, unit)) in fields.iter().zip(&mut worst).zip(expected) {
            let got = field[flat];
            // NaN anywhere counts as infinitely wrong.
            let units = if got == value {
                0.0
            } else {
                let e = (got - value).abs() / unit;
                if e.is_nan() { f64::INFINITY } else { e }
            };
            if units > w.units {
                *w = FieldError {
                    field: w.field.clone(),
                    units,
                    index: index.clone(),
                    value: got,
                    reference: value,
                };
            }
        }
        // Next index in C order.
        for (i, &d) in index.iter_mut().zip(&layout.dims).rev() {
            *i += 1;
            if *i < d {
                break;
            }
            *i = 0;
        }
    }
    Ok(worst)
}
