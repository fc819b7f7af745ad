//! `gearbox`: a thin command line over gearbox-core. It links no backend and no
//! workload: they are shared libraries found and loaded at run time.

mod args;
mod bench;
mod compare;
mod failure;
mod job;
mod list;
mod monitor;
mod plot;
mod run;
mod scale;
mod stats;

use std::process::ExitCode;

use gearbox_core::host::Registry;

fn main() -> ExitCode {
    restore_sigpipe();
    let argv: Vec<String> = std::env::args().collect();
    let registry = match Registry::discover(&args::plugin_dirs(&argv)) {
        Ok(registry) => registry,
        Err(e) => return failure::report(&failure::usage(format!("{e:#}"))),
    };
    let matches = match args::command(&registry).try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => return failure::from_clap(e),
    };
    monitor::install_interrupt_handler();
    let result = match matches.subcommand() {
        Some(("run", sub)) => run::run(&registry, sub),
        Some(("list", sub)) => list::list(&registry, sub.get_flag("json")),
        Some(("compare", sub)) => compare::compare(&registry, sub),
        Some(("bench", sub)) => bench::bench(&registry, sub),
        Some(("scale", sub)) => scale::scale(&registry, sub),
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
