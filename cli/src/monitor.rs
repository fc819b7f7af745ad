//! What the user sees and does while a run is under way: a progress bar on the
//! terminal (only once a run has lasted about a second), Ctrl-C (or SIGTERM,
//! SIGHUP) to stop, and a run that would take too long stopped unless `--yes`.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gearbox_host::Monitor;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Set by the first SIGINT, SIGTERM or SIGHUP.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Routes SIGINT, SIGTERM and SIGHUP to [`INTERRUPTED`]: backends stop between
/// chunks, and the run unwinds normally, removing its temporaries. A second
/// signal does not cut that short; it says what is happening.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("gearbox: stopping after the current chunk or slab, then cleaning up");
        }
    });
}

/// True once the user asked to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// How long a run may be expected to take before it needs `--yes`.
const LONGEST_WITHOUT_YES: Duration = Duration::from_secs(3600);
/// How long a run goes before its duration is estimated from its progress.
const ESTIMATE_AFTER: Duration = Duration::from_secs(2);

/// A run's progress bar, counting chunks or slabs, and its time budget.
pub struct Progress {
    bar: ProgressBar,
    shown: AtomicBool,
    enabled: bool,
    /// `--yes`: run however long it takes.
    unbounded: bool,
    start: OnceLock<Instant>,
    /// "chunks" or "slabs".
    unit: OnceLock<String>,
    /// Why the run was stopped for taking too long, once it was.
    too_long: OnceLock<String>,
}

/// How long a run must last before its bar appears.
const SHOW_AFTER: Duration = Duration::from_millis(800);

impl Progress {
    /// A bar drawn on stderr when it is a terminal and `quiet` is off; its length
    /// and unit come with [`Monitor::start`]. Unless `yes`, a run estimated to take
    /// longer than an hour is stopped ([`Progress::too_long`]).
    pub fn new(quiet: bool, yes: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        Progress {
            bar,
            shown: AtomicBool::new(false),
            enabled: !quiet && std::io::stderr().is_terminal(),
            unbounded: yes,
            start: OnceLock::new(),
            unit: OnceLock::new(),
            too_long: OnceLock::new(),
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// When the run was stopped for taking too long: a sentence saying how long
    /// it would have taken and how to run it anyway.
    pub fn too_long(&self) -> Option<String> {
        self.too_long.get().cloned()
    }

    /// True when the run has gone long enough to be estimated and the estimate is
    /// over the limit (recorded for [`Progress::too_long`]).
    fn over_budget(&self) -> bool {
        if self.unbounded {
            return false;
        }
        if self.too_long.get().is_some() {
            return true;
        }
        let elapsed = self.start.get_or_init(Instant::now).elapsed();
        let (done, total) = (self.bar.position(), self.bar.length().unwrap_or(0));
        if elapsed < ESTIMATE_AFTER || done == 0 {
            return false;
        }
        let estimate = elapsed.as_secs_f64() * total as f64 / done as f64;
        if estimate <= LONGEST_WITHOUT_YES.as_secs_f64() {
            return false;
        }
        let _ = self.too_long.set(format!(
            "at the speed of its first {:.1} s ({done} of {total} {}), this run would take about {}, and gearbox asks before runs of over an hour; pass --yes to run it anyway, or make it smaller",
            elapsed.as_secs_f64(),
            self.unit.get().map_or("units", String::as_str),
            human(estimate),
        ));
        true
    }
}

/// A duration in the largest unit that keeps it readable ("3.2 hours", "292 years").
fn human(seconds: f64) -> String {
    let units = [
        (365.25 * 86400.0, "years"),
        (86400.0, "days"),
        (3600.0, "hours"),
        (60.0, "minutes"),
    ];
    units
        .iter()
        .find(|(size, _)| seconds >= 2.0 * size)
        .map_or(format!("{seconds:.0} seconds"), |(size, name)| {
            format!("{:.1} {name}", seconds / size)
        })
}

impl Monitor for Progress {
    fn start(&self, total: u64, unit: &str) {
        let _ = self.start.set(Instant::now());
        let _ = self.unit.set(unit.to_string());
        self.bar.set_length(total);
        let template = format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{rate}}, ETA {{eta}})"
        );
        if let Ok(style) = ProgressStyle::with_template(&template) {
            self.bar.set_style(style.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ));
        }
    }

    fn advance(&self, done: u64) {
        self.bar.inc(done);
        if self.enabled
            && self.start.get().is_some_and(|s| s.elapsed() > SHOW_AFTER)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn cancelled(&self) -> bool {
        interrupted() || self.over_budget()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_a_sensible_unit() {
        assert_eq!(human(30.0), "30 seconds");
        assert_eq!(human(7200.0), "2.0 hours");
        assert_eq!(human(9.2e9), "291.5 years");
    }
}
