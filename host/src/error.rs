//! What kind of failure an error is. The sites that know (the loader, parameter
//! checks, memory checks, plugin calls) attach an [`ErrorKind`] to the `anyhow`
//! error they return; front ends read it with [`kind_of`] and map it (the
//! `gearbox` command to an exit code and the JSON error's `kind`, Python to
//! `TypeError`, `ValueError` or `GearboxError`) instead of guessing from the call site.

use crate::backend::Interrupted;

/// The kind of a gearbox-host error; more kinds may be added.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request is wrong: an option a backend does not read, input files of
    /// the wrong shape, an output path that is a file.
    Usage,
    /// A workload, backend or directory named that does not exist.
    NotFound,
    /// A parameter name the workload does not declare.
    UnknownParameter,
    /// A parameter value refused, by its declared kind or by the workload.
    BadParameter,
    /// A library that cannot be loaded or is refused, or a backend that cannot open.
    Load,
    /// A plugin failed: it panicked, broke its contract, or its run failed.
    Plugin,
    /// The run was stopped before it finished (Ctrl-C, a cancelled Python call).
    Interrupted,
    /// Not enough memory or disk space for the run.
    Resources,
}

impl ErrorKind {
    /// The name used in JSON error documents (docs/JSON.md), e.g. `"bad-parameter"`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not-found",
            ErrorKind::UnknownParameter => "unknown-parameter",
            ErrorKind::BadParameter => "bad-parameter",
            ErrorKind::Load => "load",
            ErrorKind::Plugin => "plugin",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Resources => "resources",
        }
    }

    /// True for a mistake in the request, which the caller can fix by asking
    /// differently (exit code 2 in the `gearbox` command).
    pub fn is_request(self) -> bool {
        matches!(
            self,
            ErrorKind::Usage
                | ErrorKind::NotFound
                | ErrorKind::UnknownParameter
                | ErrorKind::BadParameter
        )
    }
}

/// An error of a known [`ErrorKind`] with its one-line message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// An `anyhow` error of `kind` saying `message`.
pub fn error(kind: ErrorKind, message: impl Into<String>) -> anyhow::Error {
    Error::new(kind, message).into()
}

/// A usage error saying `message`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    error(ErrorKind::Usage, message)
}

/// The kind of `error`: the first kind found in its chain (an [`Interrupted`]
/// run is [`ErrorKind::Interrupted`]), or `None` for an error no site classified
/// (an I/O failure, say).
pub fn kind_of(error: &anyhow::Error) -> Option<ErrorKind> {
    error.chain().find_map(|e| {
        if let Some(e) = e.downcast_ref::<Error>() {
            Some(e.kind)
        } else {
            e.is::<Interrupted>().then_some(ErrorKind::Interrupted)
        }
    })
}

/// `error` with `kind`, unless it has a kind already; its chain becomes one line.
pub fn or_kind(kind: ErrorKind, error: anyhow::Error) -> anyhow::Error {
    if kind_of(&error).is_some() {
        error
    } else {
        Error::new(kind, format!("{error:#}")).into()
    }
}

/// `error` (of any kind, or none) with `prefix` before its message: `"{prefix}: {message}"`.
/// Its kind is kept, or `kind` given when it has none.
pub fn within(
    prefix: impl std::fmt::Display,
    kind: ErrorKind,
    error: anyhow::Error,
) -> anyhow::Error {
    let kind = kind_of(&error).unwrap_or(kind);
    Error::new(kind, format!("{prefix}: {error:#}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_is_found_under_context_and_kept_by_within() {
        let e = error(ErrorKind::BadParameter, "--n must be positive");
        assert_eq!(kind_of(&e), Some(ErrorKind::BadParameter));
        let e = e.context("compare stopped on wgpu");
        assert_eq!(kind_of(&e), Some(ErrorKind::BadParameter));
        let e = within("basel", ErrorKind::Plugin, e);
        assert_eq!(kind_of(&e), Some(ErrorKind::BadParameter));
        assert_eq!(
            e.to_string(),
            "basel: compare stopped on wgpu: --n must be positive"
        );
    }

    #[test]
    fn an_unclassified_error_has_no_kind_until_given_one() {
        let e = anyhow::anyhow!("disk on fire");
        assert_eq!(kind_of(&e), None);
        let e = or_kind(ErrorKind::Plugin, e);
        assert_eq!(kind_of(&e), Some(ErrorKind::Plugin));
        let e = or_kind(ErrorKind::Usage, e);
        assert_eq!(kind_of(&e), Some(ErrorKind::Plugin));
    }

    #[test]
    fn an_interrupted_run_is_of_kind_interrupted() {
        let e: anyhow::Error = Interrupted {
            done: 1,
            total: 2,
            unit: "chunks",
            partial: None,
        }
        .into();
        assert_eq!(kind_of(&e), Some(ErrorKind::Interrupted));
    }

    #[test]
    fn request_kinds_are_the_four_a_caller_fixes() {
        assert!(ErrorKind::Usage.is_request());
        assert!(ErrorKind::NotFound.is_request());
        assert!(ErrorKind::UnknownParameter.is_request());
        assert!(ErrorKind::BadParameter.is_request());
        assert!(!ErrorKind::Load.is_request());
        assert!(!ErrorKind::Plugin.is_request());
        assert!(!ErrorKind::Resources.is_request());
    }
}
