//! All command glue in one place: parse the command line, set up logging, turn parsed arguments
//! into the library's options (`From` conversions), run one function per subcommand, and map the
//! outcome to an exit code (0 all trials ok, 1 some trial failed, 2 usage/config/setup error,
//! 130 interrupted). This is the only module that uses `report`.

use crate::bench::{self, BenchOptions};
use crate::cli::{
    BenchArgs, Cli, Command, CompareArgs, ExportArgs, ExportFormatArg, FetchArgs, MeasureArgs,
    PlanArgs, PlanFormat, ReportArgs, RunArgs, SensorArgs, SlurmArgs,
};
use crate::data;
use crate::energy::{self, EnergyOptions};
use crate::kernels;
use crate::models::ModelKind;
use crate::names::Named;
use crate::runner::{self, RunOptions};
use crate::slurm::{self, SlurmFlags, SlurmRequest};
use crate::trial::TrialSpec;
use crate::{plan, report, schedule};
use anyhow::Result;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// The program: what `main` runs.
pub fn main() -> ExitCode {
    crate::memory::keep_freed_memory();
    let cli = Cli::parse();
    if let Command::Supervise(a) = &cli.command {
        let grace = std::time::Duration::from_secs_f64(a.grace_s.max(0.0));
        let code = crate::process::supervise::supervise(&a.status, grace, &a.command);
        return ExitCode::from(code.clamp(0, 255) as u8);
    }
    init_logging(cli.verbose, cli.quiet);
    match dispatch(cli.command, cli.quiet) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("wattsweep={default},warn"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}

fn dispatch(command: Command, quiet: bool) -> Result<u8> {
    match command {
        Command::Run(args) => run(args, quiet),
        Command::Plan(args) => plan_cmd(args),
        Command::Fetch(args) => fetch(args),
        Command::Sensors(args) => sensors(args),
        Command::Slurm(args) => slurm::slurm_command(&args.into()).map(exit_code),
        Command::Merge(args) => slurm::merge_command(&args.out).map(exit_code),
        Command::Report(args) => report_cmd(args),
        Command::Compare(args) => compare_cmd(args),
        Command::Export(args) => export_cmd(args),
        Command::Bench(args) => bench_cmd(args),
        Command::Measure(args) => measure_cmd(args),
        Command::Supervise(_) => unreachable!("handled in main before logging starts"),
    }
}

/// The library's exit codes are small non-negative numbers; anything else is a setup error.
fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(2)
}

impl RunOptions {
    fn from_args(args: RunArgs, quiet: bool) -> RunOptions {
        RunOptions {
            grid: args.grid,
            data_dir: args.common.data_dir,
            out: args.common.out,
            retry_failed: args.retry_failed,
            fresh: args.fresh,
            fetch: !args.common.no_fetch,
            powercap_root: args.common.powercap_root,
            use_nvml: !args.common.no_nvml,
            shard: args.shard,
            exclusive: args.slurm_exclusive,
            quiet,
            carbon: None,
            schedule: None,
        }
    }
}

impl From<SensorArgs> for EnergyOptions {
    fn from(args: SensorArgs) -> EnergyOptions {
        EnergyOptions {
            powercap_root: args.powercap_root,
            use_nvml: !args.no_nvml,
            sample_hz: args.sample_hz,
            cpu_tdp_w: args.cpu_tdp_w,
            vcpu_min_w: args.vcpu_min_w,
            vcpu_max_w: args.vcpu_max_w,
            gpus: args.gpus,
            state_dir: energy::default_state_dir(),
            thermal_root: energy::default_thermal_root(),
        }
    }
}

impl From<SlurmArgs> for SlurmRequest {
    fn from(args: SlurmArgs) -> SlurmRequest {
        SlurmRequest {
            grid: args.grid,
            out: args.common.out,
            data_dir: args.common.data_dir,
            powercap_root: args.common.powercap_root,
            no_nvml: args.common.no_nvml,
            no_fetch: args.common.no_fetch,
            retry_failed: args.retry_failed,
            now: args.common.now,
            flags: SlurmFlags {
                tasks: args.tasks,
                max_parallel: args.max_parallel,
                partition: args.partition,
                time: args.time,
                cpus_per_task: args.cpus_per_task,
                mem: args.mem,
                gpus: args.gpus,
                exclusive: args.exclusive,
                shared: args.shared,
                account: args.account,
            },
            submit: args.submit,
        }
    }
}

impl From<&BenchArgs> for BenchOptions {
    fn from(args: &BenchArgs) -> BenchOptions {
        BenchOptions {
            models: if args.models.is_empty() {
                ModelKind::ALL.to_vec()
            } else {
                args.models.clone()
            },
            backend: args.backend,
            batch_size: args.batch_size,
            train_limit: args.train_limit,
            test_limit: args.test_limit,
            seed: 0,
            b1_images: args.b1_images,
        }
    }
}

/// `[schedule]`: choose the start, wait for it (`Some(130)`: Ctrl-C came first, nothing ran),
/// and give the sweep the forecast's clock. `scheduled`: Slurm's `--begin` waited already.
fn scheduled_start(
    opts: &mut RunOptions,
    loaded: &plan::Loaded,
    now: Option<chrono::DateTime<chrono::FixedOffset>>,
    scheduled: bool,
) -> Result<Option<u8>> {
    let Some(spec) = &loaded.grid.schedule else {
        if now.is_some() {
            tracing::warn!("--now has no effect: the grid has no [schedule]");
        }
        return Ok(None);
    };
    let forecast = schedule::forecast::read_forecast(spec)?;
    let constant = loaded.grid.energy.carbon_intensity_g_per_kwh;
    opts.carbon = Some(schedule::clock::CarbonClock::new(Some(forecast.clone()), now, constant));
    if scheduled {
        return Ok(None);
    }
    let clock_now = now.unwrap_or_else(schedule::clock::real_now);
    let out = runner::output_dir(&loaded.grid, opts.out.as_deref());
    let choice = schedule::choose::decide(spec, &forecast, &loaded.trials, &out, clock_now)?;
    tracing::info!("{}", choice.line());
    let start = chrono::DateTime::parse_from_rfc3339(&choice.start)?;
    if !schedule::clock::wait_until(start, clock_now)? {
        tracing::warn!("stopped before the scheduled start: nothing ran; running again re-plans");
        return Ok(Some(130));
    }
    opts.schedule = Some(choice);
    Ok(None)
}

/// How often the live report is rebuilt while a sweep runs.
const LIVE_REPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

fn run(args: RunArgs, quiet: bool) -> Result<u8> {
    let (now, scheduled) = (args.common.now, args.scheduled);
    let mut opts = RunOptions::from_args(args, quiet);
    // Loaded once: the schedule's decision and the sweep read the same grid.
    let loaded = plan::load(&opts.grid, opts.shard.as_ref())?;
    if let Some(code) = scheduled_start(&mut opts, &loaded, now, scheduled)? {
        return Ok(code);
    }
    // The live report is rebuilt after the first trial and then at most once a minute (not for a
    // shard, whose report would cover one shard only: `wattsweep merge` builds the whole one):
    // rebuilding it after every trial would make a sweep's cost per trial grow with its length.
    let live = opts.shard.is_none();
    let mut last_live: Option<std::time::Instant> = None;
    let summary = runner::run_sweep(&opts, loaded, &mut |out| {
        if !live || last_live.is_some_and(|t| t.elapsed() < LIVE_REPORT_EVERY) {
            return;
        }
        last_live = Some(std::time::Instant::now());
        if let Err(e) = report::write_live_report(out) {
            tracing::warn!("could not rebuild the live report (the CSVs are complete): {e:#}");
        }
    })?;
    // A shard's report would cover one shard only: `wattsweep merge` builds the whole one.
    if opts.shard.is_none() && summary.planned > 0 {
        let out = &summary.out;
        match report::write_report(out) {
            Ok(_) => tracing::info!("report: {}", out.join("index.html").display()),
            Err(e) => tracing::warn!("could not build the report (the CSVs are complete): {e:#}"),
        }
    }
    if let Some(why) = &summary.budget {
        tracing::warn!(
            "sweep stopped: {why}; the trial that was running is recorded as interrupted, and the same command resumes the sweep"
        );
    }
    tracing::info!(
        "{} trials planned: {} skipped as done, {} ran{}; {} ok, {}{} not ok{}",
        summary.planned,
        summary.skipped,
        summary.ran,
        if summary.pruned > 0 || summary.ran > summary.planned {
            " (halving segments)"
        } else {
            ""
        },
        summary.ok,
        if summary.pruned > 0 { format!("{} pruned, ", summary.pruned) } else { String::new() },
        summary.not_ok,
        if summary.interrupted { "; interrupted" } else { "" }
    );
    Ok(exit_code(summary.exit_code()))
}

fn fetch(args: FetchArgs) -> Result<u8> {
    let dir = args.data_dir.unwrap_or_else(|| args.dataset.default_dir());
    for line in data::fetch(args.dataset, &dir)? {
        println!("{line}");
    }
    Ok(0)
}

fn measure_cmd(args: MeasureArgs) -> Result<u8> {
    if !(args.idle_s.is_finite() && (0.0..=3600.0).contains(&args.idle_s)) {
        anyhow::bail!("--idle-s {}: must be in [0, 3600]", args.idle_s);
    }
    runner::measure(&runner::MeasureOptions {
        argv: args.command,
        out: args.out,
        idle_s: args.idle_s,
        energy: EnergyOptions {
            powercap_root: args.powercap_root,
            use_nvml: !args.no_nvml,
            ..EnergyOptions::default()
        },
    })
}

fn sensors(args: SensorArgs) -> Result<u8> {
    print!("{}", energy::sensors_report(&args.into(), std::time::Duration::from_secs(1)));
    Ok(0)
}

fn plan_cmd(args: PlanArgs) -> Result<u8> {
    let loaded = plan::load(&args.grid, args.shard.as_ref())?;
    let (trials, loaded_grid) = (loaded.trials, loaded.grid);
    let mut out = std::io::stdout().lock();
    match args.format {
        PlanFormat::Text => {
            for t in &trials {
                let cells: Vec<String> = t
                    .spec
                    .setting_cells()
                    .into_iter()
                    .filter(|(k, _)| *k != "config_id")
                    .filter(|(k, v)| *k != "model_settings" || !v.is_empty())
                    .map(|(k, v)| match crate::trial::settings::setting(k) {
                        None => v, // the model's own settings, already `key=value …`
                        Some(_) if !v.is_empty() => format!("{k}={v}"),
                        Some(s) => format!("{k}={}", s.unset),
                    })
                    .collect();
                writeln!(out, "{}  {}", t.id, cells.join(" ").trim_end())?;
            }
            writeln!(out, "{} trials", trials.len())?;
            if let Some(spec) = &loaded_grid.schedule {
                let forecast = schedule::forecast::read_forecast(spec)?;
                let out_dir = runner::output_dir(&loaded_grid, args.out.as_deref());
                let now = args.now.unwrap_or_else(schedule::clock::real_now);
                let choice = schedule::choose::decide(spec, &forecast, &trials, &out_dir, now)?;
                writeln!(out, "{}", choice.line())?;
            }
        }
        PlanFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let header = TrialSpec::defaults(crate::models::ModelKind::Mlp).setting_cells();
            w.write_record(std::iter::once("trial_id").chain(header.iter().map(|(k, _)| *k)))?;
            for t in &trials {
                let cells = t.spec.setting_cells();
                w.write_record(
                    std::iter::once(t.id.clone()).chain(cells.into_iter().map(|(_, v)| v)),
                )?;
            }
            w.flush()?;
        }
    }
    Ok(0)
}

fn bench_cmd(args: BenchArgs) -> Result<u8> {
    let opts = BenchOptions::from(&args);
    opts.backend.check_available().map_err(anyhow::Error::msg)?;
    let dir = args.data_dir.clone().unwrap_or_else(|| args.dataset.default_dir());
    let data = data::load(args.dataset, &dir, true)?;
    let mut out = std::io::stdout().lock();
    // Measured before any model runs, on the same thread pool.
    let peak = kernels::peak::measure();
    let peak_gflops = peak.flops_per_s / 1e9;
    let share = |g: Option<f64>| g.map(|g| g / peak_gflops);
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "fma_peak_gflop_per_s": peak_gflops,
                "fma_peak_threads": peak.threads,
                "fma_peak_isa": peak.isa,
            })
        )?;
    } else {
        writeln!(
            out,
            "fp32 FMA peak, measured: {peak_gflops:.0} GFLOP/s ({} threads, {}, {} lanes)",
            peak.threads, peak.isa, peak.lanes
        )?;
        writeln!(
            out,
            "{:<6} {:>8} {:>14} {:>12} {:>12} {:>13} {:>13} {:>9} {:>9} {:>14}",
            "model",
            "backend",
            "infer runtime",
            "train img/s",
            "eval img/s",
            "infer img/s",
            "b1 latency ms",
            "accuracy",
            "peak MiB",
            "train GFLOP/s"
        )?;
    }
    for model in opts.models.clone() {
        let one = BenchOptions { models: vec![model], ..opts.clone() };
        for r in bench::run(&one, args.dataset, &data) {
            if args.json {
                let mut v = serde_json::to_value(&r)?;
                v["train_share_of_fma_peak"] = share(r.train_gflop_per_s).into();
                writeln!(out, "{v}")?;
            } else {
                let mem = r.peak_rss_mb.map_or("-".into(), |m| format!("{m:.0}"));
                let gflops = match (r.train_gflop_per_s, share(r.train_gflop_per_s)) {
                    (Some(g), Some(s)) => format!("{g:.0} ({:.0} %)", s * 100.0),
                    _ => "-".into(),
                };
                writeln!(
                    out,
                    "{:<6} {:>8} {:>14} {:>12.0} {:>12.0} {:>13.0} {:>13.4} {:>9.4} {:>9} {:>14}",
                    r.model,
                    r.backend,
                    r.infer_runtime,
                    r.train_images_per_s,
                    r.eval_images_per_s,
                    r.infer_images_per_s,
                    r.infer_b1_latency_ms,
                    r.test_accuracy,
                    mem,
                    gflops
                )?;
            }
            out.flush()?;
        }
    }
    Ok(0)
}

fn report_cmd(args: ReportArgs) -> Result<u8> {
    for path in report::write_report(&args.out)? {
        println!("{}", path.display());
    }
    Ok(0)
}

fn compare_cmd(args: CompareArgs) -> Result<u8> {
    print!("{}", report::run_compare(&args.a, &args.b, args.out.as_deref(), args.force)?);
    Ok(0)
}

impl From<ExportFormatArg> for report::ExportFormat {
    fn from(f: ExportFormatArg) -> report::ExportFormat {
        match f {
            ExportFormatArg::Codecarbon => report::ExportFormat::CodeCarbon,
            ExportFormatArg::Openmetrics => report::ExportFormat::OpenMetrics,
        }
    }
}

fn export_cmd(args: ExportArgs) -> Result<u8> {
    println!("{}", report::write_export(&args.out, args.format.into())?.display());
    Ok(0)
}
