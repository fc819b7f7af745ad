//! From command-line matches to gearbox-host calls: backend options, grid files,
//! the workload instance, and one run with a progress bar; [`Jobs`], the steps a
//! runner of another kind (gearbox-mpi) replaces.

use clap::ArgMatches;
use clap::parser::ValueSource;
use gearbox_core::BackendOptions;
use gearbox_host::error::{ErrorKind, error};
use gearbox_host::{Finished, GridRequest, Instance, OpenBackend, Registry};

use crate::failure::usage;
use crate::monitor::{Progress, interrupted};

/// The steps of `run`, `compare` and `bench` that depend on where jobs run; the
/// provided methods run them in this process (the functions of this module).
pub trait Jobs {
    /// Makes an instance of workload `name` from the parameters in `matches`.
    fn instantiate<'r>(
        &self,
        registry: &'r Registry,
        name: &str,
        matches: &ArgMatches,
    ) -> anyhow::Result<Instance<'r>> {
        instantiate(registry, name, matches)
    }

    /// Loads and opens backend `name`, returning it and the seconds it took.
    fn open_backend(
        &self,
        registry: &Registry,
        name: &str,
        options: &BackendOptions,
    ) -> anyhow::Result<(OpenBackend, f64)> {
        open_backend(registry, name, options)
    }

    /// Runs `instance` on `backend`, as the flags in `matches` say.
    fn execute(
        &self,
        backend: &OpenBackend,
        instance: &Instance<'_>,
        request: &GridRequest<'_>,
        matches: &ArgMatches,
    ) -> anyhow::Result<Finished> {
        execute(backend, instance, request, matches)
    }
}

/// Jobs in this process.
pub struct Local;

impl Jobs for Local {}

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

/// The part of `options` backend `name` reads, for commands that run every
/// backend (`compare`): `--threads` goes to the CPU backends that take more than
/// one, `--adapter` to the GPU's.
pub fn options_for(registry: &Registry, name: &str, options: &BackendOptions) -> BackendOptions {
    let takes = |option: &str| {
        registry
            .backend(name)
            .library
            .is_ok_and(|lib| lib.takes(option))
    };
    BackendOptions {
        threads: options
            .threads
            .filter(|_| name != "serial" && takes("threads")),
        adapter: options.adapter.clone().filter(|_| takes("adapter")),
    }
}

/// Loads and opens backend `name`, returning it and the seconds it took.
pub fn open_backend(
    registry: &Registry,
    name: &str,
    options: &BackendOptions,
) -> anyhow::Result<(OpenBackend, f64)> {
    let start = std::time::Instant::now();
    let backend = registry.open_backend(name, options)?;
    Ok((backend, start.elapsed().as_secs_f64()))
}

/// The grid files named on the command line.
pub fn grid_request(matches: &ArgMatches) -> GridRequest<'static> {
    GridRequest {
        input_dir: matches.try_get_one("input").ok().flatten().cloned(),
        output_dir: matches.try_get_one("output").ok().flatten().cloned(),
        ..GridRequest::default()
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

/// Makes an instance of `name` from the parameters in `matches`; bad values, and
/// an `--input` directory for a workload that reads no files, are usage errors.
pub fn instantiate<'r>(
    registry: &'r Registry,
    name: &str,
    matches: &ArgMatches,
) -> anyhow::Result<Instance<'r>> {
    let lib = registry
        .workload(name)
        .ok_or_else(|| error(ErrorKind::NotFound, format!("unknown workload {name}")))?;
    let params = crate::args::params(lib, matches);
    let input_dir = grid_request(matches).input_dir;
    let instance = match &input_dir {
        // The grid comes from the files unless a parameter given fixes it.
        Some(dir) => {
            let given: Vec<(&str, &str)> = params
                .iter()
                .filter(|(k, _)| matches.value_source(k) != Some(ValueSource::DefaultValue))
                .map(|(k, v)| (k.as_str(), *v))
                .collect();
            lib.instantiate_for_files(&given, dir)
        }
        None => lib.instantiate(params.iter().map(|(k, v)| (k.as_str(), *v))),
    }?;
    if input_dir.is_some() {
        let layout = instance.layout()?;
        if layout.axes.is_empty() && layout.inputs.is_empty() {
            return Err(usage(format!(
                "{name} reads no input files (it generates its inputs from its parameters); drop --input"
            )));
        }
    }
    Ok(instance)
}

/// Runs `instance` on `backend`, with a progress bar unless `--quiet` in
/// `matches`; a run estimated to take over an hour is stopped unless `--yes`.
pub fn execute(
    backend: &OpenBackend,
    instance: &Instance<'_>,
    request: &GridRequest<'_>,
    matches: &ArgMatches,
) -> anyhow::Result<Finished> {
    let progress = Progress::new(matches.get_flag("quiet"), matches.get_flag("yes"));
    let result = gearbox_host::execute(backend, instance, request, &progress);
    progress.finish();
    match progress.too_long() {
        Some(why) if !interrupted() => Err(usage(why)),
        _ => result,
    }
}
