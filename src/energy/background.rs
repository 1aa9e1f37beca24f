//! Background load: how much of the machine's busy CPU time during a trial's training windows
//! was not this process. RAPL meters whole packages, so another program's work lands in the
//! trial's energy; this says how much to distrust it.
//!
//! The machine's busy time is the first (`cpu`) line of `/proc/stat`: the sum of user, nice,
//! system, irq and softirq, in clock ticks (guest time is already inside user; idle, iowait and
//! steal are not work done here). This process's time is `getrusage` (user + system, all threads), so
//! `other_cpu_share = (machine busy − ours) / machine busy`, clamped to [0, 1].

use std::path::PathBuf;

use super::estimate::{CpuClock, process_cpu_clock};

/// Busy CPU time (all CPUs, summed over a trial's windows) below which the background share
/// is not judged: 50 ticks of `/proc/stat` at Linux's fixed USER_HZ of 100, so the ±1 tick of
/// rounding per CPU at each end of a window stays a few per cent of the whole.
pub(crate) const MIN_BUSY_S: f64 = 0.5;

/// What other processes' CPU work did to a trial's energy, by its `energy_source`: RAPL meters
/// whole packages, so their work is in the joules; the estimate counts this process's own CPU
/// time only, so it is not, though they competed for caches, memory bandwidth and the turbo
/// budget (this process's time, and so its estimate, may be higher than on a quiet machine).
pub(crate) fn background_effect(energy_source: &str) -> &'static str {
    if energy_source.starts_with("estimate") {
        "its energy is the estimate from this process's own CPU time, which leaves their work out, but they competed for caches, memory bandwidth and turbo headroom, so its time and estimate may be higher than on a quiet machine"
    } else {
        "RAPL counts whole packages, so its energy includes their work"
    }
}

/// Busy clock ticks of the whole machine from the text of `/proc/stat`.
pub(super) fn busy_ticks(proc_stat: &str) -> Option<u64> {
    let line = proc_stat.lines().find(|l| l.split_whitespace().next() == Some("cpu"))?;
    let f: Vec<u64> =
        line.split_whitespace().skip(1).map(|x| x.parse().ok()).collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal guest guest_nice
    if f.len() < 7 {
        return None;
    }
    Some(f[0] + f[1] + f[2] + f[5] + f[6])
}

/// Machine busy seconds and this process's CPU seconds at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LoadSample {
    pub machine_busy_s: f64,
    pub process_s: f64,
}

/// Reads load samples; the file and the process clock are injectable for tests.
pub(crate) struct LoadProbe {
    proc_stat: PathBuf,
    clock: CpuClock,
    ticks_per_s: f64,
}

impl LoadProbe {
    pub(crate) fn system() -> LoadProbe {
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        LoadProbe::new(
            "/proc/stat".into(),
            process_cpu_clock(),
            if hz > 0 { hz as f64 } else { 100.0 },
        )
    }

    pub(crate) fn new(proc_stat: PathBuf, clock: CpuClock, ticks_per_s: f64) -> LoadProbe {
        LoadProbe { proc_stat, clock, ticks_per_s }
    }

    /// `None` when either reading fails (no /proc, say): the share is then unknown, not 0.
    pub(crate) fn sample(&mut self) -> Option<LoadSample> {
        let text = std::fs::read_to_string(&self.proc_stat).ok()?;
        let ticks = busy_ticks(&text)?;
        let us = (self.clock)().ok()?;
        Some(LoadSample {
            machine_busy_s: ticks as f64 / self.ticks_per_s,
            process_s: us as f64 / 1e6,
        })
    }
}

/// Sums over a trial's training windows (saved in a checkpoint, so a continued trial goes on
/// summing).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LoadWindows {
    machine_busy_s: f64,
    process_s: f64,
    /// Every window had both ends.
    windows: usize,
    missing: usize,
}

impl LoadWindows {
    pub(crate) fn add(&mut self, start: Option<LoadSample>, end: Option<LoadSample>) {
        match (start, end) {
            (Some(a), Some(b)) => {
                self.machine_busy_s += (b.machine_busy_s - a.machine_busy_s).max(0.0);
                self.process_s += (b.process_s - a.process_s).max(0.0);
                self.windows += 1;
            }
            _ => self.missing += 1,
        }
    }

    /// Add the windows of another run of the same trial (a later rung of a command trial).
    pub(crate) fn merge(&mut self, other: &LoadWindows) {
        self.machine_busy_s += other.machine_busy_s;
        self.process_s += other.process_s;
        self.windows += other.windows;
        self.missing += other.missing;
    }

    /// The windows were all read but spanned too little busy time to tell a neighbour from
    /// rounding: `/proc/stat` counts in 10 ms ticks per CPU, so below [`MIN_BUSY_S`] a share
    /// is a ratio of rounding errors (a 30 ms trial's windows span a few ticks).
    pub(crate) fn too_short(&self) -> bool {
        self.windows > 0 && self.missing == 0 && self.machine_busy_s < MIN_BUSY_S
    }

    /// The share of the machine's busy CPU time that was not this process, 0–1; `None` when a
    /// window could not be read, nothing was busy, or the windows were [too short](Self::too_short).
    pub(crate) fn other_cpu_share(&self) -> Option<f64> {
        if self.windows == 0 || self.missing > 0 || self.too_short() {
            return None;
        }
        Some(((self.machine_busy_s - self.process_s) / self.machine_busy_s).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
#[path = "tests/background.rs"]
mod tests;
