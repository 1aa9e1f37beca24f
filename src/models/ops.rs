//! Operation counts per inference image, from a model's shapes and settings (not a table of
//! constants), counting what an event-driven chip would do rather than what our CPU kernels do:
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

// The CNN and the csnn share their feature-map sides (28 → 13 → 5).
use super::csnn::{CsnnSettings, SIDE1, SIDE2};
use super::kind::ModelSettings;
use super::rnn::RecurrentCell;
use super::shape::{CLASSES, PIXELS, SIDE};
use crate::energy::{LayerOps, SpikeProfile};

/// A dense layer of `n_in` → `n_out` (`reads` times, e.g. per recurrent step).
fn dense(name: &'static str, n_in: usize, n_out: usize, bias: bool, times: usize) -> LayerOps {
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
fn conv3(name: &'static str, cin: usize, cout: usize, side: usize) -> LayerOps {
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
fn lif(name: &'static str, neurons: usize, steps: usize, spikes: f64) -> LayerOps {
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

/// A layer fed by spikes: `acs` accumulates into `n_out` potentials, from `spikes` input events.
fn spiking(
    name: &'static str,
    n_in: usize,
    weights: usize,
    n_out: usize,
    spikes: f64,
    acs: f64,
) -> LayerOps {
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

/// Per-layer work of one inference image. `spikes`: what a spiking model emitted (its ACs and
/// spike writes are zero without it).
pub fn layer_ops(settings: &ModelSettings, spikes: Option<&SpikeProfile>) -> Vec<LayerOps> {
    let emitted =
        |layer: usize| spikes.and_then(|s| s.per_layer.get(layer).copied()).unwrap_or(0.0);
    match settings {
        ModelSettings::Mlp(s) => {
            vec![dense("fc1", PIXELS, s.hidden, true, 1), dense("fc2", s.hidden, CLASSES, true, 1)]
        }
        ModelSettings::Cnn(s) => vec![
            conv3("conv1", 1, s.channels1, SIDE),
            conv3("conv2", s.channels1, s.channels2, SIDE1),
            dense("fc", s.channels2 * SIDE2 * SIDE2, CLASSES, true, 1),
        ],
        ModelSettings::Recurrent(s) => {
            let gates = match s.cell {
                RecurrentCell::Tanh => 1,
                RecurrentCell::Lstm => 4,
                RecurrentCell::Gru => 3,
            };
            let hidden_bias = s.cell != RecurrentCell::Tanh;
            vec![
                dense("input", SIDE, gates * s.hidden, true, SIDE),
                dense("recurrent", s.hidden, gates * s.hidden, hidden_bias, SIDE),
                dense("fc", s.hidden, CLASSES, true, 1),
            ]
        }
        ModelSettings::Snn(s) => {
            let hidden_spikes = emitted(0);
            vec![
                dense("fc1", PIXELS, s.hidden, true, 1),
                lif("lif", s.hidden, s.steps, hidden_spikes),
                spiking(
                    "readout",
                    s.hidden,
                    s.hidden * CLASSES,
                    CLASSES,
                    hidden_spikes,
                    hidden_spikes * CLASSES as f64,
                ),
            ]
        }
        ModelSettings::Csnn(s) => csnn_ops(s, spikes),
    }
}

/// Floating-point operations of one training image for the ANN models whose kernels run every
/// product densely (MLP and the recurrent models): the forward products (2 FLOPs per MAC), the
/// weight gradients (as many MACs again) and the input gradients of every layer but the first,
/// whose input is the data (`2·(3·MACs − MACs of the first layer)`). Biases, activations and the
/// optimizer are left out (a few per cent). The recurrent product is counted at every step,
/// though the kernels skip it at the first (h₀ = 0) in the forward and input-gradient passes: the
/// recurrent models' figure is ~2 % high. `None` for the CNN (its kernel's backward skips the
/// pool's losers, so a dense count would overstate the work) and the spiking models.
pub fn training_flops(settings: &ModelSettings) -> Option<f64> {
    match settings {
        ModelSettings::Mlp(_) | ModelSettings::Recurrent(_) => {
            let layers = layer_ops(settings, None);
            let macs: f64 = layers.iter().map(|l| l.macs).sum();
            let first = layers.first().map_or(0.0, |l| l.macs);
            Some(2.0 * (3.0 * macs - first))
        }
        _ => None,
    }
}

fn csnn_ops(s: &CsnnSettings, spikes: Option<&SpikeProfile>) -> Vec<LayerOps> {
    let (side1, side2) = (SIDE1, SIDE2);
    let (s1, s2) = match spikes {
        Some(p) => (
            p.per_layer.first().copied().unwrap_or(0.0),
            p.per_layer.get(1).copied().unwrap_or(0.0),
        ),
        None => (0.0, 0.0),
    };
    let readout_acs = s2 * CLASSES as f64;
    // The measured accumulates are conv2's (each layer-1 spike × the outputs it reaches, exact at
    // the borders) plus the read-out's.
    let conv2_acs = spikes.map_or(0.0, |p| (p.accumulates - readout_acs).max(0.0));
    let conv2_out = s.channels2 * (side1 - 2) * (side1 - 2);
    let mut conv2 = spiking(
        "conv2",
        s.channels1 * side1 * side1,
        s.channels1 * s.channels2 * 9,
        conv2_out,
        s1,
        conv2_acs,
    );
    // Its accumulators are reset and biased at every step.
    conv2.bias_size = s.channels2 as f64;
    conv2.bias_reads = (conv2_out * s.steps) as f64;
    let n2 = s.channels2 * side2 * side2;
    vec![
        conv3("conv1", 1, s.channels1, SIDE),
        lif("lif1", s.channels1 * side1 * side1, s.steps, s1),
        conv2,
        lif("lif2", n2, s.steps, s2),
        spiking("readout", n2, n2 * CLASSES, CLASSES, s2, readout_acs),
    ]
}

#[cfg(test)]
#[path = "tests/ops.rs"]
mod tests;
