//! A trial's results row filled from what it measured: times, energies and provenance from its
//! sums, the modelled inference energy, the measured inference phase, and what makes its figures
//! incomplete.

use super::totals::Totals;
use crate::config::EnergySettings;
use crate::energy::Window;
use crate::plan::Trial;
use crate::results::ResultRow;
use crate::train::infer::InferReport;

/// The inference phase's timings and energy windows (batch, then batch 1).
pub(super) struct Inference {
    pub(super) report: InferReport,
    pub(super) batch: Option<Window>,
    pub(super) single: Option<Window>,
}

/// Times, energies and provenance from the sums.
pub(super) fn fill_from_totals(
    row: &mut ResultRow,
    t: &Totals,
    energy: &crate::config::EnergySettings,
    idle_power_w: Option<f64>,
) {
    let e = &t.energy;
    row.epochs_trained = Some(t.epochs_done);
    row.samples = Some(t.samples);
    row.train_time_s = t.train_time_s;
    row.test_accuracy = t.test_accuracy;
    row.eval_time_s = t.eval_time_s;
    row.images_per_s = (t.train_time_s > 0.0).then(|| t.images_trained as f64 / t.train_time_s);
    row.firing_rate = t.firing_rate;
    row.energy_source = e.source.clone();
    row.energy_j = Some(e.total_j);
    row.cpu_energy_j = e.cpu_j;
    row.dram_energy_j = e.dram_j;
    row.gpu_energy_j = e.gpu_j;
    row.psys_energy_j = e.psys_j;
    row.energy_zones = Some(e.zones.join("+")).filter(|z| !z.is_empty());
    row.counter_wraps = Some(e.counter_wraps);
    row.read_failures = Some(e.read_failures);
    row.energy_complete = Some(e.read_failures == 0);
    row.other_cpu_share = t.load.other_cpu_share();
    row.gpu_shared = (!t.gpus_shared.is_empty()).then(|| {
        t.gpus_shared
            .iter()
            .map(|s| s.map_or(String::new(), |b| b.to_string()))
            .collect::<Vec<_>>()
            .join(";")
    });
    row.background_load = row.other_cpu_share.map(|s| s > energy.max_other_cpu_share);
    row.other_cpu_verdict = match (row.background_load, t.load.too_short()) {
        (Some(true), _) => Some("background load".into()),
        (Some(false), _) => Some("ok".into()),
        (None, true) => Some("too short to judge".into()),
        (None, false) => None,
    };
    row.eval_energy_j = t.eval_energy_j;
    row.mean_power_w = (t.train_time_s > 0.0).then(|| e.total_j / t.train_time_s);
    row.net_energy_j = idle_power_w.map(|p| e.total_j - p * t.train_time_s);
    let intensity = row.carbon_intensity_g_per_kwh.unwrap_or(energy.carbon_intensity_g_per_kwh);
    row.co2_g = Some(e.total_j / 3.6e6 * intensity);
    row.joules_per_accuracy_point =
        t.test_accuracy.filter(|a| *a > 0.0).map(|a| e.total_j / (a * 100.0));
}

/// Operation counts and modelled energy per inference image (once the trial has an evaluation).
pub(super) fn fill_ops(row: &mut ResultRow, trial: &Trial, t: &Totals, energy: &EnergySettings) {
    if t.test_accuracy.is_none() {
        return;
    }
    let layers = crate::models::counts::layer_ops(&trial.spec.model_settings, t.spikes.as_ref());
    let priced = crate::energy::price(&layers, &energy.ops);
    // Both are whole numbers by construction (shapes and steps).
    row.macs_per_image = Some(priced.macs.round() as u64);
    row.acs_per_image = Some(priced.acs);
    row.neuron_updates_per_image = Some(priced.neuron_updates.round() as u64);
    row.ops_energy_pj_per_image = Some(priced.compute_pj);
    row.ops_mem_energy_pj_per_image = Some(priced.with_memory_pj);
    row.layer_firing_rates = t
        .spikes
        .as_ref()
        .map(|s| s.rates.iter().map(|r| format!("{r:.6}")).collect::<Vec<_>>().join(";"));
}

/// The measured inference columns.
/// What makes a trial's figures incomplete, in `energy_incomplete_reason`: failed reads in the
/// training windows (`energy_complete`), in the last evaluation (`eval_energy_complete`) or in
/// inference (`infer_energy_complete`), and a GPU trial with no GPU measured, whose energy
/// would be the CPU's alone, ranked as nearly free.
pub(super) fn flag_incomplete(
    row: &mut ResultRow,
    t: &Totals,
    uses_gpu: bool,
    inf: Option<&Inference>,
) {
    let mut why = Vec::new();
    if t.energy.read_failures > 0 {
        why.push(format!("{} failed counter reads in training", t.energy.read_failures));
    }
    if uses_gpu && row.gpu_name.is_none() {
        why.push("trained on a GPU that is not measured (NVML or [energy] gpus)".to_string());
        row.energy_complete = Some(false);
    }
    if t.test_accuracy.is_some() {
        row.eval_energy_complete = Some(t.eval_read_failures == 0);
        if t.eval_read_failures > 0 {
            why.push(format!("{} failed counter reads in evaluation", t.eval_read_failures));
        }
    }
    if let Some(inf) = inf {
        let failures: u64 = [&inf.batch, &inf.single]
            .iter()
            .filter_map(|w| w.as_ref())
            .map(|w| w.read_failures)
            .sum();
        row.infer_energy_complete = Some(failures == 0);
        if failures > 0 {
            why.push(format!("{failures} failed counter reads in inference"));
        }
    }
    row.energy_incomplete_reason = (!why.is_empty()).then(|| why.join("; "));
}

pub(super) fn fill_inference(row: &mut ResultRow, inf: &Inference, idle_power_w: Option<f64>) {
    let r = &inf.report;
    let per = |w: &Option<Window>, n: usize| {
        w.as_ref().filter(|_| n > 0).map(|w| (w.energy_j / n as f64, w.duration_s))
    };
    let net = |e: Option<(f64, f64)>, n: usize| {
        e.zip(idle_power_w).map(|((j, d), p)| j - p * d / n.max(1) as f64)
    };
    row.infer_images_per_s = (r.batch_time_s > 0.0).then(|| r.batch_images as f64 / r.batch_time_s);
    let batch = per(&inf.batch, r.batch_images);
    row.infer_j_per_image = batch.map(|(j, _)| j);
    row.infer_net_j_per_image = net(batch, r.batch_images);
    row.infer_b1_latency_ms = (r.single_images > 0).then_some(r.single_median_s * 1e3);
    let single = per(&inf.single, r.single_images);
    row.infer_b1_j_per_image = single.map(|(j, _)| j);
    row.infer_b1_net_j_per_image = net(single, r.single_images);
    row.infer_runtime = Some(r.runtime.clone()).filter(|s| !s.is_empty());
}

/// A hot package throttles: above this (°C) at the end of training, the trial is flagged.
const HOT_C: f64 = 90.0;

/// The measurement receipts, `attributed_energy_j` and the `quality` verdict (run after
/// `fill_from_totals` and `flag_incomplete`).
/// What the sweep around a trial knew of its baseline and sampler.
pub(super) struct Baseline {
    pub idle_power_w: Option<f64>,
    pub idle_drift: Option<f64>,
    pub idle_busy: bool,
    pub sample_period_ms: f64,
}

pub(super) fn fill_receipts(row: &mut ResultRow, t: &Totals, env: &Baseline) {
    let r = &t.receipts;
    row.sample_interval_ms_median = r.interval_ms_median;
    row.sample_gap_ms_max = r.gap_ms_max;
    row.counter_stalls = Some(r.counter_stalls);
    row.idle_drift = env.idle_drift;
    row.temp_start_c = t.temp_start_c;
    row.temp_end_c = t.temp_end_c;
    row.attributed_energy_j = if row.energy_source.starts_with("estimate") {
        row.energy_j
    } else {
        match (env.idle_power_w, row.net_energy_j, row.other_cpu_share) {
            (Some(p), Some(net), Some(share)) => {
                Some(p * row.train_time_s + net * (1.0 - share.clamp(0.0, 1.0)))
            }
            _ => None,
        }
    };
    let period_ms = env.sample_period_ms;
    let mut why = Vec::new();
    if let Some(gap) = r.gap_ms_max.filter(|&g| g > (5.0 * period_ms).max(1000.0)) {
        why.push(format!("sampler gap of {gap:.0} ms"));
    }
    if r.counter_stalls > 0 {
        why.push(format!("{} counter stalls", r.counter_stalls));
    }
    if let Some(d) = env.idle_drift.filter(|d| d.abs() > super::idle::DRIFT_FLAG) {
        why.push(format!("idle power drifted {:+.0} %", d * 100.0));
    }
    if env.idle_busy {
        why.push("idle baseline taken while other processes kept the machine busy".into());
    }
    if row.background_load == Some(true) {
        why.push("background load".into());
    }
    if let Some(reason) = &row.energy_incomplete_reason {
        why.push(reason.clone());
    }
    if let Some(c) = t.temp_end_c.filter(|&c| c >= HOT_C) {
        why.push(format!("hot: {c:.0} °C at the end of training"));
    }
    row.quality = Some(if why.is_empty() {
        "ok".to_string()
    } else {
        format!("flagged: {}", why.join("; "))
    });
}

#[cfg(test)]
#[path = "tests/row.rs"]
mod tests;
