use super::*;
use crate::data::{Dataset, synthetic};
use crate::models::snn::SnnSettings;
use crate::models::spiking::LifSettings;
use crate::models::{ModelKind, ModelSettings};
use crate::names::Named;
use crate::optimizer::OptimizerKind;
use crate::trial::TrialSpec;

fn tiny_data() -> TrialData {
    let norm = Dataset::Mnist.mean_std();
    TrialData {
        train: Prepared::from_split(&synthetic(320, 1), None, norm),
        test: Prepared::from_split(&synthetic(100, 2), None, norm),
    }
}

fn spec(model: ModelKind, epochs: usize) -> TrialSpec {
    let mut s = TrialSpec::defaults(model);
    s.epochs = epochs;
    s.batch_size = 32;
    s.learning_rate = 0.005;
    if let ModelSettings::Snn(ref mut snn) = s.model_settings {
        *snn =
            SnnSettings { hidden: 64, lif: LifSettings { steps: 8, ..SnnSettings::default().lif } };
    }
    s
}

#[test]
fn every_model_learns_the_synthetic_set() {
    let data = tiny_data();
    for &model in ModelKind::ALL {
        let r = train(&spec(model, 3), &data, &mut NoHooks);
        assert_eq!(r.outcome, Outcome::Ok, "{model:?}");
        let first = r.epochs[0].train_loss;
        let last = r.epochs[2].train_loss;
        assert!(last < first * 0.8, "{model:?}: loss {first} -> {last} did not fall");
        assert!(r.test_accuracy.unwrap() > 0.5, "{model:?}: accuracy {:?}", r.test_accuracy);
        assert_eq!(r.images_trained, 3 * 320);
        assert_eq!(r.firing_rate.is_some(), matches!(model, ModelKind::Snn | ModelKind::Csnn));
    }
}

#[test]
fn same_seed_same_result() {
    let data = tiny_data();
    let a = train(&spec(ModelKind::Mlp, 1), &data, &mut NoHooks);
    let b = train(&spec(ModelKind::Mlp, 1), &data, &mut NoHooks);
    assert_eq!(a.epochs[0].train_loss, b.epochs[0].train_loss);
    assert_eq!(a.test_accuracy, b.test_accuracy);
    let mut other = spec(ModelKind::Mlp, 1);
    other.seed = 7;
    let c = train(&other, &data, &mut NoHooks);
    assert_ne!(a.epochs[0].train_loss, c.epochs[0].train_loss);
}

#[test]
fn a_huge_learning_rate_diverges_instead_of_running_on() {
    let data = tiny_data();
    let mut s = spec(ModelKind::Mlp, 3);
    s.optimizer = OptimizerKind::Sgd;
    s.learning_rate = 1e12;
    let r = train(&s, &data, &mut NoHooks);
    assert!(matches!(r.outcome, Outcome::Diverged { .. }), "{:?}", r.outcome);
}

#[test]
fn every_optimizer_trains() {
    let data = tiny_data();
    for &opt in OptimizerKind::ALL {
        let mut s = spec(ModelKind::Mlp, 2);
        s.optimizer = opt;
        s.momentum = if opt == OptimizerKind::Sgd { 0.9 } else { 0.0 };
        s.learning_rate = if opt == OptimizerKind::Sgd { 0.05 } else { 0.001 };
        let r = train(&s, &data, &mut NoHooks);
        assert!(r.epochs[1].train_loss < r.epochs[0].train_loss, "{opt:?}");
    }
}

struct Counting {
    phases: Vec<Phase>,
    batches: usize,
    stop_after: usize,
}
impl Hooks for Counting {
    fn phase(&mut self, p: Phase) {
        self.phases.push(p);
    }
    fn batch(&mut self, _: usize, _: usize, _: usize, _: f32) {
        self.batches += 1;
    }
    fn cancelled(&self) -> bool {
        self.batches >= self.stop_after
    }
}

#[test]
fn hooks_see_every_phase_and_can_stop_a_trial() {
    let data = tiny_data();
    let mut h = Counting { phases: vec![], batches: 0, stop_after: usize::MAX };
    train(&spec(ModelKind::Mlp, 2), &data, &mut h);
    use Phase::*;
    assert_eq!(
        h.phases,
        vec![
            TrainStart(1),
            TrainEnd(1),
            EvalStart(1),
            EvalEnd(1),
            TrainStart(2),
            TrainEnd(2),
            EvalStart(2),
            EvalEnd(2)
        ]
    );
    assert_eq!(h.batches, 20);
    let mut h = Counting { phases: vec![], batches: 0, stop_after: 3 };
    let r = train(&spec(ModelKind::Mlp, 2), &data, &mut h);
    assert_eq!(r.outcome, Outcome::Interrupted);
    assert_eq!(h.batches, 3);
    assert_eq!(h.phases.last(), Some(&TrainEnd(1)));
}

#[test]
fn epoch_order_is_a_seeded_permutation() {
    let a = epoch_order(100, 3, 0);
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    assert_eq!(a, epoch_order(100, 3, 0));
    assert_ne!(a, epoch_order(100, 3, 1));
    assert_ne!(a, epoch_order(100, 4, 0));
}

/// Hooks that save the training state after one epoch.
struct SaveAfter {
    epoch: usize,
    dir: std::path::PathBuf,
}
impl Hooks for SaveAfter {
    fn epoch_state(&mut self, epoch: usize, model: &Model, optim: &ModuleOptimizer) {
        if epoch == self.epoch {
            save_state(model, optim, &self.dir.join("m.bpk"), &self.dir.join("o.bpk")).unwrap();
        }
    }
}

#[test]
fn training_continued_from_a_saved_state_equals_training_that_never_stopped() {
    // Model and optimizer state (Adam's moments and step count, SGD's and RMSprop's momentum)
    // come back exactly, so epoch 3 after a save and load is epoch 3 without one.
    let data = tiny_data();
    for (model, optimizer) in [
        (ModelKind::Mlp, OptimizerKind::Adam),
        (ModelKind::Mlp, OptimizerKind::AdamW),
        (ModelKind::Cnn, OptimizerKind::RmsProp),
        (ModelKind::Mlp, OptimizerKind::Sgd),
    ] {
        let mut s = spec(model, 3);
        s.optimizer = optimizer;
        s.momentum = 0.9;
        let whole = train(&s, &data, &mut NoHooks);
        let dir = tempfile::tempdir().unwrap();
        let first = train_until(
            &s,
            None,
            2,
            &data,
            &mut SaveAfter { epoch: 2, dir: dir.path().to_path_buf() },
        );
        assert_eq!(first.epochs.len(), 2);
        let resume =
            load_state(&s, &dir.path().join("m.bpk"), &dir.path().join("o.bpk"), 2).unwrap();
        let rest = train_until(&s, Some(resume), 3, &data, &mut NoHooks);
        assert_eq!(rest.epochs.len(), 1, "{model:?} {optimizer:?}: only epoch 3 is trained");
        assert_eq!(rest.epochs[0].epoch, 3);
        assert_eq!(
            rest.epochs[0].train_loss, whole.epochs[2].train_loss,
            "{model:?} {optimizer:?}: epoch 3's loss differs after a checkpoint"
        );
        assert_eq!(rest.test_accuracy, whole.test_accuracy, "{model:?} {optimizer:?}");
    }
}

#[test]
fn a_state_that_does_not_fit_the_model_is_an_error_not_a_panic() {
    let data = tiny_data();
    let dir = tempfile::tempdir().unwrap();
    let s = spec(ModelKind::Mlp, 1);
    train_until(&s, None, 1, &data, &mut SaveAfter { epoch: 1, dir: dir.path().to_path_buf() });
    let cnn = spec(ModelKind::Cnn, 1);
    let err = load_state(&cnn, &dir.path().join("m.bpk"), &dir.path().join("o.bpk"), 1)
        .err()
        .expect("an MLP's record cannot load into a CNN");
    assert!(format!("{err:#}").contains("m.bpk"), "{err:#}");
    assert!(load_state(&s, &dir.path().join("missing.bpk"), &dir.path().join("o.bpk"), 1).is_err());
}

#[test]
fn consecutive_test_rows_are_the_split_s_own_memory_and_equal_gathered_ones() {
    let p = Prepared::from_split(&synthetic(10, 3), None, Dataset::Mnist.mean_std());
    let data = p.rows(3..7);
    let (gx, gy) = p.gather(&[3, 4, 5, 6]);
    let rows: &[f32] = data.as_slice().unwrap();
    assert_eq!(rows, &gx[..]);
    assert_eq!(p.labels(3..7), gy);
    assert_eq!(data.shape().to_vec(), vec![4, PIXELS]);
    // No copy: the batch's elements are where the split keeps them.
    assert_eq!(rows.as_ptr(), p.images()[3 * PIXELS..].as_ptr());
    // The last rows and an empty range.
    let last = p.rows(9..10);
    assert_eq!(last.as_slice::<f32>().unwrap(), &p.images()[9 * PIXELS..]);
    assert_eq!(p.labels(9..10), vec![p.y[9] as i64]);
    assert_eq!(p.rows(10..10).num_elements(), 0);
    assert!(p.labels(10..10).is_empty());
    // In order, in runs of the batch size, the last one shorter.
    assert_eq!(p.batches(4).collect::<Vec<_>>(), vec![0..4, 4..8, 8..10]);
    assert_eq!(p.batches(10).collect::<Vec<_>>(), vec![0..10]);
}

#[test]
fn writing_to_a_batch_of_test_rows_leaves_the_split_unchanged() {
    let p = Prepared::from_split(&synthetic(8, 4), None, Dataset::Mnist.mean_std());
    let before = p.images().to_vec();
    let mut data = p.rows(2..5);
    data.as_mut_slice::<f32>().unwrap().fill(1e9);
    assert_eq!(p.images(), &before[..]);
    // Through a tensor on flex, with operations that may work in place.
    let device = crate::backend::Backend::Flex.device();
    let t = Tensor::<2>::from_data(p.rows(0..8), &device);
    // The tensor owns its only handle on the rows: flex may write in place.
    let changed = t.mul_scalar(-3.0).add_scalar(7.0).exp().into_data();
    assert_eq!(p.images(), &before[..]);
    assert!(changed.as_slice::<f32>().unwrap().iter().zip(&before).any(|(a, b)| a != b));
}

#[test]
#[should_panic(expected = "rows 6..9 of a split of 8 images")]
fn rows_past_the_end_are_a_caller_error() {
    let p = Prepared::from_split(&synthetic(8, 4), None, Dataset::Mnist.mean_std());
    p.rows(6..9);
}
