//! # gearbox-core
//!
//! The contracts of gearbox and the machinery around them:
//! - [`workload`]: what to compute ([`Series`], [`Grid`]), implemented by plugins;
//! - [`backend`]: where and how ([`Backend`]), implemented by the serial, rayon and wgpu backends;
//! - [`abi`], [`export`] and [`host`]: the versioned C ABI between the `gearbox` command and
//!   its run-time-loaded libraries (authors use only the `export_*!` macros);
//! - [`plan`], [`dd`], [`sum`] and [`cpu`]: the fixed chunk plan, compensated kernels and the
//!   ordered reduction that make results independent of thread counts;
//! - [`math`]: elementary f64 functions for kernels, ≤ 1 ulp and vectorising (the same algorithms as the GPU's `<name>_f64`);
//! - [`grid`] and [`npy`]: grid inputs, outputs and checksums on the host;
//! - [`kit`]: the cross-backend test kit plugin authors call from their tests.

pub mod abi;
pub mod backend;
pub mod cpu;
pub mod dd;
pub mod export;
pub mod grid;
pub mod host;
pub mod kit;
pub mod math;
pub mod npy;
pub mod params;
pub mod plan;
pub mod sum;
pub mod wgsl;
pub mod workload;

pub use backend::{Backend, BackendOptions, Cancelled, Control, DeviceInfo, GridJob, Kernel};
pub use dd::Dd;
pub use params::{ParamKind, ParamSpec, Params};
pub use plan::ChunkPlan;
pub use workload::{Grid, GridLayout, Kind, Series, Slab, Workload};
