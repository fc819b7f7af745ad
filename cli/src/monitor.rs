//! What the user sees and does while a run is under way: a progress bar on the
//! terminal (only once a run has lasted about a second) and Ctrl-C to stop.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gearbox_host::Monitor;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Set by the first Ctrl-C; a second one exits at once.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Routes Ctrl-C to [`INTERRUPTED`] so backends stop between chunks.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// A run's progress bar, counting chunks or slabs.
pub struct Progress {
    bar: ProgressBar,
    shown: AtomicBool,
    enabled: bool,
    start: Instant,
}

/// How long a run must last before its bar appears.
const SHOW_AFTER: Duration = Duration::from_millis(800);

impl Progress {
    /// A bar drawn on stderr when it is a terminal and `quiet` is off; its length
    /// and unit come with [`Monitor::start`].
    pub fn new(quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        Progress {
            bar,
            shown: AtomicBool::new(false),
            enabled: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Monitor for Progress {
    fn start(&self, total: u64, unit: &str) {
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
            && self.start.elapsed() > SHOW_AFTER
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
    }
}
