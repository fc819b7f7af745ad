//! One execution of a workload on a backend, the same for every front end:
//! running the right kind, timing it, and the outcome as typed values (as JSON:
//! [`crate::json`]).

use std::time::Instant;

use gearbox_core::dd::ulp_error;
use gearbox_core::plan::SlabPlan;
use gearbox_core::{ChunkPlan, Dd, GridLayout, Kind};

use crate::backend::{Monitor, OpenBackend, Phase};
use crate::grid::{GridOutcome, GridRequest, SLAB_ELEMENTS};
use crate::instance::Instance;

/// What a run produced.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A series: the value and, when known, the exact value.
    Series {
        /// The sum, rounded to f64.
        value: f64,
        /// The exact partial sum, when the workload knows it.
        exact: Option<f64>,
    },
    /// A grid: checksums, samples, and the outputs when they were kept (boxed:
    /// it is far larger than a series' two numbers).
    Grid(Box<GridOutcome>),
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Finished {
    /// The result.
    pub outcome: Outcome,
    /// Wall time of the run on the backend, in seconds.
    pub seconds: f64,
    /// Time per phase, the backend's own plus the host's.
    pub phases: Vec<Phase>,
}

/// Runs `instance` on `backend`, telling `monitor` the size of the job first
/// ([`Monitor::start`]) and its progress as it goes.
pub fn execute(
    backend: &OpenBackend,
    instance: &Instance<'_>,
    request: &GridRequest<'_>,
    monitor: &dyn Monitor,
) -> anyhow::Result<Finished> {
    match instance.info().kind {
        Kind::Series => {
            let (first, last) = instance.range()?;
            let plan = ChunkPlan::new(first, last);
            monitor.start(plan.len(), "chunks");
            let start = Instant::now();
            let run = backend.run_series(instance, &plan, monitor)?;
            let seconds = start.elapsed().as_secs_f64();
            Ok(Finished {
                outcome: Outcome::Series {
                    value: run.sum.to_f64(),
                    exact: instance.exact()?,
                },
                seconds,
                phases: run.phases,
            })
        }
        Kind::Grid => {
            let layout = instance.layout()?;
            let slabs = SlabPlan::new(layout.dims[0], layout.row_len(), SLAB_ELEMENTS);
            let need = working_memory(&layout, &slabs, backend.device.threads);
            crate::memory::ensure(
                &format!(
                    "{} on {} (grid {:?}; coordinate axes, per-slab sums{})",
                    instance.info().name,
                    backend.name,
                    layout.dims,
                    backend.device.threads.map_or(String::new(), |t| format!(
                        ", a slab buffer for each of {t} thread{}",
                        if t == 1 { "" } else { "s" }
                    ))
                ),
                need,
            )?;
            if let Some(dir) = &request.output_dir {
                crate::disk::ensure_for_npy(dir, layout.outputs.len(), &layout.dims)?;
            }
            monitor.start(slabs.len(), "slabs");
            let start = Instant::now();
            // Failures of the run itself already name the workload and backend.
            let outcome = backend.run_grid(instance, request, monitor)?;
            let seconds = start.elapsed().as_secs_f64();
            let phases = outcome.phases.clone();
            Ok(Finished {
                outcome: Outcome::Grid(Box::new(outcome)),
                seconds,
                phases,
            })
        }
    }
}

/// Memory a grid run needs besides its input files and kept outputs (checked where
/// they are read): the coordinate axes, the host's per-slab sums, and, on a CPU
/// backend (`threads`), one slab of every generated input and output per thread.
fn working_memory(layout: &GridLayout, slabs: &SlabPlan, threads: Option<usize>) -> u128 {
    let axes: u128 = layout
        .dims
        .iter()
        .take(layout.axes.len())
        .map(|&d| u128::from(d) * 8)
        .sum();
    let per_slab = std::mem::size_of::<Option<Vec<[Dd; 2]>>>()
        + layout.outputs.len() * std::mem::size_of::<[Dd; 2]>();
    let sums = u128::from(slabs.len()) * per_slab as u128;
    let slab_values = u128::from(slabs.rows) * u128::from(layout.row_len());
    let fields = (layout.inputs.len() + layout.outputs.len()) as u128;
    let buffers = threads.unwrap_or(0) as u128 * slab_values * fields * 8;
    axes + sums + buffers
}

impl Outcome {
    /// Error against the exact value in ulps, when one is known.
    pub fn error_ulps(&self) -> Option<f64> {
        match self {
            Outcome::Series {
                value,
                exact: Some(exact),
            } => Some(ulp_error(*value, *exact)),
            _ => None,
        }
    }
}
