//! The host side: finding and loading gearbox libraries, and running workloads
//! on backends through the ABI. Used by the `gearbox` command and the test kit.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::{Context, anyhow, bail};

use crate::abi::{
    self, BackendVTable, ControlFfi, Handle, KernelFfi, RawSliceMut, Sink, Str, WorkloadVTable,
};
use crate::backend::{BackendInfo, BackendOptions, DeviceInfo, Kernel, call};
use crate::dd::Dd;
use crate::params::Params;
use crate::plan::ChunkPlan;
use crate::workload::{GridLayout, Kind, WorkloadInfo};

/// Environment variable listing extra plugin directories (like `PATH`).
pub const PLUGIN_PATH_VAR: &str = "GEARBOX_PLUGIN_PATH";
/// File-name stem shared by every gearbox library (`libgearbox_*.so`).
const LIB_STEM: &str = "gearbox_";
/// File-name stem of backend libraries (`libgearbox_backend_*.so`).
const BACKEND_STEM: &str = "gearbox_backend_";
/// The backends gearbox ships; each is listed even when its library is missing.
pub const BUILTIN_BACKENDS: [&str; 3] = ["serial", "rayon", "wgpu"];

/// The file name a library called `stem` has on this platform.
pub fn library_file_name(stem: &str) -> String {
    format!(
        "{}{stem}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The directories searched, in order: `explicit` (from `--plugin-dir`), then
/// `GEARBOX_PLUGIN_PATH`, then the directory of the running executable (and its
/// parent, when the executable is a test binary in `target/*/deps`). Never the
/// current directory, unless named.
pub fn search_dirs(explicit: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = explicit.to_vec();
    if let Some(paths) = std::env::var_os(PLUGIN_PATH_VAR) {
        dirs.extend(std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        if exe_dir.file_name().is_some_and(|n| n == "deps") {
            dirs.extend(exe_dir.parent().map(Path::to_path_buf));
        }
        dirs.push(exe_dir);
    }
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let key = d.canonicalize().unwrap_or_else(|_| d.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    dirs
}

/// Opens a library and checks its ABI version; the library is never unloaded.
fn open_library(path: &Path) -> anyhow::Result<&'static libloading::Library> {
    // SAFETY: loading runs the library's initialisers; gearbox libraries are
    // plain Rust cdylibs, and only files named `libgearbox_*` are opened.
    let lib = unsafe { libloading::Library::new(path) }
        .map_err(|e| anyhow!("{}: cannot be loaded: {e}", path.display()))?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: the symbol, when present, has this signature in every ABI version.
    let version =
        unsafe { lib.get::<extern "C" fn() -> u32>(abi::VERSION_SYMBOL) }.map_err(|_| {
            anyhow!(
                "{}: not a gearbox library (no gearbox_abi_version symbol)",
                path.display()
            )
        })?;
    let version = version();
    if version != abi::ABI_VERSION {
        bail!(
            "{}: built against gearbox ABI version {version}, but this gearbox uses ABI version {}; rebuild it against this gearbox-core",
            path.display(),
            abi::ABI_VERSION
        );
    }
    Ok(lib)
}

fn entry<T: Copy>(lib: &libloading::Library, path: &Path, symbol: &[u8]) -> anyhow::Result<T> {
    // SAFETY: the ABI version matched, so the symbol has the signature `extern "C" fn() -> T`.
    let f = unsafe { lib.get::<extern "C" fn() -> T>(symbol) }.map_err(|_| {
        anyhow!(
            "{}: has no {} entry point",
            path.display(),
            String::from_utf8_lossy(symbol)
        )
    })?;
    Ok(f())
}

/// Calls a function that writes JSON to its first sink and errors to its second.
fn read_json<T: serde::de::DeserializeOwned>(
    what: &str,
    f: impl FnOnce(Sink, Sink) -> i32,
) -> anyhow::Result<T> {
    let mut text = String::new();
    call(|err| f(Sink::to_string(&mut text), err))?;
    serde_json::from_str(&text).with_context(|| format!("{what}: malformed description"))
}

/// A loaded workload library.
pub struct WorkloadLib {
    /// File it came from.
    pub path: PathBuf,
    /// What it declares.
    pub info: WorkloadInfo,
    /// Other files that declare a workload of the same name: while there are any,
    /// the workload is ambiguous and [`WorkloadLib::instantiate`] refuses to run it.
    pub also_declared_by: Vec<PathBuf>,
    vtable: WorkloadVTable,
}

/// What makes two paths the same library: the file itself, so that a hard link
/// (cargo links `target/release/lib*.so` into `target/release/deps/`) is found once.
#[cfg(unix)]
fn file_key(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => format!("{}:{}", m.dev(), m.ino()),
        Err(_) => path.display().to_string(),
    }
}

/// What makes two paths the same library: the canonical path.
#[cfg(not(unix))]
fn file_key(path: &Path) -> String {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    canonical.display().to_string()
}

/// True when both files hold the same bytes (a copy of one build is no conflict).
fn same_contents(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A backend library that was looked for: loaded, or why not.
pub struct BackendSlot {
    /// Backend name.
    pub name: String,
    /// The library's path, or the file that was looked for.
    pub path: PathBuf,
    /// The loaded backend, or why it is unavailable.
    pub library: Result<BackendLib, String>,
}

/// A loaded backend library.
pub struct BackendLib {
    /// What it declares.
    pub info: BackendInfo,
    vtable: BackendVTable,
}

/// Every gearbox library found in the search directories.
pub struct Registry {
    /// Directories searched, in order.
    pub dirs: Vec<PathBuf>,
    /// Workload libraries, sorted by name.
    pub workloads: Vec<WorkloadLib>,
    /// Files that looked like gearbox libraries but could not be used.
    pub problems: Vec<String>,
    backend_files: Vec<(String, PathBuf)>,
}

impl Registry {
    /// Finds libraries in `search_dirs(explicit)` and loads the workload libraries.
    /// Backends are loaded on demand ([`Registry::backend`]) so a run pays only for its own.
    pub fn discover(explicit: &[PathBuf]) -> anyhow::Result<Registry> {
        let dirs = search_dirs(explicit);
        for dir in explicit {
            if !dir.is_dir() {
                bail!("--plugin-dir {}: no such directory", dir.display());
            }
        }
        let (prefix, suffix) = (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
        let mut registry = Registry {
            dirs: dirs.clone(),
            workloads: Vec::new(),
            problems: Vec::new(),
            backend_files: Vec::new(),
        };
        let mut seen_files = Vec::new();
        for dir in &dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for path in files {
                let Some(stem) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix(prefix))
                    .and_then(|n| n.strip_suffix(suffix))
                    .filter(|s| s.starts_with(LIB_STEM))
                    .map(str::to_string)
                else {
                    continue;
                };
                let key = file_key(&path);
                if seen_files.contains(&key) {
                    continue;
                }
                seen_files.push(key);
                if let Some(name) = stem.strip_prefix(BACKEND_STEM) {
                    if !registry.backend_files.iter().any(|(n, _)| n == name) {
                        registry.backend_files.push((name.to_string(), path));
                    }
                } else if let Err(e) = registry.load_workload(&path) {
                    registry.problems.push(format!("{e:#}"));
                }
            }
        }
        registry
            .workloads
            .sort_by(|a, b| a.info.name.cmp(&b.info.name));
        Ok(registry)
    }

    fn load_workload(&mut self, path: &Path) -> anyhow::Result<()> {
        let lib = open_library(path)?;
        let vtable: WorkloadVTable = entry(lib, path, abi::WORKLOAD_SYMBOL)?;
        let info: WorkloadInfo = read_json(&path.display().to_string(), |out, err| {
            (vtable.describe)(out, err)
        })?;
        if let Some(other) = self.workloads.iter_mut().find(|w| w.info.name == info.name) {
            if same_contents(&other.path, path) {
                return Ok(());
            }
            other.also_declared_by.push(path.to_path_buf());
            bail!(
                "{}: declares workload {:?}, already declared by {}; remove one of them",
                path.display(),
                info.name,
                other.path.display()
            );
        }
        self.workloads.push(WorkloadLib {
            path: path.to_path_buf(),
            info,
            also_declared_by: Vec::new(),
            vtable,
        });
        Ok(())
    }

    /// The workload called `name`.
    pub fn workload(&self, name: &str) -> Option<&WorkloadLib> {
        self.workloads.iter().find(|w| w.info.name == name)
    }

    /// Names of every backend: the built-in ones, then any other found.
    pub fn backend_names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_BACKENDS.iter().map(|s| s.to_string()).collect();
        names.extend(
            self.backend_files
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| !BUILTIN_BACKENDS.contains(&n.as_str())),
        );
        names
    }

    /// Looks for and loads the backend called `name`.
    pub fn backend(&self, name: &str) -> BackendSlot {
        let Some((_, path)) = self.backend_files.iter().find(|(n, _)| n == name) else {
            let file = library_file_name(&format!("{BACKEND_STEM}{name}"));
            let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
            return BackendSlot {
                name: name.into(),
                path: PathBuf::from(&file),
                library: Err(format!(
                    "backend library {file} not found in {}",
                    dirs.join(", ")
                )),
            };
        };
        let library = (|| {
            let lib = open_library(path)?;
            let vtable: BackendVTable = entry(lib, path, abi::BACKEND_SYMBOL)?;
            let info: BackendInfo = read_json(&path.display().to_string(), |out, err| {
                (vtable.describe)(out, err)
            })?;
            Ok::<_, anyhow::Error>(BackendLib { info, vtable })
        })()
        .map_err(|e| format!("{e:#}"));
        BackendSlot {
            name: name.into(),
            path: path.clone(),
            library,
        }
    }
}

impl WorkloadLib {
    /// Checks `given` against the declared parameters and makes an instance.
    /// A workload declared by more than one library is refused, naming the files.
    pub fn instantiate<'a>(
        &self,
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> anyhow::Result<Instance<'_>> {
        if !self.also_declared_by.is_empty() {
            let files: Vec<String> = std::iter::once(&self.path)
                .chain(&self.also_declared_by)
                .map(|p| p.display().to_string())
                .collect();
            bail!(
                "workload {} is declared by {} libraries: {}; remove all but one",
                self.info.name,
                files.len(),
                files.join(" and ")
            );
        }
        let params = Params::resolve(&self.info.params, given)
            .map_err(|e| anyhow!("{}: {e}", self.info.name))?;
        let json = serde_json::to_string(&params)?;
        let mut handle: Handle = std::ptr::null_mut();
        call(|err| (self.vtable.create)(Str::new(&json), &mut handle, err))
            .map_err(|e| anyhow!("{}: {e:#}", self.info.name))?;
        Ok(Instance {
            lib: self,
            handle,
            params,
        })
    }
}

/// A workload instance with its parameters.
pub struct Instance<'r> {
    lib: &'r WorkloadLib,
    handle: Handle,
    /// The resolved parameters.
    pub params: Params,
}

impl Drop for Instance<'_> {
    fn drop(&mut self) {
        (self.lib.vtable.destroy)(self.handle);
    }
}

impl Instance<'_> {
    /// The library's description.
    pub fn info(&self) -> &WorkloadInfo {
        &self.lib.info
    }

    fn kernel(&self) -> KernelFfi {
        KernelFfi {
            handle: self.handle,
            vtable: &self.lib.vtable,
        }
    }

    fn context<T>(&self, r: anyhow::Result<T>) -> anyhow::Result<T> {
        r.map_err(|e| anyhow!("{}: {e:#}", self.lib.info.name))
    }

    /// The exact result, when the workload knows it.
    pub fn exact(&self) -> anyhow::Result<Option<f64>> {
        self.optional_f64(self.lib.vtable.exact)
    }

    /// Series: a bound on Σ|term(k)| when the workload declares one.
    pub fn abs_sum(&self) -> anyhow::Result<Option<f64>> {
        self.optional_f64(self.lib.vtable.series_abs_sum)
    }

    fn optional_f64(
        &self,
        f: extern "C" fn(Handle, *mut f64, Sink) -> i32,
    ) -> anyhow::Result<Option<f64>> {
        let mut value = 0.0;
        let code = self.context(call(|err| f(self.handle, &mut value, err)))?;
        Ok((code == abi::OK).then_some(value))
    }

    /// Series: the inclusive index range.
    pub fn range(&self) -> anyhow::Result<(u64, u64)> {
        let (mut first, mut last) = (0, 0);
        self.context(call(|err| {
            (self.lib.vtable.series_range)(self.handle, &mut first, &mut last, err)
        }))?;
        Ok((first, last))
    }

    /// The workload's WGSL, if it has a GPU kernel.
    pub fn wgsl(&self) -> anyhow::Result<Option<String>> {
        // SAFETY: the kernel points at this live instance.
        self.context(unsafe { Kernel::from_raw(self.kernel()) }.wgsl())
    }

    /// Grid: shape and fields.
    pub fn layout(&self) -> anyhow::Result<GridLayout> {
        self.context(read_json(&self.lib.info.name, |out, err| {
            (self.lib.vtable.grid_layout)(self.handle, out, err)
        }))
    }

    /// Grid: the generated coordinate axes.
    pub fn axes(&self, layout: &GridLayout) -> anyhow::Result<Vec<Vec<f64>>> {
        layout
            .dims
            .iter()
            .take(layout.axes.len())
            .enumerate()
            .map(|(i, &d)| {
                let mut axis = vec![0.0; d as usize];
                let out = RawSliceMut {
                    ptr: axis.as_mut_ptr(),
                    len: axis.len(),
                };
                self.context(call(|err| {
                    (self.lib.vtable.grid_axis)(self.handle, i, out, err)
                }))?;
                Ok(axis)
            })
            .collect()
    }
}

/// What the host does while a backend runs: progress display and cancellation.
pub trait Monitor: Sync {
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

impl OpenBackend {
    /// Sums a series instance over `plan`. Cancellation through `monitor` gives an
    /// [`Interrupted`] error.
    pub fn run_series(
        &self,
        instance: &Instance<'_>,
        plan: &ChunkPlan,
        monitor: &dyn Monitor,
    ) -> anyhow::Result<SeriesOutcome> {
        if instance.info().kind != Kind::Series {
            bail!("{} is not a series workload", instance.info().name);
        }
        let host = HostControl::new(monitor);
        let control = host.ffi();
        let kernel = instance.kernel();
        let mut sum = Dd::ZERO;
        let result = call(|err| {
            (self.vtable.run_series)(self.handle, &kernel, plan, &control, &mut sum, err)
        });
        match result {
            Ok(_) => Ok(SeriesOutcome {
                sum,
                phases: host.into_phases(),
            }),
            Err(e) if e.is::<crate::backend::Cancelled>() => Err(Interrupted {
                done: host.done(),
                total: plan.len(),
                unit: "chunks",
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
