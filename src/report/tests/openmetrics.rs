//! The OpenMetrics exposition: families, labels, escaping, `# EOF`.

use super::*;
use crate::report::analysis::fixtures::row;

#[test]
fn each_trial_is_a_labelled_sample_of_three_gauges_ending_in_eof() {
    let mut a = row("t1", "mlp", Some(0.97), 10.0, Some(123.5));
    a.config_id = "c1".into();
    let mut b = row("t2", "snn", None, 4.0, None);
    b.config_id = "c2".into();
    b.model_settings = "path=C:\\x \"q\"\nnext".into();
    let text = openmetrics(&[a, b]);
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1);
    for f in [
        "wattsweep_trial_energy_joules",
        "wattsweep_trial_train_seconds",
        "wattsweep_trial_test_accuracy_ratio",
    ] {
        assert!(text.contains(&format!("# TYPE {f} gauge\n")), "{f}");
        let unit = f.rsplit('_').next().unwrap();
        assert!(text.contains(&format!("# UNIT {f} {unit}\n")), "{f}: the unit is the suffix");
        assert!(text.contains(&format!("# HELP {f} ")), "{f}");
    }
    let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(samples.len(), 4, "t1 has all three; t2 only time: {samples:?}");
    let energy = samples.iter().find(|l| l.starts_with("wattsweep_trial_energy_joules{")).unwrap();
    assert!(energy.ends_with("} 123.5"), "{energy}");
    for label in [
        "trial_id=\"t1\"",
        "config_id=\"c1\"",
        "model=\"mlp\"",
        "optimizer=\"adam\"",
        "learning_rate=\"0.001\"",
        "status=\"ok\"",
        "energy_source=\"rapl\"",
    ] {
        assert!(energy.contains(label), "{label} in {energy}");
    }
    assert!(!energy.contains("model_settings"), "empty labels are left out: {energy}");
    let time = samples.iter().find(|l| l.contains("trial_id=\"t2\"")).unwrap();
    assert!(
        time.starts_with("wattsweep_trial_train_seconds{") && time.ends_with("} 4.0"),
        "{time}"
    );
    assert!(time.contains(r#"model_settings="path=C:\\x \"q\"\nnext""#), "escaped: {time}");
}

#[test]
fn label_values_escape_backslash_quote_and_newline_only() {
    assert_eq!(escape_label("a\\b\"c\nd é"), "a\\\\b\\\"c\\nd é");
}
