//! Adam as one fused pass over each parameter, for the flex backend.
//!
//! Burn's Adam updates a parameter with about a dozen whole-tensor operations (scale the moments,
//! square the gradient, add, sqrt, divide, …), each a pass over memory and a new buffer; for the
//! MLP's and SNN's 400 k parameters that was a large part of every batch. This computes the same
//! update (Burn's formulation, which is PyTorch's: bias-corrected moments, ε added to the
//! corrected √v, optional L2 weight decay added to the gradient) element by element in one pass.
//! A test checks it against Burn's `Adam` over several steps.

use crate::kernels::into_f32s;
use crate::kernels::simd::simd_fn;
// The state is Burn's own Adam state, so it records and moves between devices like Adam's.
use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::prelude::*;
use rayon::prelude::*;

#[derive(Clone, Debug)]
pub(super) struct FusedAdam {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    /// L2 penalty added to the gradient (Adam's `weight_decay`), if any.
    pub weight_decay: Option<f32>,
}

/// Elements per rayon task.
const CHUNK: usize = 1 << 15;

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (shape, device) = (tensor.shape(), tensor.device());
        let n = shape.num_elements();
        let mut p = into_f32s(tensor);
        let g = into_f32s(grad);
        let (time, mut m, mut v) = match state {
            Some(s) => (
                s.momentum.time + 1,
                into_f32s(s.momentum.moment_1),
                into_f32s(s.momentum.moment_2),
            ),
            None => (1, vec![0.0; n], vec![0.0; n]),
        };
        assert!(
            p.len() == n && g.len() == n && m.len() == n && v.len() == n,
            "FusedAdam: shapes differ"
        );
        let bc2_sqrt = (1.0 - self.beta_2.powi(time as i32)).sqrt();
        let factor = bc2_sqrt / (1.0 - self.beta_1.powi(time as i32));
        let k = Coefficients {
            b1: self.beta_1,
            b2: self.beta_2,
            step: lr as f32 * factor,
            eps: self.epsilon * bc2_sqrt,
            wd: self.weight_decay.unwrap_or(0.0),
        };
        if n <= CHUNK {
            // A bias or a small layer: a trip through the thread pool (waking a worker, and the
            // caller when it is not one) costs more than the update.
            adam_pass(&mut p, &g, &mut m, &mut v, k);
        } else {
            p.par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
                .for_each(|((p, g), (m, v))| adam_pass(p, g, m, v, k));
        }
        let make = |x: Vec<f32>| Tensor::<D>::from_data(TensorData::new(x, shape.clone()), &device);
        let state = AdamState::new(AdaptiveMomentumState::new(time, make(m), make(v)));
        (make(p), Some(state))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.momentum = state.momentum.to_device(device);
        state
    }
}

#[derive(Clone, Copy)]
struct Coefficients {
    b1: f32,
    b2: f32,
    /// lr · √(1−β₂ᵗ) / (1−β₁ᵗ)
    step: f32,
    /// ε · √(1−β₂ᵗ)
    eps: f32,
    wd: f32,
}

simd_fn! {
    fn adam_pass(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], k: Coefficients) {
        let n = p.len();
        let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
        for i in 0..n {
            let gi = g[i] + k.wd * p[i];
            let mi = m[i] * k.b1 + gi * (1.0 - k.b1);
            let vi = v[i] * k.b2 + gi * gi * (1.0 - k.b2);
            m[i] = mi;
            v[i] = vi;
            p[i] -= k.step * mi / (vi.sqrt() + k.eps);
        }
    }
}

#[cfg(test)]
#[path = "tests/adam.rs"]
mod tests;
