//! `gearbox._gearbox`: the native half of the `gearbox` Python package, over
//! gearbox-host. The Python half (`gearbox/__init__.py`) gives it its public
//! signatures and docstrings; this module finds libraries, runs jobs with the GIL
//! released, and hands grid outputs to NumPy without copying them.

mod arrays;
mod batches;
mod error;
mod session;
mod worker;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _gearbox(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A library (or input file) that crashes the interpreter is named on stderr
    // first, as the CLI does; Python's faulthandler, if enabled, reports after it.
    gearbox_host::crash::install();
    session::count_forks()?;
    m.add_class::<session::Session>()?;
    m.add_function(wrap_pyfunction!(batches::series_batches, m)?)?;
    m.add_function(wrap_pyfunction!(batches::series_partials, m)?)?;
    m.add_function(wrap_pyfunction!(batches::series_fold, m)?)?;
    m.add_function(wrap_pyfunction!(batches::grid_layout, m)?)?;
    m.add_function(wrap_pyfunction!(worker::cancel_all, m)?)?;
    m.add_function(wrap_pyfunction!(worker::running, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::checksums, m)?)?;
    m.add("GearboxError", m.py().get_type::<error::GearboxError>())?;
    Ok(())
}
