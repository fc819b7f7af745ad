//! Everything the command writes: lines on stdout and stderr that never panic
//! (a full disk or a closed terminal becomes an error exit), and output files
//! (`--csv`, `--plot`) written so that no temporary and no half file is left.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

/// The first failed write (stream name, message), reported by `main` at exit.
static FAILED: Mutex<Option<(&str, String)>> = Mutex::new(None);

/// Whether anything was written to stdout (a `--json` document, a table).
static STDOUT_USED: AtomicBool = AtomicBool::new(false);

/// Writes one line to `stream` (what the crate's `println!`/`eprintln!` expand
/// to); a failure is recorded, later lines to that stream are dropped, and
/// `main` exits non-zero.
pub fn line(stream: &mut dyn Write, name: &'static str, args: std::fmt::Arguments<'_>) {
    if name == "stdout" {
        STDOUT_USED.store(true, Ordering::Relaxed);
    }
    let mut failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
    if failed.as_ref().is_some_and(|(s, _)| *s == name) {
        return;
    }
    if let Err(e) = writeln!(stream, "{args}") {
        failed.get_or_insert((name, format!("cannot write to {name}: {e}")));
    }
}

/// True once a line was written to stdout.
pub fn stdout_used() -> bool {
    STDOUT_USED.load(Ordering::Relaxed)
}

/// Flushes stdout and returns the first write error of the run, if any.
pub fn failure() -> Option<String> {
    let flushed = std::io::stdout().flush();
    let mut failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = flushed {
        failed.get_or_insert(("stdout", format!("cannot write to stdout: {e}")));
    }
    failed.as_ref().map(|(_, why)| why.clone())
}

/// Writes `bytes` to the file the user named. A regular file (or a new one) is
/// written under a temporary name beside it and renamed into place, so it is
/// either the old or the new file, and the temporary is removed on any error; a
/// symbolic link is followed to its target; anything else the user names (a
/// FIFO, a terminal, `/dev/stdout`) is written through, never replaced.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let target = follow_links(path)?;
    match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => anyhow::bail!("{}: is a directory", path.display()),
        Ok(m) if !m.is_file() => {
            let mut file = OpenOptions::new()
                .write(true)
                .open(&target)
                .with_context(|| format!("{}: cannot open", path.display()))?;
            file.write_all(bytes)
                .with_context(|| format!("{}: cannot write", path.display()))
        }
        _ => replace(&target, bytes).with_context(|| format!("{}: cannot write", path.display())),
    }
}

/// What `path` names once symbolic links are followed (the last one may dangle:
/// its target is then created).
fn follow_links(path: &Path) -> anyhow::Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = std::fs::read_link(&target)?;
                target = target.parent().unwrap_or(Path::new("/")).join(next);
            }
            _ => return Ok(target),
        }
    }
    anyhow::bail!("{}: too many levels of symbolic links", path.display())
}

/// Writes a temporary file beside `target` and renames it over `target`.
fn replace(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .context("the path has no file name")?;
    let temp = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    Ok(written?)
}
