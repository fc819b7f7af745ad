//! A `Session`: the libraries found in one set of directories, the backends
//! opened so far (kept open, so a notebook's tenth run does not start a thread
//! pool or a GPU device again), and runs.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use gearbox_core::BackendOptions;
use gearbox_host::{GridRequest, Interrupted, OpenBackend, Outcome, Phase, Registry, json};
use numpy::PyArrayDyn;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{self, Input};
use crate::error::Failure;
use crate::worker;

/// Options a backend was opened with: name, threads, adapter.
type BackendKey = (String, Option<usize>, Option<String>);

/// Libraries found in the search directories, and the backends opened from them.
#[pyclass(frozen, module = "gearbox._gearbox")]
pub struct Session {
    registry: Registry,
    open: Mutex<Vec<(BackendKey, Arc<OpenBackend>)>>,
    backends_json: OnceLock<String>,
}

/// A finished run for Python: its schema-1 JSON, output names and fields.
struct Done {
    record: String,
    dims: Vec<u64>,
    names: Vec<String>,
    fields: Vec<Vec<f64>>,
}

/// What Python asked to run.
struct Job<'a> {
    workload: &'a str,
    params: Vec<(String, String)>,
    arrays: Vec<Input<'a>>,
    backend: &'a str,
    options: BackendOptions,
}

impl Session {
    /// The open backend for `key`, opening it the first time; with the seconds that took.
    fn backend(&self, key: BackendKey) -> anyhow::Result<(Arc<OpenBackend>, f64)> {
        let start = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, b)) = open.iter().find(|(k, _)| *k == key) {
            return Ok((b.clone(), start.elapsed().as_secs_f64()));
        }
        let options = BackendOptions {
            threads: key.1,
            adapter: key.2.clone(),
        };
        let backend = Arc::new(self.registry.open_backend(&key.0, &options)?);
        open.push((key, backend.clone()));
        Ok((backend, start.elapsed().as_secs_f64()))
    }

    /// Runs `job` (on the worker thread), polling `cancel`.
    fn execute(&self, job: &Job<'_>, cancel: &AtomicBool) -> Result<Done, Failure> {
        let lib = self.registry.workload(job.workload).ok_or_else(|| {
            let known: Vec<&str> = self
                .registry
                .workloads
                .iter()
                .map(|w| w.info.name.as_str())
                .collect();
            Failure::Value(format!(
                "unknown workload {} (found: {})",
                job.workload,
                known.join(", ")
            ))
        })?;
        let declared: Vec<&str> = lib.info.params.iter().map(|p| p.name.as_str()).collect();
        if let Some((name, _)) = job
            .params
            .iter()
            .find(|(n, _)| !declared.contains(&n.as_str()))
        {
            return Err(Failure::Type(format!(
                "{}: unknown parameter {name} (it takes {})",
                job.workload,
                declared.join(", ")
            )));
        }
        let instance = lib
            .instantiate(job.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(Failure::value)?;
        let mut request = GridRequest::default();
        if lib.info.kind == gearbox_core::Kind::Grid {
            let layout = instance.layout().map_err(Failure::value)?;
            let about = format!("{} (grid {:?})", job.workload, layout.dims);
            request.arrays = arrays::grid_arrays(&about, &layout, &job.arrays)?;
            request.keep_outputs = true;
        } else if let Some(array) = job.arrays.first() {
            return Err(Failure::Type(format!(
                "{}: unexpected array {} (a series takes no arrays)",
                job.workload, array.name
            )));
        }
        if !self
            .registry
            .backend_names()
            .iter()
            .any(|b| b == job.backend)
        {
            return Err(Failure::Value(format!(
                "unknown backend {} (found: {})",
                job.backend,
                self.registry.backend_names().join(", ")
            )));
        }
        let key = (
            job.backend.to_string(),
            job.options.threads,
            job.options.adapter.clone(),
        );
        let (backend, load) = self.backend(key).map_err(Failure::run)?;
        let mut finished =
            gearbox_host::execute(&backend, &instance, &request, cancel).map_err(|e| {
                match e.downcast_ref::<Interrupted>() {
                    Some(_) => Failure::Run(format!("{e:#} (cancelled)")),
                    None => Failure::run(e),
                }
            })?;
        finished.phases.insert(
            0,
            Phase {
                name: "load".into(),
                seconds: load,
            },
        );
        let record = json::document("run", json::run(&instance, &backend, &finished)).to_string();
        Ok(match finished.outcome {
            Outcome::Grid(grid) => Done {
                record,
                dims: grid.layout.dims,
                names: grid.layout.outputs,
                fields: grid.arrays,
            },
            Outcome::Series { .. } => Done {
                record,
                dims: Vec::new(),
                names: Vec::new(),
                fields: Vec::new(),
            },
        })
    }
}

#[pymethods]
impl Session {
    /// Finds the libraries in `plugin_dirs`, then `GEARBOX_PLUGIN_PATH`, then `bundled`.
    #[new]
    fn new(plugin_dirs: Vec<PathBuf>, bundled: PathBuf) -> PyResult<Self> {
        if let Some(dir) = plugin_dirs.iter().find(|d| !d.is_dir()) {
            return Err(PyValueError::new_err(format!(
                "plugin_dirs: {}: no such directory",
                dir.display()
            )));
        }
        Ok(Session {
            registry: Registry::discover_bundled(&plugin_dirs, &bundled),
            open: Mutex::new(Vec::new()),
            backends_json: OnceLock::new(),
        })
    }

    /// The directories searched, in order.
    #[getter]
    fn search_dirs(&self) -> Vec<PathBuf> {
        self.registry.dirs.clone()
    }

    /// Libraries that were found but could not be used, one line each.
    #[getter]
    fn problems(&self) -> Vec<String> {
        self.registry.problems.clone()
    }

    /// Every backend as a JSON list (docs/JSON.md), opened once to show its device.
    fn backends(&self, py: Python<'_>) -> String {
        py.detach(|| {
            self.backends_json
                .get_or_init(|| {
                    let all: Vec<_> = self
                        .registry
                        .backend_names()
                        .iter()
                        .map(|name| json::backend(&self.registry, name))
                        .collect();
                    serde_json::Value::from(all).to_string()
                })
                .clone()
        })
    }

    /// Every workload as a JSON list (docs/JSON.md).
    fn workloads(&self) -> String {
        let all: Vec<_> = self.registry.workloads.iter().map(json::workload).collect();
        serde_json::Value::from(all).to_string()
    }

    /// Runs `workload` on `backend` without the GIL; returns the run's JSON document,
    /// the output names and the outputs (grids only).
    #[pyo3(signature = (workload, params, arrays, backend, threads=None, adapter=None))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        workload: &str,
        params: Vec<(String, String)>,
        arrays: Vec<(String, Bound<'py, PyAny>)>,
        backend: &str,
        threads: Option<usize>,
        adapter: Option<String>,
    ) -> PyResult<(String, Vec<String>, Vec<Bound<'py, PyArrayDyn<f64>>>)> {
        let borrowed = arrays
            .iter()
            .map(|(name, value)| Ok((name.clone(), arrays::borrow(name, value)?)))
            .collect::<Result<Vec<_>, Failure>>()?;
        let job = Job {
            workload,
            params,
            arrays: arrays::inputs(&borrowed),
            backend,
            options: BackendOptions { threads, adapter },
        };
        let done = worker::run(py, |cancel| self.execute(&job, cancel))?;
        let fields = arrays::outputs(py, &done.dims, done.fields)?;
        Ok((done.record, done.names, fields))
    }
}
