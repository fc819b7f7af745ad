//! What a cluster front end (`gearbox.dask`, `gearbox.ray`) needs to cut a run
//! into pieces that workers run: a series' canonical batches (those gearbox-mpi
//! hands out), each batch's partial sum, their fold in batch order, and a grid's
//! layout with the parameter that sets its shape (to run a block of rows).

use std::time::Instant;

use gearbox_core::plan::OrderedSum;
use gearbox_core::{BackendOptions, ChunkPlan, Dd, Kind};
use gearbox_host::{Finished, Instance, Outcome, Phase, SERIES_BATCH_CHUNKS, json};
use pyo3::prelude::*;

use crate::error::Failure;
use crate::session::Session;
use crate::worker;

/// A batch partial as it crosses the wire: the double-double's (hi, lo).
type Partial = (f64, f64);

/// `instance`, refused unless it is a series.
fn series<'s>(instance: Instance<'s>) -> Result<Instance<'s>, Failure> {
    match instance.info().kind {
        Kind::Series => Ok(instance),
        Kind::Grid => Err(Failure::Value(format!(
            "{} is a grid workload, not a series",
            instance.info().name
        ))),
    }
}

/// The canonical plan of a series instance.
fn plan(instance: &Instance<'_>) -> Result<ChunkPlan, Failure> {
    let (first, last) = instance.range().map_err(Failure::value)?;
    Ok(ChunkPlan::new(first, last))
}

/// The folded value of `partials` in batch order, as a series outcome.
fn outcome(instance: &Instance<'_>, partials: &[Partial]) -> Result<Outcome, Failure> {
    let mut sum = OrderedSum::default();
    for &(hi, lo) in partials {
        sum.push(Dd { hi, lo });
    }
    Ok(Outcome::Series {
        value: sum.total().to_f64(),
        exact: instance.exact().map_err(Failure::value)?,
    })
}

/// Number of canonical batches of the series `workload` with `params`.
#[pyfunction]
pub fn series_batches(
    session: &Bound<'_, Session>,
    workload: &str,
    params: Vec<(String, String)>,
) -> PyResult<u64> {
    let instance = series(session.get().instance(workload, &params)?)?;
    Ok(plan(&instance)?.len().div_ceil(SERIES_BATCH_CHUNKS))
}

/// Sums batches `first..end` of the series without the GIL: the run's JSON
/// document for these batches alone, and each batch's partial (hi, lo).
#[pyfunction]
#[pyo3(signature = (session, workload, params, first, end, backend, threads=None, adapter=None))]
#[allow(clippy::too_many_arguments)]
pub fn series_partials(
    py: Python<'_>,
    session: &Bound<'_, Session>,
    workload: &str,
    params: Vec<(String, String)>,
    first: u64,
    end: u64,
    backend: &str,
    threads: Option<usize>,
    adapter: Option<String>,
) -> PyResult<(String, Vec<Partial>)> {
    let session = session.get();
    let options = BackendOptions { threads, adapter };
    worker::run(py, None, |cancel| {
        let instance = series(session.instance(workload, &params)?)?;
        let plan = plan(&instance)?;
        let (backend, load) = session.open(backend, &options)?;
        let start = Instant::now();
        let run = backend
            .series_run(&instance, &plan, cancel)
            .map_err(Failure::run)?;
        if first > end || end > run.batches() {
            return Err(Failure::Value(format!(
                "batches {first}..{end}: the series has {} batches",
                run.batches()
            )));
        }
        let partials = (first..end)
            .map(|i| run.batch(i).map(|p| (p.hi, p.lo)))
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(Failure::of_run)?;
        let mut phases = run.into_phases();
        phases.insert(
            0,
            Phase {
                name: "load".into(),
                seconds: load,
            },
        );
        let finished = Finished {
            outcome: outcome(&instance, &partials)?,
            seconds: start.elapsed().as_secs_f64(),
            phases,
        };
        let record = json::document("run", json::run(&instance, &backend, &finished));
        Ok((record.to_string(), partials))
    })
}

/// The result of the whole series (`{value, exact, error_ulps}` as JSON) from
/// every batch's partial, folded in batch order as one process folds them.
#[pyfunction]
pub fn series_fold(
    session: &Bound<'_, Session>,
    workload: &str,
    params: Vec<(String, String)>,
    partials: Vec<Partial>,
) -> PyResult<String> {
    let instance = series(session.get().instance(workload, &params)?)?;
    let batches = plan(&instance)?.len().div_ceil(SERIES_BATCH_CHUNKS);
    if partials.len() as u64 != batches {
        return Err(Failure::Value(format!(
            "{} partials for a series of {batches} batches",
            partials.len()
        ))
        .into());
    }
    Ok(json::outcome(&outcome(&instance, &partials)?).to_string())
}

/// The layout of the grid `workload` with `params` (dims, axes, inputs, outputs),
/// and how to ask for other dims: the parameter that sets them, and for each
/// number in its text ("AxBxC", or N for one dimension), the dimension it sets
/// (velocity's `grid` is lat x lon x r, its dims lat, r, lon). Found by trying
/// each parameter with distinct numbers and reading the layout they give.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn grid_layout(
    session: &Bound<'_, Session>,
    workload: &str,
    params: Vec<(String, String)>,
) -> PyResult<(
    Vec<u64>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Option<(String, Vec<usize>)>,
)> {
    let session = session.get();
    let instance = session.instance(workload, &params)?;
    if instance.info().kind != Kind::Grid {
        return Err(Failure::Value(format!("{workload} is a series workload, not a grid")).into());
    }
    let layout = instance.layout().map_err(Failure::value)?;
    let probe: Vec<u64> = PRIMES[..layout.dims.len().min(PRIMES.len())].to_vec();
    let text = probe
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("x");
    let sets_dims = instance.info().params.iter().find_map(|spec| {
        let mut given: Vec<(String, String)> = params
            .iter()
            .filter(|(n, _)| *n != spec.name)
            .cloned()
            .collect();
        given.push((spec.name.clone(), text.clone()));
        let dims = session.instance(workload, &given).ok()?.layout().ok()?.dims;
        let order: Option<Vec<usize>> = probe
            .iter()
            .map(|p| dims.iter().position(|d| d == p))
            .collect();
        order
            .filter(|o| o.len() == dims.len())
            .map(|o| (spec.name.clone(), o))
    });
    Ok((
        layout.dims,
        layout.axes,
        layout.inputs,
        layout.outputs,
        sets_dims,
    ))
}

/// Distinct sizes to tell the dimensions apart when probing (grids have at most a few).
const PRIMES: [u64; 6] = [2, 3, 5, 7, 11, 13];
