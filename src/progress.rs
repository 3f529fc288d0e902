//! The progress bar of a long run: bytes of the sources read, on standard error, and nothing at
//! all when standard error is not a terminal (a log file or a pipe gets no escape codes).
//! Standard output carries only data, so the bar never goes there.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A handle on the bar; clones share it, so the reading threads can each advance it.
#[derive(Clone)]
pub struct Progress(ProgressBar);

impl Default for Progress {
    fn default() -> Progress {
        Progress::hidden()
    }
}

impl Progress {
    /// A bar nobody sees: for library use, tests and re-runs.
    pub fn hidden() -> Progress {
        Progress(ProgressBar::hidden())
    }

    /// A bar over `total` bytes on standard error when it is a terminal, hidden otherwise.
    pub fn on_stderr(total: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(bar)
    }

    /// Names the source being read.
    pub fn source(&self, name: &str) {
        self.0.set_message(name.to_string());
    }

    /// Counts `bytes` more as read.
    pub fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    pub fn position(&self) -> u64 {
        self.0.position()
    }

    /// Puts the bar at `bytes` read: the end of a source, however it was read.
    pub fn set(&self, bytes: u64) {
        self.0.set_position(bytes);
    }

    /// Removes the bar, leaving the terminal as it was.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
