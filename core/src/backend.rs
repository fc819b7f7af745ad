//! The backend contract: where and how work runs. A backend implements each
//! workload kind once, against the safe views in this module ([`Kernel`],
//! [`Control`], [`GridJob`]), and is exported with
//! [`export_backend!`](crate::export_backend).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::abi::{
    self, ControlFfi, GridJobFfi, KernelFfi, RawSlice, RawSliceMut, Sink, SlabFfi, Str,
};
use crate::dd::Dd;
use crate::params::Params;
use crate::plan::{ChunkPlan, SlabPlan};
use crate::workload::{GridLayout, WorkloadInfo};

/// What a backend library says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// Name used with `--backend`.
    pub name: String,
    /// One line saying where it runs work.
    pub about: String,
    /// The [`BackendOptions`] it reads (`threads`, `adapter`); the host refuses the others.
    #[serde(default)]
    pub options: Vec<String>,
}

/// The most worker threads a CPU backend may be asked for: 256, or the number of
/// CPUs when there are more. One rule for `--threads`, `scale --threads` and
/// `RAYON_NUM_THREADS`: more threads than that only cost memory and start-up time.
pub fn max_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .max(256)
}

/// Checks a thread count against [`max_threads`]; `what` names where it came from.
pub fn check_threads(what: &str, threads: usize) -> Result<(), String> {
    let max = max_threads();
    if (1..=max).contains(&threads) {
        Ok(())
    } else {
        Err(format!(
            "{what} {threads}: a thread count is 1 to {max} (256, or the CPUs here if more)"
        ))
    }
}

/// How the user asked a backend to be opened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BackendOptions {
    /// Worker threads (CPU backends); `None`: the backend's default.
    pub threads: Option<usize>,
    /// Substring of the adapter name to pick (GPU backends).
    pub adapter: Option<String>,
}

/// What an open backend runs on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Human-readable device, e.g. "cpu, 2 threads" or an adapter name.
    pub device: String,
    /// Worker threads, for CPU backends.
    pub threads: Option<usize>,
}

/// The error a backend returns when the user cancelled the run.
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// A bug in a library rather than a refused input (status [`abi::BROKEN`] across
/// the ABI): a panic, or a parameter read that `params()` does not declare.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Broken(pub String);

/// A cancelled series run that still hands back what it finished: the sum of the
/// plan's first `chunks` chunks (return it instead of [`Cancelled`] when known).
#[derive(Debug, thiserror::Error)]
#[error("cancelled after the first {chunks} chunks")]
pub struct CancelledWithSum {
    /// Compensated sum of the chunks finished.
    pub sum: Dd,
    /// Number of leading chunks of the plan the sum covers.
    pub chunks: u64,
}

/// A backend. Implement it, then `gearbox_core::export_backend!(MyBackend);`.
pub trait Backend: Sized + Send + Sync + 'static {
    /// Name used with `--backend`.
    const NAME: &'static str;
    /// One line saying where it runs work.
    const ABOUT: &'static str;
    /// The [`BackendOptions`] fields it reads (`"threads"`, `"adapter"`); the host
    /// refuses the others, so no option is silently ignored.
    const OPTIONS: &'static [&'static str] = &[];

    /// Opens the backend (finds the device, starts the pool).
    fn open(options: &BackendOptions) -> anyhow::Result<Self>;

    /// What it runs on.
    fn device(&self) -> DeviceInfo;

    /// Sums the series `kernel` over `plan`. Partials must be combined so that the
    /// result does not depend on scheduling (CPU backends: [`crate::cpu`]).
    fn run_series(
        &self,
        kernel: &Kernel,
        plan: &ChunkPlan,
        control: &Control,
    ) -> anyhow::Result<Dd>;

    /// Computes the slabs `job.slabs` of `job` and hands each one's outputs to [`GridJob::deliver`].
    fn run_grid(&self, kernel: &Kernel, job: &GridJob<'_>, control: &Control)
    -> anyhow::Result<()>;
}

/// Runs `f`, turning an error (or a cancellation) into the ABI's status and message.
pub(crate) fn status_of(result: anyhow::Result<i32>, err: &Sink) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) if e.is::<Cancelled>() || e.is::<CancelledWithSum>() => abi::CANCELLED,
        Err(e) if e.is::<Broken>() => {
            err.put(&format!("{e:#}"));
            abi::BROKEN
        }
        Err(e) => {
            err.put(&format!("{e:#}"));
            abi::FAILED
        }
    }
}

/// Turns a status and message from across the boundary back into a `Result`.
pub(crate) fn result_of(code: i32, message: String) -> anyhow::Result<i32> {
    match code {
        abi::OK | abi::ABSENT => Ok(code),
        abi::CANCELLED => Err(Cancelled.into()),
        abi::BROKEN => Err(Broken(message).into()),
        _ if message.is_empty() => Err(anyhow::anyhow!("failed with status {code} and no message")),
        _ => Err(anyhow::anyhow!(message)),
    }
}

/// Calls an ABI function that reports errors through a sink (the calling side of
/// the ABI, used by gearbox-host).
pub fn call(f: impl FnOnce(Sink) -> i32) -> anyhow::Result<i32> {
    let mut message = String::new();
    let code = f(Sink::to_string(&mut message));
    result_of(code, message)
}

/// A workload instance as a backend sees it: the functions it may call.
pub struct Kernel {
    raw: KernelFfi,
}

// SAFETY: the instance behind the handle is `Send + Sync` (the `Workload` bound),
// and the vtable is plain function pointers.
unsafe impl Send for Kernel {}
// SAFETY: as above; every call takes the instance by shared reference.
unsafe impl Sync for Kernel {}

impl Kernel {
    /// Wraps a kernel received across the ABI (or made by the host from an instance).
    ///
    /// # Safety
    /// `raw` must point to a live instance and its library's vtable.
    pub unsafe fn from_raw(raw: KernelFfi) -> Kernel {
        Kernel { raw }
    }

    fn vtable(&self) -> &abi::WorkloadVTable {
        // SAFETY: the vtable outlives the kernel (libraries are never unloaded).
        unsafe { &*self.raw.vtable }
    }

    /// Series: the compensated partial sum of `first..=last`.
    pub fn partial_sum(&self, first: u64, last: u64) -> anyhow::Result<Dd> {
        let mut out = Dd::ZERO;
        call(|err| (self.vtable().series_partial)(self.raw.handle, first, last, &mut out, err))?;
        Ok(out)
    }

    /// What the workload says about itself (name, kind, declared parameters).
    pub fn info(&self) -> anyhow::Result<WorkloadInfo> {
        let mut text = String::new();
        call(|err| (self.vtable().describe)(Sink::to_string(&mut text), err))?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("malformed description from the workload: {e}"))
    }

    /// The workload's name, for messages.
    pub fn name(&self) -> anyhow::Result<String> {
        Ok(self.info()?.name)
    }

    /// The parameter values the instance was made from, with their declarations
    /// (GPU backends pass the numeric ones to the shader: [`crate::wgsl::params_uniform`]).
    pub fn params(&self) -> anyhow::Result<Params> {
        let mut text = String::new();
        call(|err| (self.vtable().params)(self.raw.handle, Sink::to_string(&mut text), err))?;
        let mut params: Params = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("malformed parameters from the workload: {e}"))?;
        params.specs = self.info()?.params;
        params.declare_uniform_values();
        Ok(params)
    }

    /// The workload's WGSL, if it has a GPU kernel.
    pub fn wgsl(&self) -> anyhow::Result<Option<String>> {
        let mut text = String::new();
        let code =
            call(|err| (self.vtable().wgsl)(self.raw.handle, Sink::to_string(&mut text), err))?;
        Ok((code == abi::OK).then_some(text))
    }

    /// Grid: the instance's shape and field names (GPU backends name their bindings after them).
    pub fn layout(&self) -> anyhow::Result<GridLayout> {
        let mut text = String::new();
        call(|err| (self.vtable().grid_layout)(self.raw.handle, Sink::to_string(&mut text), err))?;
        let layout: GridLayout = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("malformed grid layout from the workload: {e}"))?;
        layout.validate().map_err(anyhow::Error::msg)?;
        Ok(layout)
    }

    /// Grid: the table a GPU shader reads in place of axis `axis` (whose values are
    /// `values`), `width` values per axis point ([`GridLayout::axis_table_width`]).
    pub fn axis_table(&self, axis: usize, values: &[f64], width: u32) -> anyhow::Result<Vec<f64>> {
        let mut table = vec![0.0; values.len() * width as usize];
        let out = RawSliceMut {
            ptr: table.as_mut_ptr(),
            len: table.len(),
        };
        call(|err| {
            (self.vtable().grid_axis_table)(self.raw.handle, axis, RawSlice::of(values), out, err)
        })?;
        Ok(table)
    }

    /// Grid: generates the inputs of outer rows `rows`.
    pub fn fill_inputs(
        &self,
        rows: std::ops::Range<u64>,
        axes: &[&[f64]],
        inputs: &mut [&mut [f64]],
    ) -> anyhow::Result<()> {
        let ins: Vec<RawSliceMut> = inputs
            .iter_mut()
            .map(|s| RawSliceMut {
                ptr: s.as_mut_ptr(),
                len: s.len(),
            })
            .collect();
        self.call_slab(self.vtable().grid_fill, rows, axes, &ins, &[])
    }

    /// Grid: computes the outputs of outer rows `rows` from their inputs.
    pub fn map(
        &self,
        rows: std::ops::Range<u64>,
        axes: &[&[f64]],
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
    ) -> anyhow::Result<()> {
        // The callee only reads the inputs of `grid_map`.
        let ins: Vec<RawSliceMut> = inputs
            .iter()
            .map(|s| RawSliceMut {
                ptr: s.as_ptr() as *mut f64,
                len: s.len(),
            })
            .collect();
        let outs: Vec<RawSliceMut> = outputs
            .iter_mut()
            .map(|s| RawSliceMut {
                ptr: s.as_mut_ptr(),
                len: s.len(),
            })
            .collect();
        self.call_slab(self.vtable().grid_map, rows, axes, &ins, &outs)
    }

    fn call_slab(
        &self,
        f: extern "C" fn(abi::Handle, *const SlabFfi, Sink) -> i32,
        rows: std::ops::Range<u64>,
        axes: &[&[f64]],
        inputs: &[RawSliceMut],
        outputs: &[RawSliceMut],
    ) -> anyhow::Result<()> {
        let axes: Vec<RawSlice> = axes.iter().map(|a| RawSlice::of(a)).collect();
        let slab = SlabFfi {
            row_first: rows.start,
            row_end: rows.end,
            axes: axes.as_ptr(),
            n_axes: axes.len(),
            inputs: inputs.as_ptr(),
            n_inputs: inputs.len(),
            outputs: outputs.as_ptr(),
            n_outputs: outputs.len(),
        };
        call(|err| f(self.raw.handle, &slab, err)).map(drop)
    }
}

/// The host's side of a run, as a backend sees it.
pub struct Control {
    raw: ControlFfi,
}

// SAFETY: the host's control state is thread-safe (atomics) by contract.
unsafe impl Send for Control {}
// SAFETY: as above.
unsafe impl Sync for Control {}

impl Control {
    /// # Safety
    /// `raw.ctx` must be valid for the duration of the run and thread-safe.
    pub(crate) unsafe fn from_raw(raw: ControlFfi) -> Control {
        Control { raw }
    }

    /// Reports `done` more units (chunks or slabs) finished.
    pub fn advance(&self, done: u64) {
        (self.raw.advance)(self.raw.ctx, done);
    }

    /// `Err(Cancelled)` once the user asked to stop: call it between units of work.
    pub fn check(&self) -> Result<(), Cancelled> {
        if (self.raw.cancelled)(self.raw.ctx) {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Records `seconds` spent in phase `name`.
    pub fn record_phase(&self, name: &str, seconds: f64) {
        (self.raw.phase)(self.raw.ctx, Str::new(name), seconds);
    }

    /// Runs `f`, recording its wall time as phase `name`.
    pub fn timed<T>(&self, name: &str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.record_phase(name, start.elapsed().as_secs_f64());
        value
    }
}

/// A grid run as a backend sees it.
pub struct GridJob<'a> {
    /// Shape of the grid, outermost first.
    pub dims: &'a [u64],
    /// The canonical slabs: outputs are delivered slab by slab of this plan.
    pub plan: SlabPlan,
    /// The slabs of `plan` to run: all of them, or one MPI rank's share.
    pub slabs: std::ops::Range<u64>,
    /// Full coordinate axes.
    pub axes: Vec<&'a [f64]>,
    /// True when the host supplies the inputs ([`GridJob::fetch`]); otherwise the
    /// kernel generates them ([`Kernel::fill_inputs`]).
    pub host_inputs: bool,
    /// Number of input fields.
    pub n_inputs: usize,
    /// Number of output fields.
    pub n_outputs: usize,
    raw: &'a GridJobFfi,
    /// The host's output memory ([`GridJob::destination`]), one slice per output.
    outputs: Vec<RawSliceMut>,
    /// Per slab of the plan, whether its destination was handed out.
    taken: Vec<AtomicBool>,
}

// SAFETY: `fetch`, `release` and `deliver` are thread-safe by contract; the axes are
// shared reads; the output memory is handed out once per slab (`taken`).
unsafe impl Sync for GridJob<'_> {}

/// The host's input fields of one slab, lent until this is dropped.
pub struct SlabInputs<'j> {
    job: &'j GridJob<'j>,
    slab: u64,
    fields: Vec<RawSlice>,
}

impl SlabInputs<'_> {
    /// The input fields, in the layout's order, each the slab's length.
    pub fn fields(&self) -> Vec<&[f64]> {
        self.fields
            .iter()
            // SAFETY: the host keeps every field alive until `release`, which only
            // `drop` calls, and the returned slices borrow `self`.
            .map(|s| unsafe { std::slice::from_raw_parts(s.ptr, s.len) })
            .collect()
    }
}

impl Drop for SlabInputs<'_> {
    fn drop(&mut self) {
        (self.job.raw.release)(self.job.raw.ctx, self.slab);
    }
}

impl<'a> GridJob<'a> {
    /// # Safety
    /// Every pointer in `raw` must be valid for `'a`.
    pub(crate) unsafe fn from_raw(raw: &'a GridJobFfi) -> GridJob<'a> {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let dims = std::slice::from_raw_parts(raw.dims, raw.n_dims);
            let axes = if raw.n_axes == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(raw.axes, raw.n_axes)
                    .iter()
                    .map(|s| std::slice::from_raw_parts(s.ptr, s.len))
                    .collect()
            };
            let plan = SlabPlan {
                outer: dims[0],
                rows: raw.rows_per_slab.max(1),
            };
            let len = dims.iter().product::<u64>() as usize;
            let outputs: Vec<RawSliceMut> = if raw.outputs.is_null() {
                Vec::new()
            } else {
                std::slice::from_raw_parts(raw.outputs, raw.n_fields_out).to_vec()
            };
            // Output memory of the wrong size is not used (the host copies instead).
            let outputs = match outputs.iter().all(|o| o.len == len && !o.ptr.is_null()) {
                true => outputs,
                false => Vec::new(),
            };
            let taken = match outputs.is_empty() {
                true => Vec::new(),
                false => (0..plan.len()).map(|_| AtomicBool::new(false)).collect(),
            };
            GridJob {
                dims,
                plan,
                slabs: raw.slabs_first..raw.slabs_end,
                axes,
                host_inputs: raw.host_inputs,
                n_inputs: raw.n_fields_in,
                n_outputs: raw.n_fields_out,
                raw,
                outputs,
                taken,
            }
        }
    }

    /// Elements per outer row.
    pub fn row_len(&self) -> u64 {
        self.dims[1..].iter().product()
    }

    /// Element range (in the flattened grid) of outer rows `rows`.
    pub fn elements(&self, rows: &std::ops::Range<u64>) -> std::ops::Range<usize> {
        let r = self.row_len();
        (rows.start * r) as usize..(rows.end * r) as usize
    }

    /// The host's inputs of canonical slab `slab` (`None` when the kernel generates
    /// them). The host reads ahead in increasing slab order: fetch in that order.
    pub fn fetch(&self, slab: u64) -> anyhow::Result<Option<SlabInputs<'_>>> {
        if !self.host_inputs {
            return Ok(None);
        }
        let len = self.elements(&self.plan.slab(slab)).len();
        let mut fields = vec![
            RawSlice {
                ptr: std::ptr::null(),
                len: 0
            };
            self.n_inputs
        ];
        call(|err| (self.raw.fetch)(self.raw.ctx, slab, fields.as_mut_ptr(), fields.len(), err))?;
        let inputs = SlabInputs {
            job: self,
            slab,
            fields,
        };
        anyhow::ensure!(
            inputs
                .fields
                .iter()
                .all(|f| f.len == len && !f.ptr.is_null()),
            "the host lent slab {slab} with wrong sizes"
        );
        Ok(Some(inputs))
    }

    /// The host's own memory for the outputs of canonical slab `slab`, to compute
    /// them in place and then [`GridJob::deliver`] these same slices (the host then
    /// copies nothing). `None` when the host keeps no outputs in memory, or when
    /// this slab's memory was handed out before (each slab's, once).
    // Like a `split_at_mut` across threads: `taken` lets each slab's range out once.
    #[allow(clippy::mut_from_ref)]
    pub fn destination(&self, slab: u64) -> Option<Vec<&mut [f64]>> {
        let taken = self.taken.get(usize::try_from(slab).ok()?)?;
        if taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        let range = self.elements(&self.plan.slab(slab));
        Some(
            self.outputs
                .iter()
                // SAFETY: each output is a live slice of the grid's length (checked in
                // `from_raw`), the slab's range lies inside it, and `taken` hands each
                // slab's range out once, so no two `&mut` overlap.
                .map(|o| unsafe {
                    std::slice::from_raw_parts_mut(o.ptr.add(range.start), range.len())
                })
                .collect(),
        )
    }

    /// Hands the outputs of canonical slab `slab` to the host (checksums, files).
    pub fn deliver(&self, slab: u64, outputs: &[&[f64]]) -> anyhow::Result<()> {
        let outs: Vec<RawSlice> = outputs.iter().map(|s| RawSlice::of(s)).collect();
        call(|err| (self.raw.deliver)(self.raw.ctx, slab, outs.as_ptr(), outs.len(), err)).map(drop)
    }
}
