//! `wattsweep bench`: training and evaluation throughput per model on real data, and peak
//! memory, without the sweep's orchestration (no sensors, no files). The same training loop as a
//! trial, so the numbers describe what `run` does.

use crate::backend::Backend;
use crate::data::{Dataset, LoadedData};
use crate::models::ModelKind;
use crate::names::Named;
use crate::train::{self, NoHooks, TrialData};
use crate::trial::TrialSpec;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    pub model: &'static str,
    pub backend: &'static str,
    pub batch_size: usize,
    pub train_images: usize,
    pub test_images: usize,
    /// Training images per second (one epoch, Adam 0.001, the trial's loop).
    pub train_images_per_s: f64,
    /// Test images per second in evaluation.
    pub eval_images_per_s: f64,
    pub test_accuracy: f64,
    pub train_time_s: f64,
    /// Peak resident memory during this model's run, MiB.
    pub peak_rss_mb: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub models: Vec<ModelKind>,
    pub backend: Backend,
    pub batch_size: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    pub seed: u64,
}

/// Train each model for one epoch and evaluate it once.
pub fn run(opts: &BenchOptions, dataset: Dataset, data: &LoadedData) -> Vec<BenchResult> {
    let trial_data = TrialData::new(data, dataset, opts.train_limit, opts.test_limit);
    opts.models
        .iter()
        .map(|&model| {
            let mut spec = TrialSpec::defaults(model);
            spec.dataset = dataset;
            spec.backend = opts.backend;
            spec.batch_size = opts.batch_size;
            spec.seed = opts.seed;
            crate::memory::reset_peak_rss();
            let r = train::train(&spec, &trial_data, &mut NoHooks);
            BenchResult {
                model: model.name(),
                backend: opts.backend.name(),
                batch_size: opts.batch_size,
                train_images: trial_data.train.len(),
                test_images: trial_data.test.len(),
                train_images_per_s: r.images_trained as f64 / r.train_time_s.max(1e-9),
                eval_images_per_s: trial_data.test.len() as f64 / r.eval_time_s.max(1e-9),
                test_accuracy: r.test_accuracy.unwrap_or(f64::NAN),
                train_time_s: r.train_time_s,
                peak_rss_mb: crate::memory::peak_rss_mb(),
            }
        })
        .collect()
}
