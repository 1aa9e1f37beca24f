//! Where the sweep is: a progress bar on a terminal (trial k of n, epoch, batch, elapsed, ETA from
//! finished trials), plain log lines otherwise (logs and cluster output files).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub(super) struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    started: Instant,
    trial_label: String,
    last_line: Instant,
}

impl Progress {
    pub(super) fn new(total: usize, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] trial {pos}/{len} ETA {eta} {msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Progress {
            bar,
            total,
            done: 0,
            started: Instant::now(),
            trial_label: String::new(),
            last_line: Instant::now(),
        }
    }

    /// Trials (or halving segments) still to run from now on, when the plan changes as it goes.
    pub(super) fn set_remaining(&mut self, remaining: usize) {
        self.total = self.done + remaining;
        if let Some(bar) = &self.bar {
            bar.set_length(self.total as u64);
        }
    }

    pub(super) fn start_trial(&mut self, label: String) {
        tracing::info!("trial {}/{}: {label}", self.done + 1, self.total);
        self.trial_label = label;
        if let Some(bar) = &self.bar {
            bar.set_message(self.trial_label.clone());
        }
    }

    pub(super) fn batch(
        &mut self,
        epoch: usize,
        epochs: usize,
        batch: usize,
        batches: usize,
        loss: f32,
    ) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} epoch {epoch}/{epochs} batch {batch}/{batches} loss {loss:.3}",
                self.trial_label
            ));
        } else if self.last_line.elapsed() >= Duration::from_secs(30) {
            self.last_line = Instant::now();
            tracing::info!(
                "  epoch {epoch}/{epochs} batch {batch}/{batches} loss {loss:.3} {}",
                self.eta()
            );
        }
    }

    pub(super) fn finish_trial(&mut self, summary: &str) {
        self.done += 1;
        tracing::info!("trial {}/{} done: {summary} ({})", self.done, self.total, self.eta());
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn eta(&self) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.done == 0 {
            return format!("elapsed {}", fmt_secs(elapsed));
        }
        let left = elapsed / self.done as f64 * (self.total - self.done) as f64;
        format!("elapsed {}, ETA {}", fmt_secs(elapsed), fmt_secs(left))
    }

    pub(super) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

fn fmt_secs(s: f64) -> String {
    let s = s.round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
