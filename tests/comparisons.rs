//! End-to-end tests of what reads a sweep back, with the real binary on tiny synthetic data:
//! synthetic data: machine.json and the machine_id column, `export` (CodeCarbon, OpenMetrics),
//! `compare` on two fixture folders made from one real sweep (same machine, another machine,
//! --force, a configuration on one side only), and their bad inputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wattsweep::{encode_idx_images, encode_idx_labels, synthetic};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_wattsweep");

/// Two learning rates × three repeats of a tiny MLP, no idle phase, no inference.
const GRID: &str = "name = \"receipts\"\nepochs = 1\nrepeats = 3\ninference = false\n[energy]\nidle_s = 0\n[grid]\nmodel = [\"mlp\"]\nlearning_rate = [0.001, 0.01]\n";

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(dir.path().join("no-powercap")).unwrap();
        for (prefix, n, seed) in [("train", 200, 1), ("t10k", 50, 2)] {
            let set = synthetic(n, seed);
            let images = encode_idx_images(&set.images, n, 28, 28);
            std::fs::write(data.join(format!("{prefix}-images-idx3-ubyte")), images).unwrap();
            let labels = encode_idx_labels(&set.labels);
            std::fs::write(data.join(format!("{prefix}-labels-idx1-ubyte")), labels).unwrap();
        }
        std::fs::write(dir.path().join("g.toml"), GRID).unwrap();
        Dir { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn cmd(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .current_dir(self.dir.path())
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    /// The sweep into `out` (estimated energy: no powercap tree, no NVML).
    fn sweep(&self, out: &str) -> Output {
        self.cmd(&[
            "run",
            "g.toml",
            "--data-dir",
            "data",
            "--out",
            out,
            "--powercap-root",
            "no-powercap",
            "--no-nvml",
            "--no-fetch",
        ])
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Rewrite a CSV with `edit` applied to each row (a map from column to cell).
fn edit_csv(path: &Path, edit: impl Fn(&mut HashMap<String, String>) -> bool) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for rec in rdr.records() {
        let mut row: HashMap<String, String> =
            header.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect();
        if edit(&mut row) {
            w.write_record(header.iter().map(|h| row[h].clone())).unwrap();
        }
    }
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// Another machine: machine.json with 64 logical CPUs and a new id, stamped on every row.
fn move_to_another_machine(dir: &Path) {
    let path = dir.join("machine.json");
    let mut m = json(&path);
    m["logical_cpus"] = 64.into();
    m["machine_id"] = "0123456789ab".into();
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    edit_csv(&dir.join("results.csv"), |r| {
        r.insert("machine_id".into(), "0123456789ab".into());
        true
    });
}

#[test]
fn a_sweep_records_its_machine_and_exports_for_codecarbon_and_prometheus() {
    let d = Dir::new();
    let o = d.sweep("out");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let m = json(&d.path("out/machine.json"));
    let id = m["machine_id"].as_str().unwrap().to_string();
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{m}");
    assert!(m["logical_cpus"].as_u64().is_some_and(|n| n >= 1), "{m}");
    assert_eq!(m["rapl_zones"], serde_json::json!([]), "no powercap tree: nothing summed");
    assert_eq!(m["wattsweep_version"], env!("CARGO_PKG_VERSION"));
    let results = std::fs::read_to_string(d.path("out/results.csv")).unwrap();
    let header = results.lines().next().unwrap();
    assert!(header.ends_with(",machine_id,infer_runtime"), "appended at the end: {header}");
    let rows = common::csv_rows(&d.path("out/results.csv"));
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r["machine_id"] == id), "every row carries it");

    let o = d.cmd(&["export", "out", "--format", "codecarbon"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert!(text(&o).0.trim_end().ends_with("emissions.csv"));
    let emissions = std::fs::read_to_string(d.path("out/emissions.csv")).unwrap();
    assert!(emissions.starts_with("timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,"), "{emissions}");
    let em = common::csv_rows(&d.path("out/emissions.csv"));
    assert_eq!(em.len(), 6, "one row per trial");
    for (e, r) in em.iter().zip(&rows) {
        assert_eq!(e["run_id"], r["trial_id"]);
        let kwh: f64 = e["energy_consumed"].parse().unwrap();
        let j: f64 = r["energy_j"].parse().unwrap();
        assert!((kwh * 3.6e6 - j).abs() < 1e-9 * j.max(1.0), "{kwh} kWh vs {j} J");
        assert_eq!(e["tracking_mode"], "process", "the estimate charges our own CPU time");
        assert_eq!(e["project_name"], "out");
    }

    let o = d.cmd(&["export", "out", "--format", "openmetrics"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let prom = std::fs::read_to_string(d.path("out/metrics.prom")).unwrap();
    assert!(prom.ends_with("# EOF\n"));
    let energy: Vec<&str> =
        prom.lines().filter(|l| l.starts_with("wattsweep_trial_energy_joules{")).collect();
    assert_eq!(energy.len(), 6, "{prom}");
    assert!(
        energy.iter().all(|l| l.contains("model=\"mlp\"") && l.contains("repeat=\"")),
        "{prom}"
    );

    let o = d.cmd(&["export", "out", "--format", "parquet"]);
    assert_eq!(o.status.code(), Some(2), "an unknown format is a usage error");
    let o = d.cmd(&["export", "nowhere", "--format", "codecarbon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("nowhere") && text(&o).1.contains("results.csv"), "{}", text(&o).1);
}

#[test]
fn compare_on_one_machine_another_machine_and_with_force() {
    let d = Dir::new();
    let o = d.sweep("a");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    // Trials of a few milliseconds have no steady energy, so A's is set: 100, 101, 102 J by
    // repeat. B: the same sweep, with lr = 0.001 at half that energy and lr = 0.01 not run.
    let (a, b) = (d.path("a"), d.path("b"));
    let set_energy = |dir: &Path, scale: f64, keep_other: bool| {
        edit_csv(&dir.join("results.csv"), |r| {
            if r["learning_rate"] != "0.001" {
                return keep_other;
            }
            let e = (100.0 + r["repeat"].parse::<f64>().unwrap()) * scale;
            let acc: f64 = r["test_accuracy"].parse().unwrap();
            let t: f64 = r["train_time_s"].parse().unwrap();
            r.insert("energy_j".into(), e.to_string());
            r.insert("cpu_energy_j".into(), e.to_string());
            r.insert("joules_per_accuracy_point".into(), (e / (acc * 100.0)).to_string());
            r.insert("mean_power_w".into(), (e / t).to_string());
            true
        })
    };
    set_energy(&a, 1.0, true);
    copy_dir(&a, &b);
    set_energy(&b, 0.5, false);

    let o = d.cmd(&["compare", "a", "b"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("machines: the same"), "{out}");
    let line = out.lines().find(|l| l.contains("lr=0.001")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("0.500 [") && line.trim_end().ends_with("lower"), "{line}");
    assert!(out.contains("only in A: ") && out.contains("lr=0.01"), "{out}");
    let csv = common::csv_rows(&b.join("compare.csv"));
    assert_eq!(csv.len(), 2);
    let both = csv.iter().find(|r| r["in"] == "both").unwrap();
    let ratio: f64 = both["energy_j_ratio"].parse().unwrap();
    assert!((ratio - 0.5).abs() < 1e-9, "{ratio}");
    let (lo, hi): (f64, f64) = (
        both["energy_j_ratio_ci95_low"].parse().unwrap(),
        both["energy_j_ratio_ci95_high"].parse().unwrap(),
    );
    assert!(lo < 0.5 && 0.5 < hi && hi < 1.0, "{lo} {hi}");
    assert!(both["energy_j_p"].parse::<f64>().unwrap() < 0.05);
    assert_eq!(both["energy_j_verdict"], "lower");
    assert!(
        both.contains_key("train_time_s_ratio")
            && both.contains_key("joules_per_accuracy_point_ratio_ci95_high")
    );
    assert_eq!(csv.iter().find(|r| r["in"] == "A only").unwrap()["n_a"], "3");
    assert!(std::fs::read_to_string(b.join("compare.md")).unwrap().contains("| configuration |"));

    // B from another machine: refused, naming the field; --force compares and says so.
    move_to_another_machine(&b);
    let o = d.cmd(&["compare", "a", "b", "--out", "cmp"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("different machines") && err.contains("logical_cpus") && err.contains("`64`"),
        "{err}"
    );
    assert!(!d.path("cmp/compare.csv").exists(), "nothing written");
    let o = d.cmd(&["compare", "a", "b", "--out", "cmp", "--force"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("lr=0.001")).collect();
    assert!(!lines.is_empty() && lines.iter().all(|l| l.contains("(two machines)")), "{out}");
    assert!(
        common::csv_rows(&d.path("cmp/compare.csv"))
            .iter()
            .all(|r| r["machines"].starts_with("different: "))
    );

    let o = d.cmd(&["compare", "a", "empty"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("empty") && text(&o).1.contains("results.csv"), "{}", text(&o).1);
}

#[test]
fn resuming_a_sweep_on_another_machine_warns_with_the_fields() {
    let d = Dir::new();
    assert_eq!(d.sweep("out").status.code(), Some(0));
    move_to_another_machine(&d.path("out"));
    let o = d.sweep("out");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("resuming on another machine") && err.contains("logical_cpus: `64` vs"),
        "{err}"
    );
    let m = json(&d.path("out/machine.json"));
    assert_ne!(m["machine_id"], "0123456789ab", "rewritten for this machine");
}
