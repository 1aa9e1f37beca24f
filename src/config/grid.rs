//! A validated grid and what can be wrong with one: the types the parser produces.

use crate::energy::{GpuSelection, OpEnergies};
use crate::models::ModelKind;
use crate::trial::Value;
use std::path::PathBuf;

/// `[energy]` table: how energy is measured and converted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EnergySettings {
    /// Sampler frequency in hertz.
    pub sample_hz: f64,
    /// Seconds of idle power measured before the first trial (and again at the end).
    pub idle_s: f64,
    /// Measure idle power again between trials at most this often, seconds; 0: never.
    pub idle_every_s: f64,
    /// Seconds to wait between trials; 0: none.
    pub cooldown_s: f64,
    /// CPU thermal design power in watts for the estimate; `None` → built-in table / default.
    pub cpu_tdp_w: Option<f64>,
    /// Grid carbon intensity in grams of CO₂ per kWh.
    pub carbon_intensity_g_per_kwh: f64,
    /// Per-vCPU idle / fully busy power in watts for the estimate; `None` → CCF's table.
    pub vcpu_min_w: Option<f64>,
    pub vcpu_max_w: Option<f64>,
    /// Above this share of the machine's busy CPU time spent by other processes during a
    /// trial, the trial is flagged (with RAPL its energy includes their work).
    pub max_other_cpu_share: f64,
    /// What to do with a flagged trial: warn, or run it once more at the end of the sweep.
    pub on_background_load: BackgroundLoad,
    /// `[energy.ops]`: per-operation energies of the modelled inference energy.
    pub ops: OpEnergies,
    /// Which GPUs are measured and get power limits (`visible`, `all`, `none` or a list).
    pub gpus: GpuSelection,
}

/// `inference`, `inference_images`: the measured inference phase after training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct InferenceSettings {
    /// `inference = false` skips the phase.
    pub enabled: bool,
    /// Images classified one at a time (batch 1).
    pub images: usize,
}

/// Default `inference_images`.
pub(super) const DEFAULT_INFERENCE_IMAGES: usize = 1000;

impl Default for InferenceSettings {
    fn default() -> Self {
        InferenceSettings { enabled: true, images: DEFAULT_INFERENCE_IMAGES }
    }
}

/// `[energy] on_background_load`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BackgroundLoad {
    /// Log a warning and flag the trial in the report (default).
    Warn,
    /// Also run each flagged trial once more at the end of the sweep; the cleaner row wins.
    Rerun,
}

/// `[budget]`: limits for one run of the sweep; reaching one ends the running trial at its next
/// epoch boundary (as `interrupted`) and stops the sweep with exit code 3.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Budget {
    /// Joules of the trials' training and evaluation windows in this run.
    pub max_energy_j: Option<f64>,
    /// Wall-clock seconds since this run started.
    pub max_time_s: Option<f64>,
}

/// `[search]`: how the trials of the grid are run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum Search {
    /// Every trial to its `epochs` (the default).
    #[default]
    Grid,
    /// Successive halving: every configuration to `min_epochs`, then the best 1/`eta` on to
    /// `eta`× the epochs, and so on up to the trial's `epochs`; the rest end as `pruned`.
    Halving(Halving),
}

/// `[search] strategy = "halving"` settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Halving {
    /// Epochs of the first rung.
    pub min_epochs: usize,
    /// Keep the best 1/eta at each rung; the next rung trains eta× the epochs.
    pub eta: usize,
    pub objective: Objective,
    /// Keep, beyond the best 1/eta, every configuration not distinguishable from the last one
    /// kept at 95 % confidence, and rank configurations that do the same arithmetic by accuracy
    /// when their energies differ by less than the noise. `false`: strict top 1/eta.
    pub keep_within_noise: bool,
    /// At most this many configurations go on from a rung (`None`: no cap).
    pub max_keep: Option<usize>,
}

/// Default `[search] eta`.
pub(super) const DEFAULT_ETA: usize = 3;

/// `[search] objective`: what ranks configurations at a rung.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Objective {
    /// Highest mean test accuracy.
    Accuracy,
    /// Fewest joules (cumulative training energy) per accuracy point.
    JoulesPerAccuracyPoint,
    /// On or nearest the (accuracy, cumulative energy) front.
    Pareto,
}

impl Objective {
    pub(crate) const NAMES: [&str; 3] = ["accuracy", "joules_per_accuracy_point", "pareto"];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Objective::Accuracy => Self::NAMES[0],
            Objective::JoulesPerAccuracyPoint => Self::NAMES[1],
            Objective::Pareto => Self::NAMES[2],
        }
    }
}

/// Default `[energy] max_other_cpu_share`.
pub(super) const DEFAULT_MAX_OTHER_CPU_SHARE: f64 = 0.05;

/// World average grid intensity used by CodeCarbon and the IEA (2019): 475 gCO₂/kWh.
pub(super) const DEFAULT_CARBON_G_PER_KWH: f64 = 475.0;

impl Default for EnergySettings {
    fn default() -> Self {
        Self {
            sample_hz: 10.0,
            idle_s: 5.0,
            idle_every_s: 0.0,
            cooldown_s: 0.0,
            cpu_tdp_w: None,
            carbon_intensity_g_per_kwh: DEFAULT_CARBON_G_PER_KWH,
            vcpu_min_w: None,
            vcpu_max_w: None,
            max_other_cpu_share: DEFAULT_MAX_OTHER_CPU_SHARE,
            on_background_load: BackgroundLoad::Warn,
            ops: OpEnergies::default(),
            gpus: GpuSelection::Visible,
        }
    }
}

/// A validated grid: fixed settings, axes, per-model tables, includes and excludes.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    pub path: PathBuf,
    pub name: String,
    /// Top-level scalars, fixed for all trials.
    pub fixed: Vec<(String, Value)>,
    /// `[grid]` lists, in the file's order; the plan expands them in a canonical key order.
    pub axes: Vec<(String, Vec<Value>)>,
    /// `[models.<name>]` scalars.
    pub model_fixed: Vec<(ModelKind, String, Value)>,
    /// `[grid.models.<name>]` lists.
    pub model_axes: Vec<(ModelKind, String, Vec<Value>)>,
    /// `[[include]]` tables: extra single trials (keys may be `models.<name>.<key>`).
    pub include: Vec<Vec<(String, Value)>>,
    /// `[[exclude]]` tables: partial matches dropped from the cross product.
    pub exclude: Vec<Vec<(String, Value)>>,
    pub energy: EnergySettings,
    pub budget: Budget,
    /// `[search]`: grid (default) or successive halving.
    pub search: Search,
    /// The measured inference phase after training.
    pub inference: InferenceSettings,
    /// `[slurm]` table, kept raw for the Slurm front end.
    pub slurm: toml::Table,
    /// The file's text, saved into run.json.
    pub source_text: String,
    /// `[command]`: what `backend = "command"` trials run.
    pub command: Option<super::command::CommandSpec>,
    /// `[schedule]`: start when the grid's electricity is cleanest, end by a deadline.
    pub schedule: Option<super::schedule::ScheduleSpec>,
}

/// One problem in a grid file: where, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Problem {
    pub key: String,
    pub message: String,
}

/// All problems of one grid file; displays one line per problem, each naming the file.
#[derive(Debug, thiserror::Error)]
pub(crate) struct GridErrors {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for GridErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{} in the grid",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            if p.key.is_empty() {
                writeln!(f, "  {}: {}", self.path.display(), p.message)?;
            } else {
                writeln!(f, "  {}: {}: {}", self.path.display(), p.key, p.message)?;
            }
        }
        Ok(())
    }
}
