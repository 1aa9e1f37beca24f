//! `[budget]`: the energy and wall time one run of a sweep may spend. Energy counts every
//! measured window (training and evaluation) of the trials in this run, as the meter reads it.

use std::sync::Mutex;
use std::time::Instant;

use crate::config::Budget;

/// The limits and what this run has spent so far.
pub(super) struct BudgetState {
    pub limits: Budget,
    pub started: Instant,
    /// Joules of every window measured in this run so far (updated at each window's end; a
    /// mutex because a trial may train inside its own thread pool).
    spent_j: Mutex<f64>,
}

impl BudgetState {
    pub(super) fn new(limits: Budget) -> BudgetState {
        BudgetState { limits, started: Instant::now(), spent_j: Mutex::new(0.0) }
    }

    pub(super) fn add(&self, joules: f64) {
        if joules.is_finite() {
            *self.spent_j.lock().unwrap_or_else(|p| p.into_inner()) += joules;
        }
    }

    /// Which limit is reached, in words; `None` while within budget.
    pub(super) fn reached(&self) -> Option<String> {
        self.reached_with(0.0)
    }

    /// Same, counting also `open_j` joules of a window still open (a command's phase: a long
    /// command must be stopped inside it, not after).
    pub(super) fn reached_with(&self, open_j: f64) -> Option<String> {
        let spent = *self.spent_j.lock().unwrap_or_else(|p| p.into_inner())
            + if open_j.is_finite() { open_j.max(0.0) } else { 0.0 };
        let elapsed = self.started.elapsed().as_secs_f64();
        if let Some(max) = self.limits.max_energy_j.filter(|m| spent >= *m) {
            return Some(format!(
                "budget reached: max_energy_j = {max} J ({spent:.1} J spent in this run)"
            ));
        }
        if let Some(max) = self.limits.max_time_s.filter(|m| elapsed >= *m) {
            return Some(format!(
                "budget reached: max_time_s = {max} s ({elapsed:.1} s in this run)"
            ));
        }
        None
    }
}

#[cfg(test)]
#[path = "tests/budget.rs"]
mod tests;
