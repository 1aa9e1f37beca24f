//! What a trial has accumulated so far: energy by domain, time, images, the last evaluation.
//! The row of a trial is built from these; a checkpoint saves them, so a trial continued from
//! one (successive halving) reports the sums over all its epochs.

use crate::energy::{LoadWindows, Receipts, SpikeProfile, Window};
use serde::{Deserialize, Serialize};

/// Sums of windows, domain by domain; a domain stays `None` if no window measured it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Energies {
    pub total_j: f64,
    pub cpu_j: Option<f64>,
    pub dram_j: Option<f64>,
    pub gpu_j: Option<f64>,
    pub psys_j: Option<f64>,
    pub source: String,
    /// Domains summed, in first-seen order.
    pub zones: Vec<String>,
    pub counter_wraps: u64,
    pub read_failures: u64,
}

impl Energies {
    pub(super) fn add(&mut self, w: &Window) {
        self.absorb(&Energies {
            total_j: w.energy_j,
            cpu_j: w.cpu_energy_j,
            dram_j: w.dram_energy_j,
            gpu_j: w.gpu_energy_j,
            psys_j: w.psys_energy_j,
            source: w.source.clone(),
            zones: w.zones.clone(),
            counter_wraps: w.counter_wraps,
            read_failures: w.read_failures,
        });
    }

    /// Add other sums (a window's, or a later rung's of a command trial), domain by domain.
    pub(super) fn absorb(&mut self, e: &Energies) {
        let plus = |acc: Option<f64>, x: Option<f64>| match (acc, x) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        self.total_j += e.total_j;
        self.cpu_j = plus(self.cpu_j, e.cpu_j);
        self.dram_j = plus(self.dram_j, e.dram_j);
        self.gpu_j = plus(self.gpu_j, e.gpu_j);
        self.psys_j = plus(self.psys_j, e.psys_j);
        if !e.source.is_empty() {
            self.source = e.source.clone();
        }
        for z in &e.zones {
            if !self.zones.contains(z) {
                self.zones.push(z.clone());
            }
        }
        self.counter_wraps += e.counter_wraps;
        self.read_failures += e.read_failures;
    }
}

/// A trial's sums over the epochs trained so far (in this and earlier runs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Totals {
    /// Complete epochs (trained and evaluated).
    pub epochs_done: usize,
    /// Seconds of training, partial epochs included.
    pub train_time_s: f64,
    pub images_trained: usize,
    /// Joules of the complete epochs' training windows (the epochs rows' `cumulative_energy_j`).
    pub epochs_energy_j: f64,
    /// Whether every complete epoch had an energy window.
    pub epochs_measured: bool,
    /// Training windows, partial epochs included.
    pub energy: Energies,
    pub load: LoadWindows,
    /// Per GPU: whether another process used it at some training-window end.
    pub gpus_shared: Vec<Option<bool>>,
    /// Power samples written.
    pub samples: u64,
    /// The last complete epoch's evaluation.
    pub test_accuracy: Option<f64>,
    pub eval_time_s: Option<f64>,
    pub eval_energy_j: Option<f64>,
    /// Failed counter reads in the last evaluation window.
    #[serde(default)]
    pub eval_read_failures: u64,
    pub firing_rate: Option<f64>,
    /// Spiking models: the last evaluation's spikes per layer.
    #[serde(default)]
    pub spikes: Option<SpikeProfile>,
    /// How well the trial was sampled (over all its segments).
    #[serde(default)]
    pub receipts: Receipts,
    /// The hottest temperature sensor at the start of the first training window and at the end
    /// of the last, °C.
    #[serde(default)]
    pub temp_start_c: Option<f64>,
    #[serde(default)]
    pub temp_end_c: Option<f64>,
}

impl Totals {
    pub(super) fn fresh(source: String) -> Totals {
        Totals {
            energy: Energies { source, ..Default::default() },
            epochs_measured: true,
            ..Default::default()
        }
    }

    /// Add one power log's receipts: the latest median interval, the longest gap, every stall.
    pub(super) fn add_receipts(&mut self, r: Option<Receipts>) {
        let Some(r) = r else { return };
        let acc = &mut self.receipts;
        acc.interval_ms_median = r.interval_ms_median.or(acc.interval_ms_median);
        acc.gap_ms_max = match (acc.gap_ms_max, r.gap_ms_max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        acc.counter_stalls += r.counter_stalls;
    }

    pub(super) fn add_gpus_shared(&mut self, now: Vec<Option<bool>>) {
        if self.gpus_shared.is_empty() {
            self.gpus_shared = now;
            return;
        }
        for (acc, s) in self.gpus_shared.iter_mut().zip(now) {
            *acc = match (*acc, s) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            };
        }
    }
}
