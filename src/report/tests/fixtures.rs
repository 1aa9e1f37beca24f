//! Hand-made rows for the report's tests: small enough to reason about, varied enough to hit
//! every section (two optimizers, several learning rates, an SNN, a failed and a diverged
//! trial, an earlier attempt's epochs, a power series).

use std::collections::BTreeMap;

use crate::report::read::ReportData;
use crate::results::PowerSample;
use crate::results::{EpochRow, ResultRow};

/// An ok trial measured with RAPL; mean power and joules per point follow from the inputs.
pub(crate) fn row(
    id: &str,
    model: &str,
    acc: Option<f64>,
    time_s: f64,
    energy_j: Option<f64>,
) -> ResultRow {
    ResultRow {
        trial_id: id.into(),
        status: "ok".into(),
        model: model.into(),
        dataset: "mnist".into(),
        optimizer: "adam".into(),
        learning_rate: 0.001,
        batch_size: 64,
        epochs: 3,
        backend: "flex".into(),
        test_accuracy: acc,
        train_time_s: time_s,
        energy_j,
        energy_source: "rapl".into(),
        joules_per_accuracy_point: energy_j.zip(acc).map(|(e, a)| e / (a * 100.0)),
        mean_power_w: energy_j.map(|e| e / time_s),
        infer_j_per_image: energy_j.map(|e| e * 1e-6),
        infer_b1_j_per_image: energy_j.map(|e| e * 4e-6),
        ops_energy_pj_per_image: Some(time_s * 1e5),
        ops_mem_energy_pj_per_image: Some(time_s * 3e6),
        hostname: "node1".into(),
        attempt_id: "att-2".into(),
        started_at: "2026-11-25T19:14:13+00:00".into(),
        finished_at: "2026-11-25T19:15:13+00:00".into(),
        ..ResultRow::default()
    }
}

pub(crate) fn with(mut r: ResultRow, optimizer: &str, lr: f64) -> ResultRow {
    r.optimizer = optimizer.into();
    r.learning_rate = lr;
    r
}

pub(crate) fn failed(id: &str, status: &str, error: &str) -> ResultRow {
    ResultRow {
        status: status.into(),
        error: Some(error.into()),
        test_accuracy: None,
        energy_j: None,
        joules_per_accuracy_point: None,
        mean_power_w: None,
        ..row(id, "cnn", None, 1.0, None)
    }
}

pub(crate) fn epoch(
    id: &str,
    attempt: &str,
    n: usize,
    acc: f64,
    cum_time_s: f64,
    cum_energy_j: Option<f64>,
) -> EpochRow {
    EpochRow {
        trial_id: id.into(),
        epoch: n,
        test_accuracy: acc,
        cumulative_time_s: cum_time_s,
        cumulative_energy_j: cum_energy_j,
        energy_source: "rapl".into(),
        attempt_id: attempt.into(),
        ..EpochRow::default()
    }
}

/// A small but complete sweep.
pub(crate) fn sample_data() -> ReportData {
    let results = vec![
        with(row("t-mlp-a", "mlp", Some(0.975), 10.0, Some(200.0)), "adam", 0.001),
        with(row("t-mlp-s", "mlp", Some(0.962), 9.0, Some(150.0)), "sgd", 0.01),
        with(row("t-cnn-a", "cnn", Some(0.991), 50.0, Some(900.0)), "adam", 0.001),
        with(row("t-cnn-s", "cnn", Some(0.985), 45.0, Some(1000.0)), "sgd", 0.1),
        with(row("t-cnn-a2", "cnn", Some(0.988), 48.0, Some(950.0)), "adam", 0.0001),
        {
            let mut r = row("t-snn", "snn", Some(0.95), 12.0, Some(300.0));
            r.firing_rate = Some(0.147);
            r
        },
        failed("t-bad", "failed", "out of memory | at <alloc>"),
        failed("t-div", "diverged", "loss became NaN at epoch 2"),
    ];
    let mut epochs = Vec::new();
    for r in &results {
        let acc = r.test_accuracy.unwrap_or(0.5);
        let e = r.energy_j.unwrap_or(10.0);
        for n in 1..=3 {
            let f = n as f64 / 3.0;
            epochs.push(epoch(
                &r.trial_id,
                "att-2",
                n,
                acc - 0.02 * (3 - n) as f64,
                r.train_time_s * f,
                Some(e * f),
            ));
        }
    }
    // An earlier, superseded attempt that reached 99 % at once: it must be ignored.
    epochs.push(epoch("t-mlp-a", "att-1", 1, 0.995, 1.0, Some(5.0)));
    let mut power = BTreeMap::new();
    let samples = (0..40)
        .flat_map(|i| {
            let t = i as f64 * 0.25;
            [("package-0", 20.0 + (i % 5) as f64), ("dram-0", 3.0)].map(|(d, w)| PowerSample {
                t_s: t,
                domain: d.into(),
                power_w: w,
                energy_j: w * t,
            })
        })
        .collect();
    power.insert("t-mlp-a".to_string(), samples);
    ReportData {
        results,
        epochs,
        power_files: power.keys().cloned().collect(),
        power,
        power_dir: None,
        schedule: None,
        decisions: Vec::new(),
        title: "wattsweep report — sample".into(),
        live: false,
    }
}
