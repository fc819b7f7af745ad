//! A front end's side of a grid job as one safe trait, [`GridSink`] (as
//! ripgrep's searcher calls a `Sink`): where the inputs of a slab come from and
//! where its outputs go. The `extern "C"` callbacks a backend calls (`fetch`,
//! `release`, `deliver`) are written here once, for every front end (`gearbox`,
//! Python, gearbox-mpi); they check what the backend hands over before a sink
//! sees it: a slab of the job, delivered once, the right number of outputs, each
//! of the slab's length and non-null. They also capture the sample points and,
//! where the job has output memory ([`SinkJob::destination`]), copy into it what
//! a backend computed elsewhere.

use std::ffi::c_void;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::bail;
use gearbox_core::abi::{self, GridJobFfi, RawSlice, RawSliceMut, Sink};
use gearbox_core::plan::SlabPlan;
use gearbox_core::{Cancelled, GridLayout};

use crate::backend::{HostControl, Interrupted, Monitor, OpenBackend, Phase};
use crate::instance::Instance;

/// What a front end does with the slabs of a grid job. Called from the
/// backend's threads, in any order; each slab is delivered once.
pub trait GridSink: Sync {
    /// The input fields of canonical slab `slab`, in the layout's order, each of
    /// the slab's length, lent to the backend until [`GridSink::release`]`(slab)`.
    /// Only called for jobs with host inputs ([`SinkJob::host_inputs`]).
    fn fetch(&self, slab: u64) -> anyhow::Result<Vec<&[f64]>> {
        bail!("this job has no host inputs to fetch (slab {slab})")
    }

    /// The backend is done with the inputs of `slab`.
    fn release(&self, _slab: u64) {}

    /// The outputs of canonical slab `slab`, whose first element is element
    /// `offset` of the flattened grid. They are checked (a slab of the job, its
    /// first delivery, one slice per output of the slab's length) and already in
    /// the job's destination, where it has one.
    fn deliver(&self, slab: u64, offset: u64, outputs: &[&[f64]]) -> anyhow::Result<()>;
}

/// A grid job as a front end describes it to [`OpenBackend::run_grid_job`].
pub struct SinkJob<'a> {
    /// Shape and fields.
    pub layout: &'a GridLayout,
    /// The canonical slabs.
    pub plan: SlabPlan,
    /// The slabs of `plan` to run: all of them, or one MPI rank's share.
    pub slabs: Range<u64>,
    /// The coordinate axes, one slice per dimension the layout names.
    pub axes: &'a [&'a [f64]],
    /// True when the sink lends the inputs ([`GridSink::fetch`]); false when the
    /// workload generates them.
    pub host_inputs: bool,
    /// Memory to keep the outputs in, one slice of the grid's length per output:
    /// backends compute into it directly where they can; `None` when the outputs
    /// are only delivered (files, checksums).
    pub destination: Option<Vec<&'a mut [f64]>>,
    /// Flat indices of grid points whose outputs to capture ([`Delivered::samples`]).
    pub samples: &'a [u64],
}

/// What the delivery of a job gathered besides what its sink kept.
#[derive(Debug)]
pub struct Delivered {
    /// The outputs at each of [`SinkJob::samples`], where a slab of the job held it.
    pub samples: Vec<Option<Vec<f64>>>,
    /// The backend's time per phase.
    pub phases: Vec<Phase>,
}

/// The state behind the callbacks of one job.
struct Context<'a> {
    sink: &'a dyn GridSink,
    plan: SlabPlan,
    row_len: u64,
    n_inputs: usize,
    n_outputs: usize,
    slabs: Range<u64>,
    /// Per slab of `slabs`: delivered yet.
    delivered: Vec<AtomicBool>,
    samples: Vec<(u64, Mutex<Option<Vec<f64>>>)>,
    /// The job's destination, one slice per output (empty: none).
    destination: Vec<RawSliceMut>,
}

impl Context<'_> {
    /// Checks a delivery and hands it to the sink.
    ///
    /// # Safety
    /// `outputs` is null or points to `n` slice descriptors from the backend, each
    /// of which, when it is non-null and of the slab's length, is readable for the call.
    unsafe fn deliver(&self, slab: u64, outputs: *const RawSlice, n: usize) -> anyhow::Result<()> {
        if !self.slabs.contains(&slab) {
            bail!(
                "backend delivered slab {slab}, outside the job's slabs {:?}",
                self.slabs
            );
        }
        let rows = self.plan.slab(slab);
        let offset = rows.start * self.row_len;
        let len = ((rows.end - rows.start) * self.row_len) as usize;
        // Sizes are checked before any slice is made from the backend's pointers.
        let raw = if n == self.n_outputs && !outputs.is_null() {
            // SAFETY: guaranteed by the caller.
            unsafe { std::slice::from_raw_parts(outputs, n) }
        } else {
            &[]
        };
        if raw.len() != self.n_outputs || raw.iter().any(|o| o.len != len || o.ptr.is_null()) {
            bail!("backend delivered slab {slab} with wrong sizes");
        }
        if self.delivered[(slab - self.slabs.start) as usize].swap(true, Ordering::AcqRel) {
            bail!("backend delivered slab {slab} twice");
        }
        let mut outputs: Vec<&[f64]> = raw
            .iter()
            // SAFETY: each descriptor was checked to be a non-null slice of the slab's length.
            .map(|s| unsafe { std::slice::from_raw_parts(s.ptr, s.len) })
            .collect();
        for (kept, values) in self.destination.iter().zip(&mut outputs) {
            // SAFETY: the destination holds the grid, so the slab's range lies inside
            // it, and this slab was claimed above, once: the range is ours alone.
            let target =
                unsafe { std::slice::from_raw_parts_mut(kept.ptr.add(offset as usize), len) };
            if target.as_ptr() != values.as_ptr() {
                target.copy_from_slice(values);
            }
            *values = target;
        }
        for (index, values) in &self.samples {
            if (offset..offset + len as u64).contains(index) {
                let at = (index - offset) as usize;
                *values.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(outputs.iter().map(|o| o[at]).collect());
            }
        }
        self.sink.deliver(slab, offset, &outputs)
    }

    /// Lends the inputs of `slab` into `out`.
    fn fetch(&self, slab: u64, out: &mut [RawSlice]) -> anyhow::Result<()> {
        if slab >= self.plan.len() {
            bail!(
                "backend asked for the inputs of slab {slab} of {}",
                self.plan.len()
            );
        }
        let fields = self.sink.fetch(slab)?;
        if fields.len() != out.len() || out.len() != self.n_inputs {
            bail!(
                "backend asked for {} input fields, the grid has {}",
                out.len(),
                self.n_inputs
            );
        }
        for (o, field) in out.iter_mut().zip(fields) {
            *o = RawSlice::of(field);
        }
        Ok(())
    }
}

/// Reports `result` across the ABI.
fn status(result: anyhow::Result<()>, err: &Sink) -> i32 {
    match result {
        Ok(()) => abi::OK,
        Err(e) => {
            err.put(&format!("{e:#}"));
            abi::FAILED
        }
    }
}

extern "C" fn fetch(
    ctx: *const c_void,
    slab: u64,
    inputs: *mut RawSlice,
    n: usize,
    err: Sink,
) -> i32 {
    // SAFETY: `ctx` is the `Context` of the running job.
    let context = unsafe { &*(ctx as *const Context) };
    let out: &mut [RawSlice] = if inputs.is_null() {
        &mut []
    } else {
        // SAFETY: the backend gives room for `n` slices at `inputs`.
        unsafe { std::slice::from_raw_parts_mut(inputs, n) }
    };
    status(context.fetch(slab, out), &err)
}

extern "C" fn release(ctx: *const c_void, slab: u64) {
    // SAFETY: `ctx` is the `Context` of the running job.
    unsafe { &*(ctx as *const Context) }.sink.release(slab);
}

extern "C" fn deliver(
    ctx: *const c_void,
    slab: u64,
    outputs: *const RawSlice,
    n: usize,
    err: Sink,
) -> i32 {
    // SAFETY: `ctx` is the `Context` of the running job; `outputs` holds `n` slices
    // the backend lends for the call.
    let result = unsafe { (*(ctx as *const Context)).deliver(slab, outputs, n) };
    status(result, &err)
}

impl OpenBackend {
    /// Runs `job` on this backend, with `sink` lending its inputs and taking its
    /// outputs; every slab of `job.slabs` is delivered once, or this fails.
    /// Cancellation through `monitor` gives an [`Interrupted`] error.
    pub fn run_grid_job(
        &self,
        instance: &Instance<'_>,
        job: SinkJob<'_>,
        sink: &dyn GridSink,
        monitor: &dyn Monitor,
    ) -> anyhow::Result<Delivered> {
        let host = HostControl::new(monitor);
        let samples = self.deliver_through(instance, job, sink, &host)?;
        Ok(Delivered {
            samples,
            phases: host.into_phases(),
        })
    }

    /// [`OpenBackend::run_grid_job`] under the caller's `host` control; returns
    /// the samples, or an error already named after the workload and backend.
    pub(crate) fn deliver_through(
        &self,
        instance: &Instance<'_>,
        job: SinkJob<'_>,
        sink: &dyn GridSink,
        host: &HostControl<'_>,
    ) -> anyhow::Result<Vec<Option<Vec<f64>>>> {
        let layout = job.layout;
        let destination: Vec<RawSliceMut> = job
            .destination
            .unwrap_or_default()
            .into_iter()
            .map(|d| RawSliceMut {
                ptr: d.as_mut_ptr(),
                len: d.len(),
            })
            .collect();
        if !destination.is_empty()
            && (destination.len() != layout.outputs.len()
                || destination.iter().any(|d| d.len as u64 != layout.len()))
        {
            bail!("the output memory does not hold the grid's outputs");
        }
        let context = Context {
            sink,
            plan: job.plan,
            row_len: layout.row_len(),
            n_inputs: layout.inputs.len(),
            n_outputs: layout.outputs.len(),
            slabs: job.slabs.clone(),
            delivered: job.slabs.clone().map(|_| AtomicBool::new(false)).collect(),
            samples: job.samples.iter().map(|&p| (p, Mutex::new(None))).collect(),
            destination,
        };
        let axes: Vec<RawSlice> = job.axes.iter().map(|a| RawSlice::of(a)).collect();
        let raw = GridJobFfi {
            dims: layout.dims.as_ptr(),
            n_dims: layout.dims.len(),
            rows_per_slab: job.plan.rows,
            slabs_first: job.slabs.start,
            slabs_end: job.slabs.end,
            axes: axes.as_ptr(),
            n_axes: axes.len(),
            host_inputs: job.host_inputs,
            n_fields_in: layout.inputs.len(),
            n_fields_out: layout.outputs.len(),
            outputs: match context.destination.is_empty() {
                true => std::ptr::null(),
                false => context.destination.as_ptr(),
            },
            ctx: &context as *const Context as *const c_void,
            fetch,
            release,
            deliver,
        };
        let total = job.slabs.end - job.slabs.start;
        self.run_grid_raw(instance, &raw, host)
            .map_err(|e| self.run_error(instance, e, host.done(), total))?;
        if let Some(missing) = context
            .delivered
            .iter()
            .position(|d| !d.load(Ordering::Acquire))
        {
            bail!(
                "{} on {}: backend never delivered slab {}",
                instance.info().name,
                self.name,
                job.slabs.start + missing as u64
            );
        }
        Ok(context
            .samples
            .into_iter()
            .map(|(_, v)| v.into_inner().unwrap_or_else(|p| p.into_inner()))
            .collect())
    }

    /// A failed grid run's error: [`Interrupted`] when cancelled (`done` of
    /// `total` slabs finished), else named after the workload and backend.
    fn run_error(
        &self,
        instance: &Instance<'_>,
        e: anyhow::Error,
        done: u64,
        total: u64,
    ) -> anyhow::Error {
        match e.is::<Cancelled>() {
            true => Interrupted {
                done,
                total,
                unit: "slabs",
                partial: None,
            }
            .into(),
            false => self.failed(instance, e),
        }
    }
}
