//! How a failure reaches Python: which exception, with gearbox's one-line message.
//! A gearbox-host error goes by its [`ErrorKind`]: an unknown parameter is a
//! `TypeError`, another mistake in the request a `ValueError`, the rest (a library
//! that cannot load, a plugin that failed, too little memory) a `GearboxError`.

use gearbox_host::{ErrorKind, kind_of};
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
    /// A failure from a gearbox-host error of `kind`, with its whole chain on one line.
    fn of_kind(kind: ErrorKind, e: &anyhow::Error) -> Failure {
        let message = format!("{e:#}");
        match kind {
            ErrorKind::UnknownParameter => Failure::Type(message),
            k if k.is_request() => Failure::Value(message),
            _ => Failure::Run(message),
        }
    }

    /// A failure from a gearbox-host error by its kind; a run failure when it has none.
    pub fn run(e: anyhow::Error) -> Failure {
        Failure::of_kind(kind_of(&e).unwrap_or(ErrorKind::Plugin), &e)
    }

    /// A failure of a run on a backend: as [`Failure::run`], saying so when it was
    /// cancelled (Ctrl-C, `timeout=`, the interpreter exiting).
    pub fn of_run(e: anyhow::Error) -> Failure {
        match kind_of(&e) {
            Some(ErrorKind::Interrupted) => Failure::Run(format!("{e:#} (cancelled)")),
            _ => Failure::run(e),
        }
    }

    /// A failure from a gearbox-host error by its kind; a value failure when it has none.
    pub fn value(e: anyhow::Error) -> Failure {
        Failure::of_kind(kind_of(&e).unwrap_or(ErrorKind::BadParameter), &e)
    }
}

impl Failure {
    /// The same failure with each parameter of `params` named as Python's keyword
    /// (`n`) where the message names the command line's flag (`--n`).
    pub fn with_keywords(self, params: &[&str]) -> Failure {
        let rename = |message: String| {
            params.iter().fold(message, |m, p| {
                let flag = format!("--{p}");
                let mut out = String::with_capacity(m.len());
                let mut rest = m.as_str();
                while let Some(at) = rest.find(&flag) {
                    let after = &rest[at + flag.len()..];
                    let whole_word = !after
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    out.push_str(&rest[..at]);
                    out.push_str(if whole_word { p } else { &flag });
                    rest = after;
                }
                out + rest
            })
        };
        match self {
            Failure::Type(m) => Failure::Type(rename(m)),
            Failure::Value(m) => Failure::Value(rename(m)),
            Failure::Run(m) => Failure::Run(rename(m)),
        }
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
