//! Output files committed as one unit. Each file is written unnamed
//! (`O_TMPFILE`), so a run that dies, even by `SIGKILL`, leaves nothing behind;
//! [`commit`] then flushes every file to disk and, holding an exclusive lock on
//! the directory, links each in under a temporary name and renames it over its
//! target. Concurrent runs into one directory therefore replace the whole set one
//! after the other and never mix, and a run that fails before the commit changes
//! nothing. Where the file system has no `O_TMPFILE`, files are written under
//! hidden temporary names.
//!
//! Every temporary name any gearbox front end gives an output (the CLI, Python,
//! gearbox-mpi) is made by [`temp_path`]: `.<name>.gearbox-<pid>@<host>.tmp`,
//! naming the process that owns it and its machine. A process killed with
//! `SIGKILL` cannot remove its temporaries, so every commit into a directory
//! first removes those whose owner is gone ([`remove_stale`]): same machine, no
//! process with that id. Temporaries of another machine (a directory shared over
//! the network) are left alone, since their owner cannot be checked from here.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, bail};

/// The end of every temporary name.
const TEMP_SUFFIX: &str = ".tmp";
/// What marks a temporary name as gearbox's: `.<name>.gearbox-<pid>@<host>.tmp`.
const TEMP_TAG: &str = ".gearbox-";
/// The mark of gearbox-mpi's temporaries before they were named by [`temp_path`]
/// (`.<name>.npy.mpi-<pid>.tmp`), still removed when stale.
const OLD_MPI_TAG: &str = ".npy.mpi-";
/// The longest file name Linux file systems accept, in bytes.
const NAME_MAX: usize = 255;

/// This machine's name as it appears in temporary names: the host name, with
/// any byte other than letters, digits, `-` and `_` dropped, at most 64 bytes.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
        let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        let raw = if r == 0 { &buf[..] } else { &[][..] };
        let raw = raw.split(|&b| b == 0).next().unwrap_or_default();
        let mut name: String = raw
            .iter()
            .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            .take(64)
            .map(|&b| char::from(b))
            .collect();
        if name.is_empty() {
            name.push_str("localhost");
        }
        name
    })
}

/// The hidden name under which `target` is written or linked in before it is
/// committed, owned by process `pid` of this machine:
/// `.<name>.gearbox-<pid>@<host>.tmp` in `target`'s directory. A `<name>` too long
/// for the file system's 255-byte limit is cut, and a hash of the whole name keeps
/// the cut names of one directory apart. gearbox-mpi names its files after rank
/// 0's process, the one that commits them.
pub fn temp_path(target: &Path, pid: u32) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tail = format!("{TEMP_TAG}{pid}@{}{TEMP_SUFFIX}", host());
    let room = NAME_MAX - 1 - tail.len();
    let shown = if name.len() <= room {
        name.to_string()
    } else {
        // FNV-1a of the whole name: 16 hex digits after the part that fits.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let mut cut = room - 17;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}~{hash:016x}", &name[..cut])
    };
    target.with_file_name(format!(".{shown}{tail}"))
}

/// The owner of a temporary named by [`temp_path`] (or by an older gearbox):
/// its process id and machine, `None` for the machine where the name has none.
fn temp_owner(file_name: &str) -> Option<(i32, Option<&str>)> {
    let stem = file_name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let owner = match stem.rsplit_once(TEMP_TAG) {
        Some((_, owner)) => owner,
        None => stem.rsplit_once(OLD_MPI_TAG)?.1,
    };
    let (pid, host) = match owner.split_once('@') {
        Some((pid, host)) => (pid, Some(host)),
        None => (owner, None),
    };
    Some((pid.parse().ok().filter(|&p| p > 0)?, host))
}

/// A file being written that is not yet in place.
pub struct TempFile {
    file: File,
    target: PathBuf,
    /// The hidden name it has while written, where the file system has no `O_TMPFILE`.
    named: Option<PathBuf>,
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
                let temp = temp_path(target, std::process::id());
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
        let temp = temp_path(&self.target, std::process::id());
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

/// Removes the temporaries in `dir` (named by [`temp_path`]) whose owner is
/// gone: a process of this machine that no longer exists. They are what a run
/// killed by `SIGKILL` leaves (while it committed, or written without
/// `O_TMPFILE`, or any gearbox-mpi run). Call it holding the directory's lock, as
/// [`rename_into_place`] does.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((pid, owner_host)) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        let here = owner_host.is_none_or(|h| h == host());
        if here && pid != std::process::id() as i32 && !alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Renames each `(temporary, target)` pair in `dir`, holding the directory's
/// lock, after removing the stale temporaries there ([`remove_stale`]), then
/// flushes the directory. Every commit of a set of outputs ends here.
pub fn rename_into_place(dir: &Path, pairs: &[(PathBuf, PathBuf)]) -> anyhow::Result<()> {
    let _lock = DirLock::take(dir)?;
    remove_stale(dir);
    for (temp, target) in pairs {
        std::fs::rename(temp, target)
            .with_context(|| format!("{}: cannot put in place", target.display()))?;
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("{}: cannot flush to disk", dir.display()))
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
    // Linking under a name of our own changes nothing anyone sees: no lock yet.
    let temps: Vec<PathBuf> = files
        .iter_mut()
        .map(TempFile::link)
        .collect::<anyhow::Result<_>>()?;
    let pairs: Vec<(PathBuf, PathBuf)> = temps
        .into_iter()
        .zip(files.iter().map(|f| f.target.clone()))
        .collect();
    rename_into_place(&dir, &pairs)?;
    for f in &mut files {
        f.named = None;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_say_whose_they_are_and_fit_the_file_system() {
        let t = temp_path(Path::new("/out/vx.npy"), 42);
        let name = t.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(name, format!(".vx.npy.gearbox-42@{}.tmp", host()));
        assert_eq!(t.parent(), Some(Path::new("/out")));
        assert_eq!(temp_owner(&name), Some((42, Some(host()))));
        assert_eq!(temp_owner(".vx.npy.gearbox-7.tmp"), Some((7, None)));
        assert_eq!(temp_owner(".vx.npy.mpi-7.tmp"), Some((7, None)));
        assert_eq!(temp_owner(".vx.npy.gearbox-x.tmp"), None);
        assert_eq!(temp_owner("vx.npy.gearbox-7.tmp"), None);
        // Names near the limit are cut, stay apart, and stay recognisable.
        let long = |c: &str| format!("{}{c}.npy", "é".repeat(120));
        let a = temp_path(Path::new(&long("a")), 2_000_000_000);
        let b = temp_path(Path::new(&long("b")), 2_000_000_000);
        for t in [&a, &b] {
            let name = t.file_name().unwrap().to_str().unwrap();
            assert!(name.len() <= NAME_MAX, "{} bytes", name.len());
            assert_eq!(temp_owner(name), Some((2_000_000_000, Some(host()))));
        }
        assert_ne!(a, b);
    }
}
