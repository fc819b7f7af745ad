//! Disk space for a set of output files, checked before any of them is created,
//! so that a full disk is refused at once with the size of the whole set (each
//! file's own reservation then only catches a disk filled in between).

use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, error};
use crate::memory::gib;

/// Fails ([`ErrorKind::Resources`]) when the file system that will hold `dir`
/// has less space free than `files` `.npy` files of f64 of `shape` need together.
pub fn ensure_for_npy(dir: &Path, files: usize, shape: &[u64]) -> anyhow::Result<()> {
    let data = shape
        .iter()
        .try_fold(8u128, |acc, &d| acc.checked_mul(u128::from(d)))
        .unwrap_or(u128::MAX);
    let each = data.saturating_add(crate::npy::header(shape).len() as u128);
    match free_bytes(dir) {
        Some(free) => check(dir, files, each, free),
        None => Ok(()),
    }
}

/// The check of [`ensure_for_npy`] against `free` bytes.
fn check(dir: &Path, files: usize, each: u128, free: u64) -> anyhow::Result<()> {
    let total = each.saturating_mul(files as u128);
    if total <= u128::from(free) {
        return Ok(());
    }
    let set = match files {
        1 => "the output file".to_string(),
        n => format!("the {n} output files ({} each)", gib(each)),
    };
    Err(error(
        ErrorKind::Resources,
        format!(
            "{}: not enough disk space for {set}: {} needed, {} free",
            dir.display(),
            gib(total),
            gib(u128::from(free))
        ),
    ))
}

/// Bytes an unprivileged process may still write on the file system of `dir`
/// (or of its nearest existing ancestor, when `dir` is yet to be made).
fn free_bytes(dir: &Path) -> Option<u64> {
    let existing: PathBuf = dir.ancestors().find(|d| d.exists())?.to_path_buf();
    let existing = if existing.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        existing
    };
    let path = std::ffi::CString::new(existing.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: `statvfs` is plain integers, for which all-zero bytes are a value.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `stat` is a valid out-pointer.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_whole_set_and_what_is_free() {
        let e = check(Path::new("/out"), 3, 3 << 29, 2 << 30).unwrap_err();
        assert_eq!(crate::kind_of(&e), Some(ErrorKind::Resources));
        assert_eq!(
            e.to_string(),
            "/out: not enough disk space for the 3 output files (1.50 GiB each): 4.50 GiB needed, 2.00 GiB free"
        );
        let e = check(Path::new("/out"), 1, 3 << 30, 2 << 30).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/out: not enough disk space for the output file: 3.00 GiB needed, 2.00 GiB free"
        );
    }

    #[test]
    fn a_set_that_fits_passes() {
        assert!(check(Path::new("/out"), 3, 1 << 30, 3 << 30).is_ok());
    }

    #[test]
    fn a_directory_yet_to_be_made_is_measured_on_its_nearest_ancestor() {
        assert!(free_bytes(Path::new("/tmp/gearbox-no-such/a/b")).is_some());
        // A set larger than any disk (3 × 8 EiB) is refused there.
        let e = ensure_for_npy(Path::new("/tmp/gearbox-no-such"), 3, &[1 << 30, 1 << 30]);
        assert!(e.unwrap_err().to_string().contains("the 3 output files"));
    }
}
