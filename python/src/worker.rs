//! Running a job off the interpreter: the work goes to a thread of its own while
//! the calling thread waits without the GIL and, every 50 ms, takes it back to let
//! Python handle signals. Ctrl-C (`KeyboardInterrupt`), the run's `timeout=`, and
//! the interpreter's exit ([`cancel_all`], called as it shuts down) set the cancel
//! flag the backend polls; the exception is raised as soon as the backend stops.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::error::Failure;

/// How often the waiting thread checks for signals.
const POLL: Duration = Duration::from_millis(50);

/// Set once the interpreter shuts down: every run stops, and none starts.
static SHUTDOWN: AtomicBool = AtomicBool::new(false);

/// Runs in progress in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Cancels every run in progress and any later one; the package calls it as the
/// interpreter shuts down (before it waits for threads), so that a run on another
/// thread ends instead of holding the exit up.
#[pyfunction]
pub fn cancel_all() {
    SHUTDOWN.store(true, Ordering::Relaxed);
}

/// The number of runs in progress (from any thread), for tests to wait on.
#[pyfunction]
pub fn running() -> usize {
    RUNNING.load(Ordering::Relaxed)
}

/// A run's time limit: `timeout` seconds from now (positive and finite), or none.
pub fn deadline(timeout: Option<f64>) -> PyResult<Option<(Instant, f64)>> {
    let Some(seconds) = timeout else {
        return Ok(None);
    };
    let limit = Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "timeout must be a positive number of seconds, got {seconds}"
            ))
        })?;
    Ok(Some((Instant::now() + limit, seconds)))
}

/// Counts a run in progress while alive.
struct Running;

impl Running {
    fn start() -> Running {
        RUNNING.fetch_add(1, Ordering::Relaxed);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why the waiting thread stopped a run.
fn stop_reason(py: Python<'_>, deadline: Option<(Instant, f64)>) -> Option<PyErr> {
    if let Err(signal) = py.check_signals() {
        return Some(signal);
    }
    if SHUTDOWN.load(Ordering::Relaxed) {
        return Some(Failure::Run("cancelled: the interpreter is exiting".into()).into());
    }
    match deadline {
        Some((at, seconds)) if Instant::now() >= at => Some(PyTimeoutError::new_err(format!(
            "the run did not finish within timeout={seconds} s and was cancelled"
        ))),
        _ => None,
    }
}

/// Runs `job` on a scoped thread, passing it the cancel flag; returns its result,
/// or the exception that stopped it (a signal handler's, a timeout, the
/// interpreter's exit); the job is cancelled and joined first.
pub fn run<T: Send>(
    py: Python<'_>,
    deadline: Option<(Instant, f64)>,
    job: impl FnOnce(&AtomicBool) -> Result<T, Failure> + Send,
) -> PyResult<T> {
    let _running = Running::start();
    let cancel = AtomicBool::new(SHUTDOWN.load(Ordering::Relaxed));
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        let cancel = &cancel;
        scope.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(cancel)));
            // The receiver only goes away once this thread is joined.
            let _ = tx.send(result);
        });
        let mut rx = rx;
        loop {
            // The receiver is Send but not Sync: it goes into the GIL-free closure and back.
            let received;
            (rx, received) = py.detach(move || {
                let received = rx.recv_timeout(POLL);
                (rx, received)
            });
            match received {
                Ok(Ok(result)) => return result.map_err(PyErr::from),
                Ok(Err(panic)) => {
                    let why = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("unknown cause");
                    return Err(Failure::Run(format!("gearbox panicked: {why}")).into());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    unreachable!("the worker always sends before it ends")
                }
            }
            if let Some(stop) = stop_reason(py, deadline) {
                cancel.store(true, Ordering::Relaxed);
                // The backend stops at its next chunk or slab; its result is dropped.
                let _ = py.detach(move || rx.recv());
                return Err(stop);
            }
        }
    })
}
