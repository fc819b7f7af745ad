//! Naming what a crash happened in. A gearbox library is native code: if it
//! dereferences a bad pointer the process dies, and no error can be returned.
//! Around every call into a library the host records which file and function it
//! is calling; a fatal signal then prints that one line before the process dies
//! as it would have (same signal, same exit status).
//!
//! Input files are memory-mapped, so one truncated while a run reads it raises
//! `SIGBUS` wherever its pages are touched, often inside a backend. The host
//! registers each mapping ([`watch_input`]); a fault whose address lies in one
//! names that input instead of the library:
//! `gearbox: input /x/vlat.npy changed size while it was read (SIGBUS)`.
//!
//! Every front end installs the handler once at start: the CLI in `main`, the
//! Python module when it is imported, gearbox-mpi after `MPI_Init` (so MPI's own
//! crash report follows the line).

use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicUsize, Ordering};

/// What the process is calling into now (a leaked, NUL-free line), or null.
static CURRENT: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());

/// The start of every line the handler writes (a leaked string), null for "gearbox".
static PREFIX: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());

/// The descriptor the handler writes to.
static REPORT_FD: AtomicI32 = AtomicI32::new(2);

/// A mapped input file: its bytes `start..end` in memory, and its path (a leaked
/// line, never freed: the handler may read it at any time). Free when `path` is null.
struct Watched {
    start: AtomicUsize,
    end: AtomicUsize,
    path: AtomicPtr<String>,
}

/// Inputs mapped at once beyond this many are not named (a crash in one of them
/// is then reported as before).
const WATCHED: usize = 64;

static INPUTS: [Watched; WATCHED] = [const {
    Watched {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        path: AtomicPtr::new(std::ptr::null_mut()),
    }
}; WATCHED];

/// An input file's mapping registered with [`watch_input`]; dropping it (before
/// unmapping) forgets it.
pub struct WatchedInput(Option<usize>);

impl Drop for WatchedInput {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            INPUTS[i].end.store(0, Ordering::SeqCst);
            INPUTS[i].start.store(0, Ordering::SeqCst);
            INPUTS[i].path.store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

/// Registers `len` bytes at `start`, a mapping of the input file `path`, so that
/// a fault inside them names the file. Keep the returned value while it is mapped.
pub fn watch_input(start: *const u8, len: usize, path: &Path) -> WatchedInput {
    let line: *mut String = Box::leak(Box::new(path.display().to_string().replace('\n', " ")));
    for (i, slot) in INPUTS.iter().enumerate() {
        if slot
            .path
            .compare_exchange(
                std::ptr::null_mut(),
                line,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok()
        {
            slot.start.store(start as usize, Ordering::SeqCst);
            slot.end.store(start as usize + len, Ordering::SeqCst);
            return WatchedInput(Some(i));
        }
    }
    WatchedInput(None)
}

/// The path of the watched input whose mapping holds `addr`, if any.
fn input_at(addr: usize) -> Option<&'static String> {
    INPUTS.iter().find_map(|slot| {
        let path = slot.path.load(Ordering::SeqCst);
        let (start, end) = (
            slot.start.load(Ordering::SeqCst),
            slot.end.load(Ordering::SeqCst),
        );
        // SAFETY: `path` is null or a leaked string, never freed.
        (!path.is_null() && (start..end).contains(&addr)).then(|| unsafe { &*path })
    })
}

/// The signals a crashing library raises.
#[cfg(unix)]
const FATAL: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
];

/// The actions in place before [`install`], restored by the handler so that a
/// crash outside any library (e.g. Rust's stack-overflow report) behaves as before.
#[cfg(unix)]
static mut PREVIOUS: [std::mem::MaybeUninit<libc::sigaction>; 5] =
    [std::mem::MaybeUninit::uninit(); 5];

/// Installs the handler that names the library (or input) on a fatal signal,
/// writing `gearbox: …` to stderr. Call early; without it [`inside`] only records.
pub fn install() {
    install_as("gearbox", 2);
}

/// [`install`], with the lines starting `prefix` (e.g. `gearbox-mpi: rank 1`)
/// and written to descriptor `fd`. Only the first call in a process installs.
#[cfg(unix)]
pub fn install_as(prefix: &str, fd: std::os::fd::RawFd) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        PREFIX.store(
            Box::leak(Box::new(prefix.replace('\n', " "))),
            Ordering::SeqCst,
        );
        REPORT_FD.store(fd, Ordering::SeqCst);
        for (i, &sig) in FATAL.iter().enumerate() {
            // SAFETY: plain sigaction calls with a handler that only uses
            // async-signal-safe functions (write, sigaction); PREVIOUS is written
            // here, once, before any signal can use it.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_fatal as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = &raw mut PREVIOUS[i];
                libc::sigaction(sig, &action, (*previous).as_mut_ptr());
            }
        }
    });
}

/// Does nothing where signals are not Unix's.
#[cfg(not(unix))]
pub fn install_as(_prefix: &str, _fd: i32) {}

#[cfg(unix)]
extern "C" fn on_fatal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let name = match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        _ => "SIGABRT",
    };
    let prefix = PREFIX.load(Ordering::SeqCst);
    // SAFETY: PREFIX only ever holds a leaked string, never freed.
    let prefix = if prefix.is_null() {
        "gearbox"
    } else {
        unsafe { (*prefix).as_str() }
    };
    let fd = REPORT_FD.load(Ordering::SeqCst);
    let say = |parts: &[&str]| {
        for part in parts {
            // SAFETY: write(2) is async-signal-safe; the bytes are live.
            unsafe { libc::write(fd, part.as_ptr().cast(), part.len()) };
        }
    };
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler;
    // si_addr is the faulting address for SIGSEGV and SIGBUS.
    let addr = match sig {
        libc::SIGSEGV | libc::SIGBUS if !info.is_null() => unsafe { (*info).si_addr() as usize },
        _ => 0,
    };
    let current = CURRENT.load(Ordering::SeqCst);
    if let Some(path) = (addr != 0).then(|| input_at(addr)).flatten() {
        let what = if sig == libc::SIGBUS {
            " changed size while it was read ("
        } else {
            " could not be read ("
        };
        say(&[prefix, ": input ", path.as_str(), what, name, ")\n"]);
    } else if !current.is_null() {
        // SAFETY: CURRENT only ever holds leaked strings, never freed.
        let what = unsafe { &*current };
        say(&[
            prefix,
            ": crashed (",
            name,
            ") in ",
            what.as_str(),
            "; that library is faulty: remove it from the search path or rebuild it\n",
        ]);
    }
    if let Some(i) = FATAL.iter().position(|&s| s == sig) {
        // SAFETY: restores the action saved by `install`; returning re-runs the
        // faulting instruction (or abort re-raises), which that action then handles.
        unsafe {
            let previous = &raw const PREVIOUS[i];
            libc::sigaction(sig, (*previous).as_ptr(), std::ptr::null_mut());
        }
    }
}

/// Runs `f`, a call into a library described by `what` (e.g. "describe of
/// /path/libgearbox_x.so"), so that a crash inside it names it.
pub fn inside<T>(what: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
    let line: &'static mut String = Box::leak(Box::new(what().replace('\n', " ")));
    let previous = CURRENT.swap(line, Ordering::SeqCst);
    let value = f();
    CURRENT.store(previous, Ordering::SeqCst);
    value
}
