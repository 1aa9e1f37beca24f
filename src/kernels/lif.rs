//! Leaky integrate-and-fire neurons over `steps` time steps in one pass (the SNN's hidden layer).
//!
//! Per neuron, with the same input current I at every step (models/snn.rs has the equations):
//!   mem_t = β·mem_{t−1} + I − spk_{t−1}·θ,  spk_t = H(mem_t − θ),  out = Σ_t spk_t.
//! With the reset detached and a surrogate s_t = σ'(mem_t − θ) (fast sigmoid 1/(1 + k·|u|)², or
//! arctan (α/2)/(1 + (π/2·α·u)²)), the gradient is ∂out/∂I = Σ_t s_t·(1 + β + … + β^t), because mem_t depends on I through every
//! earlier step with weight β^(t−τ). The forward pass accumulates that factor, so the backward pass
//! is one multiplication instead of 25 steps of a dozen tensor operations each.

use super::simd::simd_fn;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Lif {
    pub steps: usize,
    pub beta: f32,
    pub threshold: f32,
    pub surrogate: Surrogate,
}

/// The derivative that stands in for the Heaviside step's in the backward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Surrogate {
    /// snnTorch's `fast_sigmoid`: 1 / (1 + slope·|u|)².
    FastSigmoid { slope: f32 },
    /// snnTorch's `atan` (the default of its `Leaky`): (α/2) / (1 + (π/2·α·u)²).
    Atan { alpha: f32 },
}

impl Surrogate {
    /// (is arctan, k, numerator) for the kernel's inner loop.
    fn coefficients(self) -> (bool, f32, f32) {
        match self {
            Surrogate::FastSigmoid { slope } => (false, slope, 1.0),
            Surrogate::Atan { alpha } => (true, std::f32::consts::FRAC_PI_2 * alpha, alpha / 2.0),
        }
    }
}

/// Neurons per task: large enough to amortise rayon, small enough to split a batch.
const CHUNK: usize = 2048;
/// Neurons the inner loop holds in local arrays.
const LANES: usize = 256;

impl Lif {
    /// Spike counts per neuron of `current`; with `factor`, also ∂count/∂current.
    pub(crate) fn forward(&self, current: &[f32], factor: Option<&mut [f32]>) -> Vec<f32> {
        let mut sum = vec![0.0f32; current.len()];
        let p = *self;
        let (atan, k, num) = p.surrogate.coefficients();
        match factor {
            Some(factor) => {
                assert_eq!(factor.len(), current.len());
                sum.par_chunks_mut(CHUNK)
                    .zip(factor.par_chunks_mut(CHUNK))
                    .zip(current.par_chunks(CHUNK))
                    .for_each(|((s, f), c)| {
                        for ((s, f), c) in
                            s.chunks_mut(LANES).zip(f.chunks_mut(LANES)).zip(c.chunks(LANES))
                        {
                            lif_lanes(c, s, f, true, p.steps, p.beta, p.threshold, atan, k, num);
                        }
                    })
            }
            None => sum.par_chunks_mut(CHUNK).zip(current.par_chunks(CHUNK)).for_each(|(s, c)| {
                for (s, c) in s.chunks_mut(LANES).zip(c.chunks(LANES)) {
                    lif_lanes(c, s, &mut [], false, p.steps, p.beta, p.threshold, atan, k, num);
                }
            }),
        }
        sum
    }
}

/// σ'(u) from [`Surrogate::coefficients`]: arctan num/(1 + (k·u)²), fast sigmoid 1/(1 + k|u|)².
/// Inlined into the kernels' loops, where `atan` is the same for every element.
#[inline(always)]
fn slope_at(u: f32, atan: bool, k: f32, num: f32) -> f32 {
    if atan {
        let x = k * u;
        num / (1.0 + x * x)
    } else {
        let d = 1.0 + k * u.abs();
        1.0 / (d * d)
    }
}

simd_fn! {
    fn lif_lanes(cur: &[f32], sum: &mut [f32], factor: &mut [f32], grad: bool, steps: usize, beta: f32, thr: f32, atan: bool, k: f32, num: f32) {
        let n = cur.len().min(LANES);
        let (cur, sum) = (&cur[..n], &mut sum[..n]);
        let mut mem = [0.0f32; LANES];
        let mut reset = [0.0f32; LANES];
        let mut acc = [0.0f32; LANES];
        // c_t = 1 + β + … + β^t, the weight of step t's surrogate in ∂out/∂I.
        let mut c = 0.0f32;
        for _ in 0..steps {
            c = 1.0 + beta * c;
            for j in 0..n {
                // The same operation order as the reference path, so spikes agree exactly.
                let m = mem[j] * beta + cur[j] - reset[j] * thr;
                mem[j] = m;
                let u = m - thr;
                let spk = if u > 0.0 { 1.0 } else { 0.0 };
                reset[j] = spk;
                sum[j] += spk;
                if grad {
                    acc[j] += c * slope_at(u, atan, k, num);
                }
            }
        }
        if grad {
            factor[..n].copy_from_slice(&acc[..n]);
        }
    }
}

/// LIF neurons over a sequence of input currents, `current` `[steps, neurons]` (time-major):
/// the spikes of every step (the hybrid CNN-SNN's layers, whose next layer needs each step's
/// spikes, not their sum). With `surrogate` given, also σ'(mem_t − θ) per step and neuron.
///
/// Backward (reset detached): mem_t depends on I_τ (τ ≤ t) with weight β^(t−τ), so
/// ∂L/∂I_τ = Σ_{t≥τ} g_t·σ'_t·β^(t−τ), one reverse pass: a_τ = g_τ·σ'_τ + β·a_{τ+1}.
pub(crate) fn sequence_forward(
    current: &[f32],
    steps: usize,
    beta: f32,
    threshold: f32,
    surrogate: Option<Surrogate>,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let n = current.len() / steps.max(1);
    assert_eq!(
        n * steps,
        current.len(),
        "lif sequence: {} values are not {steps} steps",
        current.len()
    );
    let mut spikes = vec![0.0f32; current.len()];
    let mut slopes = surrogate.map(|_| vec![0.0f32; current.len()]);
    let (atan, k, num) = surrogate.map_or((false, 0.0, 0.0), Surrogate::coefficients);
    // Neuron ranges per task; each task walks all steps of its neurons.
    let chunks: Vec<(usize, usize)> =
        (0..n).step_by(CHUNK).map(|a| (a, (a + CHUNK).min(n))).collect();
    let out = SendPtr(spikes.as_mut_ptr());
    let sl = SendPtr(slopes.as_mut().map_or(std::ptr::null_mut(), |v| v.as_mut_ptr()));
    chunks.par_iter().for_each(|&(a, b)| {
        let (out, sl) = (&out, &sl);
        let mut mem = vec![0.0f32; b - a];
        let mut reset = vec![0.0f32; b - a];
        for t in 0..steps {
            let row = t * n;
            // SAFETY: tasks write disjoint ranges [row + a, row + b) of both buffers.
            let spk = unsafe { std::slice::from_raw_parts_mut(out.0.add(row + a), b - a) };
            let slope = (!sl.0.is_null())
                .then(|| unsafe { std::slice::from_raw_parts_mut(sl.0.add(row + a), b - a) });
            step_lanes(
                &current[row + a..row + b],
                &mut mem,
                &mut reset,
                spk,
                slope.unwrap_or(&mut []),
                beta,
                threshold,
                atan,
                k,
                num,
            );
        }
    });
    (spikes, slopes)
}

/// ∂L/∂current from ∂L/∂spikes and the saved slopes, both `[steps, neurons]`.
pub(crate) fn sequence_backward(grad: &[f32], slopes: &[f32], steps: usize, beta: f32) -> Vec<f32> {
    let n = grad.len() / steps.max(1);
    let mut out = vec![0.0f32; grad.len()];
    let chunks: Vec<(usize, usize)> =
        (0..n).step_by(CHUNK).map(|a| (a, (a + CHUNK).min(n))).collect();
    let ptr = SendPtr(out.as_mut_ptr());
    chunks.par_iter().for_each(|&(a, b)| {
        let ptr = &ptr;
        let mut acc = vec![0.0f32; b - a];
        for t in (0..steps).rev() {
            let row = t * n;
            // SAFETY: tasks write disjoint ranges [row + a, row + b).
            let dst = unsafe { std::slice::from_raw_parts_mut(ptr.0.add(row + a), b - a) };
            back_lanes(&grad[row + a..row + b], &slopes[row + a..row + b], &mut acc, dst, beta);
        }
    });
    out
}

/// A raw pointer rayon tasks may share; each task touches its own range.
struct SendPtr(*mut f32);
unsafe impl Sync for SendPtr {}
unsafe impl Send for SendPtr {}

simd_fn! {
    /// One step of neurons: membrane update, spike, reset, and the surrogate's slope.
    fn step_lanes(cur: &[f32], mem: &mut [f32], reset: &mut [f32], spk: &mut [f32], slope: &mut [f32], beta: f32, thr: f32, atan: bool, k: f32, num: f32) {
        let n = cur.len();
        let (mem, reset, spk) = (&mut mem[..n], &mut reset[..n], &mut spk[..n]);
        for j in 0..n {
            // The same operation order as the reference path (spiking.rs), so spikes agree.
            let m = mem[j] * beta + cur[j] - reset[j] * thr;
            mem[j] = m;
            let u = m - thr;
            let s = if u > 0.0 { 1.0 } else { 0.0 };
            reset[j] = s;
            spk[j] = s;
        }
        if slope.len() >= n {
            let slope = &mut slope[..n];
            for j in 0..n {
                let u = mem[j] - thr;
                slope[j] = slope_at(u, atan, k, num);
            }
        }
    }
}

simd_fn! {
    fn back_lanes(g: &[f32], slope: &[f32], acc: &mut [f32], dst: &mut [f32], beta: f32) {
        let n = g.len();
        let (slope, acc, dst) = (&slope[..n], &mut acc[..n], &mut dst[..n]);
        for j in 0..n {
            let a = g[j] * slope[j] + beta * acc[j];
            acc[j] = a;
            dst[j] = a;
        }
    }
}

#[cfg(test)]
#[path = "tests/lif.rs"]
mod tests;
