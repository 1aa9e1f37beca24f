//! Command-line interface (clap derive). Doc comments here are the `--help` text. Names are
//! parsed into their types here (datasets, models, backends: the valid values come from the
//! types), and counts are range-checked, so a bad argument is a usage error (exit 2) before any
//! work starts. Turning arguments into options is `commands`' job.
// The doc comments below are --help text for people at a terminal (`<out>/results.csv`,
// `[slurm] table`), not rustdoc: don't let rustdoc read them as HTML or links.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

use crate::backend::Backend;
use crate::data::Dataset;
use crate::models::ModelKind;
use crate::names::{Named, parse_named};
use crate::shard::Shard;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// A value parser for a [`Named`] type: `--help` and errors list the valid names.
fn named<T: Named>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|x| x.name())).try_map(|s| parse_named::<T>(&s))
}

/// A backend that trains a built-in model (not `command`).
fn builtin_backend() -> impl TypedValueParser<Value = Backend> {
    PossibleValuesParser::new(
        Backend::ALL.iter().filter(|b| **b != Backend::Command).map(|x| x.name()),
    )
    .try_map(|s| parse_named::<Backend>(&s))
}

/// A whole number ≥ 1.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: must be a whole number ≥ 1")),
    }
}

/// A finite number > 0.
fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("`{s}`: must be a number > 0")),
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "wattsweep",
    version,
    about = "Which neural-network architecture gives the most accuracy per joule?\n\nRuns TOML grids of training trials with Burn, measures each trial's energy (RAPL, NVML, or a labelled estimate) and writes CSV reports."
)]
pub struct Cli {
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors; no progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run (or resume) the trials of a grid, appending one row per trial to <out>/results.csv.
    Run(RunArgs),
    /// Validate a grid and print its trials without training.
    Plan(PlanArgs),
    /// Download and verify a dataset.
    Fetch(FetchArgs),
    /// List the energy sensors found, whether they are readable, and their power over one second.
    Sensors(SensorArgs),
    /// Run a grid on a Slurm cluster: a job array of shards plus a merge job (--submit submits them).
    ///
    /// Writes <out>/slurm/sweep.sbatch (task I runs `run GRID --shard I/N`) and merge.sbatch
    /// (runs `merge` and `report` after the whole array, --dependency=afterany).
    Slurm(SlurmArgs),
    /// Combine the shards of a sweep into <out>/results.csv and <out>/epochs.csv.
    ///
    /// Exit 0: every planned trial has one ok row; 1: conflicts, missing or not-ok trials (the
    /// merge is still written); 2: error.
    Merge(MergeArgs),
    /// (Re)build summary.md, index.html and plots/ of an output directory from its CSVs alone.
    Report(ReportArgs),
    /// Did sweep B spend less than sweep A? Ratios B/A per configuration with 95 % intervals.
    ///
    /// Configurations are matched by config_id; for each: the ratio B/A of the mean energy,
    /// training time and joules per accuracy point with a 95 % interval (Fieller, Welch
    /// variances), Welch's p-value, the accuracy difference and a verdict (lower, higher,
    /// indistinguishable). Writes compare.csv and compare.md into --out (default B) and prints
    /// the table. Sweeps from different machines (machine.json, machine_id) are refused with
    /// exit 2 naming the fields that differ, unless --force.
    Compare(CompareArgs),
    /// Write a sweep's trials in another tool's format into its folder.
    ///
    /// `codecarbon`: emissions.csv with CodeCarbon's columns (kWh, kg), one row per trial.
    /// `openmetrics`: metrics.prom, per-trial gauges for Prometheus (node_exporter's textfile
    /// collector reads it).
    Export(ExportArgs),
    /// Training and evaluation images/s per model on real data, and peak memory (no sensors, no files).
    Bench(BenchArgs),
    /// Run one command and measure its energy like a trial: `wattsweep measure -- python3 train.py`.
    ///
    /// The command's output passes through; a one-line summary (joules, seconds, mean watts,
    /// energy source, accuracy if reported) goes to stderr. Exit code: the command's own.
    Measure(MeasureArgs),
    /// Internal: the supervisor of a command trial's process tree.
    #[command(name = "__supervise", hide = true)]
    Supervise(SuperviseArgs),
}

#[derive(Args, Debug)]
pub struct MeasureArgs {
    /// Append the measurement as a results.csv-style row to FILE.csv.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// Seconds of idle power measured first (net energy = energy − idle power × time).
    #[arg(long, value_name = "S", default_value_t = 0.0)]
    pub idle_s: f64,
    /// Root of the Linux powercap tree (RAPL).
    #[arg(long, value_name = "DIR", default_value = crate::energy::DEFAULT_POWERCAP_ROOT)]
    pub powercap_root: PathBuf,
    /// Do not look for NVIDIA GPUs.
    #[arg(long)]
    pub no_nvml: bool,
    /// The command and its arguments (after `--`), run without a shell.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct SuperviseArgs {
    #[arg(long)]
    pub status: PathBuf,
    #[arg(long)]
    pub grace_s: f64,
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The grid file (TOML).
    pub grid: PathBuf,
    #[command(flatten)]
    pub common: RunCommon,
    /// Re-run trials whose last status is `failed` or `diverged` (finished `ok` trials are always skipped).
    #[arg(long)]
    pub retry_failed: bool,
    /// Start a new results file; the old results move aside to <out>/previous-<time>/ (never deleted).
    #[arg(long, conflicts_with = "retry_failed")]
    pub fresh: bool,
    /// Run only shard I of N (0-based), e.g. --shard 0/4; trials are assigned by id.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Set by the Slurm script: whether the node is held exclusively (`exclusive` column).
    #[arg(long, hide = true, value_name = "BOOL")]
    pub slurm_exclusive: Option<bool>,
    /// Set by the Slurm script: `[schedule]`'s start was chosen already (sbatch --begin), so
    /// run at once (trials still take their intensity from the forecast).
    #[arg(long, hide = true)]
    pub scheduled: bool,
}

/// Options shared by `run` and the commands that forward to it.
#[derive(Args, Debug, Clone)]
pub struct RunCommon {
    /// Directory with the four IDX files (default: data/mnist or data/fashion-mnist).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output directory (default: reports/<grid name>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Root of the Linux powercap tree (RAPL).
    #[arg(long, value_name = "DIR", default_value = crate::energy::DEFAULT_POWERCAP_ROOT)]
    pub powercap_root: PathBuf,
    /// Do not look for NVIDIA GPUs.
    #[arg(long)]
    pub no_nvml: bool,
    /// Fail instead of downloading a missing dataset.
    #[arg(long)]
    pub no_fetch: bool,
    /// Take this ISO 8601 time (with zone) as now for `[schedule]` (tests, what-ifs).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

fn parse_now(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    crate::config::schedule::parse_time(s)
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The grid file (TOML).
    pub grid: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Only the trials of shard I of N.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Output directory whose earlier results predict `[schedule]`'s duration (default:
    /// reports/<grid name>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Take this ISO 8601 time (with zone) as now for `[schedule]` (tests, what-ifs).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Csv,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The dataset to download.
    #[arg(value_parser = named::<Dataset>())]
    pub dataset: Dataset,
    /// Where to put the files (default: data/<dataset>).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SensorArgs {
    /// Root of the Linux powercap tree (RAPL).
    #[arg(long, value_name = "DIR", default_value = crate::energy::DEFAULT_POWERCAP_ROOT)]
    pub powercap_root: PathBuf,
    /// Do not look for NVIDIA GPUs.
    #[arg(long)]
    pub no_nvml: bool,
    /// CPU TDP in watts for the estimate.
    #[arg(long, value_name = "W", value_parser = positive)]
    pub cpu_tdp_w: Option<f64>,
    /// Per-vCPU idle power in watts for the estimate (as the grid's `[energy] vcpu_min_w`).
    #[arg(long, value_name = "W", value_parser = positive)]
    pub vcpu_min_w: Option<f64>,
    /// Per-vCPU fully busy power in watts for the estimate (`[energy] vcpu_max_w`).
    #[arg(long, value_name = "W", value_parser = positive)]
    pub vcpu_max_w: Option<f64>,
    /// Sampler frequency in hertz (as the grid's `[energy] sample_hz`).
    #[arg(long, value_name = "HZ", value_parser = positive, default_value_t = crate::energy::DEFAULT_SAMPLE_HZ)]
    pub sample_hz: f64,
    /// Which GPUs (as the grid's `[energy] gpus`): visible (those CUDA_VISIBLE_DEVICES names),
    /// all, none, or a comma-separated list of indices and GPU-/MIG- UUIDs.
    #[arg(long, value_name = "WHICH", default_value = "visible", value_parser = gpu_selection)]
    pub(crate) gpus: crate::energy::GpuSelection,
}

fn gpu_selection(s: &str) -> Result<crate::energy::GpuSelection, String> {
    use crate::energy::GpuSelection;
    Ok(match s {
        "visible" => GpuSelection::Visible,
        "all" => GpuSelection::All,
        "none" => GpuSelection::None,
        list => GpuSelection::List(list.split(',').map(|e| e.trim().to_string()).collect()),
    })
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Models to time, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_parser = named::<ModelKind>())]
    pub models: Vec<ModelKind>,
    /// Backend.
    #[arg(long, value_parser = builtin_backend(), default_value = "flex")]
    pub backend: Backend,
    /// Dataset whose files are used.
    #[arg(long, value_parser = named::<Dataset>(), default_value = "mnist")]
    pub dataset: Dataset,
    /// Directory with the four IDX files (default: data/<dataset>).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Images per batch.
    #[arg(long, value_parser = at_least_one, default_value_t = 64)]
    pub batch_size: usize,
    /// Train on the first N images (default: all 60 000).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test images (default: all 10 000).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub test_limit: Option<usize>,
    /// Images classified one at a time for the batch-1 inference figures.
    #[arg(long, value_name = "N", value_parser = at_least_one, default_value_t = 1000)]
    pub b1_images: usize,
    /// Print JSON lines instead of a table: first the measured FMA peak (`fma_peak_gflop_per_s`,
    /// `fma_peak_threads`, `fma_peak_isa`), then one object per model (with a `model` key).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The output directory of a sweep (holding results.csv).
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The earlier sweep's output directory (the baseline).
    pub a: PathBuf,
    /// The later sweep's output directory.
    pub b: PathBuf,
    /// Where to write compare.csv and compare.md (default: B).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Compare sweeps measured on different machines (every line then says so).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The output directory of a sweep (holding results.csv); the file is written there.
    pub out: PathBuf,
    /// The format.
    #[arg(long, value_enum)]
    pub format: ExportFormatArg,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ExportFormatArg {
    /// CodeCarbon's emissions.csv.
    Codecarbon,
    /// OpenMetrics text, metrics.prom.
    Openmetrics,
}

#[derive(Args, Debug)]
pub struct SlurmArgs {
    /// The grid file (TOML); its [slurm] table gives defaults for the flags below.
    pub grid: PathBuf,
    #[command(flatten)]
    pub common: RunCommon,
    /// Passed to every task: re-run trials whose last status is `failed` or `diverged`.
    #[arg(long)]
    pub retry_failed: bool,
    /// Array tasks = shards (default: the number of trials, at most 8).
    #[arg(long, value_name = "N")]
    pub tasks: Option<u64>,
    /// At most K tasks at once (`--array=0-(N-1)%K`; default N).
    #[arg(long, value_name = "K")]
    pub max_parallel: Option<u64>,
    /// Slurm partition.
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Time limit per task, in Slurm's formats (e.g. 4:00:00, 1-00:00:00).
    #[arg(long, value_name = "T")]
    pub time: Option<String>,
    /// CPUs per task.
    #[arg(long, value_name = "C")]
    pub cpus_per_task: Option<u64>,
    /// Memory per node, e.g. 16G.
    #[arg(long, value_name = "M")]
    pub mem: Option<String>,
    /// GPUs per task, e.g. 1 or a100:1.
    #[arg(long, value_name = "G")]
    pub gpus: Option<String>,
    /// Slurm account to charge.
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
    /// Whole nodes per task (the default): RAPL meters whole CPU packages, so another job there
    /// would be billed to our trials.
    #[arg(long, conflicts_with = "shared")]
    pub exclusive: bool,
    /// Let tasks share nodes; rows record exclusive=false.
    #[arg(long)]
    pub shared: bool,
    /// Submit both scripts with sbatch (else print the command that does).
    #[arg(long)]
    pub submit: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The output directory of a sharded sweep (holds shards/).
    pub out: PathBuf,
}
