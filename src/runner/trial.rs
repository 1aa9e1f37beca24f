//! One trial: open its power log → train with hooks that read the meter at every phase boundary
//! (so window energies are counter differences) → write its epochs as they end → build its row.
//! A panic inside Burn is caught here and becomes a `failed` row; the sweep goes on.

use super::budget::BudgetState;
use super::environment::now_iso;
use super::interrupt::Interrupt;
use super::progress::Progress;
use crate::backend::Backend;
use crate::config::EnergySettings;
use crate::energy::{LoadProbe, LoadSample, LoadWindows, Meter, Reading, Window};
use crate::names::Named;
use crate::plan::Trial;
use crate::results::{CsvLog, EpochRow, ResultRow, one_line};
use crate::train::{self, EpochReport, Hooks, Outcome, Phase, TrialData};
use std::panic::AssertUnwindSafe;

/// Sums of windows, domain by domain; a domain stays `None` if no window measured it.
#[derive(Clone, Debug, Default)]
pub struct Energies {
    pub total_j: f64,
    pub cpu_j: Option<f64>,
    pub dram_j: Option<f64>,
    pub gpu_j: Option<f64>,
    pub psys_j: Option<f64>,
    pub source: String,
    /// Domains summed, in first-seen order.
    pub zones: Vec<String>,
    pub counter_wraps: u64,
    pub read_failures: u64,
}

impl Energies {
    pub fn add(&mut self, w: &Window) {
        let plus = |acc: Option<f64>, x: Option<f64>| match (acc, x) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        self.total_j += w.energy_j;
        self.cpu_j = plus(self.cpu_j, w.cpu_energy_j);
        self.dram_j = plus(self.dram_j, w.dram_energy_j);
        self.gpu_j = plus(self.gpu_j, w.gpu_energy_j);
        self.psys_j = plus(self.psys_j, w.psys_energy_j);
        self.source = w.source.clone();
        for z in &w.zones {
            if !self.zones.contains(z) {
                self.zones.push(z.clone());
            }
        }
        self.counter_wraps += w.counter_wraps;
        self.read_failures += w.read_failures;
    }
}

/// What a trial needs from the sweep around it.
pub struct TrialEnv<'a> {
    pub meter: &'a Meter,
    pub epochs_log: &'a CsvLog<EpochRow>,
    pub power_path: std::path::PathBuf,
    pub energy: &'a EnergySettings,
    pub idle_power_w: Option<f64>,
    pub interrupt: &'a Interrupt,
    pub attempt_id: String,
    pub hostname: String,
    pub slurm_job_id: Option<String>,
    pub exclusive: Option<bool>,
    pub budget: &'a BudgetState,
}

struct MeterHooks<'a, 'p> {
    env: &'a TrialEnv<'a>,
    trial: &'a Trial,
    progress: &'p mut Progress,
    mark: Option<Reading>,
    train: Energies,
    epoch_train: Option<Window>,
    last_eval: Option<Window>,
    cumulative_time_s: f64,
    cumulative_energy_j: f64,
    write_error: Option<anyhow::Error>,
    load: LoadProbe,
    load_mark: Option<Option<LoadSample>>,
    load_windows: LoadWindows,
    /// Per GPU: whether another process used it at some training-window end.
    gpus_shared: Vec<Option<bool>>,
}

impl Hooks for MeterHooks<'_, '_> {
    fn phase(&mut self, phase: Phase) {
        let now = self.env.meter.read();
        match phase {
            Phase::TrainStart(_) => {
                self.mark = Some(now);
                self.load_mark = Some(self.load.sample());
            }
            Phase::EvalStart(_) => self.mark = Some(now),
            Phase::TrainEnd(_) => {
                if let Some(start) = self.mark.take() {
                    let w = now.since(&start);
                    self.train.add(&w);
                    self.env.budget.add(w.energy_j);
                    self.epoch_train = Some(w);
                }
                if let Some(start) = self.load_mark.take() {
                    self.load_windows.add(start, self.load.sample());
                }
                let uses_gpu = self.trial.spec.backend == Backend::TchCuda;
                let now_shared = self.env.meter.gpus_shared(uses_gpu);
                if self.gpus_shared.is_empty() {
                    self.gpus_shared = now_shared;
                } else {
                    for (acc, s) in self.gpus_shared.iter_mut().zip(now_shared) {
                        *acc = match (*acc, s) {
                            (Some(a), Some(b)) => Some(a || b),
                            (a, b) => a.or(b),
                        };
                    }
                }
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
        let energy = self.epoch_train.as_ref().map(|w| w.energy_j);
        self.cumulative_time_s += r.train_time_s;
        self.cumulative_energy_j += energy.unwrap_or(0.0);
        let row = EpochRow {
            trial_id: self.trial.id.clone(),
            epoch: r.epoch,
            train_loss: r.train_loss,
            test_accuracy: r.test_accuracy,
            epoch_time_s: r.train_time_s,
            energy_j: energy,
            energy_source: self.train.source.clone(),
            eval_time_s: r.eval_time_s,
            eval_energy_j: self.last_eval.as_ref().map(|w| w.energy_j),
            cumulative_time_s: self.cumulative_time_s,
            cumulative_energy_j: energy.map(|_| self.cumulative_energy_j),
            attempt_id: self.env.attempt_id.clone(),
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
}

/// A GPU power limit in force for one trial; the previous limits come back on drop.
struct PowerLimit<'a> {
    meter: &'a Meter,
    before: Vec<u32>,
}

impl<'a> PowerLimit<'a> {
    fn set(meter: &'a Meter, limit_w: f64) -> anyhow::Result<PowerLimit<'a>> {
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

/// Train one trial and return its results row (not yet written).
pub fn run_trial(
    trial: &Trial,
    data: &TrialData,
    env: &TrialEnv,
    progress: &mut Progress,
) -> anyhow::Result<ResultRow> {
    let started_at = now_iso();
    crate::memory::reset_peak_rss();
    env.meter.begin_power_log(&env.power_path)?;
    let mut hooks = MeterHooks {
        env,
        trial,
        progress,
        mark: None,
        train: Energies { source: env.meter.source(), ..Default::default() },
        epoch_train: None,
        last_eval: None,
        cumulative_time_s: 0.0,
        cumulative_energy_j: 0.0,
        write_error: None,
        load: LoadProbe::system(),
        load_mark: None,
        load_windows: LoadWindows::default(),
        gpus_shared: Vec::new(),
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
        match trial.spec.threads {
            None => train::train(&trial.spec, data, &mut hooks),
            // Burn's flex backend, gemm and the fused kernels all run on rayon's current pool.
            Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
                Ok(pool) => pool.install(|| train::train(&trial.spec, data, &mut hooks)),
                Err(e) => panic!("cannot start a pool of {n} threads: {e}"),
            },
        }
    }));
    let samples = env.meter.end_power_log()?;
    if let Some(e) = hooks.write_error.take() {
        return Err(e);
    }
    let s = &trial.spec;
    let mut row = ResultRow {
        trial_id: trial.id.clone(),
        config_id: s.config_id(),
        model: s.model.name().into(),
        dataset: s.dataset.name().into(),
        optimizer: s.optimizer.name().into(),
        learning_rate: s.learning_rate,
        momentum: s.momentum,
        weight_decay: s.weight_decay,
        batch_size: s.batch_size,
        epochs: s.epochs,
        seed: s.seed,
        repeat: s.repeat,
        threads: s.threads,
        gpu_power_limit_w: s.gpu_power_limit_w,
        backend: s.backend.name().into(),
        train_images: data.train.len(),
        test_images: data.test.len(),
        model_settings: s.model_settings_text(),
        energy_source: hooks.train.source.clone(),
        estimate_method: env.meter.estimate_method().map(String::from),
        idle_power_w: env.idle_power_w,
        samples: Some(samples),
        peak_rss_mb: crate::memory::peak_rss_mb(),
        gpu_name: Some(env.meter.gpu_names().join(";")).filter(|n| !n.is_empty()),
        hostname: env.hostname.clone(),
        slurm_job_id: env.slurm_job_id.clone(),
        exclusive: env.exclusive,
        attempt_id: env.attempt_id.clone(),
        started_at,
        finished_at: now_iso(),
        wattsweep_version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    };
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("panic");
            row.status = "failed".into();
            row.error = Some(one_line(&format!("panic: {msg}")));
            return Ok(row);
        }
    };
    row.params = result.params;
    row.train_time_s = result.train_time_s;
    row.test_accuracy = result.test_accuracy;
    row.eval_time_s = result.test_accuracy.map(|_| result.eval_time_s);
    row.images_per_s =
        (result.train_time_s > 0.0).then(|| result.images_trained as f64 / result.train_time_s);
    row.firing_rate = result.firing_rate;
    let e = &hooks.train;
    row.energy_j = Some(e.total_j);
    row.cpu_energy_j = e.cpu_j;
    row.dram_energy_j = e.dram_j;
    row.gpu_energy_j = e.gpu_j;
    row.psys_energy_j = e.psys_j;
    row.energy_zones = Some(e.zones.join("+")).filter(|z| !z.is_empty());
    row.counter_wraps = Some(e.counter_wraps);
    row.read_failures = Some(e.read_failures);
    row.energy_complete = Some(e.read_failures == 0);
    row.other_cpu_share = hooks.load_windows.other_cpu_share();
    row.gpu_shared = (!hooks.gpus_shared.is_empty()).then(|| {
        hooks
            .gpus_shared
            .iter()
            .map(|s| s.map_or(String::new(), |b| b.to_string()))
            .collect::<Vec<_>>()
            .join(";")
    });
    let limit = env.energy.max_other_cpu_share;
    row.background_load = row.other_cpu_share.map(|s| s > limit);
    if row.background_load == Some(true) {
        tracing::warn!(
            "trial {}: other processes used {:.0} % of the machine's busy CPU time while it trained (above max_other_cpu_share = {limit}); its RAPL energy includes their work",
            trial.id,
            row.other_cpu_share.unwrap_or(0.0) * 100.0
        );
    }
    if e.read_failures > 0 {
        tracing::warn!(
            "trial {}: {} failed counter reads during training: its energy may be an undercount (energy_complete = false; left out of rankings)",
            trial.id,
            e.read_failures
        );
    }
    row.eval_energy_j = hooks.last_eval.as_ref().map(|w| w.energy_j);
    row.mean_power_w = (result.train_time_s > 0.0).then(|| e.total_j / result.train_time_s);
    row.net_energy_j = env.idle_power_w.map(|p| e.total_j - p * result.train_time_s);
    row.co2_g = Some(e.total_j / 3.6e6 * env.energy.carbon_intensity_g_per_kwh);
    row.joules_per_accuracy_point =
        result.test_accuracy.filter(|a| *a > 0.0).map(|a| e.total_j / (a * 100.0));
    match result.outcome {
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
    Ok(row)
}
