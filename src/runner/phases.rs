//! A command trial's phases as its events open and close them: the windows summed by kind
//! (train, eval, infer; setup is not counted), the load and GPU-sharing probes at train phase
//! ends, and the readings of the last minutes for events dated by `"t"`.

use super::budget::BudgetState;
use super::protocol::CmdPhase;
use super::totals::Energies;
use crate::energy::{LoadProbe, LoadWindows, Meter, Reading, Window};
use crate::process::tree;
use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// The open phase and what the phases have added up to.
pub(super) struct Phases {
    pub(super) current: Option<(CmdPhase, Reading, Instant)>,
    pub(super) seen: Vec<CmdPhase>,
    pub(super) train: Energies,
    pub(super) train_time_s: f64,
    pub(super) epoch_train_j: Option<f64>,
    pub(super) epoch_train_s: f64,
    pub(super) eval_last: Option<Window>,
    pub(super) eval_since_epoch: Option<Window>,
    pub(super) infer: Option<(f64, f64)>,
    pub(super) load: LoadWindows,
    pub(super) load_mark: Option<Option<crate::energy::LoadSample>>,
    /// Per GPU, whether a process outside the tree used it at some train phase's end.
    pub(super) gpus_shared: Vec<Option<bool>>,
    /// The supervisor, root of the tree.
    pub(super) root: i32,
}

impl Phases {
    /// NVML's per-process lists against the tree's pids (NVML reports host pids).
    pub(super) fn note_gpus(&mut self, meter: &Meter) {
        if meter.gpu_names().is_empty() {
            return;
        }
        let procs = tree::snapshot(Path::new("/proc"));
        let mut ours: Vec<u32> =
            tree::descendants(&procs, self.root).into_iter().map(|p| p as u32).collect();
        ours.push(self.root as u32);
        let now = meter.gpus_shared_outside(&ours);
        if self.gpus_shared.is_empty() {
            self.gpus_shared = now;
        } else {
            for (acc, s) in self.gpus_shared.iter_mut().zip(now) {
                *acc = match (*acc, s) {
                    (Some(a), Some(b)) => Some(a || b),
                    (a, b) => a.or(b),
                };
            }
        }
    }

    pub(super) fn close(
        &mut self,
        now: &Reading,
        probe: &mut LoadProbe,
        budget: Option<&BudgetState>,
        meter: &Meter,
    ) {
        let Some((phase, start, _)) = self.current.take() else { return };
        let w = now.since(&start);
        match phase {
            CmdPhase::Train => {
                self.train.add(&w);
                self.train_time_s += w.duration_s;
                *self.epoch_train_j.get_or_insert(0.0) += w.energy_j;
                self.epoch_train_s += w.duration_s;
                if let Some(mark) = self.load_mark.take() {
                    self.load.add(mark, probe.sample());
                }
                self.note_gpus(meter);
                if let Some(b) = budget {
                    b.add(w.energy_j);
                }
            }
            CmdPhase::Eval => {
                if let Some(b) = budget {
                    b.add(w.energy_j);
                }
                self.eval_since_epoch = Some(w.clone());
                self.eval_last = Some(w);
            }
            CmdPhase::Infer => {
                if let Some(b) = budget {
                    b.add(w.energy_j);
                }
                let (j, s) = self.infer.unwrap_or((0.0, 0.0));
                self.infer = Some((j + w.energy_j, s + w.duration_s));
            }
            CmdPhase::Setup => {}
        }
    }

    pub(super) fn open(
        &mut self,
        phase: CmdPhase,
        now: Reading,
        at: Instant,
        probe: &mut LoadProbe,
    ) {
        if phase == CmdPhase::Train {
            self.load_mark = Some(probe.sample());
        }
        if !self.seen.contains(&phase) {
            self.seen.push(phase);
        }
        self.current = Some((phase, now, at));
    }
}

/// Readings of the last minute, for events dated by `"t"`.
pub(super) struct History {
    pub(super) readings: VecDeque<(SystemTime, Reading)>,
    pub(super) last: Instant,
    pub(super) period: Duration,
}

impl History {
    pub(super) fn tick(&mut self, meter: &Meter) {
        if self.last.elapsed() >= self.period {
            self.readings.push_back((SystemTime::now(), meter.read()));
            self.last = Instant::now();
            while self.readings.len() > 1200 {
                self.readings.pop_front();
            }
        }
    }

    /// The reading for an event at Unix time `t` that arrived now: the latest one taken at or
    /// before `t` (or now, when `t` is not in the past or older than what is kept).
    pub(super) fn at(&self, t: Option<f64>, meter: &Meter) -> Reading {
        let now = meter.read();
        let Some(t) = t else { return now };
        let Some(when) = Duration::try_from_secs_f64(t.max(0.0))
            .ok()
            .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
        else {
            return now;
        };
        if when >= SystemTime::now() {
            return now;
        }
        self.readings.iter().rev().find(|(at, _)| *at <= when).map_or(now, |(_, r)| r.clone())
    }
}
