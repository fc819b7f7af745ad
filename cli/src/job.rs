//! One execution of a workload on a backend, shared by every command: opening
//! the backend, running the right kind, timing it, and the outcome as JSON.

use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::ArgMatches;
use gearbox_core::grid::{GridOutcome, GridRequest};
use gearbox_core::host::{Instance, Monitor, OpenBackend, Phase, Registry};
use gearbox_core::{BackendOptions, ChunkPlan, Kind, dd::ulp_error};
use serde_json::{Value, json};

use crate::failure::usage;
use crate::monitor::Progress;

/// What a run produced.
pub enum Outcome {
    /// A series: the value and, when known, the exact value.
    Series { value: f64, exact: Option<f64> },
    /// A grid: checksums and samples.
    Grid(GridOutcome),
}

/// A finished run.
pub struct Finished {
    /// The result.
    pub outcome: Outcome,
    /// Wall time of the run on the backend, in seconds.
    pub seconds: f64,
    /// Time per phase, the backend's own plus the host's.
    pub phases: Vec<Phase>,
}

/// Backend options from `--threads` and `--adapter`.
pub fn backend_options(matches: &ArgMatches) -> BackendOptions {
    BackendOptions {
        threads: matches
            .try_get_one::<u32>("threads")
            .ok()
            .flatten()
            .map(|&t| t as usize),
        adapter: matches
            .try_get_one::<String>("adapter")
            .ok()
            .flatten()
            .cloned(),
    }
}

/// Loads and opens backend `name`, returning it and the seconds it took.
pub fn open_backend(
    registry: &Registry,
    name: &str,
    options: &BackendOptions,
) -> anyhow::Result<(OpenBackend, f64)> {
    let start = Instant::now();
    let slot = registry.backend(name);
    let lib = slot
        .library
        .map_err(|why| anyhow!("backend {name} is unavailable: {why}"))?;
    let backend = lib.open(options)?;
    Ok((backend, start.elapsed().as_secs_f64()))
}

/// The grid files named on the command line.
pub fn grid_request(matches: &ArgMatches) -> GridRequest {
    GridRequest {
        input_dir: matches.try_get_one("input").ok().flatten().cloned(),
        output_dir: matches.try_get_one("output").ok().flatten().cloned(),
    }
}

/// "workload (param = value, …) on backend: device", the first line of a report.
pub fn headline(instance: &Instance<'_>, backend: &OpenBackend) -> String {
    let params: Vec<String> = instance
        .params
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    format!(
        "{} ({}) on {}: {}",
        instance.info().name,
        params.join(", "),
        backend.name,
        backend.device.device
    )
}

/// Makes an instance of `name` from the parameters in `matches`; bad values are usage errors.
pub fn instantiate<'r>(
    registry: &'r Registry,
    name: &str,
    matches: &ArgMatches,
) -> anyhow::Result<Instance<'r>> {
    let lib = registry
        .workload(name)
        .ok_or_else(|| usage(format!("unknown workload {name}")))?;
    let params = crate::args::params(lib, matches);
    lib.instantiate(params.iter().map(|(k, v)| (k.as_str(), *v)))
        .map_err(|e| usage(format!("{e:#}")))
}

/// Runs `instance` on `backend`, with a progress bar unless `quiet`.
pub fn execute(
    backend: &OpenBackend,
    instance: &Instance<'_>,
    request: &GridRequest,
    quiet: bool,
) -> anyhow::Result<Finished> {
    match instance.info().kind {
        Kind::Series => {
            let (first, last) = instance.range()?;
            let plan = ChunkPlan::new(first, last);
            let progress = Progress::new(plan.len(), "chunks", quiet);
            let start = Instant::now();
            let result = backend.run_series(instance, &plan, &progress as &dyn Monitor);
            progress.finish();
            let seconds = start.elapsed().as_secs_f64();
            let run = result?;
            let exact = instance.exact()?;
            Ok(Finished {
                outcome: Outcome::Series {
                    value: run.sum.to_f64(),
                    exact,
                },
                seconds,
                phases: run.phases,
            })
        }
        Kind::Grid => {
            let layout = instance.layout()?;
            let slabs = gearbox_core::plan::SlabPlan::new(
                layout.dims[0],
                layout.row_len(),
                gearbox_core::grid::SLAB_ELEMENTS,
            );
            let progress = Progress::new(slabs.len(), "slabs", quiet);
            let start = Instant::now();
            let result = backend.run_grid(instance, request, &progress as &dyn Monitor);
            progress.finish();
            let seconds = start.elapsed().as_secs_f64();
            let outcome =
                result.with_context(|| format!("{} on {}", instance.info().name, backend.name))?;
            let phases = outcome.phases.clone();
            Ok(Finished {
                outcome: Outcome::Grid(outcome),
                seconds,
                phases,
            })
        }
    }
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

    /// The outcome as JSON fields.
    pub fn to_json(&self) -> Value {
        match self {
            Outcome::Series { value, exact } => json!({
                "result": value,
                "exact": exact,
                "error_ulps": self.error_ulps(),
            }),
            Outcome::Grid(g) => json!({
                "grid": g.layout.dims,
                "checksums": g.checksums,
                "samples": g.samples.iter().map(|s| {
                    let mut point = serde_json::Map::new();
                    point.insert("index".into(), json!(s.index));
                    for (name, v) in g.layout.outputs.iter().zip(&s.values) {
                        point.insert(name.clone(), json!(v));
                    }
                    Value::Object(point)
                }).collect::<Vec<_>>(),
            }),
        }
    }
}
