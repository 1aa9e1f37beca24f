//! The inference phase after training: the test images at the training batch size (throughput),
//! then images one at a time (batch-1 latency, as on an edge device). Like training, it knows
//! nothing about energy: the caller reads its meters at the phase boundaries.

use super::batches::Prepared;
use crate::models::Model;
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
}

/// Classify `test` in batches of `batch_size`, then its first `single` images (cycling if there
/// are fewer) one at a time. `phase` is called at the four boundaries.
pub(crate) fn measure(
    model: &Model,
    test: &Prepared,
    batch_size: usize,
    single: usize,
    device: &Device,
    phase: &mut dyn FnMut(InferPhase),
) -> InferReport {
    // Consecutive test images read in place from the test set's buffer (no copy on flex).
    let classify = |rows: Range<usize>| {
        let images = Tensor::<2>::from_data(test.rows(rows), device);
        // The predicted classes, read back: the whole computation is done when this returns.
        model.forward(images).argmax(1).into_data()
    };
    let mut r = InferReport::default();
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
