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
pub struct Lif {
    pub steps: usize,
    pub beta: f32,
    pub threshold: f32,
    pub surrogate: Surrogate,
}

/// The derivative that stands in for the Heaviside step's in the backward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Surrogate {
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
    pub fn forward(&self, current: &[f32], factor: Option<&mut [f32]>) -> Vec<f32> {
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
                    // Both surrogates are num / d²-like: fast sigmoid 1/(1 + k|u|)², arctan
                    // num/(1 + (k·u)²); one branch per call, hoisted out of the loop.
                    acc[j] += if atan {
                        let x = k * u;
                        c * num / (1.0 + x * x)
                    } else {
                        let d = 1.0 + k * u.abs();
                        c / (d * d)
                    };
                }
            }
        }
        if grad {
            factor[..n].copy_from_slice(&acc[..n]);
        }
    }
}

#[cfg(test)]
#[path = "tests/lif.rs"]
mod tests;
