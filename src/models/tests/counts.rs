//! Operation counts pinned against counts worked out by hand, and ACs against emitted spikes.

use super::*;
use crate::models::csnn::fan_out;
use crate::models::{Model, ModelKind};
use crate::names::Named;
use burn::prelude::*;

fn totals(kind: ModelKind, spikes: Option<&SpikeProfile>) -> (f64, f64, f64) {
    let layers = layer_ops(&ModelSettings::defaults(kind), spikes);
    (
        layers.iter().map(|l| l.macs).sum(),
        layers.iter().map(|l| l.acs).sum(),
        layers.iter().map(|l| l.neuron_updates).sum(),
    )
}

#[test]
fn dense_counts_of_every_model_match_the_hand_counts() {
    // MLP 784 → 512 → 10.
    assert_eq!(totals(ModelKind::Mlp, None), ((784 * 512 + 512 * 10) as f64, 0.0, 0.0));
    // CNN: conv1 26·26 outputs × 32 channels × 9 taps; conv2 11·11 × 64 × (32·9); fc 1600 → 10.
    let cnn = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 1600 * 10;
    assert_eq!(cnn, 2_440_960);
    assert_eq!(totals(ModelKind::Cnn, None), (cnn as f64, 0.0, 0.0));
    // Recurrent, h = 128, 28 steps of 28 features: gates × (28·h + h·h) per step, then h → 10.
    let per_gate = 28 * (28 * 128 + 128 * 128);
    assert_eq!(totals(ModelKind::Rnn, None).0, (per_gate + 1280) as f64);
    assert_eq!(totals(ModelKind::Lstm, None).0, (4 * per_gate + 1280) as f64);
    assert_eq!(totals(ModelKind::Gru, None).0, (3 * per_gate + 1280) as f64);
    // SNN: the first layer sees pixels (MACs, once: the same current at every step); the
    // read-out is fed by spikes; 512 LIF neurons × 25 steps.
    let p = SpikeProfile { per_layer: vec![1000.0], rates: vec![0.078], accumulates: 10_000.0 };
    assert_eq!(totals(ModelKind::Snn, Some(&p)), ((784 * 512) as f64, 1000.0 * 10.0, 512.0 * 25.0));
    // CSNN: conv1 once; LIF 32·13·13 + 64·5·5 neurons × 4 steps; ACs as measured.
    let p = SpikeProfile { per_layer: vec![3000.0, 200.0], rates: vec![], accumulates: 500_000.0 };
    let (macs, acs, updates) = totals(ModelKind::Csnn, Some(&p));
    assert_eq!(macs, (26 * 26 * 32 * 9) as f64);
    assert_eq!(acs, 500_000.0, "conv2's accumulates plus the read-out's: what was measured");
    assert_eq!(updates, ((32 * 13 * 13 + 64 * 5 * 5) * 4) as f64);
    // Every model has a count (a new model must be added here).
    for &k in ModelKind::ALL {
        assert!(totals(k, None).0 > 0.0, "{}", k.name());
    }
}

#[test]
fn the_snn_readout_accumulates_its_input_spikes_times_ten() {
    let device = Device::flex();
    let model = Model::init(&ModelSettings::defaults(ModelKind::Snn), &device);
    let images =
        Tensor::<2>::random([3, 784], burn::tensor::Distribution::Uniform(0.0, 3.0), &device);
    let (_, spikes) = model.forward_counting(images);
    let s = spikes.unwrap();
    let emitted: f32 = s.per_layer[0].clone().into_scalar();
    assert!(emitted > 0.0, "the input must make neurons fire");
    assert_eq!(s.accumulates.into_scalar::<f32>(), emitted * 10.0);
}

#[test]
fn csnn_accumulates_are_spikes_times_their_real_fan_out() {
    // Fan-out of a 13×13 map into a valid 3×3 convolution: 9 inside, 6 on an edge, 4 in a corner.
    let device = Device::flex();
    let f: Vec<f32> = fan_out(13, &device).into_data().try_to_vec::<f32>().unwrap();
    assert_eq!((f[0], f[1], f[2], f[13 * 6 + 6], f[13 * 13 - 1]), (1.0, 2.0, 3.0, 9.0, 1.0));
    // Brute force: count, for every input position, the 11×11 outputs whose window covers it.
    for y in 0..13usize {
        for x in 0..13usize {
            let covers = |p: usize| (0..11usize).filter(|o| *o <= p && p <= o + 2).count();
            assert_eq!(f[y * 13 + x], (covers(y) * covers(x)) as f32, "({y}, {x})");
        }
    }
    // The model's count equals layer-1 spikes weighted by that fan-out × 64 channels, plus
    // layer-2 spikes × 10, recomputed here from the spikes themselves.
    let mut settings = crate::models::csnn::CsnnSettings::default();
    settings.lif.steps = 2;
    let model = settings.init(&device);
    let images =
        Tensor::<2>::random([2, 784], burn::tensor::Distribution::Uniform(0.0, 4.0), &device);
    let (_, s) = model.forward_counting(images);
    let l1: f32 = s.layer1.into_scalar();
    let l2: f32 = s.layer2.into_scalar();
    let acs: f32 = s.accumulates.into_scalar();
    assert!(l1 > 0.0, "the input must make layer 1 fire");
    assert!(acs >= l2 * 10.0 + l1 * 64.0 && acs <= l2 * 10.0 + l1 * 64.0 * 9.0, "{acs} {l1} {l2}");
}

#[test]
fn training_flops_count_forward_weight_and_input_gradients_but_not_the_datas() {
    let flops = |k| training_flops(&ModelSettings::defaults(k));
    // MLP: forward 784·512 + 512·10 MACs, as many for the weight gradients, and the input
    // gradient of fc2 only (fc1's input is the image).
    let (fc1, fc2) = (784.0 * 512.0, 512.0 * 10.0);
    assert_eq!(flops(ModelKind::Mlp), Some(2.0 * (2.0 * (fc1 + fc2) + fc2)));
    assert_eq!(flops(ModelKind::Mlp), Some(1_636_352.0));
    // LSTM: the input projection (28 steps × 28 × 512) has no input gradient.
    let (input, recurrent, fc) = (28.0 * 28.0 * 512.0, 28.0 * 128.0 * 512.0, 1280.0);
    assert_eq!(flops(ModelKind::Lstm), Some(2.0 * (2.0 * input + 3.0 * (recurrent + fc))));
    for k in [ModelKind::Cnn, ModelKind::Snn, ModelKind::Csnn] {
        assert_eq!(flops(k), None, "{}", k.name());
    }
}
