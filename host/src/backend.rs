//! Running on a backend: an open backend library, the monitor a front end
//! passes in (progress, cancellation), per-phase times, and series runs.

use std::ffi::c_void;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::{anyhow, bail};
use gearbox_core::abi::{self, BackendVTable, ControlFfi, Handle, Str};
use gearbox_core::backend::call;
use gearbox_core::plan::OrderedSum;
use gearbox_core::{BackendOptions, Cancelled, ChunkPlan, Dd, DeviceInfo, Kind};

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
    /// Phase name: load, setup, generate, transfer, compute, reduce, write.
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
    // SAFETY: as above; `name` is UTF-8 borrowed for the call.
    let (host, name) = unsafe { (&*(ctx as *const HostControl), name.as_str()) };
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
#[derive(Debug, thiserror::Error)]
#[error("stopped after {done} of {total} {unit}")]
pub struct Interrupted {
    /// Units finished.
    pub done: u64,
    /// Units planned.
    pub total: u64,
    /// "chunks" or "slabs".
    pub unit: &'static str,
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
    handle: Handle,
    vtable: BackendVTable,
}

// SAFETY: the backend behind the handle is `Send + Sync` (the `Backend` bound).
unsafe impl Send for OpenBackend {}
// SAFETY: as above; every call takes the backend by shared reference.
unsafe impl Sync for OpenBackend {}

impl BackendLib {
    /// Opens the backend.
    pub fn open(&self, options: &BackendOptions) -> anyhow::Result<OpenBackend> {
        let json = serde_json::to_string(options)?;
        let mut handle: Handle = std::ptr::null_mut();
        call(|err| (self.vtable.open)(Str::new(&json), &mut handle, err))
            .map_err(|e| anyhow!("backend {}: {e:#}", self.info.name))?;
        let vtable = self.vtable;
        let device: DeviceInfo = read_json(&self.info.name, |out, err| {
            (vtable.device)(handle, out, err)
        })?;
        Ok(OpenBackend {
            name: self.info.name.clone(),
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
        let mut sum = Dd::ZERO;
        let result = call(|err| {
            (self.backend.vtable.run_series)(
                self.backend.handle,
                &kernel,
                &part,
                &control,
                &mut sum,
                err,
            )
        });
        match result {
            Ok(_) => Ok(sum),
            Err(e) if e.is::<Cancelled>() => Err(Interrupted {
                done: self.host.done(),
                total: self.plan.len(),
                unit: "chunks",
            }
            .into()),
            Err(e) => Err(anyhow!(
                "{} on {}: {e:#}",
                self.instance.info().name,
                self.backend.name
            )),
        }
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
            bail!("{} is not a series workload", instance.info().name);
        }
        Ok(SeriesRun {
            backend: self,
            instance,
            plan: *plan,
            host: HostControl::new(monitor),
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
            sum.push(run.batch(i)?);
        }
        Ok(SeriesOutcome {
            sum: sum.total(),
            phases: run.into_phases(),
        })
    }

    /// Runs a grid job the caller built with its own `deliver` (gearbox-mpi runs one
    /// rank's slabs this way); returns the backend's time per phase. Cancellation
    /// through `monitor` gives an [`Interrupted`] error.
    pub fn run_grid_job(
        &self,
        instance: &Instance<'_>,
        job: &abi::GridJobFfi,
        monitor: &dyn Monitor,
    ) -> anyhow::Result<Vec<Phase>> {
        let host = HostControl::new(monitor);
        match self.run_grid_raw(instance, job, &host) {
            Ok(()) => Ok(host.into_phases()),
            Err(e) if e.is::<Cancelled>() => Err(Interrupted {
                done: host.done(),
                total: job.slabs_end - job.slabs_first,
                unit: "slabs",
            }
            .into()),
            Err(e) => Err(anyhow!("{} on {}: {e:#}", instance.info().name, self.name)),
        }
    }

    pub(crate) fn run_grid_raw(
        &self,
        instance: &Instance<'_>,
        job: &abi::GridJobFfi,
        host: &HostControl<'_>,
    ) -> anyhow::Result<()> {
        let control = host.ffi();
        let kernel = instance.kernel();
        call(|err| (self.vtable.run_grid)(self.handle, &kernel, job, &control, err)).map(drop)
    }
}
