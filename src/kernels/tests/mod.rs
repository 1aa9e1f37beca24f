//! The fused kernels against Burn's composed operations (the models' reference path): the same
//! logits and the same gradient for every parameter, on every model, and the same training.

use super::{calls, max_rel_diff, with_reference};
use crate::data::{Dataset, synthetic};
use crate::models::cnn::CnnSettings;
use crate::models::rnn::RecurrentSettings;
use crate::models::snn::SnnSettings;
use crate::models::spiking::LifSettings;
use crate::models::{Model, ModelKind, ModelSettings};
use crate::names::Named;
use crate::train::{self, NoHooks, Prepared, TrialData};
use crate::trial::TrialSpec;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLoss;
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Distribution;

/// Every model runs a fused kernel on flex.
const WITH_KERNELS: &[ModelKind] = ModelKind::ALL;

/// Small versions of each model, so that the reference path runs in milliseconds.
fn small(kind: ModelKind) -> ModelSettings {
    match ModelSettings::defaults(kind) {
        ModelSettings::Cnn(_) => ModelSettings::Cnn(CnnSettings { channels1: 4, channels2: 6 }),
        ModelSettings::Recurrent(r) => {
            ModelSettings::Recurrent(RecurrentSettings { hidden: 12, ..r })
        }
        ModelSettings::Snn(_) => ModelSettings::Snn(SnnSettings {
            hidden: 40,
            lif: LifSettings { steps: 12, ..SnnSettings::default().lif },
        }),
        ModelSettings::Csnn(_) => ModelSettings::Csnn(crate::models::csnn::CsnnSettings {
            channels1: 4,
            channels2: 6,
            // A low threshold so that the small random net fires and gradients reach conv1.
            lif: LifSettings {
                steps: 3,
                threshold: 0.2,
                ..crate::models::csnn::CsnnSettings::default().lif
            },
        }),
        other => other,
    }
}

struct Collect<'a> {
    grads: &'a GradientsParams,
    out: Vec<(String, Vec<f32>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let g = self
            .grads
            .get::<D>(param.id)
            .map(|g| g.into_data().try_to_vec::<f32>().expect("f32 gradient"));
        self.out.push((format!("{:?}", param.val().dims()), g.unwrap_or_default()));
    }
}

/// Logits and every parameter's gradient of the cross-entropy loss.
fn logits_and_grads(
    model: &Model,
    images: &[f32],
    labels: &[i64],
) -> (Vec<f32>, Vec<(String, Vec<f32>)>) {
    let device = Device::flex().autodiff();
    let n = labels.len();
    let x = Tensor::<2>::from_data(TensorData::new(images.to_vec(), [n, 784]), &device);
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels.to_vec(), [n]), &device);
    let logits = model.forward(x);
    let values = logits.clone().into_data().try_to_vec::<f32>().expect("f32 logits");
    let loss = CrossEntropyLoss::new(None, &device).forward(logits, y);
    let grads = GradientsParams::from_grads(loss.backward(), model);
    let mut c = Collect { grads: &grads, out: Vec::new() };
    model.visit(&mut c);
    (values, c.out)
}

#[test]
fn every_kernel_gives_burns_logits_and_gradients() {
    let device = Device::flex();
    device.seed(11);
    let n = 6;
    let images = Tensor::<2>::random([n, 784], Distribution::Normal(0.0, 1.0), &device)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let labels: Vec<i64> = (0..n as i64).map(|i| i % 10).collect();
    for &kind in WITH_KERNELS {
        // One model for both paths: other tests draw from the same process-wide RNG.
        let model = train::init_model(&small(kind), &Device::flex().autodiff(), 3);
        let before = calls();
        let (fused_logits, fused) = logits_and_grads(&model, &images, &labels);
        let after = calls();
        assert!(after > before, "{kind:?}: no fused kernel ran (WATTSWEEP_KERNELS=off set?)");
        let (ref_logits, reference) = with_reference(|| logits_and_grads(&model, &images, &labels));
        assert_eq!(calls(), after, "{kind:?}: the reference path ran a fused kernel");
        let d = max_rel_diff(&fused_logits, &ref_logits);
        assert!(d < 1e-4, "{kind:?}: logits differ by {d} (relative)");
        assert_eq!(fused.len(), reference.len(), "{kind:?}: parameter count");
        for ((shape, f), (_, r)) in fused.iter().zip(&reference) {
            assert!(
                !r.is_empty() && r.iter().any(|v| *v != 0.0),
                "{kind:?}: reference gradient of {shape} is empty"
            );
            let d = max_rel_diff(f, r);
            assert!(d < 2e-4, "{kind:?}: gradient of parameter {shape} differs by {d} (relative)");
        }
    }
}

#[test]
fn training_with_kernels_matches_the_reference_path() {
    let norm = Dataset::Mnist.mean_std();
    let data = TrialData {
        train: Prepared::from_split(&synthetic(256, 5), None, norm),
        test: Prepared::from_split(&synthetic(128, 6), None, norm),
    };
    for &kind in WITH_KERNELS {
        let mut spec = TrialSpec::defaults(kind);
        spec.model_settings = small(kind);
        spec.epochs = 2;
        spec.batch_size = 32;
        spec.learning_rate = 0.005;
        // One initial model for both runs: other tests draw from the same process-wide RNG.
        let model = train::init_model(&spec.model_settings, &Device::flex().autodiff(), spec.seed);
        let before = calls();
        let fused = train::train_model(&spec, model.clone(), &data, &mut NoHooks);
        let after = calls();
        assert!(after > before, "{kind:?}: no fused kernel ran (WATTSWEEP_KERNELS=off set?)");
        let reference = with_reference(|| train::train_model(&spec, model, &data, &mut NoHooks));
        assert_eq!(calls(), after, "{kind:?}: the reference path ran a fused kernel");
        let (a, b) = (fused.test_accuracy.unwrap(), reference.test_accuracy.unwrap());
        assert!((a - b).abs() <= 2.0 / 128.0, "{kind:?}: accuracy {a} with kernels, {b} without");
        for (x, y) in fused.epochs.iter().zip(&reference.epochs) {
            let rel = (x.train_loss - y.train_loss).abs() / y.train_loss;
            assert!(
                rel < 1e-3,
                "{kind:?}: epoch {} loss {} vs {}",
                x.epoch,
                x.train_loss,
                y.train_loss
            );
        }
        assert_eq!(fused.firing_rate.is_some(), matches!(kind, ModelKind::Snn | ModelKind::Csnn));
    }
}
