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
pub(crate) enum SurrogateKind {
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
pub(crate) const DEFAULT_ALPHA: f64 = 2.0;
/// The fast sigmoid's slope wattsweep used before `surrogate` existed (snnTorch's default is 25).
pub(crate) const DEFAULT_SLOPE: f64 = 25.0;

/// The settings every spiking model shares, after its own shape keys in its `[models.<name>]`
/// table: LIF dynamics and the surrogate gradient it trains with. `ModelSettings::set` parses
/// them, once for both models.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LifSettings {
    /// Simulation time steps per image.
    pub steps: usize,
    /// Membrane decay per step, in (0, 1].
    pub beta: f64,
    /// Firing threshold of the membrane potential.
    pub threshold: f64,
    /// Surrogate gradient of the spike.
    pub surrogate: SurrogateKind,
    /// Slope of the fast-sigmoid surrogate.
    pub slope: f64,
    /// α of the arctan surrogate.
    pub alpha: f64,
}

impl LifSettings {
    /// The keys, in the order the grid's error messages list them.
    pub(crate) const KEYS: [&'static str; 6] =
        ["steps", "beta", "threshold", "surrogate", "slope", "alpha"];

    /// A model's defaults: its own step count and decay; threshold 1, the arctan surrogate.
    pub(crate) const fn new(steps: usize, beta: f64) -> Self {
        LifSettings {
            steps,
            beta,
            threshold: 1.0,
            surrogate: SurrogateKind::Atan,
            slope: DEFAULT_SLOPE,
            alpha: DEFAULT_ALPHA,
        }
    }

    /// The kernel's surrogate for these settings.
    pub(crate) fn kernel_surrogate(&self) -> Surrogate {
        match self.surrogate {
            SurrogateKind::Atan => Surrogate::Atan { alpha: self.alpha as f32 },
            SurrogateKind::FastSigmoid => Surrogate::FastSigmoid { slope: self.slope as f32 },
        }
    }

    /// The canonical `key=value` pairs, after the model's own shape keys: `steps`, `beta`,
    /// `threshold`, then the surrogate's. The fast sigmoid writes only `slope`, as before
    /// `surrogate` existed, so those trial ids stay; arctan writes `surrogate` and `alpha`.
    pub(crate) fn canonical(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("steps", self.steps.to_string()),
            ("beta", format!("{:?}", self.beta)),
            ("threshold", format!("{:?}", self.threshold)),
        ];
        match self.surrogate {
            SurrogateKind::FastSigmoid => out.push(("slope", format!("{:?}", self.slope))),
            SurrogateKind::Atan => {
                out.push(("surrogate", self.surrogate.name().to_string()));
                out.push(("alpha", format!("{:?}", self.alpha)));
            }
        }
        out
    }
}

/// Heaviside spike of `u` (= membrane − threshold) forward, the surrogate's derivative backward.
///
/// Written as `H(u) + (u − u.detach())·σ'(u).detach()`: the bracket is exactly zero in the forward
/// pass, and the gradient with respect to u is σ'(u). (The usual form with a primitive f of σ',
/// `H(u) + f(u) − f(u).detach()`, has the same gradient but computes f — an arctan for `atan` —
/// for every neuron at every step only to subtract it again; libm's scalar `atanf` was a fifth
/// of the hybrid CNN-SNN's training time.)
pub(crate) fn spike_fn<const D: usize>(u: Tensor<D>, s: Surrogate) -> Tensor<D> {
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
pub(crate) struct LifState<const D: usize> {
    mem: Option<Tensor<D>>,
    reset: Option<Tensor<D>>,
    beta: f64,
    threshold: f64,
    surrogate: Surrogate,
}

impl<const D: usize> LifState<D> {
    pub(crate) fn new(beta: f64, threshold: f64, surrogate: Surrogate) -> Self {
        LifState { mem: None, reset: None, beta, threshold, surrogate }
    }

    /// Advance one step with input `current`; returns the step's spikes (0/1).
    pub(crate) fn step(&mut self, current: Tensor<D>) -> Tensor<D> {
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
