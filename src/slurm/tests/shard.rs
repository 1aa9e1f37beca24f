//! Shard assignment over real plans (`config::parse::parse_grid` + `plan::expand`): each trial in exactly
//! one shard, every shard count; a trial keeps its shard when the grid grows; and a grid's
//! `[slurm]` table, as the grid parser keeps it, resolves into the script settings.

use crate::config::parse::parse_grid;
use crate::plan::{Trial, expand};
use crate::shard::Shard;
use crate::slurm::settings::{SlurmFlags, resolve};
use std::collections::HashMap;
use std::path::Path;

fn plan(text: &str) -> Vec<Trial> {
    match parse_grid(Path::new("t.toml"), text) {
        Ok(g) => expand(&g),
        Err(e) => panic!("{e}"),
    }
}

const GRID: &str = "epochs = 1\n[grid]\nmodel = [\"mlp\", \"cnn\", \"gru\"]\nlearning_rate = [0.1, 0.01, 0.001]\nbatch_size = [32, 64]\nseed = [0, 1, 2]\n";

#[test]
fn each_trial_is_in_exactly_one_shard() {
    let trials = plan(GRID);
    assert_eq!(trials.len(), 54);
    for n in 1..=12u64 {
        let mut union = Vec::new();
        for i in 0..n {
            let s = Shard { index: i, count: n };
            union.extend(trials.iter().filter(|t| s.owns(&t.id)).map(|t| t.id.clone()));
        }
        union.sort();
        let mut all: Vec<String> = trials.iter().map(|t| t.id.clone()).collect();
        all.sort();
        assert_eq!(union, all, "N = {n}: shards must partition the plan");
    }
    // Ids are hex, so assignment uses the id itself, not the byte-hash fallback.
    assert!(trials.iter().all(|t| u64::from_str_radix(&t.id, 16).is_ok()));
}

#[test]
fn shards_are_not_lopsided() {
    let trials = plan(GRID);
    let mut sizes = [0usize; 4];
    for t in &trials {
        sizes[Shard::of(&t.id, 4) as usize] += 1;
    }
    // 54 trials in 4 shards: a hash split, not a perfect one, but no shard is empty or half.
    assert!(sizes.iter().all(|&s| (4..=27).contains(&s)), "{sizes:?}");
}

#[test]
fn a_trial_keeps_its_shard_when_the_grid_grows() {
    let before = plan(GRID);
    let grown = plan(
        &GRID
            .replace("[0.1, 0.01, 0.001]", "[0.0001, 0.1, 0.01, 0.001, 0.3]")
            .replace("seed = [0, 1, 2]", "seed = [0, 1, 2, 3]"),
    );
    assert!(grown.len() > before.len());
    let index: HashMap<&str, &Trial> = grown.iter().map(|t| (t.id.as_str(), t)).collect();
    for t in &before {
        assert!(index.contains_key(t.id.as_str()), "{} left the plan", t.id);
        for n in 1..=12 {
            assert_eq!(Shard::of(&t.id, n), Shard::of(&index[t.id.as_str()].id, n));
        }
    }
}

#[test]
fn the_grid_slurm_table_resolves() {
    let text = format!(
        "{GRID}[slurm]\ntasks = 3\nmax_parallel = 2\npartition = \"cpu\"\ntime = \"2:00:00\"\ncpus_per_task = 4\nmem = \"8G\"\ngpus = 0\nshared = true\naccount = \"lab\"\n"
    );
    let grid = match parse_grid(Path::new("t.toml"), &text) {
        Ok(g) => g,
        Err(e) => panic!("{e}"),
    };
    let s = resolve(&SlurmFlags::default(), &grid.slurm, expand(&grid).len()).unwrap();
    assert_eq!((s.tasks, s.max_parallel, s.exclusive), (3, 2, false));
    assert_eq!(
        (s.partition.as_deref(), s.time.as_deref(), s.mem.as_deref(), s.account.as_deref()),
        (Some("cpu"), Some("2:00:00"), Some("8G"), Some("lab"))
    );
    let s = resolve(
        &SlurmFlags { exclusive: true, tasks: Some(6), ..Default::default() },
        &grid.slurm,
        54,
    )
    .unwrap();
    assert_eq!((s.tasks, s.max_parallel, s.exclusive), (6, 2, true));
}

#[test]
fn under_halving_a_configurations_seeds_share_a_shard() {
    let text = format!("{GRID}[search]\nstrategy = \"halving\"\n");
    let g = parse_grid(Path::new("t.toml"), &text).unwrap();
    let trials = expand(&g);
    for n in [2u64, 3, 5] {
        let mut shard_of: HashMap<String, u64> = HashMap::new();
        let mut owned = 0;
        for i in 0..n {
            let s = Shard { index: i, count: n };
            for t in trials.iter().filter(|t| crate::plan::shard_owns(&g, &s, t)) {
                owned += 1;
                let prev = shard_of.insert(t.spec.config_id(), i);
                assert!(
                    prev.is_none_or(|p| p == i),
                    "N = {n}: a configuration split across shards"
                );
            }
        }
        assert_eq!(owned, trials.len(), "N = {n}: every trial in one shard");
        assert_eq!(shard_of.len(), 18, "54 trials = 18 configurations × 3 seeds");
    }
}
