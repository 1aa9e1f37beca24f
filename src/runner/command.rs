//! A command trial (`backend = "command"`): the grid's `[command]` with the trial's settings
//! substituted, run under `launch`, its epochs written as they end, its row built like a built-in
//! trial's. A failure of the command is a row (`failed`, `diverged`, `interrupted`), never an
//! error of the sweep.
//!
//! Under successive halving each rung runs the command again with `{epochs}` set to the rung's
//! epochs and `WATTSWEEP_CHECKPOINT_DIR` pointing at a folder kept for the trial across rungs;
//! the sums go on across rungs through the trial's checkpoint JSON.

use super::builtin::{PAUSED, PowerLimit, Segment, TrialEnv, base_row, drop_epochs_after};
use super::checkpoint::Saved;
use super::environment::now_iso;
use super::launch::{self, EpochSeen, Launch, Ran, Stop, Watch};
use super::output::LOG_CAP_BYTES;
use super::progress::Progress;
use super::row::{fill_from_totals, fill_receipts, flag_incomplete};
use super::totals::Totals;
use crate::config::CommandSpec;
use crate::config::command::substitute;
use crate::plan::Trial;
use crate::results::{EpochRow, ResultRow, one_line};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a command trial needs besides [`TrialEnv`].
pub(super) struct CommandCtx<'a> {
    pub spec: &'a CommandSpec,
    /// The sweep's output folder (logs, artefacts, the running supervisor's pid file).
    pub out: &'a Path,
    /// `--data-dir`, passed on as `WATTSWEEP_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
}

/// The file naming a running supervisor, for a later run to end a tree left by a killed one.
pub(super) fn pid_file(out: &Path) -> PathBuf {
    out.join("command.pid")
}

/// Program arguments and environment variables of a command.
pub(super) type CommandLine = (Vec<String>, Vec<(String, String)>);

/// The argv and environment of a trial's command: templates filled in, then what every
/// command gets (`WATTSWEEP_TRIAL_ID`, `WATTSWEEP_OUT`, `WATTSWEEP_<KEY>`, …).
pub(super) fn command_line(
    trial: &Trial,
    spec: &CommandSpec,
    epochs: usize,
    artefacts: &Path,
) -> Result<CommandLine, String> {
    let mut settings = trial.spec.command_settings();
    for (k, v) in &mut settings {
        if k == "epochs" {
            *v = epochs.to_string();
        }
    }
    let lookup = |k: &str| -> Option<String> {
        if k == "trial_id" {
            return Some(trial.id.clone());
        }
        settings.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
    };
    let argv = spec.argv.iter().map(|t| substitute(t, &lookup)).collect::<Result<Vec<_>, _>>()?;
    let mut env: Vec<(String, String)> = Vec::new();
    for (k, v) in &settings {
        env.push((format!("WATTSWEEP_{}", k.to_ascii_uppercase()), v.clone()));
    }
    env.push(("WATTSWEEP_TRIAL_ID".into(), trial.id.clone()));
    env.push(("WATTSWEEP_OUT".into(), artefacts.display().to_string()));
    // Events should arrive when they are printed, not when a buffer fills.
    env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    for (k, t) in &spec.env {
        env.push((k.clone(), substitute(t, &lookup)?));
    }
    Ok((argv, env))
}

/// Run one command trial (or one rung of it) and return its row (not yet written).
pub(super) fn run_command_trial(
    trial: &Trial,
    ctx: &CommandCtx,
    env: &TrialEnv,
    progress: &mut Progress,
    segment: Segment,
) -> anyhow::Result<ResultRow> {
    let id = &trial.id;
    let saved = match segment.checkpoints.map(|c| c.load(id)) {
        Some(Ok(Some(s))) if s.command && s.totals.energy.source == env.meter.source() => Some(s),
        Some(Ok(Some(_))) => {
            tracing::warn!(
                "trial {id}: its checkpoint is not usable here; running it from the start"
            );
            None
        }
        Some(Err(e)) => {
            tracing::warn!("trial {id}: {e:#}; running it from the start");
            None
        }
        _ => None,
    };
    if let Some(s) = &saved {
        drop_epochs_after(env, id, s.epoch)?;
        if let Some(len) = s.power_bytes {
            crate::results::truncate_to(&env.power_path, len)?;
        }
        env.meter.continue_power_log(&env.power_path)?;
    } else {
        drop_epochs_after(env, id, 0)?;
        env.meter.begin_power_log(&env.power_path)?;
    }
    let saved_epoch = saved.as_ref().map(|s| s.epoch);
    let (attempt_id, started_at, mut totals) = match saved {
        Some(s) => (s.attempt_id, s.started_at, s.totals),
        None => (env.attempt_id.clone(), now_iso(), Totals::fresh(env.meter.source())),
    };
    let artefacts = ctx.out.join("artifacts").join(id);
    std::fs::create_dir_all(&artefacts)?;
    let (argv, mut vars) = match command_line(trial, ctx.spec, segment.until, &artefacts) {
        Ok(x) => x,
        Err(e) => {
            env.meter.end_power_log()?;
            let mut row = base_row(trial, (0, 0), env, &totals, &attempt_id, started_at);
            row.status = "failed".into();
            row.error = Some(one_line(&e));
            return Ok(row);
        }
    };
    if let Some(dir) = &ctx.data_dir {
        vars.push(("WATTSWEEP_DATA_DIR".into(), dir.display().to_string()));
    }
    let marker = segment.checkpoints.map(|c| c.command_marker(id));
    if let Some(c) = segment.checkpoints {
        let dir = c.command_dir(id);
        // A rung that did not end by itself (killed, Ctrl-C) may have left the command's own
        // state past the epoch our checkpoint names, and without a checkpoint there is nothing
        // to continue: the command starts over (its earlier epochs' rows are kept, their
        // energy spent again is counted).
        if (saved_epoch.is_none() || marker.as_ref().is_some_and(|m| m.exists())) && dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        if let Some(m) = &marker {
            crate::results::write_atomic(m, b"running\n")?;
        }
        vars.push((
            "WATTSWEEP_CHECKPOINT_DIR".into(),
            std::path::absolute(&dir)?.display().to_string(),
        ));
    }
    let regexes = ctx
        .spec
        .metric_regex
        .iter()
        .filter_map(|(m, re)| Some((m.clone(), regex::Regex::new(re).ok()?, ctx.spec.scale(m))))
        .collect();
    let log = ctx.out.join("logs").join(format!("{id}.log"));
    let l = Launch {
        argv,
        env: vars,
        workdir: ctx.spec.workdir.clone(),
        timeout: ctx.spec.timeout_s.map(Duration::from_secs_f64),
        regexes,
        log: Some(log),
        log_cap: log_cap(),
        log_append: saved_epoch.is_some(),
        echo: false,
        status_file: ctx.out.join(format!(".supervisor-{id}.json")),
        pid_file: Some(pid_file(ctx.out)),
    };
    progress.start_trial(format!("command {} [{id}]", trial.spec.model_name()));
    let _limit = match trial.spec.gpu_power_limit_w {
        Some(w) => Some(PowerLimit::set(env.meter, w)?),
        None => None,
    };
    let watch =
        Watch { meter: env.meter, interrupt: Some(env.interrupt), budget: Some(env.budget) };
    if totals.temp_start_c.is_none() {
        totals.temp_start_c = env.meter.max_temp_c();
    }
    let already = totals.epochs_done;
    let mut write_error: Option<anyhow::Error> = None;
    let mut cumulative = (totals.train_time_s, totals.epochs_energy_j);
    let source = env.meter.source();
    let mut on_epoch = |e: &EpochSeen| {
        // A command that does not continue from its checkpoint trains the earlier epochs
        // again: their energy counts, their rows are already there.
        if e.epoch <= already {
            return;
        }
        let Some(acc) = e.test_accuracy else { return };
        cumulative.0 += e.train_time_s;
        cumulative.1 += e.train_energy_j.unwrap_or(0.0);
        let row = EpochRow {
            trial_id: id.clone(),
            epoch: e.epoch,
            train_loss: e.train_loss,
            test_accuracy: acc,
            epoch_time_s: e.train_time_s,
            energy_j: e.train_energy_j,
            energy_source: source.clone(),
            eval_time_s: e.eval.as_ref().map_or(0.0, |w| w.duration_s),
            eval_energy_j: e.eval.as_ref().map(|w| w.energy_j),
            cumulative_time_s: cumulative.0,
            cumulative_energy_j: e.train_energy_j.map(|_| cumulative.1),
            attempt_id: attempt_id.clone(),
        };
        if let Err(err) = env.epochs_log.append(&row) {
            write_error.get_or_insert(err);
        }
    };
    let ran = launch::run(&l, &watch, &mut on_epoch)?;
    let samples = env.meter.end_power_log()?;
    if let Some(e) = write_error {
        return Err(e);
    }
    add_to_totals(&mut totals, &ran, already);
    totals.samples += samples;
    totals.add_receipts(env.meter.take_receipts());
    totals.temp_end_c = env.meter.max_temp_c().or(totals.temp_end_c);
    let (status, error) = verdict(&ran, trial, segment);
    if let Some(m) = &marker
        && status != "interrupted"
    {
        // The rung ended by itself: the command's state matches what we record next.
        let _ = std::fs::remove_file(m);
    }
    if status == "ok" || status == PAUSED {
        // The command trained up to `{epochs}`, whether or not it reported each epoch.
        totals.epochs_done = segment.until;
    }
    let images = (ran.train_images.unwrap_or(0), 0);
    let mut row = base_row(trial, images, env, &totals, &attempt_id, started_at.clone());
    fill_from_totals(&mut row, &totals, env.energy, env.idle_power_w);
    flag_incomplete(&mut row, &totals, false, None);
    fill_receipts(&mut row, &totals, &env.baseline());
    row.params = 0;
    row.images_per_s =
        ran.train_images.filter(|_| ran.train_time_s > 0.0).map(|n| n as f64 / ran.train_time_s);
    row.peak_rss_mb = ran.status.as_ref().map(|s| s.max_rss_mb).filter(|m| *m > 0.0);
    row.command_phases = Some(ran.phases_text());
    row.command_cpu_s = ran.status.as_ref().map(|s| s.cpu_s);
    if let (Some((j, s)), Some(n)) = (ran.infer, ran.infer_images.filter(|n| *n > 0)) {
        row.infer_j_per_image = Some(j / n as f64);
        row.infer_images_per_s = (s > 0.0).then(|| n as f64 / s);
        row.infer_net_j_per_image = env.idle_power_w.map(|p| (j - p * s) / n as f64);
    }
    row.status = status;
    row.error = error;
    if row.status == PAUSED
        && let Some(c) = segment.checkpoints
    {
        let power_bytes = std::fs::metadata(&env.power_path).ok().map(|m| m.len());
        let saved = Saved {
            epoch: totals.epochs_done,
            attempt_id: attempt_id.clone(),
            started_at,
            totals,
            row: Some(row.clone()),
            power_bytes,
            command: true,
        };
        c.save_command(id, &saved)?;
    }
    Ok(row)
}

/// `WATTSWEEP_LOG_CAP_BYTES` overrides the log cap (for tests; and for anyone who wants more).
fn log_cap() -> u64 {
    std::env::var("WATTSWEEP_LOG_CAP_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(LOG_CAP_BYTES)
}

/// The measured windows of this run added to the trial's sums.
fn add_to_totals(t: &mut Totals, ran: &Ran, already: usize) {
    t.energy.absorb(&ran.train);
    t.train_time_s += ran.train_time_s;
    t.images_trained += ran.train_images.unwrap_or(0);
    t.load.merge(&ran.load);
    if !ran.gpus_shared.is_empty() {
        t.add_gpus_shared(ran.gpus_shared.clone());
    }
    for ep in ran.epochs.iter().filter(|ep| ep.epoch > already && ep.test_accuracy.is_some()) {
        t.epochs_done = t.epochs_done.max(ep.epoch);
        t.epochs_energy_j += ep.train_energy_j.unwrap_or(0.0);
        t.epochs_measured &= ep.train_energy_j.is_some();
    }
    if ran.test_accuracy.is_some() {
        t.test_accuracy = ran.test_accuracy;
    }
    if let Some(w) = &ran.eval_last {
        t.eval_time_s = Some(w.duration_s);
        t.eval_energy_j = Some(w.energy_j);
    }
}

/// Status and error of the row.
fn verdict(ran: &Ran, trial: &Trial, segment: Segment) -> (String, Option<String>) {
    let tail = || {
        let t = ran.stderr_tail.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" | ");
        if t.is_empty() { String::new() } else { format!("; stderr: {t}") }
    };
    let failed = |msg: String| ("failed".to_string(), Some(one_line(&msg)));
    match &ran.stop {
        Stop::SpawnFailed(e) => return failed(e.clone()),
        Stop::Timeout(s) => {
            return failed(format!(
                "timeout after {s} s (command.timeout_s); the whole process tree was ended"
            ));
        }
        Stop::Interrupted => {
            return ("interrupted".into(), Some("stopped by SIGINT/SIGTERM".into()));
        }
        Stop::Budget(why) => {
            return ("interrupted".into(), Some(format!("{why}; run again to resume")));
        }
        _ => {}
    }
    // A command that reports a NaN loss and then exits non-zero diverged: say that, not "failed".
    if let Some(what) = &ran.non_finite {
        return ("diverged".into(), Some(format!("{what} reported by the command")));
    }
    match &ran.stop {
        Stop::Signaled(sig) => {
            return failed(format!("killed by signal {sig} ({}){}", signal_name(*sig), tail()));
        }
        Stop::Exited(c) if *c != 0 => return failed(format!("exit code {c}{}", tail())),
        _ => {}
    }
    match ran.test_accuracy {
        None => failed(
            "no test_accuracy: the command printed no `wattsweep: {\"test_accuracy\": …}` line and no line matched command.metric_regex.test_accuracy".into(),
        ),
        Some(a) if !(0.0..=1.0).contains(&a) => failed(format!(
            "test_accuracy = {a} is not in [0, 1] (a percentage? scale it: command.metric_scale.test_accuracy = 0.01)"
        )),
        Some(_) if segment.until < trial.spec.epochs => (PAUSED.into(), None),
        Some(_) => ("ok".into(), None),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGINT => "SIGINT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        _ => "signal",
    }
}

#[cfg(test)]
#[path = "tests/command.rs"]
mod tests;
