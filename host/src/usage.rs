//! Usage errors: what the caller asked for is wrong (an option a backend does not
//! read, an input file of the wrong shape), as opposed to a run that failed. Front
//! ends tell them apart with `error.chain().any(|e| e.is::<Usage>())`: the
//! `gearbox` command exits 2 on a usage error and 1 on a failed run.

/// A mistake in the request (exit code 2 in the `gearbox` command).
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A usage error with `message`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Usage(message.into()).into()
}

/// `error` (its whole chain on one line) as a usage error, unless it is one already.
pub fn as_usage(error: anyhow::Error) -> anyhow::Error {
    if is_usage(&error) {
        error
    } else {
        usage(format!("{error:#}"))
    }
}

/// True when `error` or anything in its chain is a [`Usage`] error.
pub fn is_usage(error: &anyhow::Error) -> bool {
    error.chain().any(|e| e.is::<Usage>())
}
