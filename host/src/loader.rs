//! Finding and loading gearbox libraries: the search directories, the ABI
//! version check, and the registry of workloads and backends found.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use gearbox_core::abi::{self, BackendVTable, Handle, Sink, Str, WorkloadVTable};
use gearbox_core::backend::{BackendInfo, Broken, call};
use gearbox_core::params::{Params, RESERVED_NAMES};
use gearbox_core::workload::{WorkloadInfo, is_identifier};

use crate::crash::inside;
use crate::error::{ErrorKind, error, within};
use crate::instance::Instance;

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
/// `GEARBOX_PLUGIN_PATH`, then `../lib/gearbox/` beside the running executable
/// (where `install.sh` puts the libraries), then the executable's own directory
/// (and its parent, when the executable is a test binary in `target/*/deps`).
/// Never the current directory, unless named.
pub fn search_dirs(explicit: &[PathBuf]) -> Vec<PathBuf> {
    let mut home = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        if exe_dir.file_name().is_some_and(|n| n == "deps") {
            home.extend(exe_dir.parent().map(Path::to_path_buf));
        }
        // An installed layout: PREFIX/bin/gearbox beside PREFIX/lib/gearbox/.
        if let Some(prefix) = exe_dir.parent() {
            home.push(prefix.join("lib").join("gearbox"));
        }
        home.push(exe_dir);
    }
    search_dirs_with_home(explicit, home)
}

/// `explicit`, then `GEARBOX_PLUGIN_PATH`, then `home` (where the front end's own
/// libraries are), each directory once.
fn search_dirs_with_home(explicit: &[PathBuf], home: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = explicit.to_vec();
    if let Some(paths) = std::env::var_os(PLUGIN_PATH_VAR) {
        dirs.extend(std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs.extend(home);
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let key = d.canonicalize().unwrap_or_else(|_| d.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    dirs
}

impl Registry {
    /// "nothing found" as one line: where gearbox looked and how to fix it.
    pub fn nothing_found(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        format!(
            "no gearbox workload libraries (libgearbox_*{}) found in {}; install gearbox with its libraries (./install.sh in the source tree), or name a directory holding them with --plugin-dir DIR or GEARBOX_PLUGIN_PATH",
            std::env::consts::DLL_SUFFIX,
            dirs.join(", ")
        )
    }
}

/// The stem of a gearbox library's file name (`gearbox_basel` for
/// `libgearbox_basel.so`), or `None` for any other file.
fn library_stem(path: &Path) -> Option<&str> {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(std::env::consts::DLL_PREFIX))
        .and_then(|n| n.strip_suffix(std::env::consts::DLL_SUFFIX))
        .filter(|s| s.starts_with(LIB_STEM))
}

/// Opens a library and checks its ABI version; the library is never unloaded.
/// Loading runs the library's initialisers: it is native code with the user's rights.
fn open_library(path: &Path) -> anyhow::Result<&'static libloading::Library> {
    // SAFETY: loading runs the library's initialisers; only files named
    // `libgearbox_*` in the search directories are opened (see `gearbox list --files`).
    let lib = inside(
        || format!("the initialisers of {}", path.display()),
        || unsafe { libloading::Library::new(path) },
    )
    .map_err(|e| {
        let reason = format!("{:#}", anyhow::Error::new(e));
        anyhow!("{}: cannot be loaded: {reason}", path.display())
    })?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: the symbol, when present, has this signature in every ABI version.
    let version =
        unsafe { lib.get::<extern "C" fn() -> u32>(abi::VERSION_SYMBOL) }.map_err(|_| {
            anyhow!(
                "{}: not a gearbox library (no gearbox_abi_version symbol)",
                path.display()
            )
        })?;
    let version = inside(
        || format!("gearbox_abi_version of {}", path.display()),
        || version(),
    );
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
    Ok(inside(
        || format!("{} of {}", String::from_utf8_lossy(symbol), path.display()),
        || f(),
    ))
}

/// Calls a function that writes JSON to its first sink and errors to its second.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
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
    pub(crate) vtable: WorkloadVTable,
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
    /// File it came from.
    pub path: PathBuf,
    pub(crate) vtable: BackendVTable,
}

/// Every gearbox library found in the search directories.
pub struct Registry {
    /// Directories searched, in order.
    pub dirs: Vec<PathBuf>,
    /// Workload libraries, sorted by name.
    pub workloads: Vec<WorkloadLib>,
    /// Files that looked like gearbox libraries but could not be used.
    pub problems: Vec<String>,
    /// Every library file found, in search order, loaded or not (what
    /// `gearbox list --files` shows without loading anything).
    pub files: Vec<PathBuf>,
    backend_files: Vec<(String, PathBuf)>,
}

impl Registry {
    /// Finds libraries in `search_dirs(explicit)` and loads the workload libraries.
    /// Backends are loaded on demand ([`Registry::backend`]) so a run pays only for its own.
    /// A `GEARBOX_CPU` this CPU cannot honour is a usage error ([`crate::cpu_level`]).
    pub fn discover(explicit: &[PathBuf]) -> anyhow::Result<Registry> {
        crate::cpu_level()?;
        let mut registry = Registry::scan(explicit)?;
        registry.load_workloads();
        Ok(registry)
    }

    /// Like [`Registry::discover`] for a front end that ships its libraries in
    /// `bundled` (the Python package): searched after `explicit` and
    /// `GEARBOX_PLUGIN_PATH`, in place of the executable's directory.
    pub fn discover_bundled(explicit: &[PathBuf], bundled: &Path) -> Registry {
        let mut registry =
            Registry::scan_dirs(search_dirs_with_home(explicit, vec![bundled.to_path_buf()]));
        registry.load_workloads();
        registry
    }

    /// Finds the library files in `search_dirs(explicit)` without loading any.
    pub fn scan(explicit: &[PathBuf]) -> anyhow::Result<Registry> {
        for dir in explicit {
            if !dir.is_dir() {
                return Err(error(
                    ErrorKind::NotFound,
                    format!("--plugin-dir {}: no such directory", dir.display()),
                ));
            }
            if let Err(e) = std::fs::read_dir(dir) {
                return Err(crate::usage(format!(
                    "--plugin-dir {}: cannot be read: {e}",
                    dir.display()
                )));
            }
        }
        Ok(Registry::scan_dirs(search_dirs(explicit)))
    }

    /// Loads every workload library found (backends load on demand).
    fn load_workloads(&mut self) {
        let workload_files: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|f| library_stem(f).is_some_and(|s| !s.starts_with(BACKEND_STEM)))
            .cloned()
            .collect();
        for path in workload_files {
            if let Err(e) = self.load_workload(&path) {
                self.problems.push(format!("{e:#}"));
            }
        }
        self.workloads.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    }

    /// Notes the library files in `dirs`, loading none.
    fn scan_dirs(dirs: Vec<PathBuf>) -> Registry {
        let mut registry = Registry {
            dirs: dirs.clone(),
            workloads: Vec::new(),
            problems: Vec::new(),
            files: Vec::new(),
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
                let Some(stem) = library_stem(&path) else {
                    continue;
                };
                let key = file_key(&path);
                if seen_files.contains(&key) {
                    continue;
                }
                seen_files.push(key);
                if let Some(name) = stem.strip_prefix(BACKEND_STEM)
                    && !registry.backend_files.iter().any(|(n, _)| n == name)
                {
                    registry
                        .backend_files
                        .push((name.to_string(), path.clone()));
                }
                registry.files.push(path);
            }
        }
        registry
    }

    fn load_workload(&mut self, path: &Path) -> anyhow::Result<()> {
        let lib = open_library(path)?;
        let vtable: WorkloadVTable = entry(lib, path, abi::WORKLOAD_SYMBOL)?;
        let info: WorkloadInfo = inside(
            || format!("describe of {}", path.display()),
            || {
                read_json(&path.display().to_string(), |out, err| {
                    (vtable.describe)(out, err)
                })
            },
        )?;
        check_info(&info).map_err(|why| anyhow!("{}: {why}", path.display()))?;
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

    /// Loads and opens backend `name`, or says why it is unavailable: a name that is
    /// no backend's is [`ErrorKind::NotFound`], a library missing or refused [`ErrorKind::Load`].
    pub fn open_backend(
        &self,
        name: &str,
        options: &gearbox_core::BackendOptions,
    ) -> anyhow::Result<crate::OpenBackend> {
        let lib = self.backend(name).library.map_err(|why| {
            let names = self.backend_names();
            match names.iter().any(|n| n == name) {
                true => error(
                    ErrorKind::Load,
                    format!("backend {name} is unavailable: {why}"),
                ),
                false => error(
                    ErrorKind::NotFound,
                    format!("unknown backend {name} (found: {})", names.join(", ")),
                ),
            }
        })?;
        lib.open(options)
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
            let info: BackendInfo = inside(
                || format!("describe of {}", path.display()),
                || read_json(&path.display().to_string(), |out, err| (vtable.describe)(out, err)),
            )?;
            if info.name != name {
                bail!(
                    "{}: declares itself backend {:?}; a backend library must be named after its backend ({})",
                    path.display(),
                    info.name,
                    library_file_name(&format!("{BACKEND_STEM}{}", info.name))
                );
            }
            Ok::<_, anyhow::Error>(BackendLib {
                info,
                path: path.clone(),
                vtable,
            })
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
    /// A workload declared by more than one library is refused, naming the files
    /// ([`ErrorKind::Load`]); a name not declared is [`ErrorKind::UnknownParameter`];
    /// a value refused by its kind or by the workload's `create`
    /// [`ErrorKind::BadParameter`]; a `create` that is broken (it panics, or reads a
    /// parameter it does not declare) or returns nothing [`ErrorKind::Plugin`].
    pub fn instantiate<'a>(
        &self,
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> anyhow::Result<Instance<'_>> {
        if !self.also_declared_by.is_empty() {
            let files: Vec<String> = std::iter::once(&self.path)
                .chain(&self.also_declared_by)
                .map(|p| p.display().to_string())
                .collect();
            return Err(error(
                ErrorKind::Load,
                format!(
                    "workload {} is declared by {} libraries: {}; remove all but one",
                    self.info.name,
                    files.len(),
                    files.join(" and ")
                ),
            ));
        }
        let given: Vec<(&str, &str)> = given.into_iter().collect();
        let declared = |name: &str| self.info.params.iter().any(|p| p.name == name);
        let kind = match given.iter().all(|(name, _)| declared(name)) {
            true => ErrorKind::BadParameter,
            false => ErrorKind::UnknownParameter,
        };
        let params = Params::resolve(&self.info.params, given)
            .map_err(|e| error(kind, format!("{}: {e}", self.info.name)))?;
        let json = serde_json::to_string(&params)?;
        let mut handle: Handle = std::ptr::null_mut();
        inside(
            || format!("create of {}", self.path.display()),
            || call(|err| (self.vtable.create)(Str::new(&json), &mut handle, err)),
        )
        .map_err(|e| {
            let kind = match e.is::<Broken>() {
                true => ErrorKind::Plugin,
                false => ErrorKind::BadParameter,
            };
            within(&self.info.name, kind, e)
        })?;
        if handle.is_null() {
            return Err(error(
                ErrorKind::Plugin,
                format!("{}: create returned no instance", self.path.display()),
            ));
        }
        Ok(Instance::new(self, handle, params))
    }

    /// Makes an instance for the input files in `dir`: as
    /// [`WorkloadLib::instantiate`], except that when the grid does not have the
    /// files' shape ([`crate::grid::files_shape`]), the grid is fitted to it
    /// ([`WorkloadLib::instantiate_for_shape`]).
    pub fn instantiate_for_files<'a>(
        &self,
        given: &[(&'a str, &'a str)],
        dir: &Path,
    ) -> anyhow::Result<Instance<'_>> {
        let instance = self.instantiate(given.iter().copied())?;
        let layout = instance.layout()?;
        match crate::grid::files_shape(dir, &layout) {
            Some(shape) if layout.dims != shape => self.instantiate_for_shape(given, &shape),
            _ => Ok(instance),
        }
    }

    /// Makes an instance whose grid has `shape` (the shape of the arrays or files
    /// a front end was given): as [`WorkloadLib::instantiate`], except that when
    /// the grid does not have that shape, a parameter not in `given` is set to it
    /// if that makes the grid match — the sizes joined by `x` in some order
    /// (`25x36x10`), or the one size of a 1-d grid. A grid the parameters given
    /// fix is kept; the run then names the input that disagrees.
    pub fn instantiate_for_shape<'a>(
        &self,
        given: &[(&'a str, &'a str)],
        shape: &[u64],
    ) -> anyhow::Result<Instance<'_>> {
        let instance = self.instantiate(given.iter().copied())?;
        let layout = instance.layout()?;
        if layout.dims == shape || shape.len() > 4 {
            return Ok(instance);
        }
        let texts = shape_texts(shape);
        let free = self
            .info
            .params
            .iter()
            .filter(|p| !given.iter().any(|(name, _)| *name == p.name));
        for spec in free {
            for text in &texts {
                let mut with = given.to_vec();
                with.push((&spec.name, text));
                if let Ok(fitted) = self.instantiate(with)
                    && fitted.layout().is_ok_and(|l| l.dims == shape)
                {
                    return Ok(fitted);
                }
            }
        }
        Ok(instance)
    }
}

/// How a parameter may write `shape`: its one size, or its sizes joined by `x`
/// in every order (a parameter may list the sizes in another order than the
/// array's dimensions, as velocity's `NLATxNLONxNR` for an (nlat, nr, nlon) array).
fn shape_texts(shape: &[u64]) -> Vec<String> {
    fn orders(rest: &[u64]) -> Vec<Vec<u64>> {
        if rest.len() <= 1 {
            return vec![rest.to_vec()];
        }
        (0..rest.len())
            .flat_map(|i| {
                let mut others = rest.to_vec();
                let first = others.remove(i);
                orders(&others).into_iter().map(move |mut tail| {
                    tail.insert(0, first);
                    tail
                })
            })
            .collect()
    }
    let mut texts: Vec<String> = orders(shape)
        .iter()
        .map(|o| o.iter().map(u64::to_string).collect::<Vec<_>>().join("x"))
        .collect();
    texts.sort();
    texts.dedup();
    texts
}

/// Checks what a workload library declares before its names become command-line
/// flags: plain names, no parameter twice, none named like a global flag.
fn check_info(info: &WorkloadInfo) -> Result<(), String> {
    if !is_identifier(&info.name) {
        return Err(format!(
            "workload name {:?} is not a plain name (letters, digits, _ and -)",
            info.name
        ));
    }
    for (i, p) in info.params.iter().enumerate() {
        if !is_identifier(&p.name) {
            return Err(format!(
                "workload {} declares parameter {:?}, not a plain name (letters, digits, _ and -)",
                info.name, p.name
            ));
        }
        if RESERVED_NAMES.contains(&p.name.as_str()) {
            return Err(format!(
                "workload {} declares parameter --{}, which is a gearbox flag; rename it",
                info.name, p.name
            ));
        }
        if info.params[..i].iter().any(|q| q.name == p.name) {
            return Err(format!(
                "workload {} declares parameter --{} twice",
                info.name, p.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::shape_texts;

    #[test]
    fn a_shape_is_written_in_every_order_once() {
        assert_eq!(shape_texts(&[7]), ["7"]);
        assert_eq!(shape_texts(&[2, 3]), ["2x3", "3x2"]);
        assert_eq!(shape_texts(&[5, 5, 2]), ["2x5x5", "5x2x5", "5x5x2"]);
        assert_eq!(shape_texts(&[1, 2, 3]).len(), 6);
    }
}
