//! Waiting for a state of a process under test — it is computing, it has an
//! output open — never for a duration, so the tests pass on machines of any speed.

use std::path::Path;
use std::time::{Duration, Instant};

/// Longest a test waits for a child process to reach a state before it fails:
/// a bound against hangs, far beyond what any machine needs.
pub const STATE_TIMEOUT: Duration = Duration::from_secs(120);

/// Polls `ready` until it holds, failing the test (after [`STATE_TIMEOUT`]) if it
/// never does. Tests wait for a state of the process under test, never for a
/// duration, so they pass on a machine of any speed.
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + STATE_TIMEOUT;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "waited {STATE_TIMEOUT:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// CPU seconds (user + system) that process `pid` has used so far, from
/// `/proc/<pid>/stat`; 0 once it is gone.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / per_second
}

/// Waits until process `pid` has computed for `seconds` of CPU time: past
/// start-up and loading, inside its run.
pub fn wait_until_computing(pid: u32, seconds: f64) {
    wait_for(&format!("process {pid} to use {seconds} s of CPU"), || {
        cpu_seconds(pid) >= seconds
    });
}

/// True while process `pid` holds a file open under `dir` (an output being
/// written, named or not yet linked in).
pub fn has_file_open_under(pid: u32, dir: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|target| target.starts_with(dir))
}

/// Waits until process `pid` is writing an output under `dir`.
pub fn wait_until_writing_under(pid: u32, dir: &Path) {
    wait_for(
        &format!("process {pid} to open a file under {}", dir.display()),
        || has_file_open_under(pid, dir),
    );
}
