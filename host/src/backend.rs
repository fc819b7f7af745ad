//! Running on a backend: an open backend library, the monitor a front end
//! passes in (progress, cancellation), per-phase times, and series runs.

use std::ffi::c_void;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gearbox_core::abi::{self, BackendVTable, ControlFfi, Handle, SeriesSum, Str};
use gearbox_core::backend::{call, check_threads};
use gearbox_core::plan::OrderedSum;
use gearbox_core::{BackendOptions, Cancelled, ChunkPlan, Dd, DeviceInfo, Kind};

use crate::crash::inside;
use crate::error::{ErrorKind, error, within};
use crate::instance::Instance;
use crate::loader::{BackendLib, read_json};

/// What the host does while a backend runs: progress display and cancellation.
pub trait Monitor: Sync {
    /// A run of `total` units of `unit` ("chunks" or "slabs") begins.
    fn start(&self, _total: u64, _unit: &str) {}
    /// `done` more units (chunks or slabs) finished.
    fn advance(&self, _done: u64) {}
    /// True once the user asked to stop.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A monitor that shows nothing and never cancels.
pub struct Silent;
impl Monitor for Silent {}

/// A Ctrl-C flag as a monitor.
impl Monitor for AtomicBool {
    fn cancelled(&self) -> bool {
        self.load(Ordering::Relaxed)
    }
}

/// Time spent in one phase of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Phase {
    /// Phase name: load, setup, compile (GPU shaders), generate, transfer, compute, reduce, write.
    pub name: String,
    /// Seconds.
    pub seconds: f64,
}

/// Host state behind a `ControlFfi`.
pub(crate) struct HostControl<'m> {
    monitor: &'m dyn Monitor,
    done: AtomicU64,
    phases: Mutex<Vec<Phase>>,
}

extern "C" fn control_advance(ctx: *const c_void, done: u64) {
    // SAFETY: `ctx` is the `HostControl` of the running call.
    let host = unsafe { &*(ctx as *const HostControl) };
    host.done.fetch_add(done, Ordering::Relaxed);
    host.monitor.advance(done);
}

extern "C" fn control_cancelled(ctx: *const c_void) -> bool {
    // SAFETY: as above.
    unsafe { &*(ctx as *const HostControl) }.monitor.cancelled()
}

extern "C" fn control_phase(ctx: *const c_void, name: Str, seconds: f64) {
    // SAFETY: as above; `name` is borrowed for the call.
    let (host, name) = unsafe { (&*(ctx as *const HostControl), name.as_str()) };
    let name = name.unwrap_or("(phase name not UTF-8)");
    let mut phases = host.phases.lock().unwrap_or_else(|p| p.into_inner());
    match phases.iter_mut().find(|p| p.name == name) {
        Some(p) => p.seconds += seconds,
        None => phases.push(Phase {
            name: name.to_string(),
            seconds,
        }),
    }
}

impl<'m> HostControl<'m> {
    pub(crate) fn new(monitor: &'m dyn Monitor) -> Self {
        HostControl {
            monitor,
            done: AtomicU64::new(0),
            phases: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn ffi(&self) -> ControlFfi {
        ControlFfi {
            ctx: self as *const HostControl as *const c_void,
            advance: control_advance,
            cancelled: control_cancelled,
            phase: control_phase,
        }
    }

    /// Units finished so far.
    pub(crate) fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    pub(crate) fn into_phases(self) -> Vec<Phase> {
        self.phases.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// A run that did not finish, with how far it got.
#[derive(Clone, Debug, thiserror::Error)]
#[error("stopped after {done} of {total} {unit}{}", partial.as_ref().map_or(String::new(), |p| format!("; {p}")))]
pub struct Interrupted {
    /// Units finished.
    pub done: u64,
    /// Units planned.
    pub total: u64,
    /// "chunks" or "slabs".
    pub unit: &'static str,
    /// Series: the sum of the leading terms the backend finished, when it says.
    pub partial: Option<PartialSum>,
}

/// The sum of the leading terms of a series that an interrupted run finished.
#[derive(Clone, Debug, PartialEq)]
pub struct PartialSum {
    /// Σ term(k) for k in `first..=last`, rounded to f64.
    pub value: f64,
    /// First index covered.
    pub first: u64,
    /// Last index covered (inclusive).
    pub last: u64,
}

impl std::fmt::Display for PartialSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the partial sum over k = {}..={} is {}",
            self.first,
            self.last,
            crate::decimal(self.value)
        )
    }
}

/// The result of a series run.
#[derive(Clone, Debug)]
pub struct SeriesOutcome {
    /// The compensated sum.
    pub sum: Dd,
    /// Time per phase reported by the backend.
    pub phases: Vec<Phase>,
}

/// An open backend, ready to run workloads.
pub struct OpenBackend {
    /// Backend name.
    pub name: String,
    /// What it runs on.
    pub device: DeviceInfo,
    /// The library it came from.
    pub path: std::path::PathBuf,
    handle: Handle,
    vtable: BackendVTable,
}

// SAFETY: the backend behind the handle is `Send + Sync` (the `Backend` bound).
unsafe impl Send for OpenBackend {}
// SAFETY: as above; every call takes the backend by shared reference.
unsafe impl Sync for OpenBackend {}

impl BackendLib {
    /// True when the backend reads option `name` (`"threads"`, `"adapter"`).
    pub fn takes(&self, name: &str) -> bool {
        self.info.options.iter().any(|o| o == name)
    }

    /// Refuses an option this backend does not read, and a thread count outside
    /// the one rule ([`check_threads`]).
    fn check_options(&self, options: &BackendOptions) -> anyhow::Result<()> {
        let given = [
            ("threads", options.threads.is_some()),
            ("adapter", options.adapter.is_some()),
        ];
        for (name, set) in given {
            if set && !self.takes(name) {
                let takes: Vec<String> =
                    self.info.options.iter().map(|o| format!("--{o}")).collect();
                return Err(crate::usage(format!(
                    "backend {} does not take --{name} (it takes {})",
                    self.info.name,
                    if takes.is_empty() {
                        "no options".into()
                    } else {
                        takes.join(", ")
                    }
                )));
            }
        }
        if let Some(threads) = options.threads {
            check_threads("--threads", threads).map_err(crate::usage)?;
        }
        Ok(())
    }

    /// Opens the backend, after checking `options` against what it reads ([`ErrorKind::Usage`]);
    /// a backend that cannot open (no GPU, say) is [`ErrorKind::Load`]. A `GEARBOX_CPU`
    /// this CPU cannot honour is refused first ([`crate::cpu_level`]).
    pub fn open(&self, options: &BackendOptions) -> anyhow::Result<OpenBackend> {
        crate::cpu_level()?;
        self.check_options(options)?;
        let json = serde_json::to_string(options)?;
        let mut handle: Handle = std::ptr::null_mut();
        inside(
            || format!("open of {}", self.path.display()),
            || call(|err| (self.vtable.open)(Str::new(&json), &mut handle, err)),
        )
        .map_err(|e| within(format!("backend {}", self.info.name), ErrorKind::Load, e))?;
        if handle.is_null() {
            return Err(error(
                ErrorKind::Plugin,
                format!("{}: open returned no backend", self.path.display()),
            ));
        }
        let vtable = self.vtable;
        let device: DeviceInfo = inside(
            || format!("device of {}", self.path.display()),
            || {
                read_json(&self.info.name, |out, err| {
                    (vtable.device)(handle, out, err)
                })
            },
        )
        .map_err(|e| crate::error::or_kind(ErrorKind::Plugin, e))?;
        Ok(OpenBackend {
            name: self.info.name.clone(),
            path: self.path.clone(),
            device,
            handle,
            vtable,
        })
    }
}

/// Chunks per series batch: a series is summed batch by batch, each batch on the
/// backend from zero, and the batch partials folded in plan order here. The batch
/// is also the unit MPI ranks are handed, so any split gives the same bits.
pub const SERIES_BATCH_CHUNKS: u64 = 1024;

/// A series run cut into canonical batches of [`SERIES_BATCH_CHUNKS`] chunks, for
/// front ends that hand batches out (gearbox-mpi); [`OpenBackend::run_series`]
/// folds all of them in order.
pub struct SeriesRun<'a> {
    backend: &'a OpenBackend,
    instance: &'a Instance<'a>,
    plan: ChunkPlan,
    host: HostControl<'a>,
    /// Where an interrupted batch stopped: its first chunk, the chunks it finished, their sum.
    cut: Mutex<Option<(u64, u64, Dd)>>,
}

impl SeriesRun<'_> {
    /// Number of batches.
    pub fn batches(&self) -> u64 {
        self.plan.len().div_ceil(SERIES_BATCH_CHUNKS)
    }

    /// Chunks in the whole run.
    pub fn chunks(&self) -> u64 {
        self.plan.len()
    }

    /// Chunks in batch `i`.
    pub fn batch_chunks(&self, i: u64) -> u64 {
        SERIES_BATCH_CHUNKS.min(self.plan.len() - i * SERIES_BATCH_CHUNKS)
    }

    /// The partial sum of batch `i`: its chunk partials folded in order from zero.
    /// Cancellation through the monitor gives an [`Interrupted`] error.
    pub fn batch(&self, i: u64) -> anyhow::Result<Dd> {
        let first = i * SERIES_BATCH_CHUNKS;
        let part = ChunkPlan::with_chunk_len(
            self.plan.chunk(first).first,
            self.plan.chunk(first + self.batch_chunks(i) - 1).last,
            self.plan.chunk_len,
        );
        let kernel = self.instance.kernel();
        let control = self.host.ffi();
        let mut out = SeriesSum::default();
        let result = inside(
            || self.backend.running(self.instance),
            || {
                call(|err| {
                    (self.backend.vtable.run_series)(
                        self.backend.handle,
                        &kernel,
                        &part,
                        &control,
                        &mut out,
                        err,
                    )
                })
            },
        );
        match result {
            Ok(_) if out.chunks == part.len() => Ok(out.sum),
            Ok(_) => Err(error(
                ErrorKind::Plugin,
                format!(
                    "backend {} summed {} of the {} chunks of a batch of {} and said it had finished",
                    self.backend.name,
                    out.chunks,
                    part.len(),
                    self.instance.info().name
                ),
            )),
            Err(e) if e.is::<Cancelled>() => {
                *self.cut.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((first, out.chunks.min(part.len()), out.sum));
                Err(Interrupted {
                    done: self.host.done(),
                    total: self.plan.len(),
                    unit: "chunks",
                    partial: None,
                }
                .into())
            }
            Err(e) => Err(self.backend.failed(self.instance, e)),
        }
    }

    /// `error` with the partial sum over every chunk finished before it, when the
    /// run was interrupted: `done` is the fold of the batches before the cut one.
    fn interrupted_with_partial(&self, error: anyhow::Error, done: Dd) -> anyhow::Error {
        let Some(mut interrupted) = error.downcast_ref::<Interrupted>().cloned() else {
            return error;
        };
        let cut = *self.cut.lock().unwrap_or_else(|p| p.into_inner());
        let (covered, sum) = match cut {
            Some((first, chunks, sum)) => (first + chunks, done + sum),
            None => return error,
        };
        interrupted.partial = (covered > 0).then(|| PartialSum {
            value: sum.to_f64(),
            first: self.plan.first,
            last: self.plan.chunk(covered - 1).last,
        });
        interrupted.into()
    }

    /// Time per phase reported by the backend over the batches run.
    pub fn into_phases(self) -> Vec<Phase> {
        self.host.into_phases()
    }
}

impl OpenBackend {
    /// Starts a series run of `instance` over `plan`, reporting to `monitor`.
    pub fn series_run<'a>(
        &'a self,
        instance: &'a Instance<'a>,
        plan: &ChunkPlan,
        monitor: &'a dyn Monitor,
    ) -> anyhow::Result<SeriesRun<'a>> {
        if instance.info().kind != Kind::Series {
            return Err(crate::usage(format!(
                "{} is not a series workload",
                instance.info().name
            )));
        }
        Ok(SeriesRun {
            backend: self,
            instance,
            plan: *plan,
            host: HostControl::new(monitor),
            cut: Mutex::new(None),
        })
    }

    /// Sums a series instance over `plan`: every batch, folded in plan order.
    /// Cancellation through `monitor` gives an [`Interrupted`] error.
    pub fn run_series(
        &self,
        instance: &Instance<'_>,
        plan: &ChunkPlan,
        monitor: &dyn Monitor,
    ) -> anyhow::Result<SeriesOutcome> {
        let run = self.series_run(instance, plan, monitor)?;
        let mut sum = OrderedSum::default();
        for i in 0..run.batches() {
            match run.batch(i) {
                Ok(batch) => sum.push(batch),
                Err(e) => return Err(run.interrupted_with_partial(e, sum.total())),
            }
        }
        Ok(SeriesOutcome {
            sum: sum.total(),
            phases: run.into_phases(),
        })
    }

    /// A run's failure, naming the workload and backend: the plugin's
    /// ([`ErrorKind::Plugin`]) unless it has a kind already.
    pub(crate) fn failed(&self, instance: &Instance<'_>, error: anyhow::Error) -> anyhow::Error {
        within(
            format!("{} on {}", instance.info().name, self.name),
            ErrorKind::Plugin,
            error,
        )
    }

    pub(crate) fn run_grid_raw(
        &self,
        instance: &Instance<'_>,
        job: &abi::GridJobFfi,
        host: &HostControl<'_>,
    ) -> anyhow::Result<()> {
        let control = host.ffi();
        let kernel = instance.kernel();
        inside(
            || self.running(instance),
            || call(|err| (self.vtable.run_grid)(self.handle, &kernel, job, &control, err)),
        )
        .map(drop)
    }

    /// "basel (libgearbox_basel.so) on rayon (libgearbox_backend_rayon.so)", for crash reports.
    fn running(&self, instance: &Instance<'_>) -> String {
        format!(
            "a run of {} ({}) on {} ({})",
            instance.info().name,
            instance.path().display(),
            self.name,
            self.path.display()
        )
    }
}
