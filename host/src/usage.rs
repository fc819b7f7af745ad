//! Usage errors: what the caller asked for is wrong (an option a backend does not
//! read, an input file of the wrong shape), as opposed to a run that failed; the
//! [`ErrorKind::Usage`] kind of [`crate::error`].

use crate::error::{ErrorKind, or_kind};

pub use crate::error::usage;

/// `error` (its whole chain on one line) as a usage error, unless it has a kind already.
pub fn as_usage(error: anyhow::Error) -> anyhow::Error {
    or_kind(ErrorKind::Usage, error)
}
