//! `gearbox-mpi`: the gearbox command's `run`, `compare` and `bench` across MPI
//! ranks (`mpirun -np K gearbox-mpi run basel --n 1e12`). Every rank parses the
//! same command line (checked: `consensus`) and takes the same steps; runs are split over the ranks
//! (series by canonical batches handed out on demand, grids by slabs) and give
//! the single-process result bit for bit. Rank 0 prints; the others stay quiet
//! unless they fail. See docs/DISTRIBUTED.md.

mod consensus;
mod grid;
mod job;
mod series;
mod wire;

use std::process::ExitCode;

use clap::Command;
use gearbox_cli::{args, bench, compare, failure, monitor, run};
use gearbox_host::{Interrupted, Registry};
use mpi::Threading;

/// The subcommands of `gearbox` that run across ranks.
const COMMANDS: [&str; 3] = ["run", "compare", "bench"];

fn main() -> ExitCode {
    let Some((_universe, _)) = mpi::initialize_with_threading(Threading::Funneled) else {
        eprintln!("gearbox-mpi: error: MPI could not be initialised");
        return ExitCode::FAILURE;
    };
    wire::route_output();
    // After MPI_Init, so that MPI's own crash report follows the line naming the
    // library or input; on the rank's real stderr (others than 0 silence fd 2).
    gearbox_host::crash::install_as(
        &format!("gearbox-mpi: rank {}", wire::rank()),
        wire::fault_fd(),
    );
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: before any other thread of ours exists (Mesa's device-select noise).
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
    let argv: Vec<String> = std::env::args().collect();
    match wire::agree(Registry::discover(&args::plugin_dirs(&argv))) {
        Ok(registry) if registry.workloads.is_empty() && args::names_a_workload(&argv) => {
            failure::report(&failure::usage(format!(
                "{}; gearbox-mpi finds them beside itself, so build it into the workspace's \
                 target directory: cargo build --release --workspace && cargo build --release \
                 --manifest-path mpi/Cargo.toml --target-dir target",
                registry.nothing_found()
            )))
        }
        Ok(registry) => run_command(&registry, &argv),
        Err(e) => failure::report(&failure::usage(format!("{e:#}"))),
    }
}

/// The gearbox command line, cut down to the commands that run across ranks.
fn command(registry: &Registry) -> Command {
    let full = args::command(registry);
    Command::new("gearbox-mpi")
        .version(env!("CARGO_PKG_VERSION"))
        .about("gearbox across MPI ranks: start with mpirun -np K gearbox-mpi run WORKLOAD …; the result is bit-identical to one process")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(full.get_arguments().cloned())
        .subcommands(
            full.get_subcommands()
                .filter(|c| COMMANDS.contains(&c.get_name()))
                .cloned(),
        )
}

fn run_command(registry: &Registry, argv: &[String]) -> ExitCode {
    let matches = match wire::agree(
        command(registry)
            .try_get_matches_from(argv)
            .map_err(|e| anyhow::Error::new(ClapError(e))),
    ) {
        Ok(m) => m,
        Err(e) => {
            return match e.downcast::<ClapError>() {
                Ok(ClapError(e)) => failure::from_clap(e),
                Err(e) => failure::report(&failure::usage(format!("{e:#}"))),
            };
        }
    };
    if let Err(e) = consensus::check(registry, &matches) {
        // Every rank fails; only rank 0's stderr shows.
        return failure::report(&e);
    }
    monitor::install_interrupt_handler();
    let result = match matches.subcommand() {
        Some(("run", sub)) => run::run(registry, sub, &job::Distributed),
        Some(("compare", sub)) => compare::compare(registry, sub, &job::Distributed),
        Some(("bench", sub)) => bench::bench(registry, sub, &job::Distributed),
        _ => unreachable!("clap requires a known subcommand"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Every rank got the same error (agreed set-up steps, rank 0's results):
        // rank 0 reports it and sets the job's exit code.
        Err(e) if wire::rank() != 0 && !e.is::<Interrupted>() => ExitCode::SUCCESS,
        // A rank sees Ctrl-C and mpirun ending the job after another rank died as
        // the same signal: say both, since only mpirun knows which (and -q hides it).
        Err(e) if e.is::<Interrupted>() => failure::report(&e.context(
            "a signal stopped this rank (Ctrl-C, or mpirun ending the job because a rank died: \
             without -q, mpirun names it)",
        )),
        Err(e) => failure::report(&e),
    }
}

/// A clap error carried through [`wire::agree`].
#[derive(Debug)]
struct ClapError(clap::Error);

impl std::fmt::Display for ClapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rendered = self.0.render().to_string();
        f.write_str(rendered.lines().next().unwrap_or("invalid arguments"))
    }
}

impl std::error::Error for ClapError {}
