//! # gearbox-host
//!
//! The one API every gearbox front end uses (the `gearbox` command, the Python
//! package, the MPI runner): find and load backend and workload libraries, make
//! workload instances with checked parameters, run them on a backend with
//! progress and cancellation, and get typed results back.
//!
//! ```no_run
//! use gearbox_host::{GridRequest, Outcome, Registry, Silent, execute};
//!
//! # fn main() -> anyhow::Result<()> {
//! // Libraries from GEARBOX_PLUGIN_PATH and beside the executable.
//! let registry = Registry::discover(&[])?;
//! let basel = registry.workload("basel").expect("basel is installed");
//! let instance = basel.instantiate([("n", "1e9")])?;
//! let backend = registry.open_backend("rayon", &Default::default())?;
//! let run = execute(&backend, &instance, &GridRequest::default(), &Silent)?;
//! if let Outcome::Series { value, exact } = run.outcome {
//!     println!("{value} (exact {exact:?}) in {:.3} s", run.seconds);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Modules:
//! - [`agree`]: whether two runs agree within the workload's error bound (compare, the kit);
//! - [`cpu_level`]: the CPU level the kernels run at (`GEARBOX_CPU` checked);
//! - [`loader`]: search directories, ABI checks, the [`Registry`] of libraries;
//! - [`instance`]: a workload [`Instance`] and what the host asks of it;
//! - [`backend`]: an [`OpenBackend`], the [`Monitor`] a front end passes in, series runs;
//! - [`delivery`]: a front end's side of a grid job as one safe trait ([`GridSink`]), the only grid callbacks;
//! - [`grid`]: grid runs — inputs from files, memory or the workload, outputs to files or memory;
//! - [`inputs`]: input fields lent slab by slab, `.npy` files mapped and read ahead;
//! - [`outputs`]: output files committed as one set, nothing left behind by a failed run, stale temporaries removed;
//! - [`writer`]: output slabs written on a thread of their own;
//! - [`job`]: one run of any kind, timed, as typed values;
//! - [`json`]: runs, workloads and backends as JSON (schema 1, docs/JSON.md);
//! - [`npy`]: NumPy `.npy` files;
//! - [`disk`]: disk space for a set of output files checked before any is created;
//! - [`memory`]: sizes from input checked against the memory available (machine and cgroups) before allocating;
//! - [`crash`]: naming the library (or mapped input file) a fatal signal came from;
//! - [`kit`]: the cross-backend test kit plugin authors call from their tests;
//! - [`error`]: the [`ErrorKind`] of an error (usage, not found, bad parameter, load, plugin, …) for front ends to map;
//! - [`usage`]: usage errors (a bad request) told apart from failed runs.

pub mod agree;
pub mod backend;
mod cpu;
pub mod crash;
mod decimal;
pub mod delivery;
pub mod disk;
pub mod error;
pub mod grid;
pub mod inputs;
pub mod instance;
pub mod job;
pub mod json;
pub mod kit;
pub mod loader;
pub mod memory;
pub mod npy;
pub mod outputs;
pub mod usage;
pub mod writer;

pub use backend::{
    Interrupted, Monitor, OpenBackend, PartialSum, Phase, SERIES_BATCH_CHUNKS, SeriesOutcome,
    SeriesRun, Silent,
};
pub use cpu::cpu_level;
pub use decimal::decimal;
pub use delivery::{Delivered, GridSink, SinkJob};
pub use error::{Error, ErrorKind, kind_of, usage};
pub use grid::{GridArrays, GridOutcome, GridRequest, OutputMemory};
pub use instance::Instance;
pub use job::{Finished, Outcome, execute};
pub use loader::{BackendLib, BackendSlot, Registry, WorkloadLib};
