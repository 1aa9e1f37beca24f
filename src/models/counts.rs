//! Which layers each model has, and so its operation counts per inference image, from its
//! shapes and settings (not a table of constants). What a layer counts, and the price of the
//! counts, are `energy::LayerOps` and `energy::price` (energy/ops.rs); this file only lays each
//! model out in those layers. Also the training FLOPs `bench` reports against the machine's peak.

// The CNN and the csnn share their feature-map sides (28 → 13 → 5).
use super::csnn::{CsnnSettings, SIDE1, SIDE2};
use super::kind::ModelSettings;
use super::rnn::RecurrentCell;
use super::shape::{CLASSES, PIXELS, SIDE};
use crate::energy::{LayerOps, SpikeProfile};

/// Per-layer work of one inference image. `spikes`: what a spiking model emitted (its ACs and
/// spike writes are zero without it).
pub(crate) fn layer_ops(settings: &ModelSettings, spikes: Option<&SpikeProfile>) -> Vec<LayerOps> {
    let emitted =
        |layer: usize| spikes.and_then(|s| s.per_layer.get(layer).copied()).unwrap_or(0.0);
    match settings {
        ModelSettings::Mlp(s) => {
            vec![
                LayerOps::dense("fc1", PIXELS, s.hidden, true, 1),
                LayerOps::dense("fc2", s.hidden, CLASSES, true, 1),
            ]
        }
        ModelSettings::Cnn(s) => vec![
            LayerOps::conv3("conv1", 1, s.channels1, SIDE),
            LayerOps::conv3("conv2", s.channels1, s.channels2, SIDE1),
            LayerOps::dense("fc", s.channels2 * SIDE2 * SIDE2, CLASSES, true, 1),
        ],
        ModelSettings::Recurrent(s) => {
            let gates = match s.cell {
                RecurrentCell::Tanh => 1,
                RecurrentCell::Lstm => 4,
                RecurrentCell::Gru => 3,
            };
            let hidden_bias = s.cell != RecurrentCell::Tanh;
            vec![
                LayerOps::dense("input", SIDE, gates * s.hidden, true, SIDE),
                LayerOps::dense("recurrent", s.hidden, gates * s.hidden, hidden_bias, SIDE),
                LayerOps::dense("fc", s.hidden, CLASSES, true, 1),
            ]
        }
        ModelSettings::Snn(s) => {
            let hidden_spikes = emitted(0);
            vec![
                LayerOps::dense("fc1", PIXELS, s.hidden, true, 1),
                LayerOps::lif("lif", s.hidden, s.lif.steps, hidden_spikes),
                LayerOps::spiking(
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
pub(crate) fn training_flops(settings: &ModelSettings) -> Option<f64> {
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
    let mut conv2 = LayerOps::spiking(
        "conv2",
        s.channels1 * side1 * side1,
        s.channels1 * s.channels2 * 9,
        conv2_out,
        s1,
        conv2_acs,
    );
    // Its accumulators are reset and biased at every step.
    conv2.bias_size = s.channels2 as f64;
    conv2.bias_reads = (conv2_out * s.lif.steps) as f64;
    let n2 = s.channels2 * side2 * side2;
    vec![
        LayerOps::conv3("conv1", 1, s.channels1, SIDE),
        LayerOps::lif("lif1", s.channels1 * side1 * side1, s.lif.steps, s1),
        conv2,
        LayerOps::lif("lif2", n2, s.lif.steps, s2),
        LayerOps::spiking("readout", n2, n2 * CLASSES, CLASSES, s2, readout_acs),
    ]
}

#[cfg(test)]
#[path = "tests/counts.rs"]
mod tests;
