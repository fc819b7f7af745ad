//! Memory a run will need, checked before it is allocated: a size that comes from
//! input (a grid shape, a count, a file header) never reaches the allocator
//! unchecked, so a run too large for the machine is one line, not an abort.

use anyhow::bail;

/// Bytes of memory available to this process, when the OS says (Linux).
pub fn available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `bytes` in GiB, for messages.
pub fn gib(bytes: u128) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Fails when `what` needs more than the memory available, with both sizes.
pub fn ensure(what: &str, bytes: u128) -> anyhow::Result<()> {
    match available() {
        Some(avail) if bytes > u128::from(avail) => bail!(
            "{what}: {} of memory needed, only {} available",
            gib(bytes),
            gib(u128::from(avail))
        ),
        None if bytes > u128::from(u64::MAX) => bail!("{what}: {} of memory needed", gib(bytes)),
        _ => Ok(()),
    }
}

/// `len` zeros for `what`, checked with [`ensure`] and allocated fallibly.
pub fn zeros(what: &str, len: u64) -> anyhow::Result<Vec<f64>> {
    ensure(what, u128::from(len) * 8)?;
    let mut values = Vec::new();
    let len = usize::try_from(len)?;
    if values.try_reserve_exact(len).is_err() {
        bail!(
            "{what}: {} of memory needed, which the system refused",
            gib(len as u128 * 8)
        );
    }
    values.resize(len, 0.0);
    Ok(values)
}
