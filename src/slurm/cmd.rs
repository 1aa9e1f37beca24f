//! The two commands as functions of plain arguments, so the CLI only maps its parsed flags:
//! `wattsweep slurm GRID …` ([`slurm_command`]) and `wattsweep merge OUT` ([`merge_command`]).
//! Both return the process exit code; an `Err` is exit 2 (usage, grid, data or I/O error).

use super::merge::{MergeReport, merge_dir};
use super::sbatch::{ScriptPlan, merge_script, shell_quote, submit_commands, sweep_script};
use super::settings::{SlurmFlags, resolve};
use super::submit::{sbatch, watch_text};
use crate::results::write_atomic;
use crate::runner::{OutputLock, load_datasets, output_dir};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// `wattsweep slurm`: the grid, the forwarded `run` options and the cluster flags.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlurmRequest {
    pub grid: PathBuf,
    pub out: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub powercap_root: PathBuf,
    pub no_nvml: bool,
    /// Fail instead of downloading a missing dataset (compute nodes never download: they get
    /// `--no-fetch`; this only concerns the fetch done here, once, before submitting).
    pub no_fetch: bool,
    pub retry_failed: bool,
    pub flags: SlurmFlags,
    pub submit: bool,
    /// `--now`: the time `[schedule]` plans from.
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    // Canonical where it exists (symlinks resolved once, here, not on each node), else absolute.
    match std::fs::canonicalize(p) {
        Ok(c) => Ok(c),
        Err(_) => std::path::absolute(p)
            .with_context(|| format!("{}: cannot make the path absolute", p.display())),
    }
}

/// Validate the grid, fetch its data once, write `<out>/slurm/{sweep,merge}.sbatch` and, with
/// `submit`, submit both. Returns 0.
pub(crate) fn slurm_command(req: &SlurmRequest) -> Result<i32> {
    // The same road as `plan` and `run`: a grid they refuse is refused here, with their words.
    let crate::plan::Loaded { grid, all: trials, .. } = crate::plan::load(&req.grid, None)?;
    if trials.is_empty() {
        bail!("{}: the grid has no trials", req.grid.display());
    }
    let settings = resolve(&req.flags, &grid.slurm, trials.len())
        .with_context(|| format!("{}: Slurm settings", req.grid.display()))?;
    // Once, here: compute nodes may have no network, and N tasks must not download N times.
    let datasets = load_datasets(&trials, req.data_dir.as_deref(), !req.no_fetch)?;
    drop(datasets);

    let out = output_dir(&grid, req.out.as_deref());
    let begin = match &grid.schedule {
        Some(spec) => {
            let forecast = crate::schedule::forecast::read_forecast(spec)?;
            let now = req.now.unwrap_or_else(crate::schedule::clock::real_now);
            let choice = crate::schedule::choose::decide(spec, &forecast, &trials, &out, now)?;
            println!("{}", choice.line());
            let start = chrono::DateTime::parse_from_rfc3339(&choice.start)?;
            Some(start.with_timezone(&chrono::Local).format("%Y-%m-%dT%H:%M:%S").to_string())
        }
        None => None,
    };
    let logs = out.join("slurm").join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("{}: cannot create", logs.display()))?;
    let exe = std::env::current_exe().context("cannot find this wattsweep binary's path")?;
    let plan = ScriptPlan {
        exe: absolute(&exe)?,
        grid: absolute(&req.grid)?,
        out: absolute(&out)?,
        workdir: absolute(Path::new("."))?,
        name: grid.name.clone(),
        settings,
        data_dir: req.data_dir.as_deref().map(absolute).transpose()?,
        powercap_root: absolute(&req.powercap_root)?,
        no_nvml: req.no_nvml,
        retry_failed: req.retry_failed,
        begin,
    };
    let sweep = sweep_script(&plan)?;
    let merge = merge_script(&plan)?;
    write_atomic(&plan.sweep_path(), sweep.as_bytes())?;
    write_atomic(&plan.merge_path(), merge.as_bytes())?;

    let s = &plan.settings;
    println!(
        "{} trials in {} array task{} (at most {} at once, {}) → {}",
        trials.len(),
        s.tasks,
        if s.tasks == 1 { "" } else { "s" },
        s.max_parallel,
        if s.exclusive {
            "whole nodes: --exclusive"
        } else {
            "shared nodes: energy includes other jobs on the same CPU packages"
        },
        shell_quote(&plan.out.display().to_string())
    );
    println!("wrote {}", shell_quote(&plan.sweep_path().display().to_string()));
    println!("wrote {}", shell_quote(&plan.merge_path().display().to_string()));
    if plan.exe.starts_with("/tmp") || plan.exe.starts_with(std::env::temp_dir()) {
        tracing::warn!(
            "{}: the scripts call this binary by its path; compute nodes must see it there",
            plan.exe.display()
        );
    }
    if !req.submit {
        println!("submit with:\n  {}", submit_commands(&plan)?);
        return Ok(0);
    }
    let array_id = sbatch(&plan.sweep_path(), None)?;
    let merge_id = match sbatch(&plan.merge_path(), Some(&array_id)) {
        Ok(id) => id,
        Err(e) => {
            return Err(e.context(format!(
                "the array is submitted as job {array_id}, but not the merge; submit it with: sbatch --dependency=afterany:{array_id} {}",
                shell_quote(&plan.merge_path().display().to_string())
            )))
        }
    };
    println!("{}", watch_text(&array_id, &merge_id, s.tasks, &plan.out, &plan.sweep_path()));
    Ok(0)
}

/// Merge the shards of `out`; prints what it did. Exit 0 clean, 1 conflicts or trials without
/// an `ok` row (the merge is written anyway).
pub(crate) fn merge_command(out: &Path) -> Result<i32> {
    if !out.is_dir() {
        bail!("{}: no such directory", out.display());
    }
    // A non-sharded run appending to <out>/results.csv would lose rows to our atomic rewrite.
    let _lock = OutputLock::acquire(out)?;
    let report = merge_dir(out)?;
    print!("{}", describe(&report, out));
    Ok(report.exit_code())
}

/// The merge report for people, one finding a line.
pub(crate) fn describe(r: &MergeReport, out: &Path) -> String {
    let mut s = format!(
        "merged {} source{} ({}): {} trials, {} ok, {} not ok; {} planned\n",
        r.sources.len(),
        if r.sources.len() == 1 { "" } else { "s" },
        r.sources.join(", "),
        r.trials,
        r.ok,
        r.not_ok.len(),
        r.planned
    );
    s += &format!(
        "wrote {} ({} rows) and epochs.csv ({} rows)\n",
        out.join("results.csv").display(),
        r.trials,
        r.epochs
    );
    match r.machines.as_slice() {
        [] => {}
        [id] => s += &format!("machine {id}: every shard's machine.json, copied to machine.json\n"),
        ids => {
            s += &format!(
                "machines: the shards ran on {} machines ({}); machine.json stays in each shard, and every row names its machine_id\n",
                ids.len(),
                ids.join(", ")
            )
        }
    }
    if r.duplicates > 0 {
        s += &format!("duplicates: {} attempt rows seen more than once, kept once\n", r.duplicates);
    }
    for c in &r.conflicts {
        let list: Vec<String> = c
            .attempts
            .iter()
            .map(|(src, att, acc, j)| {
                format!(
                    "{src} (attempt {att}, accuracy {}, {})",
                    acc.map_or("-".into(), |a| format!("{a:.4}")),
                    j.map_or("- J".into(), |j| format!("{j:.1} J"))
                )
            })
            .collect();
        s += &format!(
            "CONFLICT: trial {} is ok in {}; kept the first to finish; all are in conflicts.csv\n",
            c.trial_id,
            list.join(" and ")
        );
    }
    const SHOWN: usize = 20;
    if !r.missing.is_empty() {
        s += &format!(
            "MISSING: {} planned trial{} without any row (rerun the array to run them):\n",
            r.missing.len(),
            if r.missing.len() == 1 { "" } else { "s" }
        );
        for p in r.missing.iter().take(SHOWN) {
            s += &format!("  {}  {}\n", p.trial_id, p.settings);
        }
        if r.missing.len() > SHOWN {
            s += &format!("  … and {} more\n", r.missing.len() - SHOWN);
        }
    }
    if !r.not_ok.is_empty() {
        s += &format!(
            "NOT OK: {} trial{} (interrupted ones rerun on resubmission; failed/diverged with --retry-failed):\n",
            r.not_ok.len(),
            if r.not_ok.len() == 1 { "" } else { "s" }
        );
        for (id, status) in r.not_ok.iter().take(SHOWN) {
            s += &format!("  {id}  {status}\n");
        }
        if r.not_ok.len() > SHOWN {
            s += &format!("  … and {} more\n", r.not_ok.len() - SHOWN);
        }
    }
    if r.outside_plan > 0 {
        s += &format!(
            "note: {} trial{} with rows are in no run.json plan (an older grid?); kept\n",
            r.outside_plan,
            if r.outside_plan == 1 { "" } else { "s" }
        );
    }
    for t in &r.torn {
        s += &format!(
            "note: ignored the incomplete last line of {} (a task was writing it, or was killed mid-write)\n",
            t.display()
        );
    }
    s
}
