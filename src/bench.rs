//! `wattsweep bench`: training and evaluation throughput per model on real data, and peak
//! memory, without the sweep's orchestration (no sensors, no files). The same training loop as a
//! trial, so the numbers describe what `run` does.

use crate::backend::Backend;
use crate::data::{Dataset, LoadedData};
use crate::models::Model;
use crate::models::ModelKind;
use crate::models::counts::training_flops;
use crate::names::Named;
use crate::train::{self, Hooks, TrialData};
use crate::trial::TrialSpec;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub(crate) struct BenchResult {
    pub model: &'static str,
    pub backend: &'static str,
    pub batch_size: usize,
    pub train_images: usize,
    pub test_images: usize,
    /// Training images per second (one epoch, Adam 0.001, the trial's loop).
    pub train_images_per_s: f64,
    /// Test images per second in evaluation (batches of 1000, spikes counted).
    pub eval_images_per_s: f64,
    /// Inference: test images per second at the training batch size.
    pub infer_images_per_s: f64,
    /// Inference: images per second one at a time (1 / median batch-1 latency).
    pub infer_b1_images_per_s: f64,
    /// Inference: median milliseconds per image at batch 1.
    pub infer_b1_latency_ms: f64,
    /// What classified in evaluation and inference (results.csv's `infer_runtime`).
    pub infer_runtime: String,
    pub test_accuracy: f64,
    pub train_time_s: f64,
    /// Peak resident memory during this model's run, MiB.
    pub peak_rss_mb: Option<f64>,
    /// Training GFLOP/s from the model's counted training FLOPs per image
    /// (`models::counts::training_flops`; none for the CNN and the spiking models).
    pub train_gflop_per_s: Option<f64>,
}

#[derive(Clone, Debug)]
pub(crate) struct BenchOptions {
    pub models: Vec<ModelKind>,
    pub backend: Backend,
    pub batch_size: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    pub seed: u64,
    /// Images classified one at a time for the batch-1 figures.
    pub b1_images: usize,
}

/// Runs the inference phase on the trained model, as a trial does.
struct Infer<'a> {
    data: &'a TrialData,
    spec: &'a TrialSpec,
    b1_images: usize,
    report: Option<train::infer::InferReport>,
}

impl Hooks for Infer<'_> {
    fn trained(&mut self, model: &Model) {
        self.report = Some(train::infer::measure(
            model,
            &self.data.test,
            self.spec.batch_size,
            self.b1_images,
            self.spec.backend,
            &mut |_| {},
        ));
    }
}

/// Train each model for one epoch, evaluate it once, then time inference at the batch size and
/// at batch 1 (as a trial's inference phase).
pub(crate) fn run(opts: &BenchOptions, dataset: Dataset, data: &LoadedData) -> Vec<BenchResult> {
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
            let mut hooks =
                Infer { data: &trial_data, spec: &spec, b1_images: opts.b1_images, report: None };
            // On a pool worker, as a trial trains (runner/builtin.rs).
            let r = rayon::scope(|_| train::train(&spec, &trial_data, &mut hooks));
            let inf = hooks.report.unwrap_or_default();
            let per_s = |n: usize, s: f64| if s > 0.0 { n as f64 / s } else { f64::NAN };
            BenchResult {
                model: model.name(),
                backend: opts.backend.name(),
                batch_size: opts.batch_size,
                train_images: trial_data.train.len(),
                test_images: trial_data.test.len(),
                train_images_per_s: r.images_trained as f64 / r.train_time_s.max(1e-9),
                eval_images_per_s: trial_data.test.len() as f64 / r.eval_time_s.max(1e-9),
                infer_images_per_s: per_s(inf.batch_images, inf.batch_time_s),
                infer_b1_images_per_s: per_s(1, inf.single_median_s),
                infer_b1_latency_ms: inf.single_median_s * 1e3,
                infer_runtime: inf.runtime.clone(),
                test_accuracy: r.test_accuracy.unwrap_or(f64::NAN),
                train_time_s: r.train_time_s,
                peak_rss_mb: crate::memory::peak_rss_mb(),
                train_gflop_per_s: training_flops(&spec.model_settings)
                    .map(|f| f * r.images_trained as f64 / r.train_time_s.max(1e-9) / 1e9),
            }
        })
        .collect()
}
