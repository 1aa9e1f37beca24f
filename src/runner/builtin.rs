//! One trial: open its power log → train with hooks that read the meter at every phase boundary
//! (so window energies are counter differences) → write its epochs as they end → build its row.
//! A panic inside Burn is caught here and becomes a `failed` row; the sweep goes on.
//!
//! Successive halving runs a trial in segments: up to a rung's epochs, saving a checkpoint after
//! each epoch, then later on from the checkpoint. The sums go on across segments ([`Totals`]).

use super::budget::BudgetState;
use super::checkpoint::{Checkpoints, Saved};
use super::environment::now_iso;
use super::interrupt::Interrupt;
use super::progress::Progress;
use super::row::{
    Baseline, Inference, fill_from_totals, fill_inference, fill_ops, fill_receipts, flag_incomplete,
};
use super::totals::Totals;
use crate::config::{EnergySettings, InferenceSettings};
use crate::energy::{LoadProbe, LoadSample, Meter, Reading, Window};
use crate::models::Model;
use crate::names::Named;
use crate::plan::Trial;
use crate::results::{CsvLog, EpochRow, ResultRow, one_line};
use crate::train::infer::{self, InferPhase};
use crate::train::{self, EpochReport, Hooks, Outcome, Phase, Resume, TrialData};
use crate::trial::settings::SETTINGS;
use burn::optim::ModuleOptimizer;
use std::panic::AssertUnwindSafe;

/// The status of a trial stopped on purpose before its last epoch, to continue from its
/// checkpoint: what [`run_trial`] returns for a halving rung. Never written to results.csv.
pub(super) const PAUSED: &str = "paused";

/// How far to train a trial in this call.
#[derive(Clone, Copy)]
pub(super) struct Segment<'c> {
    /// Stop after this epoch (the trial's `epochs` to train it whole).
    pub until: usize,
    /// Continue from the trial's checkpoint if it has one, and save one after every epoch
    /// before its last.
    pub checkpoints: Option<&'c Checkpoints>,
}

/// What a trial needs from the sweep around it.
pub(super) struct TrialEnv<'a> {
    pub meter: &'a Meter,
    pub epochs_log: &'a CsvLog<EpochRow>,
    /// Trials with epochs.csv rows when the sweep started: only those can have rows from a
    /// killed run to drop, so no other trial reads the (growing) file.
    pub epochs_at_start: &'a std::collections::HashSet<String>,
    /// `[schedule]`'s forecast on the sweep's clock; `None`: the `[energy]` constant.
    pub carbon: Option<&'a crate::schedule::clock::CarbonClock>,
    pub power_path: std::path::PathBuf,
    pub energy: &'a EnergySettings,
    pub idle_power_w: Option<f64>,
    /// How far the idle baseline in force has moved from the sweep's first (relative).
    pub idle_drift: Option<f64>,
    /// The baseline in force was taken while other processes kept the machine busy.
    pub idle_busy: bool,
    pub interrupt: &'a Interrupt,
    pub attempt_id: String,
    pub hostname: String,
    /// `machine.json`'s `machine_id`, stamped on every row.
    pub machine_id: Option<String>,
    pub slurm_job_id: Option<String>,
    pub exclusive: Option<bool>,
    pub budget: &'a BudgetState,
    pub inference: InferenceSettings,
}

impl TrialEnv<'_> {
    /// The idle baseline and sampler period the row's receipts are judged with.
    pub(super) fn baseline(&self) -> Baseline {
        Baseline {
            idle_power_w: self.idle_power_w,
            idle_drift: self.idle_drift,
            idle_busy: self.idle_busy,
            sample_period_ms: self.meter.sample_period().as_secs_f64() * 1e3,
        }
    }
}

struct MeterHooks<'a, 'p> {
    env: &'a TrialEnv<'a>,
    trial: &'a Trial,
    data: &'a TrialData,
    inference: Option<Inference>,
    progress: &'p mut Progress,
    mark: Option<Reading>,
    totals: Totals,
    epoch_train: Option<Window>,
    last_eval: Option<Window>,
    write_error: Option<anyhow::Error>,
    load: LoadProbe,
    load_mark: Option<Option<LoadSample>>,
    /// Where to save a checkpoint after each epoch, and the attempt's identity.
    checkpoints: Option<&'a Checkpoints>,
    /// Power samples written before this segment.
    base_samples: u64,
    attempt_id: String,
    started_at: String,
}

impl Hooks for MeterHooks<'_, '_> {
    fn phase(&mut self, phase: Phase) {
        let now = self.env.meter.read();
        match phase {
            Phase::TrainStart(_) => {
                self.mark = Some(now);
                self.load_mark = Some(self.load.sample());
                if self.totals.temp_start_c.is_none() {
                    self.totals.temp_start_c = self.env.meter.max_temp_c();
                }
            }
            Phase::EvalStart(_) => self.mark = Some(now),
            Phase::TrainEnd(_) => {
                if let Some(start) = self.mark.take() {
                    let w = now.since(&start);
                    self.totals.energy.add(&w);
                    self.env.budget.add(w.energy_j);
                    self.epoch_train = Some(w);
                }
                if let Some(start) = self.load_mark.take() {
                    self.totals.load.add(start, self.load.sample());
                }
                self.totals.temp_end_c = self.env.meter.max_temp_c().or(self.totals.temp_end_c);
                let uses_gpu = self.trial.spec.backend.uses_gpu();
                self.totals.add_gpus_shared(self.env.meter.gpus_shared(uses_gpu));
            }
            Phase::EvalEnd(_) => {
                self.last_eval = self.mark.take().map(|start| now.since(&start));
                if let Some(w) = &self.last_eval {
                    self.env.budget.add(w.energy_j);
                }
            }
        }
    }

    fn batch(&mut self, epoch: usize, batch: usize, batches: usize, loss: f32) {
        self.progress.batch(epoch, self.trial.spec.epochs, batch, batches, loss);
    }

    fn epoch_done(&mut self, r: &EpochReport) {
        let energy = self.epoch_train.take().map(|w| w.energy_j);
        let t = &mut self.totals;
        t.epochs_done = r.epoch;
        t.train_time_s += r.train_time_s;
        t.images_trained += r.images;
        t.epochs_energy_j += energy.unwrap_or(0.0);
        t.epochs_measured &= energy.is_some();
        t.test_accuracy = Some(r.test_accuracy);
        t.eval_time_s = Some(r.eval_time_s);
        t.eval_energy_j = self.last_eval.as_ref().map(|w| w.energy_j);
        t.eval_read_failures = self.last_eval.as_ref().map_or(0, |w| w.read_failures);
        t.firing_rate = r.firing_rate;
        t.spikes = r.spikes.clone();
        let row = EpochRow {
            trial_id: self.trial.id.clone(),
            epoch: r.epoch,
            train_loss: Some(r.train_loss),
            test_accuracy: r.test_accuracy,
            epoch_time_s: r.train_time_s,
            energy_j: energy,
            energy_source: t.energy.source.clone(),
            eval_time_s: r.eval_time_s,
            eval_energy_j: t.eval_energy_j,
            cumulative_time_s: t.train_time_s,
            cumulative_energy_j: energy.map(|_| t.epochs_energy_j),
            attempt_id: self.attempt_id.clone(),
        };
        if let Err(e) = self.env.epochs_log.append(&row) {
            self.write_error.get_or_insert(e);
        }
    }

    fn cancelled(&self) -> bool {
        self.env.interrupt.requested() || self.write_error.is_some()
    }

    fn stop_after_epoch(&self) -> bool {
        self.env.budget.reached().is_some()
    }

    fn trained(&mut self, model: &Model) {
        if !self.env.inference.enabled || self.cancelled() {
            return;
        }
        let meter = self.env.meter;
        let (mut mark, mut batch, mut single) = (None, None, None);
        let report = infer::measure(
            model,
            &self.data.test,
            self.trial.spec.batch_size,
            self.env.inference.images,
            self.trial.spec.backend,
            &mut |p| {
                let now = meter.read();
                match p {
                    InferPhase::BatchStart | InferPhase::SingleStart => mark = Some(now),
                    InferPhase::BatchEnd => batch = mark.take().map(|s: Reading| now.since(&s)),
                    InferPhase::SingleEnd => single = mark.take().map(|s: Reading| now.since(&s)),
                }
            },
        );
        for w in [&batch, &single].into_iter().flatten() {
            self.env.budget.add(w.energy_j);
        }
        self.inference = Some(Inference { report, batch, single });
    }

    fn epoch_state(&mut self, epoch: usize, model: &Model, optim: &ModuleOptimizer) {
        // The last epoch needs no checkpoint: the trial's row is written next.
        let Some(checkpoints) = self.checkpoints.filter(|_| epoch < self.trial.spec.epochs) else {
            return;
        };
        if self.write_error.is_some() {
            return;
        }
        // The power series as it stands at this epoch: a later run cuts what comes after.
        let (power_bytes, rows) = match self.env.meter.power_log_mark() {
            Ok((bytes, rows)) => (Some(bytes), rows),
            Err(e) => {
                self.write_error = Some(e);
                return;
            }
        };
        let mut totals = self.totals.clone();
        totals.samples = self.base_samples + rows;
        let saved = Saved {
            epoch,
            attempt_id: self.attempt_id.clone(),
            started_at: self.started_at.clone(),
            totals,
            row: None,
            power_bytes,
            command: false,
        };
        if let Err(e) = checkpoints.save(&self.trial.id, &saved, model, optim) {
            self.write_error = Some(e);
        }
    }
}

/// A GPU power limit in force for one trial; the previous limits come back on drop.
pub(super) struct PowerLimit<'a> {
    meter: &'a Meter,
    before: Vec<u32>,
}

impl<'a> PowerLimit<'a> {
    pub(super) fn set(meter: &'a Meter, limit_w: f64) -> anyhow::Result<PowerLimit<'a>> {
        let before = meter
            .set_gpu_power_limit(limit_w)
            .map_err(|e| anyhow::anyhow!("gpu_power_limit_w = {limit_w}: {e}"))?;
        Ok(PowerLimit { meter, before })
    }
}

impl Drop for PowerLimit<'_> {
    fn drop(&mut self) {
        self.meter.restore_gpu_power_limits(&self.before);
    }
}

/// Train one trial (or one segment of it) and return its results row (not yet written).
pub(super) fn run_trial(
    trial: &Trial,
    data: &TrialData,
    env: &TrialEnv,
    progress: &mut Progress,
    segment: Segment,
) -> anyhow::Result<ResultRow> {
    crate::memory::reset_peak_rss();
    let (saved, resume) = match segment.checkpoints {
        Some(c) => resume_from(c, trial, &env.meter.source()),
        None => (None, None),
    };
    if let Some(s) = &saved {
        drop_epochs_after(env, &trial.id, s.epoch)?;
        // What a killed run wrote after the checkpoint belongs to epochs trained again now.
        if let Some(len) = s.power_bytes {
            crate::results::truncate_to(&env.power_path, len)?;
        }
        env.meter.continue_power_log(&env.power_path)?;
    } else {
        if segment.checkpoints.is_some() {
            drop_epochs_after(env, &trial.id, 0)?;
        }
        env.meter.begin_power_log(&env.power_path)?;
    }
    let (attempt_id, started_at, totals) = match saved {
        Some(s) => (s.attempt_id, s.started_at, s.totals),
        None => (env.attempt_id.clone(), now_iso(), Totals::fresh(env.meter.source())),
    };
    let before = totals.clone();
    let mut hooks = MeterHooks {
        base_samples: before.samples,
        env,
        trial,
        data,
        inference: None,
        progress,
        mark: None,
        totals,
        epoch_train: None,
        last_eval: None,
        write_error: None,
        load: LoadProbe::system(),
        load_mark: None,
        checkpoints: segment.checkpoints,
        attempt_id,
        started_at,
    };
    // Restored when this guard drops: after training, after a caught panic, after Ctrl-C.
    let _limit = match trial.spec.gpu_power_limit_w {
        Some(w) => Some(PowerLimit::set(env.meter, w)?),
        None => None,
    };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        if std::env::var("WATTSWEEP_TEST_PANIC").is_ok_and(|m| m == trial.spec.model.name()) {
            panic!("injected failure (WATTSWEEP_TEST_PANIC)");
        }
        let train = |hooks: &mut MeterHooks| {
            train::train_until(&trial.spec, resume, segment.until, data, hooks)
        };
        match trial.spec.threads {
            // On a worker of the global pool rather than this thread: every parallel region in
            // the kernels and in burn-flex then wakes one other thread, not two, and this one
            // does not sleep and wake around each (MLP training 52 k → 64 k img/s).
            None => rayon::scope(|_| train(&mut hooks)),
            // Burn's flex backend, gemm and the fused kernels all run on rayon's current pool.
            Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
                Ok(pool) => pool.install(|| train(&mut hooks)),
                Err(e) => panic!("cannot start a pool of {n} threads: {e}"),
            },
        }
    }));
    let samples = env.meter.end_power_log()?;
    if let Some(e) = hooks.write_error.take() {
        return Err(e);
    }
    let mut totals = hooks.totals;
    totals.samples += samples;
    totals.add_receipts(env.meter.take_receipts());
    let mut row = base_row(
        trial,
        (data.train.len(), data.test.len()),
        env,
        &totals,
        &hooks.attempt_id,
        hooks.started_at,
    );
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("panic");
            // The epochs trained before the panic (this and earlier segments) were spent.
            fill_from_totals(&mut row, &totals, env.energy, env.idle_power_w);
            row.status = "failed".into();
            row.error = Some(one_line(&format!("panic: {msg}")));
            return Ok(row);
        }
    };
    // Time and images of a partial epoch (Ctrl-C, divergence) count too.
    let epochs_time: f64 = result.epochs.iter().map(|e| e.train_time_s).sum();
    let epochs_images: usize = result.epochs.iter().map(|e| e.images).sum();
    totals.train_time_s += (result.train_time_s - epochs_time).max(0.0);
    totals.images_trained += result.images_trained.saturating_sub(epochs_images);
    row.params = result.params;
    fill_from_totals(&mut row, &totals, env.energy, env.idle_power_w);
    fill_ops(&mut row, trial, &totals, env.energy);
    if let Some(inf) = &hooks.inference {
        fill_inference(&mut row, inf, env.idle_power_w);
    }
    flag_incomplete(&mut row, &totals, trial.spec.backend.uses_gpu(), hooks.inference.as_ref());
    fill_receipts(&mut row, &totals, &env.baseline());
    if row.background_load == Some(true) {
        tracing::warn!(
            "trial {}: other processes used {:.0} % of the machine's busy CPU time while it trained (above max_other_cpu_share = {}); {}",
            trial.id,
            row.other_cpu_share.unwrap_or(0.0) * 100.0,
            env.energy.max_other_cpu_share,
            crate::energy::background_effect(&row.energy_source)
        );
    }
    let new_failures = totals.energy.read_failures - before.energy.read_failures;
    if new_failures > 0 {
        tracing::warn!(
            "trial {}: {} failed counter reads during training: its energy may be an undercount (energy_complete = false; left out of rankings)",
            trial.id,
            new_failures
        );
    }
    match result.outcome {
        Outcome::Ok if totals.epochs_done < trial.spec.epochs => row.status = PAUSED.into(),
        Outcome::Ok => row.status = "ok".into(),
        Outcome::Diverged { epoch, batch } => {
            row.status = "diverged".into();
            row.error =
                Some(format!("loss became NaN or infinite at epoch {epoch}, batch {batch}"));
        }
        Outcome::Interrupted => {
            row.status = "interrupted".into();
            row.error = Some(match env.budget.reached() {
                Some(why) if !env.interrupt.requested() => format!("{why}; run again to resume"),
                _ => "stopped by SIGINT/SIGTERM".into(),
            });
        }
    }
    // A paused trial's checkpoint also keeps its row (the row of a trial pruned at this rung)
    // and this segment's power samples.
    if row.status == PAUSED
        && let Some(c) = segment.checkpoints
        && let Some(mut s) = c.load(&trial.id)?
        && s.epoch == totals.epochs_done
    {
        s.totals.samples = totals.samples;
        s.row = Some(row.clone());
        // The series is closed and flushed: all of it belongs to the epochs in the checkpoint.
        s.power_bytes = std::fs::metadata(&env.power_path).ok().map(|m| m.len());
        c.update(&trial.id, &s)?;
    }
    Ok(row)
}

/// The row's settings (every entry of the settings table) and identity, from the spec and the
/// sums so far (status left empty).
pub(super) fn base_row(
    trial: &Trial,
    (train_images, test_images): (usize, usize),
    env: &TrialEnv,
    totals: &Totals,
    attempt_id: &str,
    started_at: String,
) -> ResultRow {
    let s = &trial.spec;
    let mut row = ResultRow {
        trial_id: trial.id.clone(),
        config_id: s.config_id(),
        train_images,
        test_images,
        model_settings: s.model_settings_text(),
        energy_source: totals.energy.source.clone(),
        estimate_method: env.meter.estimate_method().map(String::from),
        idle_power_w: env.idle_power_w,
        peak_rss_mb: crate::memory::peak_rss_mb(),
        gpu_name: Some(env.meter.gpu_names().join(";")).filter(|n| !n.is_empty()),
        gpu_energy_method: Some(env.meter.gpu_methods().join(";")).filter(|n| !n.is_empty()),
        hostname: env.hostname.clone(),
        machine_id: env.machine_id.clone(),
        slurm_job_id: env.slurm_job_id.clone(),
        exclusive: env.exclusive,
        attempt_id: attempt_id.to_string(),
        started_at,
        finished_at: now_iso(),
        wattsweep_version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    };
    for setting in &SETTINGS {
        (setting.to_row)(s, &mut row);
    }
    row.carbon_intensity_g_per_kwh = Some(match env.carbon {
        Some(clock) => clock.intensity(&row.started_at),
        None => env.energy.carbon_intensity_g_per_kwh,
    });
    row
}

/// A trial's checkpoint and the training state it names, if both load and were measured with
/// the energy source in use now; otherwise the trial starts over (with a warning saying why), so
/// that one row never sums a measurement and a guess under one label.
fn resume_from(c: &Checkpoints, trial: &Trial, source: &str) -> (Option<Saved>, Option<Resume>) {
    let saved = match c.load(&trial.id) {
        Ok(Some(s)) => s,
        Ok(None) => return (None, None),
        Err(e) => {
            tracing::warn!("trial {}: {e:#}; training it from the start", trial.id);
            return (None, None);
        }
    };
    if saved.totals.energy.source != source {
        tracing::warn!(
            "trial {}: its checkpoint was measured with energy source {}, this run has {}; training it from the start",
            trial.id,
            saved.totals.energy.source,
            source
        );
        return (None, None);
    }
    let (model, optim) = c.records(&trial.id, saved.epoch);
    // Loading puts the state on the trial's device: a CUDA failure there panics, and must end
    // in this trial (trained from the start, where the per-trial guard catches it), not the sweep.
    let loaded = std::panic::catch_unwind(AssertUnwindSafe(|| {
        train::load_state(&trial.spec, &model, &optim, saved.epoch)
    }))
    .unwrap_or_else(|_| Err(anyhow::anyhow!("loading its checkpoint panicked")));
    match loaded {
        Ok(r) => (Some(saved), Some(r)),
        Err(e) => {
            tracing::warn!("trial {}: {e:#}; training it from the start", trial.id);
            (None, None)
        }
    }
}

/// Drop the trial's epochs.csv rows after `epoch` (an epoch trained after its checkpoint by a
/// run that was killed: it is trained again). Reads the file only for a trial that had rows
/// when the sweep started, and rewrites it only when it has such rows: a sweep's per-trial
/// work does not grow with the file.
pub(super) fn drop_epochs_after(
    env: &TrialEnv,
    trial_id: &str,
    epoch: usize,
) -> anyhow::Result<()> {
    if !env.epochs_at_start.contains(trial_id) {
        return Ok(());
    }
    let epochs = env.epochs_log;
    let all = epochs.read_all()?;
    if all.iter().any(|e| e.trial_id == trial_id && e.epoch > epoch) {
        let kept: Vec<EpochRow> =
            all.into_iter().filter(|e| e.trial_id != trial_id || e.epoch <= epoch).collect();
        epochs.replace_all(&kept)?;
    }
    Ok(())
}
