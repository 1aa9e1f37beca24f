//! `[schedule]` end to end: the real binary with forecast files, a forecast command and a fixed
//! clock (`--now`), on command trials (a Python one-liner) so no dataset is needed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_wattsweep");

/// The example forecast the docs and experiments/scheduled.toml use.
const NIGHT: &str = include_str!("../experiments/schedule/forecast.csv");

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        let d = Dir(tempfile::tempdir().unwrap());
        d.write("night.csv", NIGHT);
        d
    }
    fn path(&self, p: &str) -> PathBuf {
        self.0.path().join(p)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        std::fs::write(self.path(name), text).unwrap();
        self.path(name)
    }
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .current_dir(self.0.path())
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }
    /// A grid of one command trial (it reports an accuracy and sleeps a little) with `schedule`.
    fn grid(&self, schedule: &str) -> String {
        self.write(
            "g.toml",
            &format!(
                "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"-c\", \"import time; time.sleep(0.2); print('wattsweep: {{{{\\\"test_accuracy\\\": 0.5}}}}')\"]\n[schedule]\n{schedule}"
            ),
        );
        "g.toml".into()
    }
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn plan_prints_the_cheapest_start_before_the_deadline() {
    let d = Dir::new();
    let g = d.grid("forecast = \"night.csv\"\ndeadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 7200\nexpected_energy_j = 3600000\n");
    let o = d.cmd(&["plan", &g, "--now", "2026-12-03T20:00:00+01:00"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("schedule: start at 2026-12-04T01:00:00+01:00"), "{out}");
    // 1 kWh: 119 g at 01:00, 300 g if started at 20:00.
    assert!(out.contains("predicted 119.00 g CO₂ at that start, 300.00 g if started now"), "{out}");
    // The cheapest stretch would end after an earlier deadline: the best start within it.
    let g = d.grid("forecast = \"night.csv\"\ndeadline = \"2026-12-04T02:00:00+01:00\"\nexpected_duration_s = 10800\n");
    let out = text(&d.cmd(&["plan", &g, "--now", "2026-12-03T20:00:00+01:00"]));
    assert!(out.contains("schedule: start at 2026-12-03T23:00:00+01:00"), "{out}");
}

#[test]
fn a_run_whose_cheapest_hour_is_now_starts_at_once_and_records_the_forecast() {
    let d = Dir::new();
    let g = d.grid("forecast = \"night.csv\"\ndeadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 600\n");
    let started = std::time::Instant::now();
    let o = d.cmd(&[
        "run",
        &g,
        "--out",
        "out",
        "--now",
        "2026-12-04T01:30:00+01:00",
        "--no-nvml",
        "--powercap-root",
        "none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(started.elapsed().as_secs() < 30, "it did not wait");
    assert!(text(&o).contains("schedule: start at 2026-12-04T01:30:00+01:00"), "{}", text(&o));
    let rows = common::csv_rows(&d.path("out/results.csv"));
    let r: &HashMap<String, String> = &rows[0];
    assert_eq!(r["carbon_intensity_g_per_kwh"].parse::<f64>().unwrap(), 119.0);
    let (e, co2): (f64, f64) = (r["energy_j"].parse().unwrap(), r["co2_g"].parse().unwrap());
    assert!((co2 - e / 3.6e6 * 119.0).abs() < 1e-12, "{co2} for {e} J");
    let schedule = std::fs::read_to_string(d.path("out/schedule.json")).unwrap();
    assert!(schedule.contains("\"intensity_now\": 119.0"), "{schedule}");
    let report = std::fs::read_to_string(d.path("out/summary.md")).unwrap();
    assert!(report.contains("Carbon-aware start"), "the report states the realised grams");
    // Without [schedule] the constant stays.
    d.write("plain.toml", "backend = \"command\"\n[energy]\nidle_s = 0\ncarbon_intensity_g_per_kwh = 400\n[command]\nargv = [\"python3\", \"-c\", \"print('wattsweep: {{\\\"test_accuracy\\\": 0.5}}')\"]\n");
    let o = d.cmd(&["run", "plain.toml", "--out", "plain", "--no-nvml", "--powercap-root", "none"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let plain = common::csv_rows(&d.path("plain/results.csv"));
    assert_eq!(plain[0]["carbon_intensity_g_per_kwh"].parse::<f64>().unwrap(), 400.0);
}

#[test]
fn a_forecast_command_is_run_and_its_failure_shown() {
    let d = Dir::new();
    let g = d.grid("forecast_command = [\"python3\", \"-c\", \"import sys; sys.stdout.write(open('night.csv').read())\"]\ndeadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 7200\n");
    let o = d.cmd(&["plan", &g, "--now", "2026-12-03T20:00:00+01:00"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("schedule: start at 2026-12-04T01:00:00+01:00"), "{}", text(&o));
    let g = d.grid("forecast_command = [\"python3\", \"-c\", \"import sys; sys.stderr.write('no API key'); sys.exit(3)\"]\ndeadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 7200\n");
    let o = d.cmd(&["run", &g, "--out", "out", "--now", "2026-12-03T20:00:00+01:00"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("forecast_command") && text(&o).contains("no API key"),
        "{}",
        text(&o)
    );
    assert!(!d.path("out").exists(), "nothing written");
}

#[test]
fn bad_schedules_exit_2_naming_the_culprit_and_write_nothing() {
    let d = Dir::new();
    d.write("neg.csv", "time,carbon_intensity_g_per_kwh\n2026-12-03T20:00:00+01:00,300\n2026-12-03T21:00:00+01:00,-1\n");
    let ok_deadline = "deadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 600\n";
    for (schedule, culprit) in [
        ("forecast = \"night.csv\"\ndeadline = \"tomorrow\"\n", "schedule.deadline"),
        ("forecast = \"night.csv\"\nexpected_duration_s = 600\n", "schedule.deadline"),
        (&format!("forecast = \"neg.csv\"\n{ok_deadline}") as &str, "neg.csv:3"),
        (&format!("forecast = \"missing.csv\"\n{ok_deadline}"), "missing.csv"),
        (ok_deadline, "schedule.forecast"),
        (
            &format!("forecast = \"night.csv\"\n{ok_deadline}expected_duration_s2 = 1\n"),
            "schedule.expected_duration_s2",
        ),
        (
            "forecast = \"night.csv\"\ndeadline = \"2026-12-03T21:00:00+01:00\"\nexpected_duration_s = 7200\n",
            "schedule.deadline",
        ),
        (
            "forecast = \"night.csv\"\ndeadline = \"2026-12-05T07:00:00+01:00\"\nexpected_duration_s = 60\n",
            "covers",
        ),
        (
            "forecast = \"night.csv\"\ndeadline = \"2026-12-04T07:00:00+01:00\"\n",
            "schedule.expected_duration_s",
        ),
    ] {
        let g = d.grid(schedule);
        let o = d.cmd(&["run", &g, "--out", "out", "--now", "2026-12-03T20:30:00+01:00"]);
        assert_eq!(o.status.code(), Some(2), "{schedule}: {}", text(&o));
        assert!(text(&o).contains(culprit), "{schedule}: {}", text(&o));
        assert!(!d.path("out").exists(), "{schedule}: nothing written");
        let o = d.cmd(&["plan", &g, "--now", "2026-12-03T20:30:00+01:00"]);
        assert_eq!(o.status.code(), Some(2), "plan too: {schedule}");
    }
}

#[test]
fn slurm_tells_the_cluster_when_to_begin() {
    let d = Dir::new();
    let g = d.grid("forecast = \"night.csv\"\ndeadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 7200\n");
    let o = d.cmd(&["slurm", &g, "--out", "out", "--now", "2026-12-03T20:00:00+01:00"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let script = std::fs::read_to_string(d.path("out/slurm/sweep.sbatch")).unwrap();
    // 01:00 at +01:00, in this machine's local time as sbatch reads --begin.
    let local = chrono::DateTime::parse_from_rfc3339("2026-12-04T01:00:00+01:00")
        .unwrap()
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    assert!(script.contains(&format!("#SBATCH --begin={local}\n")), "{script}");
    assert!(script.contains("--scheduled"), "{script}");
}

#[test]
fn a_run_waits_for_its_start_with_a_countdown_and_ctrl_c_leaves_nothing() {
    let d = Dir::new();
    let g = d.grid("forecast = \"night.csv\"\ndeadline = \"2026-12-04T07:00:00+01:00\"\nexpected_duration_s = 7200\n");
    let child = Command::new(BIN)
        .current_dir(d.0.path())
        .args(["run", &g, "--out", "out", "--now", "2026-12-03T20:00:00+01:00"])
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("waiting for the scheduled start at 2026-12-04T01:00:00+01:00: 4:59:5"),
        "{err}"
    );
    assert!(err.contains("nothing ran"), "{err}");
    assert!(!d.path("out").exists(), "nothing written before the start");
}
