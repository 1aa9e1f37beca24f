//! Idle power: the meter read over a quiet interval, so rows can give energy above idle
//! (`net_energy_j`) and charge a trial the machine's baseline (`attributed_energy_j`).
//!
//! Measured before the first trial, again between trials every `[energy] idle_every_s`, and at the
//! end of the sweep: each trial records how far the latest baseline has drifted from the first
//! (`idle_drift`), and `<out>/idle.csv` keeps every measurement. A baseline taken while other
//! processes kept the machine busy is flagged: it would make net and attributed energy wrong.
//! `[energy] cooldown_s` waits between trials (a hot package draws more at the same work).

use std::path::Path;
use std::time::{Duration, Instant};

use super::environment::now_iso;
use super::interrupt::Interrupt;
use crate::energy::{LoadProbe, Meter};

/// One idle measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Idle {
    pub power_w: f64,
    /// CPUs other processes kept busy on average meanwhile (`/proc/stat`); `None` if unreadable.
    pub others_cpus: Option<f64>,
    /// Those others used more than `max_other_cpu_share` of the machine's CPUs.
    pub busy: bool,
}

/// Idle power of the measured domains over `idle_s` seconds (`None` for 0 or an interrupt).
pub(super) fn measure_idle(meter: &Meter, idle_s: f64, interrupt: &Interrupt) -> Option<f64> {
    measure(meter, idle_s, interrupt, 1.0).map(|i| i.power_w)
}

fn measure(meter: &Meter, idle_s: f64, interrupt: &Interrupt, max_share: f64) -> Option<Idle> {
    if idle_s <= 0.0 {
        return None;
    }
    tracing::info!("measuring idle power for {idle_s} s");
    let mut probe = LoadProbe::system();
    let load0 = probe.sample();
    let start = meter.read();
    let until = Instant::now() + Duration::from_secs_f64(idle_s);
    while Instant::now() < until && !interrupt.requested() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let w = meter.read().since(&start);
    let load1 = probe.sample();
    if w.duration_s <= 0.0 || interrupt.requested() {
        return None;
    }
    let others_cpus = load0.zip(load1).map(|(a, b)| {
        let machine = (b.machine_busy_s - a.machine_busy_s).max(0.0);
        let ours = (b.process_s - a.process_s).max(0.0);
        (machine - ours).max(0.0) / w.duration_s
    });
    Some(Idle {
        power_w: w.energy_j / w.duration_s,
        others_cpus,
        busy: max_share < 1.0 && others_cpus.is_some_and(|c| c > max_share * online_cpus()),
    })
}

fn online_cpus() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if n > 0 { n as f64 } else { 1.0 }
}

/// The baselines of one sweep.
pub(super) struct IdleTracker {
    idle_s: f64,
    every_s: f64,
    cooldown_s: f64,
    max_share: f64,
    first: Option<Idle>,
    latest: Option<Idle>,
    measured_at: Instant,
    trials: usize,
    /// `at,when,idle_power_w,others_cpus,busy` rows for idle.csv.
    rows: Vec<[String; 5]>,
}

impl IdleTracker {
    pub(super) fn new(e: &crate::config::EnergySettings) -> IdleTracker {
        IdleTracker {
            idle_s: e.idle_s,
            every_s: e.idle_every_s,
            cooldown_s: e.cooldown_s,
            max_share: e.max_other_cpu_share,
            first: None,
            latest: None,
            measured_at: Instant::now(),
            trials: 0,
            rows: Vec::new(),
        }
    }

    fn take(&mut self, meter: &Meter, interrupt: &Interrupt, when: &str) {
        let Some(idle) = measure(meter, self.idle_s, interrupt, self.max_share) else { return };
        if idle.busy {
            tracing::warn!(
                "idle power measured ({when}) while other processes kept {:.2} CPUs busy: net and attributed energy rest on it and are flagged",
                idle.others_cpus.unwrap_or(0.0)
            );
        }
        self.rows.push([
            now_iso(),
            when.to_string(),
            format!("{:.4}", idle.power_w),
            idle.others_cpus.map(|c| format!("{c:.4}")).unwrap_or_default(),
            idle.busy.to_string(),
        ]);
        self.first.get_or_insert(idle);
        self.latest = Some(idle);
        self.measured_at = Instant::now();
    }

    /// The baseline before the first trial.
    pub(super) fn start(&mut self, meter: &Meter, interrupt: &Interrupt) {
        self.take(meter, interrupt, "start");
    }

    /// Before each trial: the cooldown (not before the first) and, when due, a new baseline.
    pub(super) fn before_trial(&mut self, meter: &Meter, interrupt: &Interrupt) {
        if self.trials > 0 {
            if self.cooldown_s > 0.0 {
                let until = Instant::now() + Duration::from_secs_f64(self.cooldown_s);
                while Instant::now() < until && !interrupt.requested() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            if self.every_s > 0.0 && self.measured_at.elapsed().as_secs_f64() >= self.every_s {
                self.take(meter, interrupt, "between");
            }
        }
        self.trials += 1;
    }

    /// The baseline in force, its drift from the first (relative), and whether it was busy.
    pub(super) fn current(&self) -> (Option<f64>, Option<f64>, bool) {
        let Some(latest) = self.latest else { return (None, None, false) };
        let drift =
            self.first.filter(|f| f.power_w > 0.0).map(|f| latest.power_w / f.power_w - 1.0);
        (Some(latest.power_w), drift, latest.busy)
    }

    /// After the last trial: one more baseline (when trials ran and none was interrupted), the
    /// drift said, and idle.csv written.
    pub(super) fn finish(&mut self, meter: &Meter, interrupt: &Interrupt, out: &Path) {
        if self.trials > 0 && !interrupt.requested() {
            self.take(meter, interrupt, "end");
        }
        if let (Some(first), Some(last)) = (self.first, self.latest)
            && self.rows.len() > 1
            && first.power_w > 0.0
        {
            let drift = last.power_w / first.power_w - 1.0;
            let say = format!(
                "idle power drifted from {:.2} W to {:.2} W ({:+.1} %) over the sweep",
                first.power_w,
                last.power_w,
                drift * 100.0
            );
            if drift.abs() > DRIFT_FLAG {
                tracing::warn!("{say}: net energies of the later trials are the least certain");
            } else {
                tracing::info!("{say}");
            }
        }
        if self.rows.is_empty() {
            return;
        }
        let mut text = String::from("at,when,idle_power_w,others_cpus,busy\n");
        for r in &self.rows {
            text.push_str(&r.join(","));
            text.push('\n');
        }
        if let Err(e) = crate::results::write_atomic(&out.join("idle.csv"), text.as_bytes()) {
            tracing::warn!("could not write idle.csv: {e:#}");
        }
    }
}

/// An idle baseline that moved more than this (relative) since the first flags the trial.
pub(super) const DRIFT_FLAG: f64 = 0.10;
