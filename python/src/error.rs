//! How a failure reaches Python: which exception, with gearbox's one-line message.

use pyo3::PyErr;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};

pyo3::create_exception!(
    gearbox,
    GearboxError,
    PyRuntimeError,
    "A run failed: a backend is unavailable, a plugin reported an error or panicked."
);

/// A failure, by the Python exception it becomes.
#[derive(Debug)]
pub enum Failure {
    /// A call Python would refuse by its signature: unknown parameter, wrong type.
    Type(String),
    /// A value out of range or of the wrong shape, an unknown name.
    Value(String),
    /// The run itself failed.
    Run(String),
}

impl Failure {
    /// A run failure from any gearbox-host error, with its whole chain on one line;
    /// a usage error (an option the backend does not read, a bad input) is a value failure.
    pub fn run(e: anyhow::Error) -> Failure {
        if gearbox_host::is_usage(&e) {
            Failure::value(e)
        } else {
            Failure::Run(format!("{e:#}"))
        }
    }

    /// A failure of a run on a backend: cancelled (Ctrl-C) or failed.
    pub fn of_run(e: anyhow::Error) -> Failure {
        match e.downcast_ref::<gearbox_host::Interrupted>() {
            Some(_) => Failure::Run(format!("{e:#} (cancelled)")),
            None => Failure::run(e),
        }
    }

    /// A value failure from any gearbox-host error.
    pub fn value(e: anyhow::Error) -> Failure {
        Failure::Value(format!("{e:#}"))
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Type(m) => PyTypeError::new_err(m),
            Failure::Value(m) => PyValueError::new_err(m),
            Failure::Run(m) => GearboxError::new_err(m),
        }
    }
}
