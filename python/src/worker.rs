//! Running a job off the interpreter: the work goes to a thread of its own while
//! the calling thread waits without the GIL and, every 50 ms, takes it back to let
//! Python handle signals. Ctrl-C (`KeyboardInterrupt`) sets the cancel flag the
//! backend polls, and the exception is raised as soon as the backend stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

use crate::error::Failure;

/// How often the waiting thread checks for signals.
const POLL: Duration = Duration::from_millis(50);

/// Runs `job` on a scoped thread, passing it the cancel flag; returns its result,
/// or the exception a signal handler raised (the job is cancelled and joined first).
pub fn run<T: Send>(
    py: Python<'_>,
    job: impl FnOnce(&AtomicBool) -> Result<T, Failure> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
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
            if let Err(signal) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                // The backend stops at its next chunk or slab; its result is dropped.
                let _ = py.detach(move || rx.recv());
                return Err(signal);
            }
        }
    })
}
