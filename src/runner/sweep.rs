//! The sweep: validate the grid and data before touching the output directory, lock it, repair
//! what an earlier crash left, skip finished trials, measure idle power, run the rest one by one,
//! writing each trial's row the moment it ends. With `[search] strategy = "halving"` the trials
//! run rung by rung instead (halving.rs).

use super::budget::BudgetState;
use super::builtin::{Segment, TrialEnv, run_trial};
use super::environment::{Machine, RunInfo, hostname, slurm_job_id};
use super::idle::IdleTracker;
use super::interrupt::Interrupt;
use super::lock::OutputLock;
use super::progress::Progress;
use super::record::{discard, record, set_power_aside};
use super::{command, halving, launch};
use crate::config::{BackgroundLoad, Grid, Search};
use crate::data::{self, Dataset, LoadedData};
use crate::energy::{EnergyOptions, Meter};
use crate::names::Named;
use crate::plan::{self, Trial};
use crate::results::{CsvLog, EpochRow, Repair, ResultRow, latest_by_id, write_atomic};
use crate::shard::Shard;
use crate::train::TrialData;
use anyhow::{Context, Result, bail};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub(crate) struct RunOptions {
    pub grid: PathBuf,
    pub data_dir: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub retry_failed: bool,
    pub fresh: bool,
    pub fetch: bool,
    pub powercap_root: PathBuf,
    pub use_nvml: bool,
    pub shard: Option<Shard>,
    pub exclusive: Option<bool>,
    pub quiet: bool,
    /// The clock trials take their carbon intensity from (`[schedule]`'s forecast).
    pub carbon: Option<crate::schedule::clock::CarbonClock>,
    /// `[schedule]`'s decision, recorded as `<out>/schedule.json` for the report.
    pub schedule: Option<crate::schedule::choose::Choice>,
}

/// How a sweep ended; `exit_code` follows docs/running.md (0 ok, 1 some trial failed, 3 stopped by
/// `[budget]`, 130 interrupted).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SweepSummary {
    /// Where the rows were written (`<out>`, or the shard's directory under it).
    pub out: PathBuf,
    pub planned: usize,
    pub skipped: usize,
    pub ran: usize,
    pub ok: usize,
    pub not_ok: usize,
    /// Trials ended by successive halving (counted apart from `ok` and `not_ok`).
    pub pruned: usize,
    pub interrupted: bool,
    /// Which `[budget]` limit stopped the sweep, in words.
    pub budget: Option<String>,
}

impl SweepSummary {
    pub(crate) fn exit_code(&self) -> i32 {
        if self.interrupted {
            130
        } else if self.budget.is_some() {
            3
        } else if self.not_ok > 0 {
            1
        } else {
            0
        }
    }
}

/// The output directory: `--out`, else `reports/<name>`; a shard writes under `shards/I-of-N`.
pub(crate) fn output_dir(grid: &Grid, out: Option<&Path>) -> PathBuf {
    out.map(Path::to_path_buf).unwrap_or_else(|| Path::new("reports").join(&grid.name))
}

/// Load every dataset the trials use. One dataset may come from `--data-dir`.
pub(crate) fn load_datasets(
    trials: &[Trial],
    data_dir: Option<&Path>,
    fetch: bool,
) -> Result<HashMap<Dataset, LoadedData>> {
    // Command trials bring their own data (they get `--data-dir` as WATTSWEEP_DATA_DIR).
    let mut used: Vec<Dataset> =
        trials.iter().filter(|t| !t.spec.is_command()).map(|t| t.spec.dataset).collect();
    used.sort_by_key(|d| d.name());
    used.dedup();
    if data_dir.is_some() && used.len() > 1 {
        bail!(
            "--data-dir names one directory, but the grid uses {} datasets; place them in their default directories instead",
            used.len()
        );
    }
    let mut out = HashMap::new();
    for d in used {
        let dir = data_dir.map(Path::to_path_buf).unwrap_or_else(|| d.default_dir());
        let loaded = data::load(d, &dir, fetch).with_context(|| format!("dataset {}", d.name()))?;
        if !loaded.verified {
            tracing::warn!(
                "{}: these files are not the official {} release (SHA-256 differs: {}); results are recorded as unverified data",
                dir.display(),
                d.name(),
                loaded
                    .unverified
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out.insert(d, loaded);
    }
    Ok(out)
}

fn log_repair(path: &Path, repaired: &Repair) {
    if repaired.cut_bytes > 0 {
        tracing::warn!(
            "{}: cut a torn last line ({} bytes) left by an earlier crash",
            path.display(),
            repaired.cut_bytes
        );
    }
    if repaired.upgraded {
        tracing::info!("{}: rewritten with this version's columns (rows kept)", path.display());
    }
}

/// Whether a trial with this previous row should run again.
pub(super) fn should_run(previous: Option<&ResultRow>, retry_failed: bool) -> bool {
    match previous.map(|r| r.status.as_str()) {
        None => true,
        Some("ok") => false,
        Some("failed") | Some("diverged") => retry_failed,
        Some(_) => true, // interrupted, or a status from a newer version
    }
}

/// Run the sweep of `loaded` (`plan::load` of `opts.grid`). `after_trial(dir)` is called after
/// each trial's row is written (the live report hangs there; the runner itself knows nothing of
/// reports).
pub(crate) fn run_sweep(
    opts: &RunOptions,
    loaded: plan::Loaded,
    after_trial: &mut dyn FnMut(&Path),
) -> Result<SweepSummary> {
    let plan::Loaded { grid, trials, .. } = loaded;
    let datasets = load_datasets(&trials, opts.data_dir.as_deref(), opts.fetch)?;

    let base = output_dir(&grid, opts.out.as_deref());
    let out = match &opts.shard {
        Some(s) => base.join("shards").join(s.dir_name()),
        None => base.clone(),
    };
    std::fs::create_dir_all(out.join("power"))
        .with_context(|| format!("{}: cannot create", out.display()))?;
    let _lock = OutputLock::acquire(&out)?;
    // A command trial's processes left by a run that was killed with its supervisor.
    launch::end_stale_tree(&command::pid_file(&out));
    if opts.fresh {
        move_aside(&out)?;
    }
    if let Some(choice) = &opts.schedule {
        let json = serde_json::to_vec_pretty(choice).context("schedule.json")?;
        crate::results::write_atomic(&out.join(crate::schedule::choose::SCHEDULE_FILE), &json)?;
    }
    let (results, repaired) = CsvLog::<ResultRow>::open(&out.join("results.csv"))?;
    log_repair(results.path(), &repaired);
    let (epochs, repaired) = CsvLog::<EpochRow>::open(&out.join("epochs.csv"))?;
    log_repair(epochs.path(), &repaired);
    let mut previous = latest_by_id(results.read_all().with_context(|| {
        format!("{} is damaged beyond a torn last line; fix that row, or start over with --fresh (which moves the file aside)", results.path().display())
    })?);
    let epoch_trials: HashSet<String> =
        tidy_killed_reruns(&out, &previous, &epochs)?.into_iter().map(|e| e.trial_id).collect();
    // A shard also skips trials finished in any other shard of the same output.
    if opts.shard.is_some() {
        for row in crate::shard::all_shard_rows(&base)? {
            if row.status == "ok" {
                previous.insert(row.trial_id.clone(), row);
            }
        }
    }
    let halving = match grid.search {
        Search::Halving(h) => Some(h),
        Search::Grid => None,
    };
    let runs = |t: &Trial| match halving {
        Some(_) => !halving::is_final(previous.get(&t.id)),
        None => should_run(previous.get(&t.id), opts.retry_failed),
    };
    let to_run: Vec<&Trial> = trials.iter().filter(|t| runs(t)).collect();
    let mut summary = SweepSummary {
        out: out.clone(),
        planned: trials.len(),
        skipped: trials.len() - to_run.len(),
        ..Default::default()
    };
    let done_with = |status: &str| {
        trials
            .iter()
            .filter(|t| !to_run.iter().any(|r| r.id == t.id))
            .filter(|t| previous.get(&t.id).is_some_and(|r| r.status == status))
            .count()
    };
    summary.pruned = done_with("pruned");
    summary.ok = done_with("ok");
    summary.not_ok = summary.skipped - summary.ok - summary.pruned;
    if summary.skipped > 0 {
        tracing::info!(
            "resuming: {} of {} trials already done ({} not ok; --retry-failed reruns them)",
            summary.skipped,
            trials.len(),
            summary.not_ok
        );
    }

    let meter = Meter::start(EnergyOptions {
        powercap_root: opts.powercap_root.clone(),
        use_nvml: opts.use_nvml,
        sample_hz: grid.energy.sample_hz,
        cpu_tdp_w: grid.energy.cpu_tdp_w,
        vcpu_min_w: grid.energy.vcpu_min_w,
        vcpu_max_w: grid.energy.vcpu_max_w,
        gpus: grid.energy.gpus.clone(),
        state_dir: crate::energy::default_state_dir(),
        thermal_root: crate::energy::default_thermal_root(),
    });
    let mut backends: Vec<crate::backend::Backend> =
        to_run.iter().map(|t| t.spec.backend).collect();
    backends.dedup();
    for b in backends.iter().filter(|b| b.uses_gpu()).take(1) {
        b.check_usable().map_err(anyhow::Error::msg)?;
    }
    if !meter.gpu_problems().is_empty() && to_run.iter().any(|t| t.spec.backend.uses_gpu()) {
        bail!(
            "this grid trains on the GPU, but no GPU can be measured: {}",
            meter.gpu_problems().join("; ")
        );
    }
    if let crate::energy::GpuSelection::List(_) = &grid.energy.gpus
        && !meter.gpu_problems().is_empty()
    {
        bail!("{}", meter.gpu_problems().join("; "));
    }
    // A GPU power limit that cannot be set is an error now, not a surprise at 3 a.m.
    let mut limits: Vec<f64> = to_run.iter().filter_map(|t| t.spec.gpu_power_limit_w).collect();
    limits.sort_by(f64::total_cmp);
    limits.dedup();
    for w in limits {
        meter
            .check_gpu_power_limit(w)
            .map_err(|e| anyhow::anyhow!("gpu_power_limit_w = {w}: {e}"))?;
    }
    let data_info: Vec<serde_json::Value> = datasets
        .iter()
        .map(|(d, l)| serde_json::json!({"dataset": d.name(), "files": l.files, "sha256": l.sha256, "verified": l.verified, "train": l.train.len(), "test": l.test.len()}))
        .collect();
    let info = RunInfo::new(
        grid.path.display().to_string(),
        &grid.source_text,
        &trials,
        meter.source(),
        Machine::probe(meter.gpu_names()),
        data_info,
        opts.shard.as_ref().map(|s| s.to_string()),
    );
    write_atomic(&out.join("run.json"), &serde_json::to_vec_pretty(&info)?)?;
    // machine.json, and a warning when the results here were measured on another machine.
    let machine = super::environment::machine_info(&meter);
    let earlier = previous.values().map(|r| r.machine_id.as_deref().unwrap_or_default());
    crate::machine::record_machine(&out, &machine, earlier)?;

    let interrupt = Interrupt::install(meter.state_dir().to_path_buf())?;
    let idle = std::cell::RefCell::new(IdleTracker::new(&grid.energy));
    if !to_run.is_empty() {
        idle.borrow_mut().start(&meter, &interrupt);
    }
    let mut progress = Progress::new(to_run.len(), opts.quiet);
    let attempt = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S"), std::process::id());
    let host = hostname();
    let job = slurm_job_id();
    let power_dir = out.join("power");
    let budget = BudgetState::new(grid.budget);
    let run_one = |t: &Trial,
                   attempt_id: String,
                   power_path: PathBuf,
                   progress: &mut Progress,
                   segment: Segment| {
        idle.borrow_mut().before_trial(&meter, &interrupt);
        let (idle_power_w, idle_drift, idle_busy) = idle.borrow().current();
        let env = TrialEnv {
            meter: &meter,
            epochs_log: &epochs,
            epochs_at_start: &epoch_trials,
            carbon: opts.carbon.as_ref(),
            power_path,
            energy: &grid.energy,
            idle_power_w,
            idle_drift,
            idle_busy,
            interrupt: &interrupt,
            attempt_id,
            hostname: host.clone(),
            machine_id: Some(machine.machine_id.clone()),
            slurm_job_id: job.clone(),
            exclusive: opts.exclusive,
            budget: &budget,
            inference: grid.inference,
        };
        if t.spec.is_command() {
            // The command runs in its own folder: every path it is given is absolute.
            let out = std::path::absolute(&out)?;
            let named = t.spec.named_setting("dataset");
            let data_dir = match (&opts.data_dir, Dataset::parse(&named)) {
                (Some(d), _) => Some(std::path::absolute(d)?),
                (None, Some(d)) => Some(std::path::absolute(d.default_dir())?),
                (None, None) => None,
            };
            let ctx = command::CommandCtx {
                spec: grid.command.as_ref().expect("validated: a command trial has a [command]"),
                out: &out,
                data_dir,
            };
            return command::run_command_trial(t, &ctx, &env, progress, segment);
        }
        let data = &datasets[&t.spec.dataset];
        let trial_data =
            TrialData::new(data, t.spec.dataset, t.spec.train_limit, t.spec.test_limit);
        progress.start_trial(format!(
            "{} {} {} lr={} bs={} seed={}{} [{}]",
            t.spec.model.name(),
            t.spec.dataset.name(),
            t.spec.optimizer.name(),
            t.spec.learning_rate,
            t.spec.batch_size,
            t.spec.seed,
            if t.spec.repeat > 0 { format!(" repeat={}", t.spec.repeat) } else { String::new() },
            t.id
        ));
        run_trial(t, &trial_data, &env, progress, segment)
    };
    let whole = |t: &Trial| Segment { until: t.spec.epochs, checkpoints: None };
    if let Some(h) = halving {
        if opts.retry_failed {
            tracing::warn!(
                "--retry-failed does not apply to successive halving: the decisions recorded after a failed trial stand, so training it again could change nothing"
            );
        }
        if grid.energy.on_background_load == BackgroundLoad::Rerun {
            tracing::warn!(
                "on_background_load = \"rerun\" does not apply to successive halving (a rerun would change the decisions taken); flagged trials are only warned about"
            );
        }
        let ctx = halving::Ctx {
            out: &out,
            h,
            results: &results,
            epochs: &epochs,
            interrupt: &interrupt,
            budget: &budget,
        };
        let mut one = |t: &Trial, segment: Segment, progress: &mut Progress| {
            run_one(t, attempt.clone(), power_dir.join(format!("{}.csv", t.id)), progress, segment)
        };
        let ended =
            halving::run(&ctx, &trials, &mut previous, &mut one, &mut progress, after_trial)?;
        progress.finish();
        idle.borrow_mut().finish(&meter, &interrupt, &out);
        summary.ran = ended.ran;
        summary.interrupted = ended.interrupted;
        summary.budget = ended.budget;
        let count = |status: &str| {
            trials
                .iter()
                .filter(|t| previous.get(&t.id).is_some_and(|r| r.status == status))
                .count()
        };
        summary.ok = count("ok");
        summary.pruned = count("pruned");
        summary.not_ok = count("failed") + count("diverged");
        return Ok(summary);
    }
    // Trials whose energy includes other processes' work, to run once more at the end.
    let mut flagged: Vec<(&Trial, ResultRow)> = Vec::new();
    for t in to_run {
        if interrupt.requested() {
            summary.interrupted = true;
            break;
        }
        if let Some(why) = budget.reached() {
            summary.budget = Some(why);
            break;
        }
        let row = run_one(
            t,
            attempt.clone(),
            power_dir.join(format!("{}.csv", t.id)),
            &mut progress,
            whole(t),
        )?;
        let by_budget = row.status == "interrupted" && !interrupt.requested();
        if row.background_load == Some(true)
            && row.status == "ok"
            && grid.energy.on_background_load == BackgroundLoad::Rerun
        {
            flagged.push((t, row.clone()));
        }
        record(
            &results,
            &epochs,
            &row,
            previous.contains_key(&t.id),
            epoch_trials.contains(&t.id),
        )?;
        after_trial(&out);
        summary.ran += 1;
        match row.status.as_str() {
            "ok" => summary.ok += 1,
            "interrupted" if by_budget => summary.budget = budget.reached(),
            "interrupted" => summary.interrupted = true,
            _ => summary.not_ok += 1,
        }
        let acc = row.test_accuracy.map_or("-".into(), |a| format!("{:.4}", a));
        let joules =
            row.energy_j.map_or("-".into(), |j| format!("{j:.1} J ({})", row.energy_source));
        let why = row.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        progress.finish_trial(&format!(
            "{} accuracy {acc}, {:.1} s, {joules}{why}",
            row.status, row.train_time_s
        ));
        if summary.interrupted || summary.budget.is_some() {
            break;
        }
    }
    // `on_background_load = "rerun"`: each flagged trial once more; the cleaner row wins.
    for (t, first) in flagged {
        if summary.interrupted || interrupt.requested() {
            summary.interrupted = true;
            break;
        }
        if let Some(why) = budget.reached().or_else(|| summary.budget.clone()) {
            summary.budget = Some(why);
            break;
        }
        tracing::info!(
            "trial {}: running it again (other processes had {:.0} % of the CPU)",
            t.id,
            first.other_cpu_share.unwrap_or(f64::NAN) * 100.0
        );
        let rerun_power = power_dir.join(format!("{}.rerun.csv", t.id));
        let again =
            run_one(t, format!("{attempt}-rerun"), rerun_power.clone(), &mut progress, whole(t))?;
        summary.ran += 1;
        let cleaner = again.status == "ok"
            && again.other_cpu_share.unwrap_or(f64::INFINITY)
                < first.other_cpu_share.unwrap_or(f64::INFINITY);
        if again.status == "interrupted" {
            summary.interrupted = true;
        }
        // The losing attempt's power series moves to power/superseded/ (the report reads only
        // power/*.csv), like its row to superseded.csv.
        let old_power = power_dir.join(format!("{}.csv", t.id));
        if cleaner {
            record(&results, &epochs, &again, true, true)?;
            set_power_aside(&old_power, &format!("{}-{}", t.id, first.attempt_id))?;
            std::fs::rename(&rerun_power, &old_power)
                .with_context(|| format!("{}: cannot move into place", rerun_power.display()))?;
        } else {
            discard(&results, &epochs, &again)?;
            set_power_aside(&rerun_power, &format!("{}-{}", t.id, again.attempt_id))?;
        }
        after_trial(&out);
        progress.finish_trial(&format!(
            "rerun: other CPU share {} (was {}); kept the {} row",
            again.other_cpu_share.map_or("-".into(), |s| format!("{:.0} %", s * 100.0)),
            first.other_cpu_share.map_or("-".into(), |s| format!("{:.0} %", s * 100.0)),
            if cleaner { "new" } else { "first" }
        ));
    }
    progress.finish();
    idle.borrow_mut().finish(&meter, &interrupt, &out);
    Ok(summary)
}

/// A sweep killed while re-running a trial under background load leaves that attempt's epochs
/// beside the trial's `ok` row, and its power series as `power/<id>.rerun.csv`: the `ok` row
/// stands (it was never superseded), so both are set aside before anything else runs.
/// Returns the epoch rows that remain, so the caller need not read the file again.
fn tidy_killed_reruns(
    out: &Path,
    rows: &HashMap<String, ResultRow>,
    epochs: &CsvLog<EpochRow>,
) -> Result<Vec<EpochRow>> {
    let mut all = epochs.read_all()?;
    let current = |e: &EpochRow| match rows.get(&e.trial_id) {
        Some(r) if r.status == "ok" => r.attempt_id == e.attempt_id,
        _ => true,
    };
    if !all.iter().all(current) {
        all.retain(current);
        epochs.replace_all(&all)?;
        tracing::info!("{}: dropped the epochs of an interrupted rerun", epochs.path().display());
    }
    if let Ok(entries) = std::fs::read_dir(out.join("power")) {
        for path in entries.flatten().map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if let Some(id) = name.strip_suffix(".rerun.csv") {
                set_power_aside(&path, &format!("{id}-interrupted-rerun"))?;
            }
        }
    }
    Ok(all)
}

/// `--fresh`: move results, epochs and power series aside under a timestamped name.
fn move_aside(out: &Path) -> Result<()> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut moved = HashSet::new();
    for name in
        ["results.csv", "epochs.csv", "superseded.csv", "halving.csv", "checkpoints", "power"]
    {
        let from = out.join(name);
        if from.exists() {
            let to = out.join(format!("previous-{stamp}")).join(name);
            std::fs::create_dir_all(to.parent().unwrap_or(out))?;
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} aside", from.display()))?;
            moved.insert(to.parent().map(Path::to_path_buf));
        }
    }
    std::fs::create_dir_all(out.join("power"))?;
    for dir in moved.into_iter().flatten() {
        tracing::info!("--fresh: moved the earlier results to {}", dir.display());
    }
    Ok(())
}
