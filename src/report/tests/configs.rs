//! Grouping trials into configurations and the summary.csv they give.

use super::*;
use crate::report::analysis::fixtures::{failed, row};

fn repeat(id: &str, config: &str, energy: f64, time: f64) -> ResultRow {
    let mut r = row(id, "mlp", Some(0.95), time, Some(energy));
    r.config_id = config.into();
    r
}

#[test]
fn trials_of_one_configuration_are_summarised_together() {
    let mut bad = failed("t4", "failed", "panic");
    bad.config_id = "c1".into();
    let rows = vec![
        repeat("t1", "c1", 100.0, 10.0),
        repeat("t2", "c1", 110.0, 11.0),
        repeat("u1", "c2", 50.0, 5.0),
        repeat("t3", "c1", 120.0, 12.0),
        bad,
    ];
    let configs = configurations(&rows);
    assert_eq!(configs.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c1", "c2"]);
    assert_eq!(
        (configs[0].trials.len(), configs[0].ok.len()),
        (4, 3),
        "failed trials do not count"
    );
    let e = configs[0].summary("energy_j").unwrap();
    assert_eq!((e.n, e.mean, e.min, e.max), (3, 110.0, 100.0, 120.0));
    assert!((e.sd.unwrap() - 10.0).abs() < 1e-9);

    let csv = String::from_utf8(summary_csv(&configs).unwrap()).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let col =
        |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}"));
    for m in METRICS {
        for s in ["mean", "sd", "ci95", "min", "max"] {
            col(&format!("{m}_{s}"));
        }
    }
    let recs: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), 2);
    assert_eq!(&recs[0][col("config_id")], "c1");
    assert_eq!((&recs[0][col("n")], &recs[0][col("trials")]), ("3", "4"));
    assert_eq!(&recs[0][col("energy_j_mean")], "110");
    // t(0.975, 2) · 10 / √3 = 24.841377
    let ci: f64 = recs[0][col("energy_j_ci95")].parse().unwrap();
    assert!((ci - 24.841377).abs() < 1e-5, "{ci}");
    assert_eq!(&recs[1][col("energy_j_sd")], "", "n = 1: no sd");
    assert_eq!(&recs[1][col("energy_j_ci95")], "", "n = 1: no interval");
    assert_eq!(&recs[1][col("energy_j_mean")], "50");
}

#[test]
fn rows_without_config_id_group_by_their_recorded_settings() {
    let mut a = row("a", "mlp", Some(0.9), 1.0, Some(10.0));
    let mut b = a.clone();
    b.trial_id = "b".into();
    b.seed = 7;
    let mut c = a.clone();
    c.trial_id = "c".into();
    c.learning_rate = 0.01;
    a.config_id.clear();
    let rows = [a, b, c];
    let configs = configurations(&rows);
    assert_eq!(configs.len(), 2, "seeds share a configuration, another lr does not");
    assert_eq!(configs[0].ok.len(), 2);
    assert_eq!(configs[0].id.len(), 12);
}

#[test]
fn each_metric_has_its_own_count_appended_after_the_frozen_columns() {
    // Three ok trials; one reported no accuracy (a command trial without an accuracy event):
    // `n` is 3 but accuracy and J/pt rest on 2 values each, and say so.
    let mut blind = repeat("t3", "c1", 120.0, 12.0);
    blind.test_accuracy = None;
    blind.joules_per_accuracy_point = None;
    let rows = vec![repeat("t1", "c1", 100.0, 10.0), repeat("t2", "c1", 110.0, 11.0), blind];
    let csv = String::from_utf8(summary_csv(&configurations(&rows)).unwrap()).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let rec = rdr.records().next().unwrap().unwrap();
    let cell = |name: &str| &rec[header.iter().position(|h| h == name).unwrap()];
    assert_eq!(cell("n"), "3");
    assert_eq!((cell("energy_j_n"), cell("train_time_s_n")), ("3", "3"));
    assert_eq!((cell("test_accuracy_n"), cell("joules_per_accuracy_point_n")), ("2", "2"));
    // The columns readers index stay where they were: the counts come after train_limit and
    // test_limit, which came after the metrics.
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(at("n"), 17);
    assert_eq!(at("mean_power_w_max") + 1, at("train_limit"));
    assert_eq!(at("test_limit") + 1, at("test_accuracy_n"));
    let counts: Vec<&str> = header[at("test_accuracy_n")..].iter().map(String::as_str).collect();
    assert_eq!(
        &counts[..5],
        [
            "test_accuracy_n",
            "train_time_s_n",
            "energy_j_n",
            "joules_per_accuracy_point_n",
            "mean_power_w_n"
        ]
    );
}
