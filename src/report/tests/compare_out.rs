//! compare.csv, compare.md and the text: columns, one-sided configurations, two machines.

use super::*;
use crate::report::analysis::fixtures::row;
use crate::results::ResultRow;

fn rows(prefix: &str, config: &str, energies: &[f64]) -> Vec<ResultRow> {
    energies
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut r =
                row(&format!("{prefix}{i}"), "mlp", Some(0.95 + 0.001 * i as f64), 10.0, Some(*e));
            r.config_id = config.into();
            r
        })
        .collect()
}

fn comparison(machines: Machines) -> Comparison {
    let mut a = rows("a", "c1", &[100.0, 104.0, 98.0]);
    a.extend(rows("o", "gone", &[10.0]));
    let b = rows("b", "c1", &[90.0, 93.0, 88.0]);
    compare(&a, &b, machines)
}

#[test]
fn compare_csv_has_ratio_interval_and_p_per_measure_and_one_sided_rows() {
    let bytes = render_csv(&comparison(Machines::default())).unwrap();
    let mut rdr = csv::Reader::from_reader(&bytes[..]);
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    for m in ["energy_j", "train_time_s", "joules_per_accuracy_point"] {
        for s in ["ratio", "ratio_ci95_low", "ratio_ci95_high", "p", "verdict"] {
            assert!(header.contains(&format!("{m}_{s}")), "{m}_{s}: {header:?}");
        }
    }
    assert_eq!(header[0], "config_id");
    let recs: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let at = |r: usize, k: &str| recs[r][header.iter().position(|h| h == k).unwrap()].to_string();
    assert_eq!((at(0, "config_id"), at(0, "in")), ("c1".into(), "both".into()));
    assert_eq!(at(0, "energy_j_verdict"), "lower");
    let ratio: f64 = at(0, "energy_j_ratio").parse().unwrap();
    assert!((ratio - 271.0 / 302.0).abs() < 1e-12);
    assert!(at(0, "test_accuracy_diff").parse::<f64>().unwrap().abs() < 1e-12);
    assert_eq!(
        (at(1, "config_id"), at(1, "in"), at(1, "n_a")),
        ("gone".into(), "A only".into(), "1".into())
    );
    assert_eq!(at(1, "energy_j_ratio"), "");
    assert_eq!(at(0, "machines"), "unknown");
    assert_eq!(recs[1].len(), header.len());
}

#[test]
fn two_machines_under_force_are_said_on_every_line() {
    let m = Machines {
        a: vec!["aaaaaaaaaaaa".into()],
        b: vec!["bbbbbbbbbbbb".into()],
        differences: vec!["logical_cpus: `2` vs `4`".into()],
    };
    let c = comparison(m);
    let text = render_text(&c, Path::new("A"), Path::new("B"));
    assert!(
        text.contains("machines: DIFFERENT") && text.contains("logical_cpus: `2` vs `4`"),
        "{text}"
    );
    let table: Vec<&str> = text.lines().filter(|l| l.starts_with("c1")).collect();
    assert!(
        !table.is_empty() && table.iter().all(|l| l.ends_with("lower (two machines)")),
        "{text}"
    );
    assert!(text.contains("only in A: gone"), "{text}");
    let md = render_md(&c, Path::new("A"), Path::new("B"));
    assert!(md.contains("| c1 |") && md.contains("(two machines) |"), "{md}");
    let csv = String::from_utf8(render_csv(&c).unwrap()).unwrap();
    assert!(
        csv.lines().skip(1).all(|l| l.ends_with("different: aaaaaaaaaaaa vs bbbbbbbbbbbb")),
        "{csv}"
    );
}
