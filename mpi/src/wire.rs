//! The messages between ranks: tags, a rank's place in the job, agreement on
//! set-up results, and how a failing rank ends the job. Only point-to-point
//! messages are used, so a rank that fails never leaves the others in a
//! collective; the one exception is the comparison of the ranks' jobs right after
//! parsing (`consensus`), which every rank reaches.

use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

/// A worker wants a batch (tag of an empty message).
pub const REQUEST: i32 = 1;
/// A worker's batch partial `[batch, hi bits, lo bits]`, which also asks for the next.
pub const RESULT: i32 = 2;
/// Rank 0's answer to a request: `[batch]`, or `[NO_MORE]`.
pub const ASSIGN: i32 = 3;
/// A rank failed during a run: the cause, as [`encode_text`] words.
pub const FAILED: i32 = 4;
/// A set-up step's outcome sent to rank 0: empty for success, else the message.
pub const AGREE: i32 = 5;
/// Rank 0's verdict on a set-up step: empty for success, else the first failure.
pub const VERDICT: i32 = 6;
/// A run's result from rank 0 to the others (series value, or grid checksums).
pub const FINAL: i32 = 7;
/// Grid: the output files exist (rank 0's process id names them).
pub const FILES: i32 = 8;
/// Grid: a rank's per-slab checksums and samples, its files flushed.
pub const SLABS: i32 = 9;
/// A rank's job, sent to rank 0 when it differs from rank 0's (`consensus`).
pub const JOB: i32 = 10;

/// An [`ASSIGN`] meaning no batches are left.
pub const NO_MORE: u64 = u64::MAX;

/// The world communicator (MPI is initialised first thing in `main`).
pub fn world() -> SimpleCommunicator {
    SimpleCommunicator::world()
}

/// This process's rank.
pub fn rank() -> i32 {
    world().rank()
}

/// The stderr this process started with: ranks other than 0 point fd 2 at
/// /dev/null (they run the same command and would repeat rank 0's output), but
/// keep this copy for the one line that reports their own failure.
static FAULT_FD: OnceLock<RawFd> = OnceLock::new();

/// Silences stdout and stderr of ranks other than 0 (rank 0 prints for the job).
/// Rank 0's stderr is a pipe to mpirun; when mpirun's own stderr is a terminal
/// (the job was started from one, stderr not redirected), rank 0 writes its
/// stderr (the progress bar, messages) to that terminal instead, so the bar
/// shows. mpirun's stderr, not /dev/tty, decides: a `2>` redirect of mpirun is
/// kept. (Its stdout is no guide: OpenMPI makes it a pty even when mpirun's
/// output goes to a file.)
pub fn route_output() {
    if rank() == 0 {
        use std::io::IsTerminal;
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        // SAFETY: getppid has no preconditions.
        let parent = unsafe { libc::getppid() };
        let theirs = format!("/proc/{parent}/fd/2");
        if !std::io::stderr().is_terminal()
            && std::fs::metadata(&theirs).is_ok_and(|m| m.file_type().is_char_device())
            && let Ok(tty) = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NOCTTY)
                .open(&theirs)
            && tty.is_terminal()
        {
            // SAFETY: points this process's fd 2 at the terminal just opened.
            unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&tty), 2) };
        }
        return;
    }
    // SAFETY: plain descriptor calls on this process's own standard streams.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved >= 0 && null >= 0 {
            let _ = FAULT_FD.set(saved);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            libc::close(null);
        }
    }
}

/// The descriptor of this rank's real stderr (see [`route_output`]).
pub fn fault_fd() -> RawFd {
    FAULT_FD.get().copied().unwrap_or(2)
}

/// Prints `gearbox-mpi: rank R: error: …` on the real stderr.
pub fn fault_line(rank: i32, message: &str) {
    let line = format!(
        "gearbox-mpi: rank {rank}: error: {}\n",
        message.replace('\n', " ")
    );
    match FAULT_FD.get() {
        Some(&fd) => {
            // SAFETY: `fd` is the duplicate of stderr made in `silence_workers`, never closed;
            // ManuallyDrop keeps it open after this write.
            let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
            let _ = f.write_all(line.as_bytes());
        }
        None => eprint!("{line}"),
    }
}

/// Ends the whole job: reports `message` as this rank's failure and aborts every rank.
pub fn abort(message: &str) -> ! {
    fault_line(rank(), message);
    world().abort(1)
}

/// Makes every rank see the same outcome of a set-up step (loading libraries,
/// parsing the command line, opening a backend): success when all ranks
/// succeeded, else a failure everywhere. Rank 0 keeps its own error (and its
/// type, for the exit code), or gets the first other rank's, named by rank.
pub fn agree<T>(result: anyhow::Result<T>) -> anyhow::Result<T> {
    let world = world();
    if world.rank() == 0 {
        let mut first: Option<String> = None;
        for r in 1..world.size() {
            let (text, _) = world.process_at_rank(r).receive_vec_with_tag::<u8>(AGREE);
            if first.is_none() && !text.is_empty() {
                first = Some(format!("rank {r}: {}", String::from_utf8_lossy(&text)));
            }
        }
        let verdict = match (&result, first) {
            (Err(e), _) => Some(format!("rank 0: {e:#}")),
            (Ok(_), other) => other,
        };
        let payload = verdict.clone().unwrap_or_default().into_bytes();
        for r in 1..world.size() {
            world
                .process_at_rank(r)
                .send_with_tag(&payload[..], VERDICT);
        }
        match verdict {
            Some(v) if result.is_ok() => Err(anyhow::anyhow!(v)),
            _ => result,
        }
    } else {
        let text = result
            .as_ref()
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default()
            .into_bytes();
        world.process_at_rank(0).send_with_tag(&text[..], AGREE);
        let (verdict, _) = world.process_at_rank(0).receive_vec_with_tag::<u8>(VERDICT);
        match result {
            Ok(_) if !verdict.is_empty() => Err(anyhow::anyhow!(
                String::from_utf8_lossy(&verdict).into_owned()
            )),
            other => other,
        }
    }
}

/// Text as u64 words (its byte length, then the bytes), so every message is `[u64]`.
pub fn encode_text(text: &str) -> Vec<u64> {
    let bytes = text.as_bytes();
    let mut words = vec![bytes.len() as u64];
    words.extend(bytes.chunks(8).map(|c| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(w)
    }));
    words
}

/// The text of [`encode_text`]'s words.
pub fn decode_text(words: &[u64]) -> String {
    let len = words.first().copied().unwrap_or(0) as usize;
    let bytes: Vec<u8> = words
        .iter()
        .skip(1)
        .flat_map(|w| w.to_le_bytes())
        .take(len)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Files to remove if the job is aborted (rank 0's uncommitted outputs).
static ON_ABORT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes `path` if the job is aborted before [`forget_on_abort`].
pub fn remove_on_abort(path: &Path) {
    lock(&ON_ABORT).push(path.to_path_buf());
}

/// Keeps the files registered with [`remove_on_abort`] (they were committed or removed).
pub fn forget_on_abort() {
    lock(&ON_ABORT).clear();
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Rank 0: ends the job because rank `failed` failed with `message`: removes
/// uncommitted outputs, prints one line and aborts every rank.
pub fn fail_job(failed: i32, message: &str) -> ! {
    for path in lock(&ON_ABORT).drain(..) {
        let _ = std::fs::remove_file(path);
    }
    fault_line(failed, message);
    world().abort(1)
}

/// How long a failing rank waits for rank 0 to end the job before ending it itself.
const ABORT_GRACE: Duration = Duration::from_secs(10);

/// A rank's run failed: tells rank 0, which ends the job (cleaning up and naming
/// this rank); if rank 0 does not within [`ABORT_GRACE`], aborts the job itself.
pub fn report_failure(message: &str) -> ! {
    let world = world();
    if world.rank() == 0 {
        fail_job(0, message);
    }
    world
        .process_at_rank(0)
        .send_with_tag(&encode_text(message)[..], FAILED);
    std::thread::sleep(ABORT_GRACE);
    abort(message)
}

/// Passes an interruption (Ctrl-C: every rank has it) back to the caller; any
/// other failure of this rank's run ends the job through [`report_failure`].
pub fn fail_unless_interrupted<T>(result: anyhow::Result<T>) -> anyhow::Result<T> {
    match result {
        Err(e) if !e.is::<gearbox_host::Interrupted>() => report_failure(&format!("{e:#}")),
        other => other,
    }
}
