//! The `gearbox` command as a library: its command line, its commands and how
//! they report, over gearbox-host. The `gearbox` binary is a thin `main` over it,
//! and `gearbox-mpi` runs the same `run`, `compare` and `bench` with its own
//! [`job::Jobs`] (runs split across MPI ranks).

/// `println!` in this crate: writes through [`output::line`], which records a
/// failed write (a full disk, a closed terminal) instead of panicking as the
/// standard macro does; `main` then exits non-zero with the reason.
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::output::line(&mut std::io::stdout(), "stdout", format_args!($($arg)*))
    };
}

/// `eprintln!` in this crate, on stderr, as [`println!`].
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::output::line(&mut std::io::stderr(), "stderr", format_args!($($arg)*))
    };
}

pub mod args;
pub mod bench;
pub mod compare;
pub mod failure;
mod format;
pub mod generate;
pub mod job;
pub mod list;
pub mod monitor;
pub mod output;
mod plot;
pub mod run;
pub mod scale;
mod stats;
