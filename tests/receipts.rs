//! Measurement receipts end to end: the real binary running command trials on a fake powercap
//! tree and a fake thermal tree (`WATTSWEEP_THERMAL_ROOT`): sampling intervals, a counter that
//! stalls, temperatures, the `quality` verdict, attributed energy, idle.csv, and bad keys.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

mod common;
use common::FakeRapl;

const BIN: &str = env!("CARGO_BIN_EXE_wattsweep");

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir { dir: tempfile::tempdir().unwrap() }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn write(&self, name: &str, text: &str) {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    /// A thermal tree whose hottest sensor reads `c` °C.
    fn thermal(&self, c: f64) {
        self.write("class/thermal/thermal_zone0/temp", &format!("{}\n", (c * 1000.0) as i64));
        self.write("class/hwmon/hwmon0/temp1_input", "30000\n");
    }
    fn run(&self, grid: &str, powercap: &Path) -> Output {
        Command::new(BIN)
            .current_dir(self.dir.path())
            .args(["run", grid, "--out", "out", "--no-nvml", "--no-fetch", "--powercap-root"])
            .arg(powercap)
            .env("WATTSWEEP_THERMAL_ROOT", self.path("class"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }
    fn rows(&self) -> Vec<HashMap<String, String>> {
        common::csv_rows(&self.path("out/results.csv"))
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap_or_else(|_| panic!("{col} = {:?} in {row:?}", row[col]))
}

/// A command trial that keeps a CPU busy for `secs` seconds (enough busy CPU time for its
/// background load to be judged) and reports an accuracy.
fn grid(d: &Dir, secs: f64, energy: &str) {
    d.write(
        "t.sh",
        &format!(
            "python3 -c 'import time\nt = time.time()\nwhile time.time() - t < {secs}: pass'\necho 'wattsweep: {{\"test_accuracy\": 0.9}}'\n"
        ),
    );
    d.write(
        "g.toml",
        &format!(
            "backend = \"command\"\n[energy]\nsample_hz = 20\n{energy}\n[command]\nargv = [\"sh\", \"t.sh\"]\n"
        ),
    );
}

#[test]
fn a_well_sampled_trial_is_ok_with_its_receipts_temperatures_and_attributed_energy() {
    let d = Dir::new();
    d.thermal(55.5);
    // The fake counter's own thread is "another process" to the trial: judge no load here.
    grid(&d, 1.0, "idle_s = 0.5\nmax_other_cpu_share = 1");
    let root = d.path("powercap");
    let _rapl = FakeRapl::start(&root, 40.0, 1 << 40);
    let o = d.run("g.toml", &root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &d.rows()[0];
    assert_eq!(row["quality"], "ok", "{row:?}");
    let median = num(row, "sample_interval_ms_median");
    assert!((30.0..=100.0).contains(&median), "20 Hz: about 50 ms, {median}");
    assert!(num(row, "sample_gap_ms_max") >= median);
    assert_eq!(row["counter_stalls"], "0");
    assert_eq!((num(row, "temp_start_c"), num(row, "temp_end_c")), (55.5, 55.5));
    // idle × time + net × (1 − share), from the row's own columns.
    let expect = num(row, "idle_power_w") * num(row, "train_time_s")
        + num(row, "net_energy_j") * (1.0 - num(row, "other_cpu_share"));
    assert!((num(row, "attributed_energy_j") - expect).abs() < 1e-6, "{row:?}");
    // Idle measured at the start and again at the end.
    let idle = std::fs::read_to_string(d.path("out/idle.csv")).unwrap();
    let lines: Vec<&str> = idle.lines().collect();
    assert_eq!(lines[0], "at,when,idle_power_w,others_cpus,busy");
    assert!(lines[1].contains(",start,") && lines[2].contains(",end,"), "{idle}");
}

#[test]
fn a_stalled_counter_and_a_hot_package_flag_the_trial_and_the_report_shows_it_apart() {
    let d = Dir::new();
    d.thermal(96.0);
    grid(&d, 3.0, "idle_s = 0");
    let root = d.path("powercap");
    let rapl = FakeRapl::start(&root, 40.0, 1 << 40);
    let frozen = rapl.frozen.clone();
    let stall = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        frozen.store(true, std::sync::atomic::Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(1600));
        frozen.store(false, std::sync::atomic::Ordering::Relaxed);
    });
    let o = d.run("g.toml", &root);
    stall.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &d.rows()[0];
    assert_eq!(row["counter_stalls"], "1", "{row:?}");
    let q = &row["quality"];
    assert!(q.starts_with("flagged: ") && q.contains("1 counter stalls"), "{q}");
    assert!(q.contains("hot: 96 °C"), "{q}");
    let html = std::fs::read_to_string(d.path("out/index.html")).unwrap();
    assert!(html.contains("Flagged measurements, shown apart"), "the report says so");
}

#[test]
fn the_estimate_is_attributed_whole_and_a_cooldown_waits_between_trials() {
    let d = Dir::new();
    d.write("t.sh", "echo 'wattsweep: {\"test_accuracy\": 0.9}'\n");
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\ncooldown_s = 1.5\n[grid]\nlearning_rate = [0.1, 0.2]\n[command]\nargv = [\"sh\", \"t.sh\"]\n",
    );
    let started = std::time::Instant::now();
    let o = d.run("g.toml", &d.path("no-powercap"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(started.elapsed() >= Duration::from_millis(1500), "one cooldown between two trials");
    let rows = d.rows();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert!(r["energy_source"].starts_with("estimate"), "{r:?}");
        assert_eq!(r["attributed_energy_j"], r["energy_j"]);
        assert_eq!((r["temp_start_c"].as_str(), r["idle_drift"].as_str()), ("", ""));
    }
    assert!(!d.path("out/idle.csv").exists(), "no idle measured: no idle.csv");
}

#[test]
fn bad_receipt_keys_exit_2_naming_them() {
    for (key, says) in [
        ("cooldown_s = -1", "energy.cooldown_s = -1"),
        ("idle_every_s = -5", "energy.idle_every_s = -5"),
        ("gpus = \"some\"", "energy.gpus = \"some\""),
        ("gpus = [-1]", "energy.gpus = [-1]"),
    ] {
        let d = Dir::new();
        grid(&d, 0.0, key);
        let o = d.run("g.toml", &d.path("no-powercap"));
        assert_eq!(o.status.code(), Some(2), "{key}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{key}: {}", stderr(&o));
        assert!(!d.path("out/results.csv").exists(), "{key}: nothing written");
    }
}

#[test]
fn an_idle_baseline_taken_on_a_busy_machine_is_flagged() {
    let d = Dir::new();
    grid(&d, 0.2, "idle_s = 1");
    // A neighbour spinning a whole CPU through the idle measurement.
    let mut spin = Command::new("sh").args(["-c", "while :; do :; done"]).spawn().unwrap();
    let o = d.run("g.toml", &d.path("no-powercap"));
    spin.kill().unwrap();
    spin.wait().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let q = &d.rows()[0]["quality"];
    assert!(q.contains("idle baseline taken while other processes kept the machine busy"), "{q}");
    let idle = std::fs::read_to_string(d.path("out/idle.csv")).unwrap();
    assert!(idle.lines().nth(1).unwrap().ends_with(",true"), "{idle}");
}
