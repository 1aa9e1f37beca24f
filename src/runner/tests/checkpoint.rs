//! Checkpoint files: what is written, in which order, what is removed.

use super::*;
use crate::data::{Dataset, synthetic};
use crate::models::ModelKind;
use crate::train::{Hooks, Prepared, TrialData, train_until};
use crate::trial::TrialSpec;

struct Save<'c> {
    c: &'c Checkpoints,
}
impl Hooks for Save<'_> {
    fn epoch_state(&mut self, epoch: usize, model: &Model, optim: &ModuleOptimizer) {
        let saved = Saved {
            epoch,
            attempt_id: "a1".into(),
            started_at: "then".into(),
            totals: Totals { epochs_done: epoch, ..Default::default() },
            row: None,
            power_bytes: None,
            command: false,
        };
        self.c.save("abc", &saved, model, optim).unwrap();
    }
}

#[test]
fn a_checkpoint_keeps_the_last_epoch_only_and_goes_away_whole() {
    let out = tempfile::tempdir().unwrap();
    let c = Checkpoints::new(out.path());
    assert_eq!(c.load("abc").unwrap(), None);
    let norm = Dataset::Mnist.mean_std();
    let data = TrialData {
        train: Prepared::from_split(&synthetic(64, 1), None, norm),
        test: Prepared::from_split(&synthetic(16, 2), None, norm),
    };
    let mut spec = TrialSpec::defaults(ModelKind::Mlp);
    spec.epochs = 3;
    train_until(&spec, None, 2, &data, &mut Save { c: &c });
    let saved = c.load("abc").unwrap().expect("saved after epoch 2");
    assert_eq!(saved.epoch, 2);
    assert_eq!(saved.attempt_id, "a1");
    let mut names: Vec<String> = std::fs::read_dir(out.path().join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["abc.e2.model.bpk", "abc.e2.optim.bpk", "abc.json"],
        "epoch 1's records are gone"
    );
    assert_eq!(c.ids(), vec!["abc".to_string()]);
    // A JSON whose records are missing is an error, not a silent restart.
    std::fs::remove_file(out.path().join("checkpoints/abc.e2.optim.bpk")).unwrap();
    assert!(format!("{:#}", c.load("abc").unwrap_err()).contains("missing"));
    c.remove("abc").unwrap();
    assert!(c.ids().is_empty());
    // A temporary file of a write a kill cut short is no checkpoint.
    std::fs::write(out.path().join("checkpoints/.abc.json.tmp-4242"), "{").unwrap();
    c.remove_dir_if_empty();
    assert!(!out.path().join("checkpoints").exists());
}
