//! The gearbox command's jobs (gearbox-cli's `job`), with the steps that must
//! agree across ranks checked on every rank and `execute` replaced by the
//! distributed run: same plan, same fold, work split over ranks.

use std::time::Instant;

use clap::ArgMatches;
use gearbox_core::plan::SlabPlan;
use gearbox_core::{BackendOptions, ChunkPlan, Kind};
use gearbox_host::grid::SLAB_ELEMENTS;
use gearbox_host::{Finished, GridRequest, Instance, Monitor, OpenBackend, Outcome, Registry};

use gearbox_cli::job::{self as cli_job, Jobs};
use gearbox_cli::monitor::Progress;

use crate::{grid, series, wire};

/// Jobs across the ranks: every rank takes each step; a failure anywhere fails everywhere.
pub struct Distributed;

impl Jobs for Distributed {
    fn instantiate<'r>(
        &self,
        registry: &'r Registry,
        name: &str,
        matches: &ArgMatches,
    ) -> anyhow::Result<Instance<'r>> {
        wire::agree(cli_job::instantiate(registry, name, matches))
    }

    fn open_backend(
        &self,
        registry: &Registry,
        name: &str,
        options: &BackendOptions,
    ) -> anyhow::Result<(OpenBackend, f64)> {
        wire::agree(cli_job::open_backend(registry, name, options))
    }

    /// Runs `instance` across all ranks, with rank 0's progress bar unless
    /// `--quiet`; every rank returns rank 0's result.
    fn execute(
        &self,
        backend: &OpenBackend,
        instance: &Instance<'_>,
        request: &GridRequest<'_>,
        matches: &ArgMatches,
    ) -> anyhow::Result<Finished> {
        let quiet = matches.get_flag("quiet") || wire::rank() != 0;
        let progress = Progress::new(quiet, matches.get_flag("yes"));
        let result = distributed(backend, instance, request, &progress);
        progress.finish();
        result
    }
}

fn distributed(
    backend: &OpenBackend,
    instance: &Instance<'_>,
    request: &GridRequest<'_>,
    monitor: &dyn Monitor,
) -> anyhow::Result<Finished> {
    let start = Instant::now();
    match instance.info().kind {
        Kind::Series => {
            let (first, last) = instance.range()?;
            let plan = ChunkPlan::new(first, last);
            monitor.start(plan.len(), "chunks");
            let run = series::run(backend, instance, &plan, monitor)?;
            Ok(Finished {
                outcome: Outcome::Series {
                    value: run.sum.to_f64(),
                    exact: instance.exact()?,
                },
                seconds: start.elapsed().as_secs_f64(),
                phases: run.phases,
            })
        }
        Kind::Grid => {
            let layout = instance.layout()?;
            let slabs = SlabPlan::new(layout.dims[0], layout.row_len(), SLAB_ELEMENTS);
            monitor.start(slabs.len(), "slabs");
            let outcome = grid::run(backend, instance, request, monitor)?;
            let phases = outcome.phases.clone();
            Ok(Finished {
                outcome: Outcome::Grid(Box::new(outcome)),
                seconds: start.elapsed().as_secs_f64(),
                phases,
            })
        }
    }
}
