//! "Inference: measured here, modelled for dedicated hardware": per ok trial the measured
//! energy per image (batch and batch 1), latency, operation counts and modelled energy, ranked
//! by measured energy, with sentences on what can and cannot be concluded.

use crate::report::analysis::{is_ok, is_snn, ranking};
use crate::report::fmt::{finite, num, pct, setting_label, text};
use crate::report::read::ReportData;
use crate::results::ResultRow;

pub(crate) const HEADERS: [&str; 15] = [
    "# (inference)",
    "# (training J/pt)",
    "trial",
    "model optimizer lr batch",
    "test accuracy (%)",
    "measured J/image (batch)",
    "measured J/image (batch 1)",
    "batch-1 latency (ms)",
    "images/s (batch)",
    "runtime",
    "MACs/image",
    "ACs/image",
    "neuron updates/image",
    "modelled pJ/image (compute)",
    "modelled pJ/image (+ memory)",
];

pub(crate) struct InferenceText {
    pub paragraphs: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn has_figures(r: &ResultRow) -> bool {
    finite(r.infer_j_per_image).is_some() || finite(r.ops_energy_pj_per_image).is_some()
}

/// `None` when no trial has an inference measurement or an operation count (older outputs).
pub(crate) fn inference_text(data: &ReportData) -> Option<InferenceText> {
    let mut rows: Vec<&ResultRow> =
        data.results.iter().filter(|r| is_ok(r) && has_figures(r)).collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| {
        let key = |r: &ResultRow| finite(r.infer_j_per_image).unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b))
    });
    let training = ranking(&data.results);
    let training_place = |r: &ResultRow| {
        training.iter().position(|t| t.trial_id == r.trial_id).map(|i| (i + 1).to_string())
    };
    let mut p = Vec::new();
    let sources: Vec<String> =
        crate::report::analysis::distinct(rows.iter().map(|r| r.energy_source.as_str()));
    p.push(format!(
        "Measured: after training, each trial classified the test set at its training batch size and then images one at a time (batch 1), with the same counters as training (energy source: {}). These are what inference costs on this machine. Ranked by measured energy per image at the batch size; the second column is the trial's place in the training ranking (energy per accuracy point).",
        sources.join(", ")
    ));
    let runtimes: Vec<String> =
        crate::report::analysis::distinct(rows.iter().filter_map(|r| r.infer_runtime.as_deref()));
    if !runtimes.is_empty() {
        p.push(format!(
            "Classified by (the runtime column): {}. `deploy-*` is wattsweep's forward-only path (weights packed once, no autograd, fused kernels for this CPU's instruction set, measured as fast as ONNX Runtime or faster on every model it runs: docs/benchmarks.md); `flex`, `tch` and `tch-cuda` are the training backend's own forward pass (the spiking models have no deployment runtime to compare with).",
            runtimes.join(", ")
        ));
    }
    if sources.iter().any(|s| s.contains("estimate")) {
        p.push("This machine's figures include an estimate (no RAPL): per-image energies then follow time and assumed power, not a measurement.".into());
    }
    p.push("Modelled: operation counts per image priced at 45 nm ASIC energies (Horowitz, ISSCC 2014: E_MAC 4.6 pJ, E_AC 0.9 pJ in fp32, unless [energy.ops] says otherwise) — what a dedicated event-driven chip would spend under those assumptions, not this machine. MACs are dense multiply-accumulates; ACs are the accumulates that spikes trigger (spikes emitted on the test set × fan-out); each LIF update is priced as a MAC. The memory figure adds weight, input, bias, output and membrane-potential accesses priced by memory size as Lemaire et al. (ICONIP 2022).".into());
    p.push("On a CPU or GPU a spike costs the same dense arithmetic as any activation, over every time step: a low firing rate saves nothing here, which the measured columns show. The first layer of a spiking model sees real-valued pixels, so it is counted as MACs, not events.".into());
    let share = rows
        .iter()
        .filter_map(|r| {
            let c = finite(r.ops_energy_pj_per_image)?;
            let m = finite(r.ops_mem_energy_pj_per_image)?;
            (m > 0.0).then(|| (1.0 - c / m, r))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((s, r)) = share {
        let verb = if s > 0.5 { "dominates" } else { "adds to" };
        p.push(format!(
            "Memory access {verb} the modelled energy: up to {} % of it (trial {}, {}). Compute-only figures leave it out and flatter every model, spiking ones most, since their savings are in arithmetic.",
            pct(Some(s)),
            r.trial_id,
            r.model
        ));
    }
    let cheapest = |pick: &dyn Fn(&ResultRow) -> bool| {
        rows.iter()
            .filter(|r| pick(r))
            .filter_map(|r| Some((finite(r.ops_mem_energy_pj_per_image)?, *r)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    if let (Some((s, snn)), Some((a, ann))) = (cheapest(&|r| is_snn(r)), cheapest(&|r| !is_snn(r)))
    {
        p.push(format!(
            "Modelled with memory, the cheapest spiking trial ({} {}, {} pJ/image, {} % accuracy) needs {:.2}× the energy of the cheapest non-spiking one ({} {}, {} pJ/image, {} %).",
            snn.model,
            snn.trial_id,
            num(Some(s)),
            pct(snn.test_accuracy),
            s / a,
            ann.model,
            ann.trial_id,
            num(Some(a)),
            pct(ann.test_accuracy)
        ));
    }
    let table = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                text(training_place(r).as_deref()),
                r.trial_id.clone(),
                setting_label(r),
                pct(r.test_accuracy),
                num(r.infer_j_per_image),
                num(r.infer_b1_j_per_image),
                num(r.infer_b1_latency_ms),
                num(r.infer_images_per_s),
                text(r.infer_runtime.as_deref()),
                text(r.macs_per_image.map(|m| m.to_string()).as_deref()),
                num(r.acs_per_image),
                text(r.neuron_updates_per_image.map(|m| m.to_string()).as_deref()),
                num(r.ops_energy_pj_per_image),
                num(r.ops_mem_energy_pj_per_image),
            ]
        })
        .collect();
    Some(InferenceText { paragraphs: p, rows: table })
}

#[cfg(test)]
#[path = "tests/inference.rs"]
mod tests;
