//! Naming the library a crash happened in. A gearbox library is native code: if
//! it dereferences a bad pointer the process dies, and no error can be returned.
//! Around every call into a library the host records which file and function it
//! is calling; a fatal signal then prints that one line before the process dies
//! as it would have (same signal, same exit status).

use std::sync::atomic::{AtomicPtr, Ordering};

/// What the process is calling into now (a leaked, NUL-free line), or null.
static CURRENT: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());

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

/// Installs the handler that names the library on a fatal signal. Call once,
/// early in `main`; without it [`inside`] only records.
#[cfg(unix)]
pub fn install() {
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
}

/// Does nothing where signals are not Unix's.
#[cfg(not(unix))]
pub fn install() {}

#[cfg(unix)]
extern "C" fn on_fatal(sig: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let current = CURRENT.load(Ordering::SeqCst);
    if !current.is_null() {
        // SAFETY: CURRENT only ever holds leaked strings, never freed.
        let what = unsafe { &*current };
        let name = match sig {
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGBUS => "SIGBUS",
            libc::SIGILL => "SIGILL",
            libc::SIGFPE => "SIGFPE",
            _ => "SIGABRT",
        };
        for part in [
            "gearbox: crashed (",
            name,
            ") in ",
            what.as_str(),
            "; that library is faulty: remove it from the search path or rebuild it\n",
        ] {
            // SAFETY: write(2) is async-signal-safe; the bytes are live.
            unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
        }
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
