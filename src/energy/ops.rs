//! Operation counts per inference image and their price: the modelled energy of a network on
//! dedicated hardware, the SNN literature's answer to "would this network save energy on the
//! chip it is designed for?", which a CPU or GPU cannot answer (there a spike costs the same
//! dense arithmetic as any activation). `models` says which layers each model has; the kinds of
//! layer, what each counts and the price are here.
//!
//! Counted is what an event-driven chip would do rather than what our CPU kernels do:
//!
//! - `macs`: dense multiply-accumulates, weights × inputs (biases and activations not counted, as
//!   ptflops and thop count). A layer fed by real values — every layer of the ANNs, and the first
//!   layer of the spiking models, which sees pixels — counts here. The spiking models compute
//!   their first layer once per image (the input current is the same at every step).
//! - `acs`: accumulate-only synaptic operations of layers fed by spikes: each input spike × the
//!   synapses it reaches (fan-out), from the spikes the model actually emitted (`SpikeProfile`).
//! - `neuron_updates`: LIF state updates, neurons × steps.
//!
//! Pooling, ReLU and the recurrent cells' gate arithmetic are not counted.
//!
//! Compute: E = E_MAC·(MACs + neuron updates) + E_AC·ACs, with Horowitz's 45 nm fp32 figures by
//! default (ISSCC 2014: multiply 3.7 pJ + add 0.9 pJ = E_MAC 4.6 pJ; add = E_AC 0.9 pJ). A LIF
//! neuron update is priced as a MAC (its leak is a multiply).
//!
//! Memory (Lemaire et al., ICONIP 2022, as LEAT-EDGE/qualia-plugin-snn implements it): every
//! access to a memory of n elements of `memory_bits` bits costs E_ram(n) = 1.09·10⁻⁵·n·bits +
//! 13.2 pJ (their linear fit to Horowitz's SRAM figures); each layer reads its inputs, weights and
//! biases and writes its outputs, and a spiking layer also reads and writes a membrane potential
//! per synaptic event and per neuron update.

use serde::{Deserialize, Serialize};

/// `[energy.ops]`: picojoules per operation and the memory word width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct OpEnergies {
    /// A multiply-accumulate (dense layers, LIF leaks).
    pub mac_pj: f64,
    /// An accumulate (a spike arriving at a synapse).
    pub ac_pj: f64,
    /// Bits per stored value (weights, potentials, activations).
    pub memory_bits: f64,
}

impl Default for OpEnergies {
    fn default() -> Self {
        OpEnergies { mac_pj: 4.6, ac_pj: 0.9, memory_bits: 32.0 }
    }
}

/// What a spiking model's layers emitted on the test set, per image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpikeProfile {
    /// Spikes per image of each spiking layer, summed over the time steps.
    pub per_layer: Vec<f64>,
    /// Firing rate of each spiking layer: spikes / (neurons × steps).
    pub rates: Vec<f64>,
    /// Accumulates per image: each spike × the synapses it reaches in the next layer.
    pub accumulates: f64,
}

/// One layer's work per inference image. Sizes are in elements; counts are accesses.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LayerOps {
    pub name: &'static str,
    pub macs: f64,
    pub acs: f64,
    pub neuron_updates: f64,
    pub input_size: f64,
    pub input_reads: f64,
    pub weight_size: f64,
    pub weight_reads: f64,
    pub bias_size: f64,
    pub bias_reads: f64,
    pub output_size: f64,
    pub output_writes: f64,
    /// Membrane potential reads (and as many writes), priced at `output_size`.
    pub potential_accesses: f64,
}

impl LayerOps {
    /// A dense layer of `n_in` → `n_out`, run `times` times (e.g. once per recurrent step).
    pub(crate) fn dense(
        name: &'static str,
        n_in: usize,
        n_out: usize,
        bias: bool,
        times: usize,
    ) -> Self {
        let (i, o, t) = (n_in as f64, n_out as f64, times as f64);
        LayerOps {
            name,
            macs: t * i * o,
            input_size: i,
            input_reads: t * i,
            weight_size: i * o,
            weight_reads: t * i * o,
            bias_size: if bias { o } else { 0.0 },
            bias_reads: if bias { t * o } else { 0.0 },
            output_size: o,
            output_writes: t * o,
            ..LayerOps::default()
        }
    }

    /// A valid 3×3 convolution of `cin` → `cout` channels on a `side`×`side` map.
    pub(crate) fn conv3(name: &'static str, cin: usize, cout: usize, side: usize) -> Self {
        let out = ((side - 2) * (side - 2) * cout) as f64;
        let macs = out * (cin * 9) as f64;
        LayerOps {
            name,
            macs,
            input_size: (cin * side * side) as f64,
            input_reads: macs,
            weight_size: (cin * cout * 9) as f64,
            weight_reads: macs,
            bias_size: cout as f64,
            bias_reads: out,
            output_size: out,
            output_writes: out,
            ..LayerOps::default()
        }
    }

    /// LIF neurons: `neurons` updated at each of `steps`, emitting `spikes` per image.
    pub(crate) fn lif(name: &'static str, neurons: usize, steps: usize, spikes: f64) -> Self {
        let updates = (neurons * steps) as f64;
        LayerOps {
            name,
            neuron_updates: updates,
            output_size: neurons as f64,
            output_writes: spikes,
            potential_accesses: updates,
            ..LayerOps::default()
        }
    }

    /// A layer fed by spikes: `acs` accumulates into `n_out` potentials, from `spikes` input
    /// events.
    pub(crate) fn spiking(
        name: &'static str,
        n_in: usize,
        weights: usize,
        n_out: usize,
        spikes: f64,
        acs: f64,
    ) -> Self {
        LayerOps {
            name,
            acs,
            input_size: n_in as f64,
            input_reads: spikes,
            weight_size: weights as f64,
            weight_reads: acs,
            bias_size: n_out as f64,
            bias_reads: n_out as f64,
            output_size: n_out as f64,
            potential_accesses: acs,
            ..LayerOps::default()
        }
    }
}

/// Totals over the layers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct OpsEnergy {
    pub macs: f64,
    pub acs: f64,
    pub neuron_updates: f64,
    /// Arithmetic only, pJ.
    pub compute_pj: f64,
    /// Arithmetic and memory accesses, pJ.
    pub with_memory_pj: f64,
}

/// Lemaire et al.'s memory access energy for a memory of `elements` values, pJ.
pub(super) fn ram_pj(elements: f64, bits: f64) -> f64 {
    if elements <= 0.0 { 0.0 } else { 1.09e-5 * elements * bits + 13.2 }
}

pub(crate) fn price(layers: &[LayerOps], e: &OpEnergies) -> OpsEnergy {
    let mut t = OpsEnergy::default();
    let mut memory = 0.0;
    for l in layers {
        t.macs += l.macs;
        t.acs += l.acs;
        t.neuron_updates += l.neuron_updates;
        let ram = |n: f64| ram_pj(n, e.memory_bits);
        memory += l.input_reads * ram(l.input_size)
            + l.weight_reads * ram(l.weight_size)
            + l.bias_reads * ram(l.bias_size)
            + l.output_writes * ram(l.output_size)
            + 2.0 * l.potential_accesses * ram(l.output_size);
    }
    t.compute_pj = e.mac_pj * (t.macs + t.neuron_updates) + e.ac_pj * t.acs;
    t.with_memory_pj = t.compute_pj + memory;
    t
}

#[cfg(test)]
#[path = "tests/ops.rs"]
mod tests;
