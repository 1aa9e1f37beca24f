use super::shape::CLASSES;
use super::snn::SnnSettings;
use super::spiking::LifSettings;
use super::spiking::spike_fn;
use super::*;
use crate::kernels::lif::Surrogate;
use crate::names::Named;
use crate::value::Value;
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::{Distribution, TensorData};

#[test]
fn every_model_maps_a_batch_to_ten_logits() {
    let device = Device::flex();
    for &kind in ModelKind::ALL {
        let model = Model::init(&ModelSettings::defaults(kind), &device);
        let x = Tensor::<2>::random([3, PIXELS], Distribution::Normal(0.0, 1.0), &device);
        assert_eq!(model.forward(x).dims(), [3, CLASSES], "{kind:?}");
    }
}

#[test]
fn tutorial_shapes_have_the_tutorial_parameter_counts() {
    let device = Device::flex();
    let params = |k| Model::init(&ModelSettings::defaults(k), &device).num_params();
    // Counted by hand from the layer shapes (weights + biases):
    assert_eq!(params(ModelKind::Mlp), 784 * 512 + 512 + 512 * 10 + 10);
    assert_eq!(params(ModelKind::Cnn), (9 * 32 + 32) + (32 * 9 * 64 + 64) + (1600 * 10 + 10));
    assert_eq!(params(ModelKind::Rnn), (28 * 128 + 128) + 128 * 128 + (128 * 10 + 10));
    // LSTM/GRU keep PyTorch's two biases per gate: 82 186 and 61 962 parameters, as nn.LSTM/nn.GRU.
    assert_eq!(params(ModelKind::Lstm), 4 * (28 * 128 + 128 * 128 + 2 * 128) + (128 * 10 + 10));
    assert_eq!(params(ModelKind::Gru), 3 * (28 * 128 + 128 * 128 + 2 * 128) + (128 * 10 + 10));
    assert_eq!(params(ModelKind::Snn), 784 * 512 + 512 + 512 * 10 + 10);
    assert_eq!(params(ModelKind::Csnn), params(ModelKind::Cnn), "the CNN's layers, spiking");
}

#[test]
fn surrogate_is_heaviside_forward_and_fast_sigmoid_backward() {
    let device = Device::flex().autodiff();
    let xs = [-1.0f32, -0.1, 0.0, 0.05, 0.5];
    let u = Tensor::<2>::from_data(TensorData::new(xs.to_vec(), [1, 5]), &device).require_grad();
    let spikes = spike_fn(u.clone(), Surrogate::FastSigmoid { slope: 25.0 });
    let forward: Vec<f32> = spikes.clone().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(forward, vec![0.0, 0.0, 0.0, 1.0, 1.0]);
    let grads = spikes.sum().backward();
    let g: Vec<f32> = u.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
    for (x, g) in xs.iter().zip(g) {
        let expected = 1.0 / (1.0 + 25.0 * x.abs()).powi(2);
        assert!((g - expected).abs() < 1e-6, "x={x}: grad {g}, expected {expected}");
    }
}

#[test]
fn snn_counts_spikes_and_silence_gives_none() {
    let device = Device::flex();
    let snn =
        SnnSettings { hidden: 16, lif: LifSettings { steps: 5, ..SnnSettings::default().lif } }
            .init(&device);
    let (_, count) = snn.forward(Tensor::zeros([2, PIXELS], &device));
    let count: f32 = count.into_scalar();
    assert!((0.0..=2.0 * 16.0 * 5.0).contains(&count));
    let (_, count) = snn.forward(Tensor::ones([2, PIXELS], &device) * 100.0);
    let loud: f32 = count.into_scalar();
    assert!(loud > 0.0, "a strong input must make neurons fire");
}

#[test]
fn a_count_out_of_range_says_which_bound_it_broke() {
    let mut s = ModelSettings::defaults(ModelKind::Mlp);
    let f = |x: f64| Value::Float(x);
    assert_eq!(s.set("hidden", &f(0.0)), Err("must be a whole number ≥ 1".into()));
    assert_eq!(s.set("hidden", &f(2.5)), Err("must be a whole number ≥ 1".into()));
    let err = s.set("hidden", &f(5e6)).unwrap_err();
    assert!(err.contains("at most 1000000"), "a whole number ≥ 1 was given: {err}");
    assert_eq!(s.set("hidden", &f(1e6)), Ok(()));
}

#[test]
fn arctan_surrogate_is_heaviside_forward_and_snntorch_atan_backward() {
    let device = Device::flex().autodiff();
    let xs = [-1.0f32, -0.1, 0.0, 0.05, 0.5];
    let u = Tensor::<2>::from_data(TensorData::new(xs.to_vec(), [1, 5]), &device).require_grad();
    let spikes = spike_fn(u.clone(), Surrogate::Atan { alpha: 2.0 });
    let forward: Vec<f32> = spikes.clone().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(forward, vec![0.0, 0.0, 0.0, 1.0, 1.0]);
    let grads = spikes.sum().backward();
    let g: Vec<f32> = u.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
    for (x, g) in xs.iter().zip(g) {
        // snnTorch's ATan: (α/2) / (1 + (π/2·α·U)²), α = 2.
        let expected = 1.0 / (1.0 + (std::f32::consts::PI * x).powi(2));
        assert!((g - expected).abs() < 1e-6, "x={x}: grad {g}, expected {expected}");
    }
}

#[test]
fn the_surrogate_setting_changes_snn_ids_and_fast_sigmoid_keeps_the_old_ones() {
    let mut s = ModelSettings::defaults(ModelKind::Snn);
    let atan = s.canonical();
    assert!(atan.contains(&("surrogate", "atan".to_string())), "{atan:?}");
    s.set("surrogate", &Value::Str("fast-sigmoid".into())).unwrap();
    // Exactly the pairs every SNN trial had before `surrogate` existed.
    let old: Vec<(&str, String)> =
        ["hidden=512", "steps=25", "beta=0.9", "threshold=1.0", "slope=25.0"]
            .iter()
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k, v.to_string())
            })
            .collect();
    assert_eq!(s.canonical(), old);
    let err = s.set("surrogate", &Value::Str("sigmoid".into())).unwrap_err();
    assert!(err.contains("atan, fast-sigmoid"), "{err}");
    assert!(
        ModelSettings::defaults(ModelKind::Mlp)
            .set("surrogate", &Value::Str("atan".into()))
            .is_err()
    );
}
