//! The training loop of one trial: seed, init, epochs of shuffled mini-batches with
//! cross-entropy loss, an evaluation on the test set after every epoch, divergence detection.
//! It knows nothing about energy or files: the caller observes phase boundaries through
//! [`Hooks`] and reads its meters there.

use super::batches::{Prepared, TrialData, epoch_order};
use super::optim;
use crate::energy::SpikeProfile;
use crate::models::{Model, PIXELS};
use crate::trial::TrialSpec;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLoss;
use burn::optim::{GradientsParams, ModuleOptimizer, OptimizerRecord};
use burn::prelude::*;
use std::time::Instant;

/// Test images per evaluation batch: large, since no graph is kept.
const EVAL_BATCH: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    TrainStart(usize),
    TrainEnd(usize),
    EvalStart(usize),
    EvalEnd(usize),
}

/// What the runner sees of a running trial.
pub(crate) trait Hooks {
    /// Called at each phase boundary, before (start) or after (end) the phase's work.
    fn phase(&mut self, _phase: Phase) {}
    /// Called after each training batch (1-based `batch` of `batches`).
    fn batch(&mut self, _epoch: usize, _batch: usize, _batches: usize, _loss: f32) {}
    /// Called when an epoch's evaluation is done.
    fn epoch_done(&mut self, _report: &EpochReport) {}
    /// Polled between batches: true stops the trial as `Interrupted`.
    fn cancelled(&self) -> bool {
        false
    }
    /// Asked after each epoch: true ends the trial there as `Interrupted` (a budget ran out).
    fn stop_after_epoch(&self) -> bool {
        false
    }
    /// Called after [`epoch_done`](Hooks::epoch_done) with the training state at the end of
    /// that epoch (to save a checkpoint).
    fn epoch_state(&mut self, _epoch: usize, _model: &Model, _optim: &ModuleOptimizer) {}
    /// Called once the trial's last epoch is done, with the trained model (inference phase).
    fn trained(&mut self, _model: &Model) {}
}

/// Training state after `epochs_done` epochs, to continue from.
pub(crate) struct Resume {
    pub model: Model,
    pub optim: ModuleOptimizer,
    pub epochs_done: usize,
}

/// Save a training state with Burn's record format (burnpack): the model's parameters (with
/// their ids) and the optimizer's per-parameter state (Adam's moments and step count, SGD's
/// momentum, …), which is keyed by those ids.
pub(crate) fn save_state(
    model: &Model,
    optim: &ModuleOptimizer,
    model_path: &std::path::Path,
    optim_path: &std::path::Path,
) -> anyhow::Result<()> {
    use anyhow::Context;
    model
        .clone()
        .save_file(model_path)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("{}: cannot save the model", model_path.display()))?;
    optim
        .to_record()
        .save(optim_path)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("{}: cannot save the optimizer state", optim_path.display()))
}

/// Load a state saved by [`save_state`] for `spec`'s model and optimizer.
pub(crate) fn load_state(
    spec: &TrialSpec,
    model_path: &std::path::Path,
    optim_path: &std::path::Path,
    epochs_done: usize,
) -> anyhow::Result<Resume> {
    use anyhow::Context;
    let ad_device = spec.backend.device().autodiff();
    let model = init_model(&spec.model_settings, &ad_device, spec.seed)
        .try_load_file(model_path)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("{}: cannot load the model", model_path.display()))?;
    let record = OptimizerRecord::load(optim_path)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("{}: cannot load the optimizer state", optim_path.display()))?;
    let optim = optim::build(spec.optimizer, spec.momentum, spec.weight_decay, &ad_device)
        .load_record(record);
    Ok(Resume { model, optim, epochs_done })
}

/// Hooks that observe nothing (tests).
#[cfg(test)]
pub(crate) struct NoHooks;
#[cfg(test)]
impl Hooks for NoHooks {}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Test accuracy after the epoch, 0–1.
    pub test_accuracy: f64,
    /// Seconds of training in this epoch (evaluation excluded).
    pub train_time_s: f64,
    /// Seconds of the evaluation after this epoch.
    pub eval_time_s: f64,
    /// Images trained in this epoch.
    pub images: usize,
    /// Spiking models: the evaluation's firing rate.
    pub firing_rate: Option<f64>,
    /// Spiking models: the evaluation's spikes per layer.
    pub spikes: Option<SpikeProfile>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    Ok,
    /// Loss became NaN or infinite at this (1-based) epoch and batch.
    Diverged {
        epoch: usize,
        batch: usize,
    },
    Interrupted,
}

#[derive(Clone, Debug)]
pub(crate) struct TrainResult {
    pub outcome: Outcome,
    pub epochs: Vec<EpochReport>,
    /// Training seconds summed over epochs (evaluations excluded).
    pub train_time_s: f64,
    /// Seconds of the final evaluation.
    pub eval_time_s: f64,
    /// Final test accuracy, 0–1 (`None` when no epoch finished).
    pub test_accuracy: Option<f64>,
    pub images_trained: usize,
    pub params: usize,
    /// Spiking models: spikes / (neurons × steps × images) in the final evaluation.
    pub firing_rate: Option<f64>,
    /// Spiking models: the final evaluation's spikes per layer.
    pub spikes: Option<SpikeProfile>,
}

/// The device's random generator is process-wide, and Burn draws a parameter's initial values
/// lazily, on its first use. Seeding and drawing every parameter happen under this lock, in the
/// module's declaration order, so that a seed gives the same weights whatever else runs in the
/// process and whichever path (fused kernels or Burn's operations) first touches them.
static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Materialize;
impl burn::module::ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// A model with all its parameters drawn from `seed`.
pub(crate) fn init_model(
    settings: &crate::models::ModelSettings,
    device: &Device,
    seed: u64,
) -> Model {
    let _guard = INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    let model = Model::init(settings, device);
    model.visit(&mut Materialize);
    model
}

/// Train and evaluate one trial on `data`.
pub(crate) fn train(spec: &TrialSpec, data: &TrialData, hooks: &mut dyn Hooks) -> TrainResult {
    train_until(spec, None, spec.epochs, data, hooks)
}

/// [`train`] from an already initialised `model` (on the trial's autodiff device).
#[cfg(test)]
pub(crate) fn train_model(
    spec: &TrialSpec,
    model: Model,
    data: &TrialData,
    hooks: &mut dyn Hooks,
) -> TrainResult {
    let ad_device = spec.backend.device().autodiff();
    let optim = optim::build(spec.optimizer, spec.momentum, spec.weight_decay, &ad_device);
    train_until(spec, Some(Resume { model, optim, epochs_done: 0 }), spec.epochs, data, hooks)
}

/// One forward and backward pass on the first training batch, its gradients dropped and the
/// model untouched, before the first measured window: CUDA's context, cuBLAS handles and
/// kernel caches start here, not in epoch 1's energy. Its time is logged apart.
fn warm_up(
    model: &Model,
    loss_fn: &CrossEntropyLoss,
    data: &TrialData,
    batch: usize,
    ad_device: &Device,
    device: &Device,
) {
    let started = Instant::now();
    let chunk: Vec<usize> = (0..batch).collect();
    let (xs, ys) = data.train.gather(&chunk);
    let images = Tensor::<2>::from_data(TensorData::new(xs, [batch, PIXELS]), ad_device);
    let targets = Tensor::<1, Int>::from_data(TensorData::new(ys, [batch]), ad_device);
    let loss = loss_fn.forward(model.forward(images), targets);
    drop(loss.backward());
    let _ = device.sync();
    tracing::info!(
        "GPU warm-up (one batch forward and backward, not measured): {:.3} s",
        started.elapsed().as_secs_f64()
    );
}

/// Train from `resume` (or from the seed's initial model) until epoch `until` (at most the
/// trial's `epochs`). Epoch `k` sees the same batches whether or not training stopped before it,
/// so a continued trial trains exactly as one that never stopped. The result covers the epochs
/// trained in this call.
pub(crate) fn train_until(
    spec: &TrialSpec,
    resume: Option<Resume>,
    until: usize,
    data: &TrialData,
    hooks: &mut dyn Hooks,
) -> TrainResult {
    let device = spec.backend.device();
    let ad_device = device.clone().autodiff();
    let Resume { mut model, mut optim, epochs_done } = match resume {
        Some(r) => r,
        None => Resume {
            model: init_model(&spec.model_settings, &ad_device, spec.seed),
            optim: optim::build(spec.optimizer, spec.momentum, spec.weight_decay, &ad_device),
            epochs_done: 0,
        },
    };
    let until = until.min(spec.epochs);
    let loss_fn = CrossEntropyLoss::new(None, &ad_device);
    let mut result = TrainResult {
        outcome: Outcome::Ok,
        epochs: Vec::new(),
        train_time_s: 0.0,
        eval_time_s: 0.0,
        test_accuracy: None,
        images_trained: 0,
        params: model.num_params(),
        firing_rate: None,
        spikes: None,
    };
    let n = data.train.len();
    let batches = n.div_ceil(spec.batch_size);
    let on_gpu = spec.backend.uses_gpu();
    // On a GPU, work is queued: without a synchronisation the last batch's backward pass would
    // run inside the evaluation window, which the meter reads at the boundary.
    let boundary = |hooks: &mut dyn Hooks, phase: Phase| {
        if on_gpu && let Err(e) = device.sync() {
            tracing::warn!("cannot synchronise the GPU before reading the meter: {e:?}");
        }
        hooks.phase(phase);
    };
    if on_gpu && epochs_done < until && n > 0 {
        warm_up(&model, &loss_fn, data, spec.batch_size.min(n), &ad_device, &device);
    }

    for epoch in epochs_done + 1..=until {
        let order = epoch_order(n, spec.seed, epoch - 1);
        boundary(hooks, Phase::TrainStart(epoch));
        let started = Instant::now();
        let images_before = result.images_trained;
        let mut loss_sum = 0.0f64;
        for (b, chunk) in order.chunks(spec.batch_size).enumerate() {
            if hooks.cancelled() {
                result.train_time_s += started.elapsed().as_secs_f64();
                boundary(hooks, Phase::TrainEnd(epoch));
                result.outcome = Outcome::Interrupted;
                return result;
            }
            let (xs, ys) = data.train.gather(chunk);
            let images =
                Tensor::<2>::from_data(TensorData::new(xs, [chunk.len(), PIXELS]), &ad_device);
            let targets =
                Tensor::<1, Int>::from_data(TensorData::new(ys, [chunk.len()]), &ad_device);
            let logits = model.forward(images);
            let loss = loss_fn.forward(logits, targets);
            let loss_value = loss.clone().into_scalar::<f32>();
            if !loss_value.is_finite() {
                result.train_time_s += started.elapsed().as_secs_f64();
                boundary(hooks, Phase::TrainEnd(epoch));
                result.outcome = Outcome::Diverged { epoch, batch: b + 1 };
                return result;
            }
            loss_sum += loss_value as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(spec.learning_rate, model, grads);
            result.images_trained += chunk.len();
            hooks.batch(epoch, b + 1, batches, loss_value);
        }
        let train_time_s = started.elapsed().as_secs_f64();
        boundary(hooks, Phase::TrainEnd(epoch));
        result.train_time_s += train_time_s;

        boundary(hooks, Phase::EvalStart(epoch));
        let eval_started = Instant::now();
        let Evaluation { accuracy, firing_rate, spikes } =
            evaluate(&model.valid(), &data.test, &device);
        let eval_time_s = eval_started.elapsed().as_secs_f64();
        boundary(hooks, Phase::EvalEnd(epoch));

        let report = EpochReport {
            epoch,
            train_loss: loss_sum / batches.max(1) as f64,
            test_accuracy: accuracy,
            train_time_s,
            eval_time_s,
            images: result.images_trained - images_before,
            firing_rate,
            spikes: spikes.clone(),
        };
        hooks.epoch_done(&report);
        hooks.epoch_state(epoch, &model, &optim);
        result.epochs.push(report);
        result.eval_time_s = eval_time_s;
        result.test_accuracy = Some(accuracy);
        result.firing_rate = firing_rate;
        result.spikes = spikes;
        if epoch < until && hooks.stop_after_epoch() {
            result.outcome = Outcome::Interrupted;
            return result;
        }
        if epoch == spec.epochs {
            hooks.trained(&model.valid());
        }
    }
    result
}

/// What an evaluation on the test set found.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Evaluation {
    /// Test accuracy, 0–1.
    pub accuracy: f64,
    /// Spiking models: all spikes / all neuron-step slots.
    pub firing_rate: Option<f64>,
    /// Spiking models: per-layer spikes and accumulates per image.
    pub spikes: Option<SpikeProfile>,
}

/// Evaluate `model` on the test set.
pub(super) fn evaluate(model: &Model, test: &Prepared, device: &Device) -> Evaluation {
    // The forward-only path where it exists (not for the spiking models, whose spikes are counted).
    if let Some(plan) = crate::deploy::for_device(model, device, test.blank()) {
        let mut correct = 0usize;
        for rows in test.batches(EVAL_BATCH) {
            let predicted = plan.classify(test.pixels(rows.clone()));
            correct +=
                predicted.iter().zip(&test.y[rows]).filter(|(p, y)| **p == **y as usize).count();
        }
        let accuracy = correct as f64 / test.len().max(1) as f64;
        return Evaluation { accuracy, firing_rate: None, spikes: None };
    }
    let mut correct = 0i64;
    let mut per_layer: Vec<f64> = Vec::new();
    let mut accumulates = 0f64;
    for rows in test.batches(EVAL_BATCH) {
        // The batch reads the test set's buffer in place (no copy on flex).
        let images = Tensor::<2>::from_data(test.rows(rows.clone()), device);
        let targets = Tensor::<1, Int>::from_data(
            TensorData::new(test.labels(rows.clone()), [rows.len()]),
            device,
        );
        let (logits, spikes) = model.forward_counting(images);
        let predicted = logits.argmax(1).squeeze_dim::<1>(1);
        correct += predicted.equal(targets).int().sum().into_scalar::<i64>();
        if let Some(s) = spikes {
            per_layer.resize(s.per_layer.len(), 0.0);
            for (acc, t) in per_layer.iter_mut().zip(s.per_layer) {
                *acc += t.into_scalar::<f32>() as f64;
            }
            accumulates += s.accumulates.into_scalar::<f32>() as f64;
        }
    }
    let n = test.len().max(1) as f64;
    let slots = model.spike_slots_per_image();
    let firing_rate = slots
        .as_ref()
        .map(|slots| per_layer.iter().sum::<f64>() / (slots.iter().sum::<usize>() as f64 * n));
    let spikes = slots.map(|slots| SpikeProfile {
        rates: per_layer.iter().zip(&slots).map(|(s, k)| s / (*k as f64 * n)).collect(),
        per_layer: per_layer.iter().map(|s| s / n).collect(),
        accumulates: accumulates / n,
    });
    Evaluation { accuracy: correct as f64 / n, firing_rate, spikes }
}

#[cfg(test)]
#[path = "tests/mod.rs"]
pub(crate) mod tests;
