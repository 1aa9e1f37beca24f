//! The inference phase after training: the test images at the training batch size (throughput),
//! then images one at a time (batch-1 latency, as on an edge device). Like training, it knows
//! nothing about energy: the caller reads its meters at the phase boundaries.

use super::batches::Prepared;
use crate::backend::Backend;
use crate::deploy;
use crate::models::Model;
use crate::names::Named;
use burn::prelude::*;
use std::ops::Range;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InferPhase {
    BatchStart,
    BatchEnd,
    SingleStart,
    SingleEnd,
}

/// Images and seconds of both parts.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct InferReport {
    pub batch_images: usize,
    pub batch_time_s: f64,
    pub single_images: usize,
    pub single_time_s: f64,
    /// Median seconds of one batch-1 inference.
    pub single_median_s: f64,
    /// What classified the images: a `deploy` plan (`deploy-avx512`, `deploy-avx2`), else the
    /// backend's own forward pass (`flex`, `tch`, `tch-cuda`).
    pub runtime: String,
}

/// Classify `test` in batches of `batch_size`, then its first `single` images (cycling if there
/// are fewer) one at a time. `phase` is called at the four boundaries.
pub(crate) fn measure(
    model: &Model,
    test: &Prepared,
    batch_size: usize,
    single: usize,
    backend: Backend,
    phase: &mut dyn FnMut(InferPhase),
) -> InferReport {
    let device = &backend.device();
    // Packed once, before the first measured image, as a deployed model is loaded once.
    let plan = deploy::for_device(model, device, test.blank());
    // Consecutive test images read in place from the test set's buffer (no copy).
    let classify = |rows: Range<usize>| match &plan {
        Some(plan) => {
            plan.classify(test.pixels(rows));
        }
        None => {
            let images = Tensor::<2>::from_data(test.rows(rows), device);
            // The predicted classes, read back: the whole computation is done when this returns.
            model.forward(images).argmax(1).into_data();
        }
    };
    let runtime = plan.as_ref().map_or_else(|| backend.name().to_string(), deploy::Plan::runtime);
    let mut r = InferReport { runtime, ..InferReport::default() };
    let n = test.len();
    if n == 0 {
        return r;
    }
    phase(InferPhase::BatchStart);
    let started = Instant::now();
    for rows in test.batches(batch_size) {
        classify(rows);
    }
    r.batch_time_s = started.elapsed().as_secs_f64();
    phase(InferPhase::BatchEnd);
    r.batch_images = n;

    let mut times = Vec::with_capacity(single);
    phase(InferPhase::SingleStart);
    let started = Instant::now();
    for k in 0..single {
        let one = Instant::now();
        classify(k % n..k % n + 1);
        times.push(one.elapsed().as_secs_f64());
    }
    r.single_time_s = started.elapsed().as_secs_f64();
    phase(InferPhase::SingleEnd);
    r.single_images = single;
    times.sort_by(f64::total_cmp);
    r.single_median_s = match times.len() {
        0 => 0.0,
        k if k % 2 == 1 => times[k / 2],
        k => (times[k / 2 - 1] + times[k / 2]) / 2.0,
    };
    r
}

#[cfg(test)]
#[path = "tests/infer.rs"]
mod tests;
