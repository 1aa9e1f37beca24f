//! The rung loop with a fake trainer: what is written when a configuration is pruned or out,
//! and that a run stopped between rungs resumes to the same rows and decisions.

use super::*;
use crate::config::{Objective, parse::parse_grid};
use crate::runner::checkpoint::Saved;
use crate::runner::totals::Totals;

/// Accuracy of a fake trial after `epochs`: better with a larger learning rate, growing.
fn accuracy(t: &Trial, epochs: usize) -> f64 {
    (t.spec.learning_rate * 100.0 + epochs as f64 / 100.0).min(0.99)
}

/// Trains nothing: writes the checkpoint a paused trial would have, or ends the trial.
fn fake_run(out: &Path, t: &Trial, seg: Segment, diverging: (f64, u64)) -> Result<ResultRow> {
    let mut row = ResultRow {
        trial_id: t.id.clone(),
        config_id: t.spec.config_id(),
        epochs: t.spec.epochs,
        epochs_trained: Some(seg.until),
        test_accuracy: Some(accuracy(t, seg.until)),
        energy_j: Some(seg.until as f64),
        attempt_id: "a".into(),
        ..Default::default()
    };
    if (t.spec.learning_rate, t.spec.seed) == diverging {
        row.status = "diverged".into();
        return Ok(row);
    }
    let c = Checkpoints::new(out);
    if seg.until < t.spec.epochs {
        row.status = PAUSED.into();
        std::fs::create_dir_all(out.join("checkpoints"))?;
        let (m, o) = c.records(&t.id, seg.until);
        std::fs::write(m, b"model")?;
        std::fs::write(o, b"optim")?;
        let totals = Totals { epochs_done: seg.until, ..Default::default() };
        let saved = Saved {
            epoch: seg.until,
            attempt_id: "a".into(),
            started_at: String::new(),
            totals,
            row: Some(row.clone()),
            power_bytes: None,
            command: false,
        };
        c.update(&t.id, &saved)?;
    } else {
        row.status = "ok".into();
    }
    Ok(row)
}

const GRID: &str = "epochs = 9\nmodel = \"mlp\"\nseeds = [0, 1]\n[search]\nstrategy = \"halving\"\neta = 2\nkeep_within_noise = false\n[grid]\nlearning_rate = [0.001, 0.002, 0.003, 0.004]\n";

fn run_fake(out: &Path, diverging: (f64, u64)) -> (Ended, HashMap<String, ResultRow>) {
    let grid = parse_grid(Path::new("g.toml"), GRID).unwrap();
    let Search::Halving(h) = grid.search else { panic!("halving") };
    assert_eq!(h.objective, Objective::Accuracy);
    let trials = crate::plan::expand(&grid);
    let (results, _) = CsvLog::<ResultRow>::open(&out.join("results.csv")).unwrap();
    let (epochs, _) = CsvLog::<EpochRow>::open(&out.join("epochs.csv")).unwrap();
    let interrupt = Interrupt::install(std::env::temp_dir()).unwrap();
    let budget = BudgetState::new(Default::default());
    let ctx =
        Ctx { out, h, results: &results, epochs: &epochs, interrupt: &interrupt, budget: &budget };
    let mut rows: HashMap<String, ResultRow> =
        crate::results::latest_by_id(results.read_all().unwrap());
    let mut progress = Progress::new(0, true);
    let ended = run(
        &ctx,
        &trials,
        &mut rows,
        &mut |t, seg, _| fake_run(out, t, seg, diverging),
        &mut progress,
        &mut |_| {},
    )
    .unwrap();
    (ended, rows)
}

use crate::config::Search;

#[test]
fn a_diverged_seed_puts_its_configuration_out_and_ends_its_siblings() {
    let dir = tempfile::tempdir().unwrap();
    // lr 0.004 (the best) seed 1 diverges at rung 1.
    let (_, rows) = run_fake(dir.path(), (0.004, 1));
    assert_eq!(rows.len(), 8, "every trial has a row");
    let status = |lr: f64, seed: u64| {
        rows.values()
            .find(|r| {
                r.epochs == 9 && {
                    let t = crate::plan::expand(&parse_grid(Path::new("g.toml"), GRID).unwrap());
                    t.iter().any(|t| {
                        t.id == r.trial_id && t.spec.learning_rate == lr && t.spec.seed == seed
                    })
                }
            })
            .map(|r| (r.status.clone(), r.error.clone().unwrap_or_default()))
            .unwrap()
    };
    assert_eq!(status(0.004, 1).0, "diverged");
    let (s, why) = status(0.004, 0);
    assert_eq!(s, "pruned");
    assert!(why.contains("configuration is out") && why.contains("did not finish ok"), "{why}");
    // 4 configurations, one out: 3 race, ⌊3/2⌋ = 1 goes on (0.003), then alone to 9 epochs.
    assert_eq!(status(0.003, 0).0, "ok");
    assert_eq!(status(0.003, 1).0, "ok");
    assert_eq!(status(0.002, 0).0, "pruned");
    assert!(!dir.path().join("checkpoints").exists(), "no checkpoint left behind");
    let d = read_decisions(dir.path()).unwrap();
    let rung1: Vec<&str> = d.iter().filter(|d| d.rung == 1).map(|d| d.decision.as_str()).collect();
    assert_eq!(rung1, vec!["pruned", "pruned", "continue", "out"]);
}

#[test]
fn decisions_for_other_search_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    run_fake(dir.path(), (0.0, 99));
    // The same grid with eta 3 and min_epochs 2: the recorded rungs no longer fit.
    let grid = parse_grid(Path::new("g.toml"), &GRID.replace("eta = 2", "eta = 3\nmin_epochs = 2"))
        .unwrap();
    let Search::Halving(h) = grid.search else { panic!("halving") };
    let trials = crate::plan::expand(&grid);
    let configs = configurations(&trials);
    let err = check_recorded(&read_decisions(dir.path()).unwrap(), &configs, &h).unwrap_err();
    assert!(format!("{err}").contains("other [search] settings"), "{err}");
}
