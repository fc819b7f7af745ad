//! The command line, built at run time: every workload found becomes a
//! subcommand of `run` (and `compare`, `bench`, `scale`) with its own flags,
//! help text and validation, so plugins get a proper CLI without touching it.

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use gearbox_core::backend::check_threads;
use gearbox_core::{Kind, ParamSpec};
use gearbox_host::{Registry, WorkloadLib};

/// Example command lines and what each does, for `--help` and the man page.
pub const EXAMPLES: [(&str, &str); 7] = [
    (
        "gearbox run basel --n 1e9",
        "Basel sum on all cores (rayon)",
    ),
    (
        "gearbox run kempner --n 1e8 --backend serial",
        "digit-excluded harmonic series, one thread",
    ),
    (
        "gearbox run velocity --backend wgpu --output out/",
        "grid conversion on the GPU, .npy outputs",
    ),
    (
        "gearbox list",
        "backends and workloads found, with parameters",
    ),
    (
        "gearbox compare trig --n 1e7",
        "cross-check every backend against the exact value",
    ),
    (
        "gearbox bench basel --n 1e9 --repeat 5",
        "timing statistics with a per-phase breakdown",
    ),
    (
        "gearbox scale basel --threads 1,2 --n 1e8,1e9 --plot basel.svg",
        "speed-up and runtime tables",
    ),
];

/// [`EXAMPLES`] for `--help`: a table, descriptions in a column from the 50th
/// character (a longer command line is followed by three spaces).
fn examples_help() -> String {
    let lines: Vec<String> = EXAMPLES
        .iter()
        .map(|(command, what)| {
            let gap = 47usize.saturating_sub(command.len()).max(3);
            format!("  {command}{}{what}", " ".repeat(gap))
        })
        .collect();
    format!("Examples:\n{}", lines.join("\n"))
}

/// Finds `--plugin-dir` values before the full parse (the workloads they hold shape the CLI).
pub fn plugin_dirs(args: &[String]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--plugin-dir" {
            dirs.extend(it.next().map(PathBuf::from));
        } else if let Some(dir) = arg.strip_prefix("--plugin-dir=") {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs
}

/// False when the command line needs no library loaded: `gearbox`, `--help` and
/// `--version` at the top, and `list --files` (which shows what would be loaded).
/// Loading a library runs its code, so nothing is loaded that is not needed.
pub fn needs_libraries(args: &[String]) -> bool {
    let mut words = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--plugin-dir" => {
                it.next();
            }
            "-h" | "--help" | "-V" | "--version" if words.is_empty() => return false,
            a if !a.starts_with('-') => words.push(a),
            _ => {}
        }
    }
    match words.first() {
        None => false,
        Some(&"list") => !args.iter().any(|a| a == "--files"),
        Some(_) => true,
    }
}

/// True when the command line asks to run a workload (`run NAME`, `compare NAME`, …),
/// which cannot work when no workload library was found.
pub fn names_a_workload(args: &[String]) -> bool {
    args.iter()
        .skip(1)
        .any(|a| matches!(a.as_str(), "run" | "compare" | "bench" | "scale"))
}

/// The whole command line for the libraries in `registry`.
pub fn command(registry: &Registry) -> Command {
    let backends = registry.backend_names();
    Command::new("gearbox")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Brute-force numerics (series sums, grid conversions) on CPU threads or the GPU, with plugins loaded at run time")
        .after_help(examples_help())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("plugin-dir")
                .long("plugin-dir")
                .value_name("DIR")
                .action(ArgAction::Append)
                .global(true)
                .value_parser(value_parser!(PathBuf))
                .help("Also load backends and workloads from DIR (searched before GEARBOX_PLUGIN_PATH and the executable's directory)"),
        )
        .subcommand(
            workload_group("run", "Run a workload on one backend: result, exact value, error in ulps, time", registry, Sweep::No)
                .args([backend_arg(&backends), threads_arg(), adapter_arg()])
                .args(output_args())
                .arg(flag("profile", "Print the time of each phase (load, setup, compile, transfer, compute, reduce)")),
        )
        .subcommand(
            Command::new("list")
                .about("List the backends and workloads found, with availability and parameters")
                .arg(flag("json", "Print one JSON object instead of text"))
                .arg(flag("files", "Only list the library files that would be loaded, without loading any")),
        )
        .subcommand(
            workload_group("compare", "Run a workload on every available backend and check they agree with the exact value and each other", registry, Sweep::No)
                .args([threads_arg(), adapter_arg()])
                .args(output_args()),
        )
        .subcommand(
            workload_group("bench", "Time a workload: a warm-up, then --repeat runs; min/median/max, throughput, phases", registry, Sweep::No)
                .args([backend_arg(&backends), threads_arg(), adapter_arg()])
                .args(output_args())
                .arg(
                    Arg::new("repeat")
                        .long("repeat")
                        .short('r')
                        .value_name("K")
                        .global(true)
                        .default_value("5")
                        .value_parser(value_parser!(u32).range(1..=1000))
                        .help("Timed runs after the warm-up"),
                ),
        )
        .subcommand(
            workload_group(
                "scale",
                "Scaling study: runtime, speed-up and efficiency per thread count, runtime against any parameter given as a list",
                registry,
                Sweep::Lists,
            )
            .args(scale_args(&backends))
            .args(output_args()),
        )
        .subcommands(crate::generate::commands())
}

/// Whether workload parameters take comma-separated lists (for `scale`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// One value each.
    No,
    /// `--n 1e7,1e8,1e9` sweeps over the values.
    Lists,
}

fn scale_args(backends: &[String]) -> Vec<Arg> {
    vec![
        backend_arg(backends),
        adapter_arg(),
        Arg::new("threads")
            .long("threads")
            .short('t')
            .value_name("LIST")
            .global(true)
            .default_value("1,2")
            .value_parser(|raw: &str| split_list(raw, |v| thread_count(v).map(drop)))
            .help("Thread counts to measure, e.g. 1,2,4,8"),
        Arg::new("repeat")
            .long("repeat")
            .short('r')
            .value_name("K")
            .global(true)
            .default_value("3")
            .value_parser(value_parser!(u32).range(1..=1000))
            .help("Timed runs per point (the median is reported)"),
        Arg::new("csv")
            .long("csv")
            .value_name("FILE")
            .global(true)
            .value_parser(value_parser!(PathBuf))
            .help("Also write the table as CSV"),
        Arg::new("plot")
            .long("plot")
            .value_name("FILE")
            .global(true)
            .value_parser(|raw: &str| {
                let path = PathBuf::from(raw);
                crate::plot::Format::of(&path).map(|_| path)
            })
            .help("Draw speed-up and runtime plots, as FILE.svg or FILE.png"),
    ]
}

/// Checks every comma-separated item of `raw` with `check`.
fn split_list(raw: &str, check: impl Fn(&str) -> Result<(), String>) -> Result<String, String> {
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err(format!("{raw:?} has an empty item; write e.g. 1,2,4"));
    }
    items.iter().try_for_each(|i| check(i))?;
    Ok(raw.to_string())
}

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .action(ArgAction::SetTrue)
        .global(true)
        .help(help)
}

/// `--backend`, choosing among the backends found.
fn backend_arg(backends: &[String]) -> Arg {
    Arg::new("backend")
        .long("backend")
        .short('b')
        .value_name("BACKEND")
        .global(true)
        .default_value("rayon")
        .value_parser(PossibleValuesParser::new(backends.to_vec()))
        .help("Where to run it")
}

/// A thread count, checked by the one rule every backend and variable follows.
pub fn thread_count(raw: &str) -> Result<u32, String> {
    let n: u32 = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a thread count"))?;
    check_threads("--threads", n as usize)?;
    Ok(n)
}

/// `--threads N` for the rayon backend.
fn threads_arg() -> Arg {
    Arg::new("threads")
        .long("threads")
        .short('t')
        .value_name("N")
        .global(true)
        .value_parser(thread_count)
        .help("Worker threads for the rayon backend [default: RAYON_NUM_THREADS or all cores]")
}

/// `--adapter NAME` for the wgpu backend.
fn adapter_arg() -> Arg {
    Arg::new("adapter")
        .long("adapter")
        .value_name("NAME")
        .global(true)
        .help("GPU adapter whose name contains NAME (wgpu backend)")
}

/// `--json`, `--quiet`, `--yes`.
fn output_args() -> Vec<Arg> {
    vec![
        flag("json", "Print one JSON object instead of text"),
        flag("quiet", "No progress bar"),
        flag(
            "yes",
            "Run even when the run is estimated to take over an hour (it is stopped otherwise)",
        ),
    ]
}

/// A command with one subcommand per workload.
pub fn workload_group(
    name: &'static str,
    about: &'static str,
    registry: &Registry,
    sweep: Sweep,
) -> Command {
    Command::new(name)
        .about(about)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand_value_name("WORKLOAD")
        .subcommand_help_heading("Workloads")
        .disable_help_subcommand(true)
        .subcommands(
            registry
                .workloads
                .iter()
                .map(|w| workload_command(w, sweep)),
        )
}

fn workload_command(lib: &WorkloadLib, sweep: Sweep) -> Command {
    let info = &lib.info;
    if !lib.also_declared_by.is_empty() {
        // Ambiguous: take any arguments, so that running it says which files clash.
        return Command::new(info.name.clone())
            .about(info.about.clone())
            .arg(
                Arg::new("arguments")
                    .num_args(0..)
                    .allow_hyphen_values(true)
                    .trailing_var_arg(true)
                    .hide(true),
            );
    }
    let mut cmd = Command::new(info.name.clone())
        .about(info.about.clone())
        .next_help_heading("Workload parameters")
        .args(info.params.iter().map(|p| param_arg(p, sweep)));
    if info.kind == Kind::Grid {
        cmd = cmd.next_help_heading("Grid files").args([
            Arg::new("input")
                .long("input")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Read the input fields and axes from DIR/<name>.npy (float64, C order) instead of generating them; the grid's size comes from the files unless given"),
            Arg::new("output")
                .long("output")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Write the output fields to DIR/<name>.npy"),
        ]);
    }
    cmd
}

fn param_arg(spec: &ParamSpec, sweep: Sweep) -> Arg {
    let checked = spec.clone();
    let arg = Arg::new(spec.name.clone())
        .long(spec.name.clone())
        .default_value(spec.default.clone())
        .allow_negative_numbers(true)
        .help(spec.help.clone());
    match sweep {
        Sweep::No => arg
            .value_name(spec.kind.placeholder())
            .value_parser(move |raw: &str| checked.check(raw).map(|()| raw.to_string())),
        Sweep::Lists => arg
            .value_name(format!("{}[,…]", spec.kind.placeholder()))
            .value_parser(move |raw: &str| split_list(raw, |v| checked.check(v))),
    }
}

/// The workload parameters given (or defaulted) in `matches`, as (name, value) pairs.
pub fn params<'m>(lib: &WorkloadLib, matches: &'m ArgMatches) -> Vec<(String, &'m str)> {
    lib.info
        .params
        .iter()
        .filter_map(|p| {
            matches
                .try_get_one::<String>(&p.name)
                .ok()
                .flatten()
                .map(|v| (p.name.clone(), v.as_str()))
        })
        .collect()
}
