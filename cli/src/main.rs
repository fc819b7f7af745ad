//! `gearbox`: a thin command line over gearbox-host (its commands live in the
//! gearbox-cli library). It links no backend and no workload: they are shared
//! libraries found and loaded at run time.

use std::io::Write;
use std::process::ExitCode;

use gearbox_cli::job::Local;
use gearbox_cli::{args, bench, compare, failure, generate, list, monitor, output, run, scale};
use gearbox_host::Registry;

fn main() -> ExitCode {
    restore_sigpipe();
    gearbox_host::crash::install();
    let code = run_command();
    match output::failure() {
        Some(why) if code == ExitCode::SUCCESS => {
            let _ = writeln!(std::io::stderr(), "gearbox: error: {why}");
            ExitCode::FAILURE
        }
        _ => code,
    }
}

/// Parses the command line, loading only the libraries it needs, and runs it.
fn run_command() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    failure::json_errors(&argv);
    let dirs = args::plugin_dirs(&argv);
    let found = if args::needs_libraries(&argv) {
        Registry::discover(&dirs)
    } else {
        Registry::scan(&dirs)
    };
    let registry = match found {
        Ok(registry) => registry,
        Err(e) => return failure::report(&e),
    };
    if registry.workloads.is_empty() && args::names_a_workload(&argv) {
        return failure::report(&failure::usage(registry.nothing_found()));
    }
    let matches = match args::command(&registry).try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => return failure::from_clap(e),
    };
    monitor::install_interrupt_handler();
    let result = match matches.subcommand() {
        Some(("run", sub)) => run::run(&registry, sub, &Local),
        Some(("list", sub)) => list::list(&registry, sub),
        Some(("compare", sub)) => compare::compare(&registry, sub, &Local),
        Some(("bench", sub)) => bench::bench(&registry, sub, &Local),
        Some(("scale", sub)) => scale::scale(&registry, sub),
        Some(("completions", sub)) => generate::completions(args::command(&registry), sub),
        Some(("manpage", sub)) => generate::manpage(args::command(&registry), sub),
        _ => unreachable!("clap requires a known subcommand"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failure::report(&e),
    }
}

/// `gearbox … | head` should end quietly, as other Unix tools do, instead of
/// panicking on the closed pipe: restore the default SIGPIPE action Rust ignores.
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
