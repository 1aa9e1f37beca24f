use super::grid::GridErrors;
use super::parse::parse_grid;
use super::*;
use crate::names::Named;
use crate::plan::expand;
use std::path::Path;

fn parse(text: &str) -> Result<Grid, GridErrors> {
    parse_grid(Path::new("experiments/t.toml"), text)
}

fn problems(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.problems.iter().map(|p| format!("{}: {}", p.key, p.message)).collect(),
    }
}

#[test]
fn cross_product_order_and_ids_are_pinned() {
    let g =
        parse("name = \"t\"\n[grid]\nmodel = [\"mlp\", \"cnn\"]\nlearning_rate = [0.001, 0.01]\n")
            .unwrap();
    let trials = expand(&g);
    let got: Vec<(String, &str, f64)> =
        trials.iter().map(|t| (t.id.clone(), t.spec.model.name(), t.spec.learning_rate)).collect();
    // model is expanded outside learning_rate whatever the file order; ids are content hashes.
    assert_eq!(
        got.iter().map(|g| (g.1, g.2)).collect::<Vec<_>>(),
        vec![("mlp", 0.001), ("mlp", 0.01), ("cnn", 0.001), ("cnn", 0.01)]
    );
    assert_eq!(
        trials[0].spec.canonical(),
        "dataset=mnist;model=mlp;optimizer=adam;learning_rate=0.001;momentum=0.0;weight_decay=default;batch_size=64;epochs=1;train_limit=all;test_limit=all;backend=flex;seed=0;models.mlp.hidden=512"
    );
    assert_eq!(
        trials[0].id, "f45c5795e65e",
        "trial ids are a contract: changing them orphans every results.csv"
    );
    assert!(trials.iter().all(|t| t.id.len() == 12));
}

#[test]
fn ids_survive_reordering_and_new_axis_values() {
    let a = expand(
        &parse("[grid]\nmodel = [\"mlp\", \"cnn\"]\nlearning_rate = [0.001, 0.01]\n").unwrap(),
    );
    let b = expand(
        &parse("[grid]\nlearning_rate = [0.01, 0.001, 0.1]\nmodel = [\"cnn\", \"mlp\"]\n").unwrap(),
    );
    for t in &a {
        assert!(b.iter().any(|u| u.id == t.id && u.spec == t.spec), "{} lost", t.id);
    }
    assert_eq!(b.len(), 6);
    // 1e-3 and 0.001 are the same value and so the same trial.
    let c = expand(&parse("[grid]\nmodel = [\"mlp\"]\nlearning_rate = [1e-3]\n").unwrap());
    assert_eq!(c[0].id, a[0].id);
}

#[test]
fn include_adds_and_exclude_drops_partial_matches() {
    let g = parse(
        "[grid]\nmodel = [\"mlp\", \"cnn\"]\noptimizer = [\"adam\", \"sgd\"]\n\
         [[exclude]]\nmodel = \"cnn\"\noptimizer = \"sgd\"\n\
         [[include]]\nmodel = \"snn\"\nlearning_rate = 0.0005\nmodels.snn.steps = 10\n",
    )
    .unwrap();
    let t = expand(&g);
    let names: Vec<(&str, &str)> =
        t.iter().map(|t| (t.spec.model.name(), t.spec.optimizer.name())).collect();
    assert_eq!(names, vec![("mlp", "adam"), ("mlp", "sgd"), ("cnn", "adam"), ("snn", "adam")]);
    assert_eq!(t[3].spec.learning_rate, 0.0005);
    assert_eq!(
        t[3].spec.model_settings_text(),
        "hidden=512 steps=10 beta=0.9 threshold=1.0 surrogate=atan alpha=2.0"
    );
}

#[test]
fn seeds_repeat_each_combination_innermost() {
    let t = expand(&parse("seeds = [1, 2]\n[grid]\nmodel = [\"mlp\", \"cnn\"]\n").unwrap());
    let got: Vec<(&str, u64)> = t.iter().map(|t| (t.spec.model.name(), t.spec.seed)).collect();
    assert_eq!(got, vec![("mlp", 1), ("mlp", 2), ("cnn", 1), ("cnn", 2)]);
}

#[test]
fn model_settings_apply_only_to_their_model() {
    let g = parse("[grid]\nmodel = [\"mlp\", \"snn\"]\n[grid.models.snn]\nsteps = [5, 25]\n[models.mlp]\nhidden = 64\n").unwrap();
    let t = expand(&g);
    // mlp is not multiplied by the snn axis (duplicates collapse by id).
    assert_eq!(t.len(), 3);
    assert_eq!(t[0].spec.model_settings_text(), "hidden=64");
    assert_eq!(
        t[1].spec.model_settings_text(),
        "hidden=512 steps=5 beta=0.9 threshold=1.0 surrogate=atan alpha=2.0"
    );
}

#[test]
fn typo_gets_the_nearest_name() {
    let p = problems("lerning_rate = 0.1\n[grid]\nmodel = [\"mlp\"]\n");
    assert_eq!(p.len(), 1);
    assert!(
        p[0].contains("lerning_rate") && p[0].contains("did you mean `learning_rate`"),
        "{p:?}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let p = problems(
        "epochs = 0\nbatch_size = \"big\"\ndataset = \"cifar\"\n[grid]\nmodel = [\"mlp\", \"transformer\"]\n\
         optimizer = [\"adamm\"]\nlearning_rate = [0.1, -0.1]\nseed = []\n",
    );
    let all = p.join("\n");
    for needle in [
        "epochs = 0: must be ≥ 1",
        "batch_size = \"big\": must be a whole number",
        "dataset = \"cifar\": unknown name",
        "grid.model[1] = \"transformer\": unknown name",
        "grid.optimizer[0] = \"adamm\": unknown name; valid: adam, adamw, sgd, rmsprop (did you mean `adam`?)",
        "grid.learning_rate[1] = -0.1: must be > 0",
        "grid.seed: empty list",
    ] {
        assert!(all.contains(needle), "missing `{needle}` in:\n{all}");
    }
    assert_eq!(p.len(), 7, "{all}");
}

#[test]
fn wrong_types_and_misplaced_lists() {
    let p = problems("learning_rate = [0.1, 0.2]\n[grid]\nmodel = \"mlp\"\nepochs = [1.5]\n[energy]\nsample_hz = -1\nidle = 3\n").join("\n");
    assert!(p.contains("learning_rate: a list at top level is not allowed"), "{p}");
    assert!(
        p.contains("grid.epochs[0] = 1.5: must be a whole number (an integer), not a float"),
        "{p}"
    );
    assert!(p.contains("energy.sample_hz = -1: must be in (0, 1000]"), "{p}");
    assert!(p.contains("energy.idle: unknown key (did you mean `idle_s`?)"), "{p}");
}

#[test]
fn toml_syntax_error_has_line_and_column() {
    let p = problems("name = \"x\"\n[grid]\nmodel = [\"mlp\",\n");
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("TOML syntax error at line"), "{p:?}");
    let e = parse("a = 1\nb = = 2\n").unwrap_err().to_string();
    assert!(e.contains("experiments/t.toml") && e.contains("line 2, column"), "{e}");
}

#[test]
fn unknown_model_setting_and_bad_values() {
    let p = problems(
        "[grid]\nmodel = [\"snn\"]\n[models.snn]\nstep = 3\nbeta = 1.5\n[models.rnm]\nhidden = 3\n",
    )
    .join("\n");
    assert!(
        p.contains("models.snn.step: unknown snn setting") && p.contains("did you mean `steps`"),
        "{p}"
    );
    assert!(p.contains("models.snn.beta = 1.5: must be in (0, 1]"), "{p}");
    assert!(
        p.contains("models.rnm: unknown model `rnm`") && p.contains("did you mean `rnn`"),
        "{p}"
    );
}

#[test]
fn a_grid_needs_a_model() {
    let p = problems("epochs = 1\n");
    assert!(p[0].contains("no model to train"), "{p:?}");
}

#[test]
fn an_include_without_model_beside_a_model_axis_is_a_problem_not_an_mlp() {
    let p = problems(
        "[grid]\nmodel = [\"cnn\", \"rnn\"]\n[[include]]\nlearning_rate = 0.1\n[[include]]\nmodel = \"snn\"\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("include[0]: no model"), "{p:?}");
    // A top-level `model` does reach the includes.
    let grid = parse(
        "model = \"cnn\"\n[grid]\nlearning_rate = [0.01]\n[[include]]\nlearning_rate = 0.1\n",
    )
    .unwrap();
    let trials = expand(&grid);
    assert!(trials.iter().all(|t| t.spec.model == crate::models::ModelKind::Cnn), "{trials:?}");
}

#[test]
fn repeats_run_each_configuration_n_times_and_repeat_zero_keeps_the_id() {
    let base = expand(&parse("model = \"mlp\"\n[grid]\nlearning_rate = [0.1, 0.01]\n").unwrap());
    let grid =
        parse("model = \"mlp\"\nrepeats = 3\n[grid]\nlearning_rate = [0.1, 0.01]\n").unwrap();
    let trials = expand(&grid);
    assert_eq!(trials.len(), 6);
    let repeats: Vec<u64> = trials.iter().map(|t| t.spec.repeat).collect();
    assert_eq!(repeats, [0, 1, 2, 0, 1, 2], "repeat is the innermost axis");
    assert_eq!(trials[0].id, base[0].id, "repeat 0 is today's trial");
    assert_eq!(trials[3].id, base[1].id);
    assert_ne!(trials[1].id, trials[0].id);
    assert_eq!(trials[1].spec.config_id(), trials[0].spec.config_id());
    assert_ne!(trials[3].spec.config_id(), trials[0].spec.config_id());
    // Seeds are part of the trial, not of the configuration.
    let seeded = expand(&parse("model = \"mlp\"\nseeds = [1, 2]\n").unwrap());
    assert_eq!(seeded[0].spec.config_id(), seeded[1].spec.config_id());
}

#[test]
fn repeats_must_be_a_positive_whole_number_given_once() {
    for bad in ["repeats = 0", "repeats = -2", "repeats = 1.5", "repeats = \"3\""] {
        let p = problems(&format!("model = \"mlp\"\n{bad}\n"));
        assert!(p.len() == 1 && p[0].starts_with("repeats = "), "{bad}: {p:?}");
    }
    let p = problems("model = \"mlp\"\nrepeats = 2\n[grid]\nrepeat = [0, 1]\n");
    assert!(p.iter().any(|m| m.contains("keep one")), "{p:?}");
}

#[test]
fn energy_settings_for_the_estimate_and_background_load_are_checked() {
    let g = parse("model = \"mlp\"\n[energy]\nvcpu_min_w = 0.5\nvcpu_max_w = 3\nmax_other_cpu_share = 0.1\non_background_load = \"rerun\"\n").unwrap();
    assert_eq!((g.energy.vcpu_min_w, g.energy.vcpu_max_w), (Some(0.5), Some(3.0)));
    assert_eq!(g.energy.max_other_cpu_share, 0.1);
    assert_eq!(g.energy.on_background_load, crate::config::BackgroundLoad::Rerun);
    let p = problems("model = \"mlp\"\n[energy]\nvcpu_min_w = 2.0\nvcpu_max_w = 1.0\n");
    assert!(
        p.len() == 1 && p[0].starts_with("energy.vcpu_max_w = 1: must be ≥ energy.vcpu_min_w"),
        "{p:?}"
    );
    let p = problems(
        "model = \"mlp\"\n[energy]\nmax_other_cpu_share = -0.1\non_background_load = \"retry\"\n",
    );
    assert!(
        p.iter().any(|m| m.starts_with("energy.max_other_cpu_share = -0.1: must be in [0, 1]")),
        "{p:?}"
    );
    assert!(
        p.iter().any(|m| m.starts_with("energy.on_background_load = \"retry\": must be")),
        "{p:?}"
    );
}

#[test]
fn threads_is_a_setting_whose_default_keeps_the_ids() {
    let base = expand(&parse("model = \"mlp\"\n").unwrap());
    let grid = parse("model = \"mlp\"\n[grid]\nthreads = [1, 2]\n").unwrap();
    let t = expand(&grid);
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].spec.threads, t[1].spec.threads), (Some(1), Some(2)));
    assert!(t.iter().all(|x| x.id != base[0].id), "a set thread count is part of the id");
    assert_ne!(t[0].spec.config_id(), t[1].spec.config_id(), "and of the configuration");
    assert_eq!(base[0].spec.threads, None);
    let p = problems("model = \"mlp\"\nthreads = 0\n");
    assert!(p.len() == 1 && p[0].starts_with("threads = 0: must be ≥ 1"), "{p:?}");
}

#[test]
fn budgets_must_be_positive_numbers() {
    let g = parse("model = \"mlp\"\n[budget]\nmax_energy_j = 500\nmax_time_s = 3600.5\n").unwrap();
    assert_eq!((g.budget.max_energy_j, g.budget.max_time_s), (Some(500.0), Some(3600.5)));
    let p =
        problems("model = \"mlp\"\n[budget]\nmax_energy_j = 0\nmax_time_s = -5\nmax_joules = 3\n");
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p.iter().any(|m| m.starts_with("budget.max_energy_j = 0: must be > 0")), "{p:?}");
    assert!(p.iter().any(|m| m.starts_with("budget.max_time_s = -5: must be > 0")), "{p:?}");
    assert!(p.iter().any(|m| m.starts_with("budget.max_joules: unknown key")), "{p:?}");
}

#[test]
fn a_gpu_power_limit_is_an_axis_in_watts() {
    let t = expand(&parse("model = \"mlp\"\n[grid]\ngpu_power_limit_w = [150, 250.5]\n").unwrap());
    assert_eq!(
        (t[0].spec.gpu_power_limit_w, t[1].spec.gpu_power_limit_w),
        (Some(150.0), Some(250.5))
    );
    assert_ne!(t[0].id, expand(&parse("model = \"mlp\"\n").unwrap())[0].id);
    let p = problems("model = \"mlp\"\ngpu_power_limit_w = 0\n");
    assert!(
        p.len() == 1 && p[0].starts_with("gpu_power_limit_w = 0: must be in (0, 10000]"),
        "{p:?}"
    );
}

#[test]
fn search_settings_parse_and_default() {
    use crate::config::{Halving, Objective, Search};
    let g = parse("model = \"mlp\"\n").unwrap();
    assert_eq!(g.search, Search::Grid);
    let g = parse("model = \"mlp\"\n[search]\nstrategy = \"halving\"\n").unwrap();
    assert_eq!(
        g.search,
        Search::Halving(Halving {
            min_epochs: 1,
            eta: 3,
            objective: Objective::Accuracy,
            keep_within_noise: true,
            max_keep: None
        })
    );
    let g = parse("model = \"mlp\"\n[search]\nstrategy = \"halving\"\nmin_epochs = 2\neta = 4\nobjective = \"pareto\"\n").unwrap();
    assert_eq!(
        g.search,
        Search::Halving(Halving {
            min_epochs: 2,
            eta: 4,
            objective: Objective::Pareto,
            keep_within_noise: true,
            max_keep: None
        })
    );
    let e = parse("model = \"mlp\"\n[search]\nstrategy = \"halving\"\nobjective = \"joules_per_acuracy_point\"\nfoo = 1\n").unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("search.objective")
            && text.contains("did you mean `joules_per_accuracy_point`"),
        "{text}"
    );
    assert!(text.contains("search.foo: unknown key"), "{text}");
}

#[test]
fn built_in_ids_stay_pinned_beside_command_trials() {
    let g = parse(
        "optimizer = \"sgd\"\nlearning_rate = 0.1\nmomentum = 0.9\nepochs = 3\ntrain_limit = 2000\nseed = 1\nthreads = 2\nrepeat = 1\nhidden = 7\n[grid]\nbackend = [\"flex\", \"command\"]\nmodel = [\"mlp\"]\n[command]\nargv = [\"prog\", \"{hidden}\"]\n",
    )
    .unwrap();
    let trials = expand(&g);
    assert_eq!(trials.len(), 2);
    // The key only the command uses is no part of the built-in trial: its id is the one this
    // grid gave before commands existed.
    assert_eq!(
        trials[0].spec.canonical(),
        "dataset=mnist;model=mlp;optimizer=sgd;learning_rate=0.1;momentum=0.9;weight_decay=default;batch_size=64;epochs=3;train_limit=2000;test_limit=all;backend=flex;seed=1;threads=2;repeat=1;models.mlp.hidden=512"
    );
    assert_eq!(trials[0].id, "2a2a76817fab");
    let c = &trials[1].spec;
    assert!(c.is_command());
    let digest = g.command.as_ref().unwrap().digest.clone();
    assert_eq!(
        c.canonical(),
        format!(
            "dataset=mnist;model=mlp;optimizer=sgd;learning_rate=0.1;momentum=0.9;weight_decay=default;batch_size=64;epochs=3;train_limit=2000;test_limit=all;backend=command;seed=1;threads=2;repeat=1;command={digest};hidden=7"
        )
    );
}

#[test]
fn an_include_may_switch_the_backend_without_losing_settings_or_the_command() {
    let g = parse(
        "backend = \"flex\"\nmodel = \"mlp\"\nhidden = 64\ndataset = \"fashion-mnist\"\n[[include]]\nbackend = \"command\"\nmodel = \"mine\"\n[command]\nargv = [\"prog\", \"{hidden}\", \"{dataset}\"]\n",
    )
    .unwrap();
    let trials = expand(&g);
    assert_eq!(trials.len(), 2);
    assert!(!trials[0].spec.is_command());
    assert_eq!(trials[0].spec.named_setting("dataset"), "fashion-mnist");
    let c = &trials[1].spec;
    assert!(c.is_command());
    assert_eq!(c.command.as_deref(), Some(g.command.as_ref().unwrap().digest.as_str()));
    assert_eq!(c.model_name(), "mine");
    assert_eq!(c.named_setting("dataset"), "fashion-mnist");
    assert_eq!(c.model_settings_text(), "hidden=64");
}

#[test]
fn an_exclude_pairs_a_command_only_model_with_the_command_backend() {
    let text = "[grid]\nbackend = [\"flex\", \"command\"]\nmodel = [\"mlp\", \"resnet\"]\n[command]\nargv = [\"prog\", \"{model}\"]\n";
    let g = parse(text).unwrap();
    assert!(crate::plan::expand_checked(&g).is_err(), "flex + resnet must be refused");
    let g = parse(&format!("{text}[[exclude]]\nbackend = \"flex\"\nmodel = \"resnet\"\n")).unwrap();
    let trials = crate::plan::expand_checked(&g).unwrap();
    let got: Vec<(bool, String)> =
        trials.iter().map(|t| (t.spec.is_command(), t.spec.model_name())).collect();
    assert_eq!(got, vec![(false, "mlp".into()), (true, "mlp".into()), (true, "resnet".into())]);
}

#[test]
fn free_values_cannot_pass_for_other_settings_in_the_id() {
    let g = parse(
        "backend = \"command\"\n[grid]\ntag = [\"a;seed=3\", \"a%3Bseed%3D3\"]\n[command]\nargv = [\"prog\", \"{tag}\"]\n",
    )
    .unwrap();
    let trials = expand(&g);
    assert_eq!(trials.len(), 2);
    assert_ne!(trials[0].id, trials[1].id);
    assert!(trials[0].spec.canonical().ends_with(";tag=a%3Bseed%3D3"));
    assert_ne!(trials[0].spec.config_id(), trials[1].spec.config_id());
}

#[test]
fn keys_wattsweep_sets_itself_are_reserved() {
    let all =
        problems("backend = \"command\"\nout = \"x\"\n[command]\nargv = [\"prog\", \"{out}\"]\n");
    assert!(
        all.iter().any(|p| p.contains("out: is reserved: wattsweep sets WATTSWEEP_OUT")),
        "{all:?}"
    );
}
