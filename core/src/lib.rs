//! # gearbox-core
//!
//! What a workload or backend author needs, and nothing more (the loader and
//! everything that runs jobs live in `gearbox-host`):
//! - [`workload`]: what to compute ([`Series`], [`Grid`]), implemented by plugins;
//! - [`backend`]: where and how ([`Backend`]), implemented by the serial, rayon and wgpu backends;
//! - [`abi`] and [`export`]: the versioned C ABI between a host and its run-time-loaded
//!   libraries (authors use only the `export_*!` macros);
//! - [`plan`], [`dd`], [`sum`] and [`cpu`]: the fixed chunk plan, compensated kernels and the
//!   ordered reduction that make results independent of thread counts;
//! - [`dispatch`]: kernels compiled for each CPU level (baseline, AVX2, AVX-512), the best picked at run time;
//! - [`math`]: elementary f64 functions for kernels, ≤ 1 ulp and vectorising (the same algorithms as the GPU's `<name>_f64`);
//! - [`wgsl`]: the shared WGSL library every GPU kernel is assembled with.

pub mod abi;
pub mod backend;
pub mod cpu;
pub mod dd;
pub mod dispatch;
pub mod export;
pub mod math;
pub mod params;
pub mod plan;
pub mod sum;
pub mod wgsl;
pub mod workload;

pub use backend::{
    Backend, BackendOptions, Cancelled, CancelledWithSum, Control, DeviceInfo, GridJob, Kernel,
    SlabInputs,
};
pub use dd::Dd;
pub use params::{ParamKind, ParamSpec, Params};
pub use plan::ChunkPlan;
pub use workload::{Grid, GridLayout, Kind, Series, Slab, Workload};
