//! The CPU driver shared by the serial and rayon backends. They differ only in
//! how they map a function over a range of work items ([`Executor`]); chunking,
//! ordered reduction, progress, cancellation and slab buffers live here once.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::{
    Backend, BackendOptions, Cancelled, CancelledWithSum, Control, DeviceInfo, GridJob, Kernel,
};
use crate::dd::Dd;
use crate::plan::{ChunkPlan, OrderedSum};

/// Chunks mapped between two ordered folds: bounds the memory of a run to
/// O(batch), whatever N, while keeping every worker busy.
const BATCH_CHUNKS: u64 = 1024;

/// How a CPU backend maps work over items.
pub trait Executor: Sync {
    /// `f(i)` for every `i` in `items`, results in item order.
    fn map<T: Send>(&self, items: Range<u64>, f: &(dyn Fn(u64) -> T + Sync)) -> Vec<T>;
}

/// A CPU backend: how it maps work ([`Executor`]), its name and its device. Its
/// [`Backend`] implementation — fixed chunks, ordered reduction, slabs, phase
/// timing — comes from this module, so CPU backends differ only where they should.
pub trait CpuBackend: Executor + Sized + Send + Sync + 'static {
    /// Name used with `--backend`.
    const NAME: &'static str;
    /// One line saying where it runs work.
    const ABOUT: &'static str;

    /// Opens the backend (starts its pool).
    fn open(options: &BackendOptions) -> anyhow::Result<Self>;

    /// What it runs on.
    fn device(&self) -> DeviceInfo;
}

impl<B: CpuBackend> Backend for B {
    const NAME: &'static str = <B as CpuBackend>::NAME;
    const ABOUT: &'static str = <B as CpuBackend>::ABOUT;
    const OPTIONS: &'static [&'static str] = &["threads"];

    fn open(options: &BackendOptions) -> anyhow::Result<Self> {
        <B as CpuBackend>::open(options)
    }

    fn device(&self) -> DeviceInfo {
        <B as CpuBackend>::device(self)
    }

    fn run_series(
        &self,
        kernel: &Kernel,
        plan: &ChunkPlan,
        control: &Control,
    ) -> anyhow::Result<Dd> {
        control.timed("compute", || run_series(self, kernel, plan, control))
    }

    fn run_grid(
        &self,
        kernel: &Kernel,
        job: &GridJob<'_>,
        control: &Control,
    ) -> anyhow::Result<()> {
        control.timed("compute", || run_grid(self, kernel, job, control))
    }
}

/// Sums a series over `plan`: chunk partials computed by `executor`, folded in
/// plan order, so the bits do not depend on the executor or its thread count.
/// A cancelled run returns the sum of the chunks finished before the first one
/// that was not ([`CancelledWithSum`]).
pub fn run_series(
    executor: &impl Executor,
    kernel: &Kernel,
    plan: &ChunkPlan,
    control: &Control,
) -> anyhow::Result<Dd> {
    let mut total = OrderedSum::default();
    let mut start = 0;
    while start < plan.len() {
        let end = (start + BATCH_CHUNKS).min(plan.len());
        let partials = executor.map(start..end, &|i| {
            control.check()?;
            let chunk = plan.chunk(i);
            let partial = kernel.partial_sum(chunk.first, chunk.last)?;
            control.advance(1);
            Ok::<_, anyhow::Error>(partial)
        });
        for (i, partial) in (start..).zip(partials) {
            match partial {
                Ok(partial) => total.push(partial),
                Err(e) if e.is::<Cancelled>() => {
                    let (sum, chunks) = (total.total(), i);
                    return Err(CancelledWithSum { sum, chunks }.into());
                }
                Err(e) => return Err(e),
            }
        }
        start = end;
    }
    Ok(total.total())
}

thread_local! {
    /// Per-thread slab buffers, reused from slab to slab (no page faults per slab).
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Most workers a CPU backend runs slabs on (its thread limit).
const MAX_WORKERS: u64 = 4096;

/// Runs the canonical slabs `job.slabs` of `job` on `executor`: inputs (the host's or
/// generated), the kernel's map, and delivery of the outputs. Workers claim slabs
/// in increasing order, so the host's read-ahead streams and at most one slab
/// per worker is in flight.
pub fn run_grid(
    executor: &impl Executor,
    kernel: &Kernel,
    job: &GridJob<'_>,
    control: &Control,
) -> anyhow::Result<()> {
    let next = AtomicU64::new(job.slabs.start);
    let workers = MAX_WORKERS.min(job.slabs.end - job.slabs.start);
    let results = executor.map(0..workers, &|_| {
        loop {
            let slab = next.fetch_add(1, Ordering::Relaxed);
            if slab >= job.slabs.end {
                return Ok(());
            }
            control.check()?;
            if let Err(e) = run_slab(kernel, job, slab) {
                // Stop the other workers too.
                next.store(job.slabs.end, Ordering::Relaxed);
                return Err(e);
            }
            control.advance(1);
        }
    });
    results.into_iter().collect()
}

/// One slab: its inputs, the kernel's map (straight into the host's memory where
/// it keeps the outputs, else into this thread's scratch), delivery.
fn run_slab(kernel: &Kernel, job: &GridJob<'_>, slab: u64) -> anyhow::Result<()> {
    let rows = job.plan.slab(slab);
    let len = job.elements(&rows).len();
    let fetched = job.fetch(slab)?;
    let destination = job.destination(slab);
    SCRATCH.with_borrow_mut(|scratch| {
        let generated_fields = if fetched.is_some() { 0 } else { job.n_inputs };
        let scratch_outputs = if destination.is_some() {
            0
        } else {
            job.n_outputs
        };
        scratch.resize((scratch_outputs + generated_fields) * len, 0.0);
        let (generated, outputs) = scratch.split_at_mut(generated_fields * len);
        let mut outputs: Vec<&mut [f64]> = match destination {
            Some(destination) => destination,
            None => outputs.chunks_mut(len.max(1)).collect(),
        };
        let inputs: Vec<&[f64]> = match &fetched {
            Some(inputs) => inputs.fields(),
            None => {
                let mut inputs: Vec<&mut [f64]> = generated.chunks_mut(len.max(1)).collect();
                kernel.fill_inputs(rows.clone(), &job.axes, &mut inputs)?;
                inputs.into_iter().map(|s| &*s).collect()
            }
        };
        kernel.map(rows.clone(), &job.axes, &inputs, &mut outputs)?;
        let outputs: Vec<&[f64]> = outputs.iter().map(|s| &**s).collect();
        job.deliver(slab, &outputs)
    })
}
