//! The CPU level the kernels run at ([`gearbox_core::dispatch`]), as front ends
//! check and report it.

use gearbox_core::dispatch::{self, Level};

/// The level every library's kernels run at in this process: the one
/// `GEARBOX_CPU` asks for, else the best this CPU runs. A `GEARBOX_CPU` that
/// names no level, or one this CPU lacks, is a usage error of one line. (Each
/// library decides for itself with the same rule, so they all agree.)
pub fn cpu_level() -> anyhow::Result<Level> {
    dispatch::requested().map_err(crate::usage)?;
    Ok(dispatch::level())
}
