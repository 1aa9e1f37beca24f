//! The CSV records: one results row per trial, one epochs row per epoch, one power sample per
//! sampler tick. Each struct is the
//! file's schema; field order is column order, and every field names its unit. `None` becomes an
//! empty cell, never `NaN` or `0`, so a missing sensor cannot pass for a measurement.

use serde::{Deserialize, Serialize};

/// A trial's row in `results.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ResultRow {
    /// Short hash of the trial's resolved settings (stable across grid edits).
    pub trial_id: String,
    /// Short hash of the settings without `seed` and `repeat`: trials of one configuration share
    /// it (empty in rows written before it existed).
    #[serde(default)]
    pub config_id: String,
    /// `ok`, `pruned` (stopped by successive halving at a rung; exit code 0), `diverged`,
    /// `failed` or `interrupted`.
    pub status: String,
    /// Why a trial is not `ok` (one line), empty otherwise.
    pub error: Option<String>,
    pub model: String,
    pub dataset: String,
    pub optimizer: String,
    pub learning_rate: f64,
    pub momentum: f64,
    /// Empty: the optimizer's PyTorch default.
    pub weight_decay: Option<f64>,
    pub batch_size: usize,
    pub epochs: usize,
    /// Epochs trained and evaluated: `epochs` for an `ok` trial, fewer for one `pruned` by
    /// successive halving or stopped early. Empty in rows of older versions.
    #[serde(default)]
    pub epochs_trained: Option<usize>,
    pub seed: u64,
    /// Which run of identical settings (`repeats = N` gives 0 … N−1); 0 in older rows.
    #[serde(default)]
    pub repeat: u64,
    /// CPU threads the training used; empty: all (the thread pool's default, one per CPU).
    #[serde(default)]
    pub threads: Option<usize>,
    /// Power limit set on every measured GPU during the trial, watts; empty: left as it was.
    #[serde(default)]
    pub gpu_power_limit_w: Option<f64>,
    /// `flex`, `tch` or `tch-cuda`.
    pub backend: String,
    /// Training images used (after `train_limit`).
    pub train_images: usize,
    /// Test images evaluated (after `test_limit`).
    pub test_images: usize,
    /// The model's own settings, `key=value` separated by spaces.
    pub model_settings: String,
    /// Final test accuracy, 0–1.
    pub test_accuracy: Option<f64>,
    /// Seconds of training (evaluations excluded).
    pub train_time_s: f64,
    /// Seconds of the final evaluation on the test set.
    pub eval_time_s: Option<f64>,
    /// Training images per second.
    pub images_per_s: Option<f64>,
    /// Trainable parameters.
    pub params: usize,
    /// Joules of the training phase, summed over the measured domains (CPU packages + DRAM +
    /// GPUs), or the estimate; see `energy_source`.
    pub energy_j: Option<f64>,
    /// Where `energy_j` came from: `rapl`, `nvml`, `rapl+nvml`, `estimate`, `estimate+nvml`.
    pub energy_source: String,
    /// When `energy_source` includes `estimate`: the model, `tdp`, `vcpu-coefficients` (a VM,
    /// Cloud Carbon Footprint's per-vCPU coefficients) or `user` (`[energy] vcpu_min_w/_max_w`).
    #[serde(default)]
    pub estimate_method: Option<String>,
    /// The domains summed into `energy_j`, `+`-separated, e.g. `package-0+package-1+dram-0+gpu-0`
    /// (`cpu-estimate` for the estimate).
    #[serde(default)]
    pub energy_zones: Option<String>,
    /// Counter wraps corrected while training (all summed domains).
    #[serde(default)]
    pub counter_wraps: Option<u64>,
    /// Failed reads of the summed counters while training; each may hide energy.
    #[serde(default)]
    pub read_failures: Option<u64>,
    /// Share of the machine's busy CPU time (`/proc/stat`) in the training windows that was not
    /// this process, 0–1: other programs' work that RAPL adds to `energy_j`.
    #[serde(default)]
    pub other_cpu_share: Option<f64>,
    /// Per measured GPU (`;`-separated, as `gpu_name`): whether NVML listed another process
    /// running compute work on it during training; empty where NVML cannot tell.
    #[serde(default)]
    pub gpu_shared: Option<String>,
    /// `other_cpu_share` was above `[energy] max_other_cpu_share`: flagged in the report.
    #[serde(default)]
    pub background_load: Option<bool>,
    /// `false` when a summed counter failed to read during training, so `energy_j` may be low:
    /// the report leaves such trials out of rankings. Empty in rows of older versions.
    #[serde(default)]
    pub energy_complete: Option<bool>,
    /// energy_j / (test_accuracy × 100), joules per accuracy percentage point.
    pub joules_per_accuracy_point: Option<f64>,
    /// Joules of the CPU packages (RAPL) or the CPU estimate, training phase.
    pub cpu_energy_j: Option<f64>,
    /// Joules of DRAM (RAPL `dram` zones), training phase; empty without such zones.
    pub dram_energy_j: Option<f64>,
    /// Joules of all GPUs (NVML), training phase; empty without GPUs.
    pub gpu_energy_j: Option<f64>,
    /// Joules of RAPL `psys` (whole platform, overlaps the rest; not in `energy_j`).
    pub psys_energy_j: Option<f64>,
    /// Joules of the final evaluation.
    pub eval_energy_j: Option<f64>,
    /// energy_j / train_time_s, watts.
    pub mean_power_w: Option<f64>,
    /// Idle power of the measured domains before the sweep, watts.
    pub idle_power_w: Option<f64>,
    /// energy_j − idle_power_w × train_time_s, joules.
    pub net_energy_j: Option<f64>,
    /// Grams of CO₂ for energy_j at the configured carbon intensity.
    pub co2_g: Option<f64>,
    /// Power samples recorded in power/<trial_id>.csv.
    pub samples: Option<u64>,
    /// SNN only: spikes / (neurons × time steps × images) in the final evaluation, 0–1.
    pub firing_rate: Option<f64>,
    /// Spiking models: the firing rate of each spiking layer, `;`-separated, input side first.
    #[serde(default)]
    pub layer_firing_rates: Option<String>,
    /// Dense multiply-accumulates per inference image (weights × inputs; biases and activations
    /// not counted), from the model's shapes.
    #[serde(default)]
    pub macs_per_image: Option<u64>,
    /// Accumulate-only synaptic operations per image: spikes × fan-out of the layers fed by
    /// spikes, from the spikes emitted on the test set (0 for non-spiking models).
    #[serde(default)]
    pub acs_per_image: Option<f64>,
    /// LIF state updates per image: spiking neurons × steps.
    #[serde(default)]
    pub neuron_updates_per_image: Option<u64>,
    /// Modelled energy per image on dedicated hardware, arithmetic only: E_MAC·(MACs + neuron
    /// updates) + E_AC·ACs, picojoules (45 nm figures unless `[energy.ops]` says otherwise).
    #[serde(default)]
    pub ops_energy_pj_per_image: Option<f64>,
    /// The same with memory accesses priced as Lemaire et al. (ICONIP 2022), picojoules.
    #[serde(default)]
    pub ops_mem_energy_pj_per_image: Option<f64>,
    /// Measured inference: test images per second at the training batch size.
    #[serde(default)]
    pub infer_images_per_s: Option<f64>,
    /// Measured joules per test image at the training batch size.
    #[serde(default)]
    pub infer_j_per_image: Option<f64>,
    /// `infer_j_per_image` less idle power × time, joules.
    #[serde(default)]
    pub infer_net_j_per_image: Option<f64>,
    /// Median milliseconds of one image classified alone (batch 1).
    #[serde(default)]
    pub infer_b1_latency_ms: Option<f64>,
    /// Measured joules per image classified alone (batch 1).
    #[serde(default)]
    pub infer_b1_j_per_image: Option<f64>,
    /// `infer_b1_j_per_image` less idle power × time, joules.
    #[serde(default)]
    pub infer_b1_net_j_per_image: Option<f64>,
    /// Peak resident memory of the process when the trial ended, MiB.
    pub peak_rss_mb: Option<f64>,
    /// GPU names (`;`-separated) when GPUs were measured.
    pub gpu_name: Option<String>,
    pub hostname: String,
    /// `SLURM_JOB_ID` (array tasks: `JOBID_TASKID`), empty outside Slurm.
    pub slurm_job_id: Option<String>,
    /// Whether the node was held exclusively (Slurm `--exclusive`); empty outside Slurm.
    pub exclusive: Option<bool>,
    /// Identifies this attempt at the trial; its epochs.csv rows carry the same value.
    pub attempt_id: String,
    /// ISO 8601 with zone.
    pub started_at: String,
    /// ISO 8601 with zone.
    pub finished_at: String,
    pub wattsweep_version: String,
    /// Command trials: the phases the command announced (`train+eval`, …), or `none` when it
    /// announced none and the whole command was measured as the training window. Empty for
    /// built-in trials.
    #[serde(default)]
    pub command_phases: Option<String>,
    /// Command trials: CPU seconds of the command's whole process tree (every process, also
    /// those that left their session or forked twice).
    #[serde(default)]
    pub command_cpu_s: Option<f64>,
    /// `train_limit` as the grid set it (empty: all); `train_images` is what it came to.
    #[serde(default)]
    pub train_limit: Option<usize>,
    /// `test_limit` as the grid set it (empty: all); `test_images` is what it came to.
    #[serde(default)]
    pub test_limit: Option<usize>,
    /// `ok`, `background load` (as `background_load`), `too short to judge` (the training
    /// windows spanned under 0.5 s of busy CPU time: /proc/stat's 10 ms ticks cannot tell a
    /// neighbour from rounding, so `other_cpu_share` is left empty) or empty (unknown).
    #[serde(default)]
    pub other_cpu_verdict: Option<String>,
    /// The grid's carbon intensity `co2_g` was computed with, g/kWh: `[schedule]`'s forecast at
    /// the trial's start, else `[energy] carbon_intensity_g_per_kwh`.
    #[serde(default)]
    pub carbon_intensity_g_per_kwh: Option<f64>,
    /// Per measured GPU (`;`-separated, as `gpu_name`): `counter` (NVML's total-energy counter,
    /// exact) or `power-integral` (its power integrated between samples: a 1 s average on
    /// Ampere and newer, so short windows are smeared).
    #[serde(default)]
    pub gpu_energy_method: Option<String>,
    /// Why `energy_complete` (or `eval_energy_complete`, `infer_energy_complete`) is `false`, in
    /// words: failed reads per phase, a GPU trial without a measured GPU.
    #[serde(default)]
    pub energy_incomplete_reason: Option<String>,
    /// `false` when a counter read failed in the last evaluation window (`eval_energy_j` may be low).
    #[serde(default)]
    pub eval_energy_complete: Option<bool>,
    /// `false` when a counter read failed in an inference window (`infer_*j_per_image` may be low).
    #[serde(default)]
    pub infer_energy_complete: Option<bool>,
    /// Median milliseconds between the sampler's readings while the trial ran.
    #[serde(default)]
    pub sample_interval_ms_median: Option<f64>,
    /// Longest milliseconds between two readings while the trial ran.
    #[serde(default)]
    pub sample_gap_ms_max: Option<f64>,
    /// Times a summed counter stood still for a second or more after advancing, mid-trial.
    #[serde(default)]
    pub counter_stalls: Option<u64>,
    /// How far the idle baseline in force (`idle_power_w`) had moved from the sweep's first,
    /// relative (0.05 = 5 % higher); empty with one baseline or none.
    #[serde(default)]
    pub idle_drift: Option<f64>,
    /// The hottest readable temperature sensor (thermal zones, hwmon) when training started and
    /// when it ended, °C; empty where none is readable.
    #[serde(default)]
    pub temp_start_c: Option<f64>,
    #[serde(default)]
    pub temp_end_c: Option<f64>,
    /// The idle baseline for the training time plus the trial's share of the power above it:
    /// idle_power_w × train_time_s + net_energy_j × (1 − other_cpu_share); `energy_j` for the
    /// `estimate` (which counts only this process's CPU time already).
    #[serde(default)]
    pub attributed_energy_j: Option<f64>,
    /// `ok`, or `flagged: reason; reason` (sampling gaps, stalls, idle drift, a busy idle
    /// baseline, background load, failed reads, heat): how far to trust the energy figures.
    #[serde(default)]
    pub quality: Option<String>,
    /// The machine it was measured on: `machine_id` of the sweep's `machine.json` (a hash of
    /// the fields that change a trial's joules); empty for rows written before the column.
    #[serde(default)]
    pub machine_id: Option<String>,
    /// What classified the test images in the evaluation and inference windows:
    /// `deploy-avx512` or `deploy-avx2` (wattsweep's forward-only path, `src/deploy`), else the
    /// backend's own forward pass (`flex` for the spiking models or `WATTSWEEP_KERNELS=off`,
    /// `tch`, `tch-cuda`); empty when no inference phase ran (and for command trials).
    #[serde(default)]
    pub infer_runtime: Option<String>,
}

/// One epoch's row in `epochs.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EpochRow {
    pub trial_id: String,
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch (empty: a command trial that did not report it).
    pub train_loss: Option<f64>,
    /// Test accuracy after the epoch, 0–1.
    pub test_accuracy: f64,
    /// Seconds of training in the epoch (evaluation excluded).
    pub epoch_time_s: f64,
    /// Joules of the epoch's training, same domains as results.csv `energy_j`.
    pub energy_j: Option<f64>,
    pub energy_source: String,
    /// Seconds of the evaluation after the epoch.
    pub eval_time_s: f64,
    /// Joules of that evaluation.
    pub eval_energy_j: Option<f64>,
    /// Training seconds from the trial's start to the end of this epoch.
    pub cumulative_time_s: f64,
    /// Training joules from the trial's start to the end of this epoch.
    pub cumulative_energy_j: Option<f64>,
    pub attempt_id: String,
}

/// One row of `power/<trial_id>.csv`: `t_s,domain,power_w,energy_j`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PowerSample {
    /// Seconds since the trial's power log was opened.
    pub t_s: f64,
    /// `package-0`, `dram-0`, `psys`, `gpu-0`, `cpu-estimate`, …
    pub domain: String,
    /// Mean power of the domain since the previous sample, watts.
    pub power_w: f64,
    /// Cumulative energy of the domain since the log was opened, joules.
    pub energy_j: f64,
}

/// Replace line breaks so a message stays one CSV line (a torn-row check relies on it).
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file of successive halving's decisions, beside results.csv.
pub(crate) const DECISIONS_FILE: &str = "halving.csv";

/// One line of `halving.csv`: a configuration at a rung of successive halving, and what was
/// decided for it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Decision {
    /// 1-based rung.
    pub rung: usize,
    /// Epochs trained at this rung.
    pub epochs: usize,
    pub config_id: String,
    pub trials: usize,
    /// Mean test accuracy of the configuration's trials, 0–1.
    pub accuracy: Option<f64>,
    /// Mean cumulative training energy, joules.
    pub energy_j: Option<f64>,
    /// energy_j / (accuracy × 100).
    pub joules_per_accuracy_point: Option<f64>,
    /// Place in the ranking by the objective (1 = best); empty for `out`.
    pub rank: Option<usize>,
    /// `continue`, `pruned`, `done` (reached its epochs) or `out` (a trial failed).
    pub decision: String,
    pub objective: String,
    /// How much worse than the last configuration kept on merit (the cutoff) its objective is,
    /// relative to the cutoff's (0 for the cutoff, negative for those ranked above it; empty for
    /// `pareto`, `done` and `out`).
    #[serde(default)]
    pub margin: Option<f64>,
    /// The noise `margin` was judged against: the half-width, relative to the cutoff's
    /// objective, of the 95 % interval of the difference.
    #[serde(default)]
    pub noise: Option<f64>,
    /// The decision rested on a difference below the noise: with `keep_within_noise` such a
    /// configuration went on (`continue`) where the strict rule would have pruned it; without,
    /// it was pruned (or kept) on a coin toss, and this marks it.
    #[serde(default)]
    pub within_noise: Option<bool>,
    /// Its energy was replaced by the mean of configurations that do the same arithmetic (same
    /// model, settings, batch size and epochs) and measured within noise of it: accuracy decided.
    #[serde(default)]
    pub energy_pooled: Option<bool>,
}
