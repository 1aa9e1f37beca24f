//! [`Plan`]: a trained model's weights packed for the forward-only kernels, and the loop that
//! classifies images with them (a task per 16 images in a large batch, on this thread for a few).

use super::conv::{ConvPool, Plane};
use super::dense::{Active, Dense};
use super::recurrent::{Sequence, Steps};
use super::simd::Isa;
use crate::kernels::into_f32s;
use crate::kernels::recurrent::Cell;
use crate::models::{Model, PIXELS};
use burn::prelude::*;
use rayon::prelude::*;
use std::cell::RefCell;

/// Side of the square input images.
const SIDE: usize = 28;

/// A trained model, packed for inference.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    isa: Isa,
    net: Net,
}

#[derive(Clone, Debug)]
enum Net {
    Mlp { hidden: Dense, output: Dense },
    Cnn { conv1: ConvPool, conv2: ConvPool, output: Dense },
    Recurrent { seq: Sequence, output: Dense },
}

fn linear(l: &burn::nn::Linear) -> (Vec<f32>, Option<Vec<f32>>) {
    (into_f32s(l.weight.val()), l.bias.as_ref().map(|b| into_f32s(b.val())))
}

/// The plan that classifies for a model on `device`: on flex (the CPU backend, unless
/// `WATTSWEEP_KERNELS=off` asks for Burn's reference path) with a CPU that has an [`Isa`]. LibTorch
/// trials keep their own backend: their inference is LibTorch's.
pub(crate) fn for_device(model: &Model, device: &Device, blank: f32) -> Option<Plan> {
    if !crate::kernels::available(device) {
        return None;
    }
    Plan::new(model, Isa::detect()?, blank)
}

impl Plan {
    /// `model` packed for `isa` (the CPU's own: [`Isa::detect`]), or `None` for a model that has
    /// no plan: the spiking ones, one without biases, or one whose weights are not all finite
    /// (a diverged model keeps Burn's path, whose NaN semantics the divergence checks rely on).
    /// `blank` is a blank pixel as the images are normalised: the MLP skips those pixels.
    pub(crate) fn new(model: &Model, isa: Isa, blank: f32) -> Option<Plan> {
        // The kernels' `unsafe` rests on this: a plan only ever runs with an instruction set the
        // CPU has.
        if !Isa::supported().contains(&isa) {
            return None;
        }
        let net = match model {
            Model::Mlp(m) => {
                let [h, o] = m.layers();
                let ((w1, b1), (w2, b2)) = (linear(h), linear(o));
                let (b1, b2) = (b1?, b2?);
                let hidden = b1.len();
                Net::Mlp {
                    hidden: Dense::new(PIXELS, hidden, &w1, &b1, Some, true, blank),
                    output: Dense::new(hidden, b2.len(), &w2, &b2, Some, false, 0.0),
                }
            }
            Model::Cnn(m) => {
                let (c1, c2, o) = m.layers();
                let conv = |c: &burn::nn::conv::Conv2d| {
                    let [cout, cin, kh, kw] = c.weight.val().dims();
                    if [kh, kw] != [3, 3] {
                        return None;
                    }
                    let bias = into_f32s(c.bias.as_ref()?.val());
                    Some(ConvPool::new(&into_f32s(c.weight.val()), &bias, cin, cout, true))
                };
                let (conv1, conv2) = (conv(c1)?, conv(c2)?);
                let cout2 = c2.weight.val().dims()[0];
                let (w, b) = linear(o);
                let b = b?;
                // Burn flattens `[c][y][x]`; the pooled planes are `[y][x][c]`, padded.
                let (ph, pw) = planes(&conv1).1.pooled();
                let (positions, width) = (ph * pw, conv2.width());
                let row_of = |i: usize| {
                    let (pos, c) = (i / width, i % width);
                    (c < cout2).then_some(c * positions + pos)
                };
                let output = Dense::new(positions * width, b.len(), &w, &b, row_of, false, 0.0);
                Net::Cnn { conv1, conv2, output }
            }
            Model::Recurrent(m) => {
                let (cell, input, hidden, out) = m.layers();
                let ((w_ih, b_ih), (w_hh, b_hh)) = (linear(input), linear(hidden));
                // The tanh RNN's recurrent layer has no bias (as the training kernels assume).
                let b_hh = match (cell, b_hh) {
                    (Cell::Tanh, None) => None,
                    (Cell::Tanh, Some(_)) | (_, None) => return None,
                    (_, b) => b,
                };
                let seq = Sequence::new(cell, SIDE, SIDE, w_ih, b_ih?, w_hh, b_hh, blank);
                let (w, b) = linear(out);
                let b = b?;
                let output = Dense::new(seq.hidden(), b.len(), &w, &b, Some, false, 0.0);
                Net::Recurrent { seq, output }
            }
            Model::Snn(_) | Model::Csnn(_) => return None,
        };
        let plan = Plan { isa, net };
        plan.finite().then_some(plan)
    }

    /// Which code runs the plan, as the results name it: `deploy-avx512` or `deploy-avx2`.
    pub(crate) fn runtime(&self) -> String {
        format!("deploy-{}", self.isa.name())
    }

    fn finite(&self) -> bool {
        match &self.net {
            Net::Mlp { hidden, output } => hidden.finite() && output.finite(),
            Net::Cnn { conv1, conv2, output } => {
                conv1.finite() && conv2.finite() && output.finite()
            }
            Net::Recurrent { seq, output } => seq.finite() && output.finite(),
        }
    }

    fn classes(&self) -> usize {
        match &self.net {
            Net::Mlp { output, .. } | Net::Cnn { output, .. } | Net::Recurrent { output, .. } => {
                output.output()
            }
        }
    }

    /// Logits `[n, classes]` of `images` (`n × 784`, normalised as in training).
    pub(crate) fn logits(&self, images: &[f32]) -> Vec<f32> {
        assert_eq!(images.len() % PIXELS, 0, "images are 784 pixels each");
        let (n, classes) = (images.len() / PIXELS, self.classes());
        let mut out = vec![0.0f32; n * classes];
        if let Net::Recurrent { seq, output } = &self.net {
            with_scratch(self, |s| {
                let last = seq.last(self.isa, images, &mut s.steps);
                for (h, y) in last.chunks_exact(seq.hidden()).zip(out.chunks_exact_mut(classes)) {
                    output.row(self.isa, h, &mut s.logits, &mut s.active);
                    y.copy_from_slice(&s.logits[..classes]);
                }
            });
            return out;
        }
        if n <= IMAGES_PER_TASK {
            // Batch 1 and other small calls: on this thread, no task to hand out, and the
            // thread's buffers from the previous call.
            with_scratch(self, |s| {
                for (x, y) in images.chunks_exact(PIXELS).zip(out.chunks_exact_mut(classes)) {
                    self.image(x, y, s);
                }
            });
        } else {
            images
                .par_chunks(IMAGES_PER_TASK * PIXELS)
                .zip(out.par_chunks_mut(IMAGES_PER_TASK * classes))
                .for_each_init(
                    || Scratch::fitted(self),
                    |scratch, (xs, ys)| {
                        for (x, y) in xs.chunks_exact(PIXELS).zip(ys.chunks_exact_mut(classes)) {
                            self.image(x, y, scratch);
                        }
                    },
                );
        }
        out
    }

    /// The predicted class of each image (the first of equal largest logits).
    pub(crate) fn classify(&self, images: &[f32]) -> Vec<usize> {
        let classes = self.classes();
        self.logits(images).chunks_exact(classes).map(argmax).collect()
    }

    /// One image's logits into `y` (MLP and CNN).
    fn image(&self, x: &[f32], y: &mut [f32], s: &mut Scratch) {
        match &self.net {
            Net::Mlp { hidden, output } => {
                hidden.row(self.isa, x, &mut s.hidden, &mut s.active);
                output.row(self.isa, &s.hidden[..hidden.output()], &mut s.logits, &mut s.active);
            }
            Net::Cnn { conv1, conv2, output } => {
                let (p1, p2) = planes(conv1);
                conv1.run(self.isa, x, p1, &mut s.hidden);
                conv2.run(self.isa, &s.hidden, p2, &mut s.pooled);
                output.row(self.isa, &s.pooled, &mut s.logits, &mut s.active);
            }
            Net::Recurrent { .. } => unreachable!("recurrent plans run whole batches"),
        }
        y.copy_from_slice(&s.logits[..y.len()]);
    }
}

/// Images per rayon task in a large batch: enough to amortise handing a task out, few enough
/// that both cores get an even share of an evaluation batch.
const IMAGES_PER_TASK: usize = 16;

/// The CNN's two input planes: the image (one channel), then the first block's pooled output
/// (13 × 13, `conv1`'s padded channels apart). The second block pools to 5 × 5.
fn planes(conv1: &ConvPool) -> (Plane, Plane) {
    let image = Plane { height: SIDE, width: SIDE, stride: 1 };
    let (height, width) = image.pooled();
    (image, Plane { height, width, stride: conv1.width() })
}

/// A thread's buffers: hidden activations (or the first pooled plane), the second pooled plane,
/// the padded logits, the active inputs and a recurrent sequence's state. Every kernel writes
/// all it later reads, so reused buffers need no clearing.
#[derive(Default)]
struct Scratch {
    hidden: Vec<f32>,
    pooled: Vec<f32>,
    logits: Vec<f32>,
    active: Active,
    steps: Steps,
}

thread_local! {
    /// The buffers of the calls that run on the calling thread (batch 1): allocated once.
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Runs `f` with this thread's buffers, sized for `plan`.
fn with_scratch<R>(plan: &Plan, f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => {
            s.fit(plan);
            f(&mut s)
        }
        // Only if `f` itself classified (it does not): fresh buffers rather than a panic.
        Err(_) => f(&mut Scratch::fitted(plan)),
    })
}

impl Scratch {
    fn fitted(plan: &Plan) -> Scratch {
        let mut s = Scratch::default();
        s.fit(plan);
        s
    }

    fn fit(&mut self, plan: &Plan) {
        let (hidden, pooled, out) = match &plan.net {
            Net::Mlp { hidden, output } => (hidden.width(), 0, output.width()),
            Net::Cnn { conv1, conv2, output } => {
                let ((h1, w1), (h2, w2)) = (planes(conv1).0.pooled(), planes(conv1).1.pooled());
                (h1 * w1 * conv1.width(), h2 * w2 * conv2.width(), output.width())
            }
            Net::Recurrent { output, .. } => (0, 0, output.width()),
        };
        self.hidden.resize(hidden, 0.0);
        self.pooled.resize(pooled, 0.0);
        self.logits.resize(out, 0.0);
    }
}

/// The first largest logit, or the first NaN (as burn-flex's argmax: finite weights can still
/// overflow to NaN logits, and both paths must then count the same accuracy).
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return i;
        }
        if v > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
#[path = "tests/plan.rs"]
mod tests;
