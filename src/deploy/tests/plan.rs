//! The packed forward path against Burn's: the same logits (within fp32 rounding) and the same
//! classes for every model with a plan, default and odd sizes (padding, remainder tiles), on
//! every instruction set this CPU has, from batch 1 to an evaluation batch.

use super::*;
use crate::data::{Dataset, synthetic};
use crate::kernels::{max_rel_diff, with_reference};
use crate::models::cnn::CnnSettings;
use crate::models::mlp::MlpSettings;
use crate::models::rnn::{RecurrentCell, RecurrentSettings};
use crate::models::{ModelKind, ModelSettings};
use crate::train::{self, Prepared};
use burn::module::{Module, Param};

fn settings() -> Vec<(&'static str, ModelSettings)> {
    let rnn = |cell, hidden| ModelSettings::Recurrent(RecurrentSettings { cell, hidden });
    vec![
        ("mlp", ModelSettings::defaults(ModelKind::Mlp)),
        ("mlp hidden 100", ModelSettings::Mlp(MlpSettings { hidden: 100 })),
        ("mlp hidden 7", ModelSettings::Mlp(MlpSettings { hidden: 7 })),
        ("cnn", ModelSettings::defaults(ModelKind::Cnn)),
        ("cnn 5/7", ModelSettings::Cnn(CnnSettings { channels1: 5, channels2: 7 })),
        ("cnn 16/48", ModelSettings::Cnn(CnnSettings { channels1: 16, channels2: 48 })),
        ("rnn", ModelSettings::defaults(ModelKind::Rnn)),
        ("lstm", ModelSettings::defaults(ModelKind::Lstm)),
        ("gru", ModelSettings::defaults(ModelKind::Gru)),
        ("gru hidden 9", rnn(RecurrentCell::Gru, 9)),
        ("lstm hidden 9", rnn(RecurrentCell::Lstm, 9)),
        ("rnn hidden 5", rnn(RecurrentCell::Tanh, 5)),
    ]
}

/// Normalised MNIST-like digits, four fifths of their pixels blank (as in MNIST), and the blank
/// value.
fn digits(n: usize, seed: u64) -> (Vec<f32>, f32) {
    let mut split = synthetic(n, seed);
    // The synthetic set's noise (0..63) on every pixel, kept on one in five.
    for (i, p) in split.images.iter_mut().enumerate() {
        if *p < 64 && i % 5 != 0 {
            *p = 0;
        }
    }
    let p = Prepared::from_split(&split, None, Dataset::Mnist.mean_std());
    let blank = p.blank();
    let share = p.images().iter().filter(|&&v| v == blank).count() as f64 / p.images().len() as f64;
    assert!(share > 0.7, "{share} of the test digits are blank");
    (p.images().to_vec(), blank)
}

fn burn_logits(model: &Model, images: &[f32]) -> Vec<f32> {
    let n = images.len() / PIXELS;
    let x = Tensor::<2>::from_data(TensorData::new(images.to_vec(), [n, PIXELS]), &Device::flex());
    model.forward(x).into_data().try_to_vec::<f32>().expect("f32 logits")
}

/// Classes from Burn's logits, and whether the top two are far enough apart that rounding
/// cannot swap them.
fn burn_classes(logits: &[f32]) -> Vec<(usize, bool)> {
    logits
        .chunks_exact(10)
        .map(|row| {
            let best = argmax(row);
            let runner_up = row
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != best)
                .map(|(_, v)| *v)
                .fold(f32::NEG_INFINITY, f32::max);
            (best, row[best] - runner_up > 1e-4 * row[best].abs().max(1.0))
        })
        .collect()
}

#[test]
fn every_plan_gives_burns_logits_and_classes_on_every_instruction_set() {
    let isas = Isa::supported();
    if isas.is_empty() {
        eprintln!("skipped: this CPU has neither AVX-512F nor AVX2+FMA (no plan is made)");
        return;
    }
    // 37 images: more than one task's share, and not a multiple of it.
    let (images, blank) = digits(37, 5);
    let device = Device::flex();
    for (name, s) in settings() {
        let model = train::init_model(&s, &device, 7);
        let burn = burn_logits(&model, &images);
        let reference = with_reference(|| burn_logits(&model, &images));
        for &isa in &isas {
            let plan = Plan::new(&model, isa, blank).unwrap_or_else(|| panic!("{name}: no plan"));
            let ours = plan.logits(&images);
            let d = max_rel_diff(&ours, &burn);
            assert!(d < 1e-5, "{name} on {isa:?}: logits differ from the kernels' by {d}");
            let d = max_rel_diff(&ours, &reference);
            assert!(d < 1e-4, "{name} on {isa:?}: logits differ from Burn's modules by {d}");
            for (i, (ours, (theirs, clear))) in
                plan.classify(&images).into_iter().zip(burn_classes(&burn)).enumerate()
            {
                assert!(
                    !clear || ours == theirs,
                    "{name} on {isa:?}: image {i}: {ours} ≠ {theirs}"
                );
            }
            // One at a time (the batch-1 path, on this thread; the recurrent models' own
            // sequence code) gives Burn's logits too.
            for (k, x) in images.chunks_exact(PIXELS).take(3).enumerate() {
                let one = plan.logits(x);
                let d = max_rel_diff(&one, &burn[k * 10..k * 10 + 10]);
                assert!(d < 1e-5, "{name} on {isa:?}: image {k} alone differs by {d}");
            }
            // Two at a time: still one by one for the recurrent models.
            let two = plan.logits(&images[..2 * PIXELS]);
            let d = max_rel_diff(&two, &burn[..20]);
            assert!(d < 1e-5, "{name} on {isa:?}: two images differ by {d}");
        }
    }
}

#[test]
fn dense_images_and_any_blank_value_give_the_same_logits() {
    let Some(isa) = Isa::detect() else { return };
    let device = Device::flex();
    let model = train::init_model(&ModelSettings::defaults(ModelKind::Mlp), &device, 3);
    // No pixel at the blank value: nothing is skipped.
    let images: Vec<f32> = (0..3 * PIXELS).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
    let burn = burn_logits(&model, &images);
    for blank in [0.0, -0.4242, 1.5] {
        let plan = Plan::new(&model, isa, blank).expect("an MLP has a plan");
        let d = max_rel_diff(&plan.logits(&images), &burn);
        assert!(d < 1e-5, "blank {blank}: logits differ by {d}");
    }
    // And digits skipped at a blank value that is not theirs: still the same logits.
    let (digits, _) = digits(4, 9);
    let plan = Plan::new(&model, isa, 0.25).expect("an MLP has a plan");
    let d = max_rel_diff(&plan.logits(&digits), &burn_logits(&model, &digits));
    assert!(d < 1e-5, "digits with another blank value: logits differ by {d}");
}

#[test]
fn spiking_and_non_finite_models_have_no_plan() {
    let Some(isa) = Isa::detect() else { return };
    let device = Device::flex();
    for kind in [ModelKind::Snn, ModelKind::Csnn] {
        let model = train::init_model(&ModelSettings::defaults(kind), &device, 1);
        assert!(Plan::new(&model, isa, 0.0).is_none(), "{kind:?} has a plan");
    }
    for kind in [ModelKind::Mlp, ModelKind::Cnn, ModelKind::Rnn, ModelKind::Lstm, ModelKind::Gru] {
        let model = train::init_model(&ModelSettings::defaults(kind), &device, 1);
        assert!(Plan::new(&model, isa, 0.0).is_some(), "{kind:?} has no plan");
        // Every parameter poisoned in turn: none may be packed.
        let params = model.num_params();
        let mut index = 0;
        loop {
            let mut poison = Poison { target: index, seen: 0 };
            let poisoned = model.clone().map(&mut poison);
            if poison.seen <= index {
                break;
            }
            assert!(
                Plan::new(&poisoned, isa, 0.0).is_none(),
                "{kind:?}: NaN in parameter {index} was packed"
            );
            index += 1;
        }
        assert!(index >= 4 && params > 0, "{kind:?}: {index} parameters poisoned");
    }
}

#[test]
fn an_instruction_set_the_cpu_lacks_makes_no_plan() {
    let model = train::init_model(&ModelSettings::defaults(ModelKind::Mlp), &Device::flex(), 1);
    for isa in [Isa::Avx512, Isa::Avx2] {
        let plan = Plan::new(&model, isa, 0.0);
        assert_eq!(plan.is_some(), Isa::supported().contains(&isa), "{isa:?}");
    }
}

#[test]
fn argmax_takes_the_first_largest_or_the_first_nan() {
    assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
    assert_eq!(argmax(&[1.0, f32::NAN, 3.0, f32::NAN]), 1);
    assert_eq!(argmax(&[f32::NAN, 5.0]), 0);
}

/// Multiplies the `target`-th float parameter met by NaN.
struct Poison {
    target: usize,
    seen: usize,
}

impl burn::module::ModuleMapper for Poison {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let hit = self.seen == self.target;
        self.seen += 1;
        if hit { Param::from_tensor(param.val() * f32::NAN) } else { param }
    }
}
