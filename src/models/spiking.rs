//! What the spiking models (`snn`, `csnn`) share: the surrogate gradient they train with, and
//! leaky integrate-and-fire (LIF) dynamics written with Burn's operations (snnTorch's `Leaky`
//! with reset by subtraction):
//!
//!   mem_t = β·mem_{t−1} + I_t − spk_{t−1}·θ,   spk_t = H(mem_t − θ),   spk_{t−1} detached.
//!
//! The Heaviside step has no useful gradient; the backward pass uses a surrogate σ'(u):
//! `atan` (snnTorch's default for `Leaky`, α = 2): (α/2) / (1 + (π/2·α·u)²), or
//! `fast-sigmoid` (`slope` k): 1 / (1 + k·|u|)².

use crate::kernels::lif::Surrogate;
use crate::names::Named;
use burn::prelude::*;

/// `surrogate = "atan" | "fast-sigmoid"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurrogateKind {
    Atan,
    FastSigmoid,
}

impl Named for SurrogateKind {
    const ALL: &'static [SurrogateKind] = &[SurrogateKind::Atan, SurrogateKind::FastSigmoid];
    fn name(self) -> &'static str {
        match self {
            SurrogateKind::Atan => "atan",
            SurrogateKind::FastSigmoid => "fast-sigmoid",
        }
    }
}

/// snnTorch's α of `surrogate.atan()`.
pub const DEFAULT_ALPHA: f64 = 2.0;
/// The fast sigmoid's slope wattsweep used before `surrogate` existed (snnTorch's default is 25).
pub const DEFAULT_SLOPE: f64 = 25.0;

/// The kernel's surrogate for these settings.
pub fn surrogate(kind: SurrogateKind, slope: f64, alpha: f64) -> Surrogate {
    match kind {
        SurrogateKind::Atan => Surrogate::Atan { alpha: alpha as f32 },
        SurrogateKind::FastSigmoid => Surrogate::FastSigmoid { slope: slope as f32 },
    }
}

/// The canonical `key=value` pairs of a surrogate: the fast sigmoid writes only `slope`, as
/// before `surrogate` existed, so those trial ids stay; arctan writes `surrogate` and `alpha`.
pub fn surrogate_canonical(
    kind: SurrogateKind,
    slope: f64,
    alpha: f64,
) -> Vec<(&'static str, String)> {
    match kind {
        SurrogateKind::FastSigmoid => vec![("slope", format!("{slope:?}"))],
        SurrogateKind::Atan => {
            vec![("surrogate", kind.name().to_string()), ("alpha", format!("{alpha:?}"))]
        }
    }
}

/// The canonical pairs shared by the spiking models, after their own shape keys: `steps`, `beta`,
/// `threshold`, then the surrogate's (see [`surrogate_canonical`]).
pub fn lif_canonical(
    steps: usize,
    beta: f64,
    threshold: f64,
    kind: SurrogateKind,
    slope: f64,
    alpha: f64,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("steps", steps.to_string()),
        ("beta", format!("{beta:?}")),
        ("threshold", format!("{threshold:?}")),
    ];
    out.extend(surrogate_canonical(kind, slope, alpha));
    out
}

/// Heaviside spike of `u` (= membrane − threshold) forward, the surrogate's derivative backward.
///
/// Written as `H(u) + (u − u.detach())·σ'(u).detach()`: the bracket is exactly zero in the forward
/// pass, and the gradient with respect to u is σ'(u). (The usual form with a primitive f of σ',
/// `H(u) + f(u) − f(u).detach()`, has the same gradient but computes f — an arctan for `atan` —
/// for every neuron at every step only to subtract it again; libm's scalar `atanf` was a fifth
/// of the hybrid CNN-SNN's training time.)
pub fn spike_fn<const D: usize>(u: Tensor<D>, s: Surrogate) -> Tensor<D> {
    let heaviside = u.clone().greater_elem(0.0).float().detach();
    let slope = match s {
        Surrogate::FastSigmoid { slope } => {
            (u.clone().abs() * slope as f64 + 1.0).powi_scalar(2).recip()
        }
        Surrogate::Atan { alpha } => {
            let x = u.clone() * (std::f64::consts::FRAC_PI_2 * alpha as f64);
            (x.clone() * x + 1.0).recip() * (alpha as f64 / 2.0)
        }
    };
    heaviside + (u.clone() - u.detach()) * slope.detach()
}

/// LIF neurons stepped with Burn's operations; `step` takes the input current of one time step.
pub struct LifState<const D: usize> {
    mem: Option<Tensor<D>>,
    reset: Option<Tensor<D>>,
    beta: f64,
    threshold: f64,
    surrogate: Surrogate,
}

impl<const D: usize> LifState<D> {
    pub fn new(beta: f64, threshold: f64, surrogate: Surrogate) -> Self {
        LifState { mem: None, reset: None, beta, threshold, surrogate }
    }

    /// Advance one step with input `current`; returns the step's spikes (0/1).
    pub fn step(&mut self, current: Tensor<D>) -> Tensor<D> {
        let mut mem = match self.mem.take() {
            Some(m) => m * self.beta + current,
            None => current,
        };
        if let Some(r) = self.reset.take() {
            mem = mem - r * self.threshold;
        }
        let spikes = spike_fn(mem.clone() - self.threshold, self.surrogate);
        self.reset = Some(spikes.clone().detach());
        self.mem = Some(mem);
        spikes
    }
}
