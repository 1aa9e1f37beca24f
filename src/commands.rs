//! One function per subcommand, turning parsed arguments into calls on the library.

use anyhow::{Context, Result};
use std::io::Write;
use wattsweep::cli::{BenchArgs, Command, PlanArgs, PlanFormat, ReportArgs, RunArgs};
use wattsweep::config::load_grid;
use wattsweep::data::{self, Dataset};
use wattsweep::energy::{self, EnergyOptions};
use wattsweep::plan;
use wattsweep::runner::{self, RunOptions};

pub fn dispatch(command: Command, quiet: bool) -> Result<i32> {
    match command {
        Command::Slurm(args) => slurm(args),
        Command::Merge(args) => wattsweep::slurm::merge_command(&args.out),
        Command::Run(args) => run(args, quiet),
        Command::Plan(args) => plan_cmd(args),
        Command::Fetch(args) => {
            let dataset = Dataset::parse(&args.dataset).with_context(|| {
                format!("unknown dataset `{}`; valid: mnist, fashion-mnist", args.dataset)
            })?;
            let dir = args.data_dir.unwrap_or_else(|| dataset.default_dir());
            for line in data::fetch(dataset, &dir)? {
                println!("{line}");
            }
            Ok(0)
        }
        Command::Bench(args) => bench(args),
        Command::Report(args) => report(args),
        Command::Sensors(args) => {
            let opts = EnergyOptions {
                powercap_root: args.powercap_root,
                use_nvml: !args.no_nvml,
                sample_hz: 10.0,
                cpu_tdp_w: args.cpu_tdp_w,
            };
            print!("{}", energy::sensors_report(&opts, std::time::Duration::from_secs(1)));
            Ok(0)
        }
    }
}

fn run(args: RunArgs, quiet: bool) -> Result<i32> {
    let opts = RunOptions {
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
    };
    let summary = runner::run_sweep(&opts)?;
    // A shard's report would cover one shard only: `wattsweep merge` builds the whole one.
    if opts.shard.is_none() && summary.planned > 0 {
        let out = &summary.out;
        match wattsweep::report::write_report(out) {
            Ok(_) => tracing::info!("report: {}", out.join("index.html").display()),
            Err(e) => tracing::warn!("could not build the report (the CSVs are complete): {e:#}"),
        }
    }
    tracing::info!(
        "{} trials planned: {} skipped as done, {} ran; {} ok, {} not ok{}",
        summary.planned,
        summary.skipped,
        summary.ran,
        summary.ok,
        summary.not_ok,
        if summary.interrupted { "; interrupted" } else { "" }
    );
    Ok(summary.exit_code())
}

fn plan_cmd(args: PlanArgs) -> Result<i32> {
    let grid = load_grid(&args.grid)?;
    let trials: Vec<_> = plan::expand(&grid)
        .into_iter()
        .filter(|t| args.shard.is_none_or(|s| s.owns(&t.id)))
        .collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        PlanFormat::Text => {
            for t in &trials {
                let s = &t.spec;
                writeln!(
                    out,
                    "{}  dataset={} model={} optimizer={} learning_rate={} momentum={} batch_size={} epochs={} seed={} backend={} {}",
                    t.id,
                    s.dataset.name(),
                    s.model.name(),
                    s.optimizer.name(),
                    s.learning_rate,
                    s.momentum,
                    s.batch_size,
                    s.epochs,
                    s.seed,
                    s.backend.name(),
                    s.model_settings_text()
                )?;
            }
            writeln!(out, "{} trials", trials.len())?;
        }
        PlanFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "trial_id",
                "dataset",
                "model",
                "optimizer",
                "learning_rate",
                "momentum",
                "weight_decay",
                "batch_size",
                "epochs",
                "train_limit",
                "test_limit",
                "seed",
                "backend",
                "model_settings",
            ])?;
            for t in &trials {
                let s = &t.spec;
                let opt = |o: Option<usize>| o.map(|n| n.to_string()).unwrap_or_default();
                w.write_record([
                    t.id.clone(),
                    s.dataset.name().into(),
                    s.model.name().into(),
                    s.optimizer.name().into(),
                    s.learning_rate.to_string(),
                    s.momentum.to_string(),
                    s.weight_decay.map(|x| x.to_string()).unwrap_or_default(),
                    s.batch_size.to_string(),
                    s.epochs.to_string(),
                    opt(s.train_limit),
                    opt(s.test_limit),
                    s.seed.to_string(),
                    s.backend.name().into(),
                    s.model_settings_text(),
                ])?;
            }
            w.flush()?;
        }
    }
    Ok(0)
}

fn bench(args: BenchArgs) -> Result<i32> {
    use wattsweep::backend::Backend;
    use wattsweep::models::ModelKind;
    let dataset = Dataset::parse(&args.dataset).with_context(|| {
        format!("unknown dataset `{}`; valid: mnist, fashion-mnist", args.dataset)
    })?;
    let backend = Backend::parse(&args.backend).with_context(|| {
        format!("unknown backend `{}`; valid: flex, tch, tch-cuda", args.backend)
    })?;
    backend.check_available().map_err(anyhow::Error::msg)?;
    let models = args
        .models
        .iter()
        .map(|m| {
            ModelKind::parse(m).with_context(|| {
                format!("unknown model `{m}`; valid: mlp, cnn, rnn, lstm, gru, snn")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    anyhow::ensure!(args.batch_size >= 1, "--batch-size must be ≥ 1");
    let dir = args.data_dir.unwrap_or_else(|| dataset.default_dir());
    let data = data::load(dataset, &dir, true)?;
    let opts = wattsweep::bench::BenchOptions {
        models,
        backend,
        batch_size: args.batch_size,
        train_limit: args.train_limit,
        test_limit: args.test_limit,
        seed: 0,
    };
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "{:<6} {:>8} {:>14} {:>14} {:>9} {:>10}",
            "model", "backend", "train img/s", "eval img/s", "accuracy", "peak MiB"
        )?;
    }
    for model in opts.models.clone() {
        let one = wattsweep::bench::BenchOptions { models: vec![model], ..opts.clone() };
        for r in wattsweep::bench::run(&one, dataset, &data) {
            if args.json {
                writeln!(out, "{}", serde_json::to_string(&r)?)?;
            } else {
                let mem = r.peak_rss_mb.map_or("-".into(), |m| format!("{m:.0}"));
                writeln!(
                    out,
                    "{:<6} {:>8} {:>14.0} {:>14.0} {:>9.4} {:>10}",
                    r.model,
                    r.backend,
                    r.train_images_per_s,
                    r.eval_images_per_s,
                    r.test_accuracy,
                    mem
                )?;
            }
            out.flush()?;
        }
    }
    Ok(0)
}

fn report(args: ReportArgs) -> Result<i32> {
    let results = args.out.join("results.csv");
    anyhow::ensure!(
        results.exists() || args.out.join("shards").is_dir(),
        "{}: no results.csv here (and no shards/)",
        args.out.display()
    );
    for path in wattsweep::report::write_report(&args.out)? {
        println!("{}", path.display());
    }
    Ok(0)
}

fn slurm(args: wattsweep::cli::SlurmArgs) -> Result<i32> {
    wattsweep::slurm::slurm_command(&wattsweep::slurm::SlurmRequest {
        grid: args.grid,
        out: args.common.out,
        data_dir: args.common.data_dir,
        powercap_root: args.common.powercap_root,
        no_nvml: args.common.no_nvml,
        no_fetch: args.common.no_fetch,
        retry_failed: args.retry_failed,
        flags: wattsweep::slurm::SlurmFlags {
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
    })
}
