//! The report's content, independent of its format: a list of sections, each with sentences,
//! tables of already-formatted cells and the names of the plots that belong to it. The
//! Markdown summary and the HTML page both render these, so they cannot disagree.

use crate::report::analysis::{
    TARGETS, attempt_epochs, energy_to_target, incomplete, is_snn, joules_per_point, mean_power,
    not_ok, pareto_trials, ranking,
};
use crate::report::audit::{audit, audit_text};
use crate::report::certainty::{certainty, config_audit_text};
use crate::report::fmt::{MISSING, finite, num, pct, setting_label, text, times};
use crate::report::halving::{HEADERS, halving_text};
use crate::report::inference::{HEADERS as INFERENCE_HEADERS, inference_text};
use crate::report::read::ReportData;
use crate::results::ResultRow;

/// Trials named one by one in a warning; the rest are counted.
const MAX_NAMED: usize = 10;

/// Discordant pairs listed in full; the rest are counted in the text.
const MAX_PAIRS: usize = 20;

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Section {
    /// HTML anchor.
    pub id: String,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<Table>,
    /// Plot names (file stems under plots/) shown in this section.
    pub plots: Vec<String>,
}

fn table(headers: &[&str], rows: Vec<Vec<String>>) -> Table {
    Table { headers: headers.iter().map(|h| h.to_string()).collect(), rows }
}

fn section(id: &str, title: &str) -> Section {
    Section { id: id.into(), title: title.into(), ..Section::default() }
}

/// All sections, in page order. Sections name their plots; the renderer shows each plot's SVG
/// or its skip note. `power_plots` are the power timelines' names from `build_plots`, so the
/// page lists exactly the files written.
pub(crate) fn sections(data: &ReportData, power_plots: &[String]) -> Vec<Section> {
    let ranked = ranking(&data.results);
    let mut out = vec![overview(data)];

    let mut s = section("ranking", "Ranking by energy per accuracy point");
    s.paragraphs.push("Ok trials only, fewest joules per percentage point of test accuracy first. Energy is the training phase (evaluations excluded).".into());
    let rows = ranked.iter().enumerate().map(|(i, r)| {
        vec![
            (i + 1).to_string(),
            r.trial_id.clone(),
            setting_label(r),
            text(Some(&r.model_settings)),
            pct(r.test_accuracy),
            num(Some(r.train_time_s)),
            num(r.energy_j),
            num(joules_per_point(r)),
            num(mean_power(r)),
            text(Some(&r.energy_source)),
        ]
    });
    s.tables.push(table(
        &[
            "#",
            "trial",
            "model optimizer lr batch",
            "settings",
            "test accuracy (%)",
            "training time (s)",
            "energy (J)",
            "energy per accuracy point (J/pt)",
            "mean power (W)",
            "energy source",
        ],
        rows.collect(),
    ));
    out.push(s);

    let c = certainty(&data.results);
    let mut s = section("certainty", "How sure: configurations with 95 % intervals");
    s.paragraphs = c.paragraphs;
    if !c.rows.is_empty() {
        s.tables.push(Table { headers: c.headers, rows: c.rows });
    }
    out.push(s);

    let mut s = section("pareto", "Pareto front: accuracy against energy");
    let front = pareto_trials(&data.results);
    s.paragraphs.push(format!("{} of {} ok trials with an energy figure are not beaten on both accuracy and energy by any other trial; every other trial has a front trial at least as accurate for no more energy.",
        front.len(), ranked.iter().filter(|r| finite(r.energy_j).is_some() && finite(r.test_accuracy).is_some()).count()));
    let rows = front.iter().map(|r| {
        vec![
            r.trial_id.clone(),
            setting_label(r),
            pct(r.test_accuracy),
            num(r.energy_j),
            num(Some(r.train_time_s)),
        ]
    });
    s.tables.push(table(
        &[
            "trial",
            "model optimizer lr batch",
            "test accuracy (%)",
            "energy (J)",
            "training time (s)",
        ],
        rows.collect(),
    ));
    s.plots = vec!["accuracy-vs-energy".into()];
    out.push(s);

    if let Some(h) = halving_text(data) {
        let mut s = section("halving", "Successive halving: energy saved");
        s.paragraphs = h.paragraphs;
        s.tables.push(table(&HEADERS, h.rows));
        out.push(s);
    }
    out.push(audit_section(data));
    out.push(target_section(data));

    let mut s = section("settings", "Learning rate and optimizer");
    s.paragraphs.push("Test accuracy of ok trials against the learning rate (mean over trials sharing it), and the best Adam trial against the best SGD trial of each model.".into());
    s.plots = vec!["lr-sensitivity".into(), "adam-vs-sgd".into()];
    out.push(s);

    out.push(snn_section(data));

    let mut s = section("inference", "Inference: measured here, modelled for dedicated hardware");
    match inference_text(data) {
        Some(t) => {
            s.paragraphs = t.paragraphs;
            s.tables.push(table(&INFERENCE_HEADERS, t.rows));
        }
        None => s.paragraphs.push("No trial has an inference measurement or operation counts (an output of an older version, or `inference = false` with no ok trial).".into()),
    }
    s.plots = vec!["inference-energy".into()];
    out.push(s);

    let mut s = section("power", "Power over time");
    s.paragraphs.push(format!("Power per measured domain during each trial, from power/TRIAL_ID.csv (long series are averaged into at most {} points per domain for drawing).", crate::report::plots::MAX_POINTS));
    let files = data.power_files.len();
    if files > power_plots.len() && !power_plots.is_empty() {
        s.paragraphs.push(format!(
            "Drawn for {} of the {files} trials with a power series: the 5 best and the 2 worst by energy per accuracy point, up to 3 that did not end ok and up to 2 without a results row yet, so the page stays small whatever the sweep's size. Every trial's series is in power/TRIAL_ID.csv.",
            power_plots.len()
        ));
    }
    if power_plots.is_empty() {
        s.paragraphs.push("No power time series to draw: power/ has no readable CSV files.".into());
    }
    s.plots = power_plots.to_vec();
    out.push(s);

    out.push(failures_section(data));
    for s in &mut out {
        shorten_tables(s);
    }
    out
}

/// Rows a table shows at most: the page stays readable, and small, at 10 000 trials.
pub(crate) const MAX_TABLE_ROWS: usize = 100;

/// Cut every table to its first [`MAX_TABLE_ROWS`] rows, saying so: the full tables are the CSVs.
fn shorten_tables(s: &mut Section) {
    for t in &mut s.tables {
        if t.rows.len() > MAX_TABLE_ROWS {
            s.paragraphs.push(format!(
                "A table below shows its first {MAX_TABLE_ROWS} of {} rows; the full data is in the CSVs beside this page (results.csv, summary.csv, halving.csv).",
                t.rows.len()
            ));
            t.rows.truncate(MAX_TABLE_ROWS);
        }
    }
}

fn overview(data: &ReportData) -> Section {
    let mut s = section("overview", "Overview");
    let ok = data.results.iter().filter(|r| r.status == "ok").count();
    let count = |st: &str| data.results.iter().filter(|r| r.status == st).count();
    let other = data.results.len()
        - ok
        - count("pruned")
        - count("diverged")
        - count("failed")
        - count("interrupted");
    let pruned = match count("pruned") {
        0 => String::new(),
        n => format!(", {n} pruned by successive halving"),
    };
    let mut line = format!(
        "{} trials: {ok} ok{pruned}, {} diverged, {} failed, {} interrupted",
        data.results.len(),
        count("diverged"),
        count("failed"),
        count("interrupted")
    );
    if other > 0 {
        line.push_str(&format!(", {other} with another status"));
    }
    s.paragraphs.push(line + ".");
    if let Some(c) = &data.schedule {
        let energy_j: f64 = data.results.iter().filter_map(|r| r.energy_j).sum();
        let realised: f64 = data.results.iter().filter_map(|r| r.co2_g).sum();
        s.paragraphs.push(format!(
            "Carbon-aware start: planned at {} for {} (forecast: {}), {} g/kWh over the sweep's predicted {} s against {} g/kWh had it started at once. Realised: {} g CO₂ for {} J of training (each trial at the forecast's intensity at its start); at the at-once intensity the same energy would have emitted {} g.",
            c.now,
            c.start,
            c.forecast,
            num(Some(c.intensity_at_start)),
            num(Some(c.duration_s)),
            num(Some(c.intensity_now)),
            num(Some(realised)),
            num(Some(energy_j)),
            num(Some(energy_j / 3.6e6 * c.intensity_now)),
        ));
    }
    let flagged: Vec<&ResultRow> =
        data.results.iter().filter(|r| r.background_load == Some(true)).collect();
    if flagged.len() > MAX_NAMED {
        s.paragraphs.push(format!(
            "Background load flagged {} trials (other_cpu_verdict = background load in results.csv); the first {MAX_NAMED}:",
            flagged.len()
        ));
    }
    for r in flagged.into_iter().take(MAX_NAMED) {
        s.paragraphs.push(format!(
            "Background load: while trial {} ({}) trained, {} of the machine's busy CPU time was other processes (above [energy] max_other_cpu_share): {}. Rerun it on a quiet machine, or set on_background_load = \"rerun\".",
            r.trial_id,
            setting_label(r),
            pct(r.other_cpu_share).replace(MISSING, "an unknown share") + " %",
            crate::energy::background_effect(&r.energy_source)
        ));
        if let (Some(e), Some(a)) = (finite(r.energy_j), finite(r.attributed_energy_j))
            && !r.energy_source.starts_with("estimate")
        {
            s.paragraphs.push(format!(
                "Attributed to trial {}: {} J of its {} J measured (the idle baseline for its time plus its own share of the power above it; a model that assumes power above idle splits in proportion to CPU time: see docs/energy.md).",
                r.trial_id,
                num(Some(a)),
                num(Some(e))
            ));
        }
    }
    let short = data
        .results
        .iter()
        .filter(|r| r.other_cpu_verdict.as_deref() == Some("too short to judge"));
    match short.count() {
        0 => {}
        n => s.paragraphs.push(format!(
            "{n} trials trained for less than {} s of busy CPU time in all: /proc/stat counts in 10 ms ticks, too coarse to tell whether another program shared the machine, so their background load is too short to judge (other_cpu_verdict in results.csv), neither flagged nor cleared.",
            crate::energy::MIN_BUSY_S
        )),
    }
    for r in data
        .results
        .iter()
        .filter(|r| r.gpu_shared.as_deref().is_some_and(|g| g.contains("true")))
        .take(MAX_NAMED)
    {
        s.paragraphs.push(format!(
            "Shared GPU: while trial {} ({}) trained, NVML listed other processes running on a measured GPU (gpu_shared = {}): its GPU energy includes their work.",
            r.trial_id,
            setting_label(r),
            r.gpu_shared.as_deref().unwrap_or_default()
        ));
    }
    let commands: Vec<_> = data.results.iter().filter(|r| r.backend == "command").collect();
    if !commands.is_empty() {
        let whole: Vec<&str> = commands
            .iter()
            .filter(|r| r.command_phases.as_deref() == Some("none"))
            .map(|r| r.trial_id.as_str())
            .collect();
        let mut line = format!(
            "Command trials: {} of the trials ran the grid's [command] (backend = \"command\"); their energy covers the command's whole process tree and the phases it announced.",
            commands.len()
        );
        if !whole.is_empty() {
            line.push_str(&format!(
                " {} announced no phase ({}): the whole command, start-up and evaluation included, was measured as its training window, so its energy_j is not comparable with a built-in trial's training energy. Print `wattsweep: {{\"phase\": \"train\"}}` lines to measure the training alone.",
                whole.len(),
                whole.join(", ")
            ));
        }
        s.paragraphs.push(line);
    }
    let flagged: Vec<&ResultRow> = incomplete(&data.results)
        .into_iter()
        .filter(|r| r.energy_complete != Some(false) && crate::report::analysis::flagged(r))
        .collect();
    if !flagged.is_empty() {
        let named: Vec<String> = flagged
            .iter()
            .take(10)
            .map(|r| {
                let why = r.quality.as_deref().unwrap_or("").trim_start_matches("flagged: ");
                format!("{} ({}): {why}", r.trial_id, setting_label(r))
            })
            .collect();
        let more = flagged.len().saturating_sub(named.len());
        s.paragraphs.push(format!(
            "Flagged measurements, shown apart and left out of every ranking ({} trial{}; the quality column says why): {}{}.",
            flagged.len(),
            if flagged.len() == 1 { "" } else { "s" },
            named.join("; "),
            if more > 0 { format!("; and {more} more") } else { String::new() }
        ));
    }
    for r in incomplete(&data.results).into_iter().filter(|r| r.energy_complete == Some(false)) {
        s.paragraphs.push(format!(
            "Left out of every ranking: trial {} ({}): {}, so its energy may be an undercount (energy_complete = false).",
            r.trial_id,
            setting_label(r),
            r.energy_incomplete_reason.clone().unwrap_or_else(|| format!(
                "{} reads of its summed energy counters failed during training",
                r.read_failures.map_or("some".to_string(), |n| n.to_string())
            ))
        ));
    }
    let sources =
        crate::report::analysis::distinct(data.results.iter().map(|r| r.energy_source.as_str()));
    let hosts = crate::report::analysis::distinct(data.results.iter().map(|r| r.hostname.as_str()));
    s.paragraphs.push(format!(
        "Energy source: {}. Host: {}.",
        join_or_dash(&sources),
        join_or_dash(&hosts)
    ));
    // ISO 8601 timestamps of one sweep share a zone, so text order is time order.
    let first = data.results.iter().map(|r| r.started_at.as_str()).filter(|t| !t.is_empty()).min();
    let last = data.results.iter().map(|r| r.finished_at.as_str()).filter(|t| !t.is_empty()).max();
    if let (Some(first), Some(last)) = (first, last) {
        s.paragraphs.push(format!("Trials ran from {first} to {last}."));
    }
    s
}

fn join_or_dash(v: &[String]) -> String {
    let v: Vec<&str> = v.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    if v.is_empty() { MISSING.to_string() } else { v.join(", ") }
}

fn audit_section(data: &ReportData) -> Section {
    let mut s = section("time-proxy", "Time-proxy audit: is training time a stand-in for energy?");
    let a = audit(&data.results);
    s.paragraphs = audit_text(&a);
    s.paragraphs.extend(config_audit_text(&data.results));
    // Beside the audit: read against accuracy-vs-energy, it shows where time and energy part.
    s.plots = vec!["accuracy-vs-time".into()];
    let rows = a.model_power.iter().map(|m| {
        vec![
            m.model.clone(),
            m.trials.to_string(),
            num(Some(m.mean_w)),
            num(Some(m.min_w)),
            num(Some(m.max_w)),
        ]
    });
    s.tables.push(table(
        &["model", "trials", "mean power (W)", "lowest (W)", "highest (W)"],
        rows.collect(),
    ));
    if !a.discordant.is_empty() {
        if a.discordant.len() > MAX_PAIRS {
            s.paragraphs.push(format!("The {MAX_PAIRS} pairs where time misjudges energy most are listed; {} more are not.", a.discordant.len() - MAX_PAIRS));
        }
        let rows = a.discordant.iter().take(MAX_PAIRS).map(|d| {
            vec![
                format!("{} ({})", d.faster.trial_id, setting_label(d.faster)),
                num(Some(d.faster.train_time_s)),
                num(d.faster.energy_j),
                format!("{} ({})", d.slower.trial_id, setting_label(d.slower)),
                num(Some(d.slower.train_time_s)),
                num(d.slower.energy_j),
                times(d.time_ratio),
                times(d.energy_ratio),
            ]
        });
        s.tables.push(table(
            &[
                "faster trial",
                "its time (s)",
                "its energy (J)",
                "slower trial",
                "its time (s)",
                "its energy (J)",
                "time: slower / faster",
                "energy: faster / slower",
            ],
            rows.collect(),
        ));
    }
    s
}

fn target_section(data: &ReportData) -> Section {
    let mut s = section("targets", "Energy to target accuracy");
    s.paragraphs.push("Cumulative training energy and time at the first epoch reaching each test accuracy, from epochs.csv (only the epochs of the attempt that produced the trial's result). Ok trials first, in ranking order.".into());
    let mut trials = ranking(&data.results);
    trials.extend(not_ok(&data.results));
    let rows = trials.iter().map(|r| {
        let epochs = attempt_epochs(r, &data.epochs);
        let mut row = vec![r.trial_id.clone(), setting_label(r), r.status.clone()];
        for t in TARGETS {
            row.push(match (epochs.is_empty(), energy_to_target(&epochs, t)) {
                (true, _) => format!("{MISSING} (no epoch rows)"),
                (false, None) => "not reached".into(),
                (false, Some(h)) => {
                    format!("{} J, {} s (epoch {})", num(h.energy_j), num(Some(h.time_s)), h.epoch)
                }
            });
        }
        row
    });
    s.tables.push(table(
        &[
            "trial",
            "model optimizer lr batch",
            "status",
            "97 % accuracy",
            "98 % accuracy",
            "99 % accuracy",
        ],
        rows.collect(),
    ));
    s.plots = vec!["accuracy-vs-epoch-energy".into()];
    s
}

fn snn_section(data: &ReportData) -> Section {
    let mut s = section("snn", "Spiking networks: firing rate");
    let snn: Vec<&ResultRow> = data.results.iter().filter(|r| is_snn(r)).collect();
    if snn.is_empty() {
        s.paragraphs.push("No SNN trials in this sweep.".into());
        return s;
    }
    s.paragraphs.push("Mean firing rate in the final evaluation: spikes / (neurons × time steps × images), 0–1. Fewer spikes is what makes neuromorphic hardware cheap; on a GPU or CPU it costs the same.".into());
    let rows = snn.iter().map(|r| {
        vec![
            r.trial_id.clone(),
            setting_label(r),
            text(Some(&r.model_settings)),
            r.status.clone(),
            pct(r.test_accuracy),
            num(r.firing_rate),
            text(r.layer_firing_rates.as_deref()),
            num(r.energy_j),
        ]
    });
    s.tables.push(table(
        &[
            "trial",
            "model optimizer lr batch",
            "settings",
            "status",
            "test accuracy (%)",
            "mean firing rate",
            "firing rate per spiking layer",
            "energy (J)",
        ],
        rows.collect(),
    ));
    s
}

fn failures_section(data: &ReportData) -> Section {
    let mut s = section("not-ok", "Trials that did not finish ok");
    // Pruned trials ended as planned: the halving section lists them.
    let bad: Vec<&ResultRow> =
        not_ok(&data.results).into_iter().filter(|r| r.status != "pruned").collect();
    if bad.is_empty() {
        s.paragraphs
            .push("None: every trial finished ok (or was pruned by successive halving).".into());
        return s;
    }
    s.paragraphs.push("Not ranked: their figures describe a broken or unfinished run.".into());
    let rows = bad.iter().map(|r| {
        vec![r.trial_id.clone(), r.status.clone(), setting_label(r), text(r.error.as_deref())]
    });
    s.tables.push(table(&["trial", "status", "model optimizer lr batch", "error"], rows.collect()));
    s
}
