//! Output files committed as one unit. Each file is written unnamed
//! (`O_TMPFILE`), so a run that dies, even by `SIGKILL`, leaves nothing behind;
//! [`commit`] then flushes every file to disk and, holding an exclusive lock on
//! the directory, links each in under a temporary name and renames it over its
//! target. Concurrent runs into one directory therefore replace the whole set one
//! after the other and never mix, and a run that fails before the commit changes
//! nothing. Where the file system has no `O_TMPFILE`, files are written under
//! hidden temporary names that the next commit in the directory removes once
//! their process is gone.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The suffix of hidden temporaries: `.<name>.gearbox-<pid>.tmp`.
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_TAG: &str = ".gearbox-";

/// A file being written that is not yet in place.
pub struct TempFile {
    file: File,
    target: PathBuf,
    /// The hidden name it has while written, where the file system has no `O_TMPFILE`.
    named: Option<PathBuf>,
}

fn temp_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    target.with_file_name(format!(
        ".{name}{TEMP_TAG}{}{TEMP_SUFFIX}",
        std::process::id()
    ))
}

fn parent(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn c_path(path: &Path) -> anyhow::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .with_context(|| format!("{}: path contains a NUL byte", path.display()))
}

impl TempFile {
    /// Starts a file of `len` bytes that will replace `target`, reserving its space.
    pub fn create(target: &Path, len: u64) -> anyhow::Result<TempFile> {
        if target.is_dir() {
            bail!(
                "{}: is a directory; remove it or write the outputs elsewhere",
                target.display()
            );
        }
        let dir = parent(target);
        let unnamed = OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o644)
            .custom_flags(libc::O_TMPFILE)
            .open(dir);
        let (file, named) = match unnamed {
            Ok(file) => (file, None),
            // No O_TMPFILE on this file system: a hidden name instead.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) =>
            {
                let temp = temp_name(target);
                let file = File::create(&temp)
                    .with_context(|| format!("{}: cannot create", temp.display()))?;
                (file, Some(temp))
            }
            Err(e) => return Err(e).with_context(|| format!("{}: cannot create", dir.display())),
        };
        let temp = TempFile {
            file,
            target: target.to_path_buf(),
            named,
        };
        temp.reserve(len)?;
        Ok(temp)
    }

    /// Gives the file its length, with the disk space allocated where the file
    /// system can (so a full disk fails now, not half-way through the run).
    fn reserve(&self, len: u64) -> anyhow::Result<()> {
        let fd = self.file.as_raw_fd();
        // SAFETY: `fd` is an open file of ours.
        let r = unsafe { libc::fallocate(fd, 0, 0, len as libc::off_t) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOSPC) {
                bail!(
                    "{}: not enough disk space for {:.2} GiB",
                    self.target.display(),
                    len as f64 / f64::from(1u32 << 30)
                );
            }
            self.file.set_len(len).with_context(|| {
                format!("{}: cannot reserve {len} bytes", self.target.display())
            })?;
        }
        Ok(())
    }

    /// Writes `data` at byte `offset`; may be called from several threads.
    pub fn write_at(&self, data: &[u8], offset: u64) -> anyhow::Result<()> {
        self.file
            .write_all_at(data, offset)
            .with_context(|| format!("{}: write failed", self.target.display()))
    }

    /// Starts writing `bytes` to disk without waiting, so the flush at [`commit`]
    /// has little left to do. The file is written in order: the page holding
    /// `bytes.start` is complete, the one holding `bytes.end` is left for later.
    pub fn start_writeback(&self, bytes: std::ops::Range<u64>) {
        const PAGE: u64 = 4096;
        let (start, end) = (bytes.start / PAGE * PAGE, bytes.end / PAGE * PAGE);
        if start < end {
            // SAFETY: `fd` is an open file of ours; the call only schedules I/O.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    start as libc::off_t,
                    (end - start) as libc::off_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
    }

    /// Where the file will appear.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Gives the file the hidden temporary name (it has it already without `O_TMPFILE`).
    fn link(&mut self) -> anyhow::Result<PathBuf> {
        if let Some(named) = &self.named {
            return Ok(named.clone());
        }
        let temp = temp_name(&self.target);
        let from = c_path(Path::new(&format!(
            "/proc/self/fd/{}",
            self.file.as_raw_fd()
        )))?;
        let to = c_path(&temp)?;
        // SAFETY: both paths are NUL-terminated strings that live across the call.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("{}: cannot link the output in", temp.display()));
        }
        self.named = Some(temp.clone());
        Ok(temp)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(named) = &self.named {
            let _ = std::fs::remove_file(named);
        }
    }
}

/// An exclusive `flock` on a directory, released when dropped.
struct DirLock(File);

impl Drop for DirLock {
    fn drop(&mut self) {
        // SAFETY: `fd` is an open file of ours (closing it would release the lock too).
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

impl DirLock {
    fn take(dir: &Path) -> anyhow::Result<DirLock> {
        let file = File::open(dir).with_context(|| format!("{}: cannot open", dir.display()))?;
        // SAFETY: `fd` is an open file of ours.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("{}: cannot lock", dir.display()));
        }
        Ok(DirLock(file))
    }
}

/// True when process `pid` exists.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes the hidden temporaries in `dir` of processes that are gone (left by
/// a run killed while it committed, or written without `O_TMPFILE`).
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.starts_with('.'))
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
            .and_then(|n| n.rsplit_once(TEMP_TAG))
            .and_then(|(_, pid)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() as i32 && !alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Flushes every file to disk, then puts them all in place under the lock of
/// their directory (they must share one): the set replaces the old one as a unit.
pub fn commit(mut files: Vec<TempFile>) -> anyhow::Result<()> {
    let Some(first) = files.first() else {
        return Ok(());
    };
    let dir = parent(first.target()).to_path_buf();
    for f in &files {
        f.file
            .sync_all()
            .with_context(|| format!("{}: cannot flush to disk", f.target.display()))?;
    }
    let _lock = DirLock::take(&dir)?;
    remove_stale(&dir);
    let temps: Vec<PathBuf> = files
        .iter_mut()
        .map(TempFile::link)
        .collect::<anyhow::Result<_>>()?;
    for (f, temp) in files.iter_mut().zip(temps) {
        std::fs::rename(&temp, &f.target)
            .with_context(|| format!("{}: cannot put in place", f.target.display()))?;
        f.named = None;
    }
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("{}: cannot flush to disk", dir.display()))
}
