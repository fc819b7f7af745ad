//! A `Session`: the libraries found in one set of directories, the backends
//! opened so far (kept open, so a notebook's tenth run does not start a thread
//! pool or a GPU device again), and runs.
//!
//! Backends are kept per process: a child made by `fork` (`os.fork`, a
//! `multiprocessing` pool's workers) inherits the parent's open backends but none
//! of their threads (a rayon pool's workers, a GPU driver's), so a run on them
//! would wait forever. The child opens backends of its own instead: a
//! `pthread_atfork` handler counts the forks, and a backend is reused only by the
//! process that opened it (a count, not a pid, which a later process may reuse).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use gearbox_core::BackendOptions;
use gearbox_core::Kind;
use gearbox_host::{GridRequest, Instance, OpenBackend, OutputMemory, Phase, Registry, json};
use numpy::PyArrayDyn;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use crate::arrays;
use crate::error::Failure;
use crate::worker;

/// Options a backend was opened with: name, threads, adapter.
type BackendKey = (String, Option<usize>, Option<String>);

/// Forks this process descends from, counted since the module was loaded:
/// 0 in the process that loaded it, 1 in its children, 2 in theirs.
static FORKS: AtomicU64 = AtomicU64::new(0);

/// The `pthread_atfork` child handler: only an atomic add, as the child of a
/// multithreaded process may do nothing that takes a lock.
extern "C" fn forked() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Starts counting forks (once per process, whatever the number of calls).
pub fn count_forks() -> PyResult<()> {
    static REGISTERED: OnceLock<i32> = OnceLock::new();
    // SAFETY: `forked` is async-signal-safe, and this library is never unloaded
    // (CPython does not unload extension modules).
    let status =
        *REGISTERED.get_or_init(|| unsafe { libc::pthread_atfork(None, None, Some(forked)) });
    if status != 0 {
        let why = std::io::Error::from_raw_os_error(status);
        return Err(PyOSError::new_err(format!("pthread_atfork: {why}")));
    }
    Ok(())
}

/// The process a backend belongs to: the number of forks it descends from.
fn process() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

/// A backend opened, or being opened, by one process.
struct Opened {
    /// The process that opened it ([`process`]).
    process: u64,
    /// The options it was opened with.
    key: BackendKey,
    /// Empty until the open succeeds; held while it runs, so that two runs do
    /// not open the same backend twice.
    slot: Arc<Mutex<Option<Arc<OpenBackend>>>>,
}

/// A refusal to make an instance of `lib` (a parameter out of range, a formula that
/// does not parse), its parameters named as the keywords Python takes.
fn refused(lib: &gearbox_host::WorkloadLib) -> impl Fn(anyhow::Error) -> Failure + '_ {
    move |e| {
        let names: Vec<&str> = lib.info.params.iter().map(|p| p.name.as_str()).collect();
        Failure::value(e).with_keywords(&names)
    }
}

/// Libraries found in the search directories, and the backends opened from them.
#[pyclass(frozen, module = "gearbox._gearbox")]
pub struct Session {
    registry: Registry,
    /// Held only to find or add a slot, never while a backend opens, so that a
    /// fork from another thread (its child gets the lock as it was) finds it free.
    open: Mutex<Vec<Opened>>,
    backends_json: OnceLock<String>,
}

/// A grid run's outputs: their names and the NumPy arrays the run computes into.
type GridOutputs<'py> = (Vec<String>, Vec<Bound<'py, PyArrayDyn<f64>>>);

impl Session {
    /// The slot of this process's backend for `key`, added empty the first time.
    /// Backends another process opened (this one is its forked child) are
    /// forgotten: their threads do not exist here, and closing them could wait
    /// for those threads.
    fn slot(&self, key: &BackendKey) -> Arc<Mutex<Option<Arc<OpenBackend>>>> {
        let process = process();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.iter().any(|o| o.process != process) {
            let (mine, inherited) = std::mem::take(&mut *open)
                .into_iter()
                .partition(|o| o.process == process);
            std::mem::forget::<Vec<Opened>>(inherited);
            *open = mine;
        }
        if let Some(o) = open.iter().find(|o| o.key == *key) {
            return o.slot.clone();
        }
        let slot = Arc::default();
        open.push(Opened {
            process,
            key: key.clone(),
            slot: Arc::clone(&slot),
        });
        slot
    }

    /// This process's open backend for `key`, opening it the first time; with
    /// the seconds that took.
    fn backend(&self, key: BackendKey) -> anyhow::Result<(Arc<OpenBackend>, f64)> {
        let start = Instant::now();
        let slot = self.slot(&key);
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = &*slot {
            return Ok((b.clone(), start.elapsed().as_secs_f64()));
        }
        let options = BackendOptions {
            threads: key.1,
            adapter: key.2,
        };
        let backend = Arc::new(self.registry.open_backend(&key.0, &options)?);
        *slot = Some(backend.clone());
        Ok((backend, start.elapsed().as_secs_f64()))
    }

    /// The workload library `name`, and the parameters given checked against
    /// those it declares.
    fn workload(
        &self,
        name: &str,
        params: &[(String, String)],
    ) -> Result<&gearbox_host::WorkloadLib, Failure> {
        let lib = self.registry.workload(name).ok_or_else(|| {
            let known: Vec<&str> = self
                .registry
                .workloads
                .iter()
                .map(|w| w.info.name.as_str())
                .collect();
            Failure::Value(format!(
                "unknown workload {name} (found: {})",
                known.join(", ")
            ))
        })?;
        let declared: Vec<&str> = lib.info.params.iter().map(|p| p.name.as_str()).collect();
        if let Some((param, _)) = params.iter().find(|(n, _)| !declared.contains(&n.as_str())) {
            return Err(Failure::Type(format!(
                "{name}: unknown parameter {param} (it takes {})",
                declared.join(", ")
            )));
        }
        Ok(lib)
    }

    /// Checks that `backend` was found.
    fn check_backend(&self, backend: &str) -> Result<(), Failure> {
        let names = self.registry.backend_names();
        if names.iter().any(|b| b == backend) {
            return Ok(());
        }
        Err(Failure::Value(format!(
            "unknown backend {backend} (found: {})",
            names.join(", ")
        )))
    }

    /// `workload` with `params`, after checking the parameters' names.
    pub(crate) fn instance<'s>(
        &'s self,
        workload: &str,
        params: &[(String, String)],
    ) -> Result<Instance<'s>, Failure> {
        let lib = self.workload(workload, params)?;
        lib.instantiate(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(refused(lib))
    }

    /// This process's backend `name` opened with `options` (the first time); with
    /// the seconds that took.
    pub(crate) fn open(
        &self,
        name: &str,
        options: &BackendOptions,
    ) -> Result<(Arc<OpenBackend>, f64), Failure> {
        self.check_backend(name)?;
        let key = (name.to_string(), options.threads, options.adapter.clone());
        self.backend(key).map_err(Failure::run)
    }

    /// Runs `instance` with `request` on `backend` (on the worker thread), polling
    /// `cancel`; returns the run's JSON document.
    fn execute(
        &self,
        instance: &Instance<'_>,
        request: &GridRequest<'_>,
        backend: &str,
        options: &BackendOptions,
        cancel: &AtomicBool,
    ) -> Result<String, Failure> {
        let (backend, load) = self.open(backend, options)?;
        let mut finished =
            gearbox_host::execute(&backend, instance, request, cancel).map_err(Failure::of_run)?;
        finished.phases.insert(
            0,
            Phase {
                name: "load".into(),
                seconds: load,
            },
        );
        Ok(json::document("run", json::run(instance, &backend, &finished)).to_string())
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
    /// the output names and the outputs (grids only): the `out` arrays when given,
    /// else new ones. Checksums only when `checksums`; cancelled after `timeout` s.
    #[pyo3(signature = (workload, params, arrays, backend, threads=None, adapter=None, out=None, checksums=true, timeout=None))]
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
        out: Option<Bound<'py, PyAny>>,
        checksums: bool,
        timeout: Option<f64>,
    ) -> PyResult<(String, Vec<String>, Vec<Bound<'py, PyArrayDyn<f64>>>)> {
        let deadline = worker::deadline(timeout)?;
        let borrowed = arrays
            .iter()
            .map(|(name, value)| Ok((name.clone(), arrays::borrow(name, value)?)))
            .collect::<Result<Vec<_>, Failure>>()?;
        // A buffer export on every input for the run: NumPy refuses to resize them.
        let _exports = arrays::lock(&arrays)?;
        let inputs = arrays::inputs(&borrowed);
        let lib = self.workload(workload, &params)?;
        let given: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut instance = lib
            .instantiate(given.iter().copied())
            .map_err(refused(lib))?;
        let mut request = GridRequest {
            checksums,
            ..GridRequest::default()
        };
        let mut written = Vec::new();
        let (names, fields): GridOutputs<'py> = if lib.info.kind == Kind::Grid {
            let layout = instance.layout().map_err(Failure::value)?;
            if let Some(shape) = arrays::grid_shape(workload, &layout, &inputs)?
                && shape != layout.dims
            {
                instance = lib
                    .instantiate_for_shape(&given, &shape)
                    .map_err(refused(lib))?;
            }
            let layout = instance.layout().map_err(Failure::value)?;
            let about = format!("{workload} (grid {:?})", layout.dims);
            request.arrays = arrays::grid_arrays(&about, &layout, &inputs)?;
            let fields = match &out {
                Some(out) => arrays::out_list(&about, &layout.outputs, out)?,
                None => {
                    gearbox_host::memory::ensure(
                        &format!("the outputs of {about}"),
                        u128::from(layout.len()) * layout.outputs.len() as u128 * 8,
                    )
                    .map_err(Failure::run)?;
                    arrays::new_outputs(py, layout.outputs.len(), &layout.dims)
                        .into_iter()
                        .map(Bound::into_any)
                        .collect()
                }
            };
            written = arrays::borrow_out(&about, &layout.outputs, &layout.dims, &fields)?;
            let fields = fields
                .into_iter()
                .map(|f| f.cast_into::<PyArrayDyn<f64>>().map_err(PyErr::from))
                .collect::<PyResult<_>>()?;
            (layout.outputs, fields)
        } else if let Some(array) = inputs.first() {
            return Err(Failure::Type(format!(
                "{workload}: unexpected array {} (a series takes no arrays)",
                array.name
            ))
            .into());
        } else if out.is_some() {
            return Err(Failure::Type(format!("{workload}: out= is for grid workloads")).into());
        } else {
            (Vec::new(), Vec::new())
        };
        let slices = written
            .iter_mut()
            .map(|w| w.as_slice_mut().expect("checked C-contiguous"))
            .collect();
        request.outputs = (!fields.is_empty()).then(|| OutputMemory::new(slices));
        self.check_backend(backend)?;
        let options = BackendOptions { threads, adapter };
        let record = worker::run(py, deadline, |cancel| {
            self.execute(&instance, &request, backend, &options, cancel)
        })?;
        drop(request);
        drop(written);
        Ok((record, names, fields))
    }

    /// How the run record `record` of `workload` with `params` compares with the
    /// `reference` run's (both JSON documents as `run` returns them), within the
    /// workload's error bound: the JSON object that `gearbox compare --json` adds
    /// to each of its rows (`agrees`, and the gap against the bound).
    fn agreement(
        &self,
        workload: &str,
        params: Vec<(String, String)>,
        reference: &str,
        record: &str,
    ) -> PyResult<String> {
        let lib = self
            .registry
            .workload(workload)
            .ok_or_else(|| Failure::Value(format!("unknown workload {workload}")))?;
        let instance = lib
            .instantiate(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(refused(lib))?;
        let parse = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| Failure::Value(format!("not a run record: {e}")))
        };
        let agreement =
            gearbox_host::agree::records(&instance, &parse(reference)?, &parse(record)?)
                .map_err(Failure::value)?;
        Ok(json::agreement(&agreement).to_string())
    }
}
