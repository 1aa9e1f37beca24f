//! Command trials end to end: the real `wattsweep` binary running small Python scripts written
//! here, on a fake powercap tree or the estimate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;
use common::FakeRapl;

const BIN: &str = env!("CARGO_BIN_EXE_wattsweep");

/// A temp dir holding a grid, its scripts and the output.
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
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path()).args(args).env_remove("RUST_LOG");
        c
    }
    /// `wattsweep run GRID --out out --powercap-root ROOT --no-nvml …`
    fn run_cmd(&self, grid: &str, root: &str, extra: &[&str]) -> Command {
        std::fs::create_dir_all(self.path(root)).unwrap();
        let mut args =
            vec!["run", grid, "--out", "out", "--powercap-root", root, "--no-nvml", "--no-fetch"];
        args.extend_from_slice(extra);
        self.cmd(&args)
    }
    fn run(&self, grid: &str, extra: &[&str]) -> Output {
        self.run_cmd(grid, "no-powercap", extra).output().unwrap()
    }
    fn rows(&self, file: &str) -> Vec<HashMap<String, String>> {
        common::csv_rows(&self.path(file))
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap_or_else(|_| panic!("{col} = {:?} in {row:?}", row[col]))
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|l| l.rfind(')').and_then(|i| l[i + 1..].split_whitespace().next()) != Some("Z"))
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

/// The protocol in a few lines of Python.
const EMIT: &str = r#"import json, os, sys, time
def ev(**k):
    print("wattsweep: " + json.dumps(k), flush=True)
"#;

#[test]
fn phases_and_epochs_are_measured_on_a_known_power() {
    let d = Dir::new();
    d.write(
        "train.py",
        &format!(
            "{EMIT}ev(phase='setup'); time.sleep(0.4)\nfor e in (1, 2):\n    ev(phase='train'); time.sleep(0.6)\n    ev(phase='eval'); time.sleep(0.3)\n    ev(epoch=e, test_accuracy=0.5 + 0.1 * e, train_loss=1.0 / e)\nev(test_accuracy=0.7, train_images=1234)\n"
        ),
    );
    d.write(
        "g.toml",
        "name = \"c\"\nepochs = 2\nbackend = \"command\"\n[energy]\nidle_s = 0\n[grid]\nmodel = [\"tiny\"]\nlearning_rate = [0.1]\n[command]\nargv = [\"python3\", \"train.py\", \"--lr\", \"{learning_rate}\", \"--model\", \"{model}\"]\ninputs = [\"train.py\"]\n",
    );
    let root = d.path("fake-powercap");
    let _rapl = FakeRapl::start(&root, 30.0, 1 << 40);
    let o = d.run_cmd("g.toml", "fake-powercap", &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &d.rows("out/results.csv")[0];
    assert_eq!(row["status"], "ok", "{row:?}");
    assert_eq!((row["backend"].as_str(), row["model"].as_str()), ("command", "tiny"));
    assert_eq!(row["energy_source"], "rapl");
    assert_eq!(row["command_phases"], "setup+train+eval");
    let (energy, time) = (num(row, "energy_j"), num(row, "train_time_s"));
    // The train phases only: 2 × 0.6 s, not the setup or the evaluations.
    assert!((1.15..1.7).contains(&time), "train_time_s {time}");
    assert!((energy / time - 30.0).abs() / 30.0 < 0.05, "{energy} J in {time} s at 30 W");
    assert_eq!(num(row, "test_accuracy"), 0.7);
    assert!((num(row, "images_per_s") - 1234.0 / time).abs() < 1e-6 * 1234.0 / time);
    let eval = num(row, "eval_energy_j") / num(row, "eval_time_s");
    assert!((eval - 30.0).abs() / 30.0 < 0.1, "eval at {eval} W");
    let epochs = d.rows("out/epochs.csv");
    assert_eq!(epochs.len(), 2);
    assert_eq!(epochs[1]["test_accuracy"], "0.7");
    assert_eq!(epochs[0]["train_loss"], "1.0");
    let e1 = num(&epochs[0], "energy_j");
    assert!((e1 - 18.0).abs() < 2.0, "epoch 1: {e1} J for 0.6 s at 30 W");
    let log =
        std::fs::read_to_string(d.path(&format!("out/logs/{}.log", row["trial_id"]))).unwrap();
    assert!(log.contains("wattsweep: {\"phase\": \"setup\"}"), "{log}");
}

#[test]
fn settings_reach_the_program_as_single_arguments_without_a_shell() {
    let d = Dir::new();
    // The grid, the script and the output in three folders: every path the command gets must
    // work from its own folder.
    d.write(
        "scripts/echo.py",
        &format!(
            "{EMIT}out = os.environ['WATTSWEEP_OUT']\njson.dump({{'argv': sys.argv[1:], 'env': {{k: v for k, v in os.environ.items() if k.startswith('WATTSWEEP_') or k == 'MY_THREADS'}}, 'cwd': os.getcwd()}}, open(os.path.join(out, 'seen.json'), 'w'))\nev(test_accuracy=0.5)\n"
        ),
    );
    d.write(
        "exp/g.toml",
        "backend = \"command\"\nmodel = \"x; rm -rf ~ $(touch pwned)\"\nthreads = 2\nhidden = 64\n[energy]\nidle_s = 0\n[command]\nworkdir = \"../scripts\"\nargv = [\"python3\", \"echo.py\", \"{model}\", \"--lr={learning_rate}\", \"{{literal}}\", \"{hidden}\", \"{trial_id}\"]\nenv = { MY_THREADS = \"{threads}\" }\n",
    );
    let o = d.run("exp/g.toml", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &d.rows("out/results.csv")[0];
    let id = &row["trial_id"];
    let seen: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.path(&format!("out/artifacts/{id}/seen.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        seen["argv"],
        serde_json::json!(["x; rm -rf ~ $(touch pwned)", "--lr=0.001", "{literal}", "64", id])
    );
    assert!(!d.path("pwned").exists());
    assert_eq!(seen["env"]["MY_THREADS"], "2");
    assert_eq!(seen["env"]["WATTSWEEP_HIDDEN"], "64");
    assert_eq!(seen["env"]["WATTSWEEP_TRIAL_ID"], id.as_str());
    assert_eq!(seen["env"]["WATTSWEEP_EPOCHS"], "1");
    // workdir is relative to the grid file's folder.
    assert_eq!(
        Path::new(seen["cwd"].as_str().unwrap()).canonicalize().unwrap(),
        d.path("scripts").canonicalize().unwrap()
    );
    // No --data-dir: the dataset's default folder, absolute.
    let data = seen["env"]["WATTSWEEP_DATA_DIR"].as_str().unwrap();
    assert!(Path::new(data).is_absolute() && data.ends_with("data/mnist"), "{data}");
    assert_eq!(row["model_settings"], "hidden=64");
}

#[test]
fn an_edited_input_is_a_new_trial_and_an_unchanged_one_is_skipped() {
    let d = Dir::new();
    d.write("train.py", &format!("{EMIT}ev(test_accuracy=0.5)\n"));
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"train.py\"]\ninputs = [\"train.py\"]\n",
    );
    assert_eq!(d.run("g.toml", &[]).status.code(), Some(0));
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("1 of 1 trials already done"), "{}", stderr(&o));
    assert_eq!(d.rows("out/results.csv").len(), 1);
    d.write("train.py", &format!("{EMIT}ev(test_accuracy=0.6)\n"));
    assert_eq!(d.run("g.toml", &[]).status.code(), Some(0));
    let rows = d.rows("out/results.csv");
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0]["trial_id"], rows[1]["trial_id"]);
    assert_eq!(rows[1]["test_accuracy"], "0.6");
}

#[test]
fn metrics_are_read_from_plain_output_with_a_regex_last_match_wins() {
    let d = Dir::new();
    d.write(
        "train.py",
        "print('Epoch 1: Test Accuracy: 91.5%')\nprint('Epoch 2: Test Accuracy: 93.25%')\nprint('done', flush=True)\n",
    );
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"train.py\"]\nmetric_regex = { test_accuracy = 'Test Accuracy: ([0-9.]+)%' }\nmetric_scale = { test_accuracy = 0.01 }\n",
    );
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &d.rows("out/results.csv")[0];
    assert!((num(row, "test_accuracy") - 0.9325).abs() < 1e-12, "{row:?}");
    // No phases: the whole command was the training window, and the row says so.
    assert_eq!(row["command_phases"], "none");
    assert!(num(row, "train_time_s") > 0.0);
}

#[test]
fn each_failure_is_a_row_and_the_sweep_goes_on() {
    let d = Dir::new();
    d.write(
        "train.py",
        &format!(
            "{EMIT}mode = sys.argv[1]\nif mode == 'exit3':\n    print('something broke', file=sys.stderr); sys.exit(3)\nif mode == 'nan':\n    print('wattsweep: {{\"epoch\": 1, \"test_accuracy\": 0.1, \"train_loss\": NaN}}', flush=True); ev(test_accuracy=0.1)\nif mode == 'nanexit':\n    print('wattsweep: {{\"train_loss\": Infinity}}', flush=True); sys.exit(1)\nif mode == 'sleep':\n    time.sleep(30)\nif mode == 'big':\n    ev(test_accuracy=97.0)\nif mode == 'ok':\n    ev(test_accuracy=0.9)\n"
        ),
    );
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[grid]\nmode = [\"exit3\", \"noacc\", \"nan\", \"nanexit\", \"sleep\", \"big\", \"ok\"]\n[command]\nargv = [\"python3\", \"train.py\", \"{mode}\"]\ntimeout_s = 1.5\n",
    );
    let t0 = Instant::now();
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(t0.elapsed() < Duration::from_secs(25), "the timeout did not end the sleeper");
    let rows = d.rows("out/results.csv");
    let by: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["model_settings"].strip_prefix("mode=").unwrap(), r)).collect();
    let check = |mode: &str, status: &str, needle: &str| {
        let r = by[mode];
        assert_eq!(r["status"], status, "{mode}: {r:?}");
        assert!(r["error"].contains(needle), "{mode}: `{needle}` not in {:?}", r["error"]);
    };
    check("exit3", "failed", "exit code 3; stderr: something broke");
    check("noacc", "failed", "no test_accuracy");
    check("nan", "diverged", "train_loss = NaN");
    check("nanexit", "diverged", "train_loss = inf");
    check("sleep", "failed", "timeout after 1.5 s");
    check("big", "failed", "not in [0, 1]");
    check("ok", "ok", "");
}

#[test]
fn a_chatty_command_is_cut_at_the_log_cap() {
    let d = Dir::new();
    d.write(
        "train.py",
        &format!(
            "{EMIT}for i in range(5000):\n    print('line', i, 'x' * 40)\nev(test_accuracy=0.5)\n"
        ),
    );
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"train.py\"]\n",
    );
    let o = d
        .run_cmd("g.toml", "no-powercap", &[])
        .env("WATTSWEEP_LOG_CAP_BYTES", "20000")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &d.rows("out/results.csv")[0];
    // The event after the cut still counted.
    assert_eq!(row["test_accuracy"], "0.5");
    let log =
        std::fs::read_to_string(d.path(&format!("out/logs/{}.log", row["trial_id"]))).unwrap();
    assert!(log.len() <= 20_200, "log of {} bytes", log.len());
    assert!(log.contains("log cut here"), "{}", &log[log.len() - 200..]);
}

/// A script that starts a double-forked daemon (setsid, parent gone) that sleeps, writes its
/// own pid and the daemon's to `pids`, then sleeps itself unless `fast` exists.
const DAEMON: &str = r#"import json, os, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    open('daemon.pid', 'w').write(str(os.getpid()))
    time.sleep(120)
    os._exit(0)
os.waitpid(pid, 0)
while not os.path.exists('daemon.pid'):
    time.sleep(0.01)
open('pids.tmp', 'w').write(str(os.getpid()) + ' ' + open('daemon.pid').read())
os.replace('pids.tmp', 'pids')
if not os.path.exists('fast'):
    time.sleep(120)
print('wattsweep: {"test_accuracy": 0.5}', flush=True)
"#;

fn pids(d: &Dir) -> Vec<i32> {
    std::fs::read_to_string(d.path("pids"))
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

#[test]
fn a_timeout_ends_the_whole_tree_including_a_double_forked_daemon() {
    let d = Dir::new();
    d.write("daemon.py", DAEMON);
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"daemon.py\"]\ntimeout_s = 2\n",
    );
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let row = &d.rows("out/results.csv")[0];
    assert!(row["error"].contains("timeout after 2 s"), "{row:?}");
    let pids = pids(&d);
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(!alive(pid), "process {pid} of the trial outlived its timeout");
    }
}

#[test]
fn a_command_that_exits_leaving_a_daemon_has_it_ended() {
    let d = Dir::new();
    d.write("daemon.py", DAEMON);
    d.write("fast", "");
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"daemon.py\"]\n",
    );
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let daemon = pids(&d)[1];
    assert!(wait_until(Duration::from_secs(5), || !alive(daemon)), "daemon {daemon} still alive");
    let row = &d.rows("out/results.csv")[0];
    let log =
        std::fs::read_to_string(d.path(&format!("out/logs/{}.log", row["trial_id"]))).unwrap();
    assert!(log.contains("leaving 1 process(es) running; they were ended"), "{log}");
    // The tree's CPU time is the trial's own.
    assert!(num(row, "command_cpu_s") > 0.0);
}

#[test]
fn sigkill_of_wattsweep_leaves_no_process_of_the_trial_and_resume_runs_it_once() {
    let d = Dir::new();
    d.write("daemon.py", DAEMON);
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"daemon.py\"]\n",
    );
    let mut child = d.run_cmd("g.toml", "no-powercap", &["-q"]).spawn().unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || d.path("pids").exists()),
        "the trial never started"
    );
    let pids = pids(&d);
    // SAFETY: kill only sends a signal.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    for pid in &pids {
        assert!(
            wait_until(Duration::from_secs(15), || !alive(*pid)),
            "process {pid} of the trial outlived wattsweep's SIGKILL"
        );
    }
    std::fs::remove_file(d.path("pids")).unwrap();
    std::fs::remove_file(d.path("daemon.pid")).unwrap();
    d.write("fast", "");
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = d.rows("out/results.csv");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "ok");
}

#[test]
fn halving_runs_the_command_again_per_rung_with_its_checkpoint_folder() {
    let d = Dir::new();
    d.write(
        "train.py",
        &format!(
            "{EMIT}q, epochs = float(sys.argv[1]), int(sys.argv[2])\nck = os.environ['WATTSWEEP_CHECKPOINT_DIR']\nstate = os.path.join(ck, 'done')\nfirst = int(open(state).read()) + 1 if os.path.exists(state) else 1\nopen(os.path.join(os.environ['WATTSWEEP_OUT'], 'calls'), 'a').write(f'{{first}}-{{epochs}}\\n')\nfor e in range(first, epochs + 1):\n    ev(phase='train'); time.sleep(0.05)\n    ev(phase='eval')\n    ev(epoch=e, test_accuracy=q * e / 10)\n    open(state, 'w').write(str(e))\nev(test_accuracy=q * epochs / 10)\n"
        ),
    );
    d.write(
        "g.toml",
        "backend = \"command\"\nepochs = 2\n[energy]\nidle_s = 0\n[search]\nstrategy = \"halving\"\nmin_epochs = 1\neta = 2\n[grid]\nquality = [1, 2, 3, 4]\n[command]\nargv = [\"python3\", \"train.py\", \"{quality}\", \"{epochs}\"]\n",
    );
    let o = d.run("g.toml", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = d.rows("out/results.csv");
    let status: HashMap<String, String> =
        rows.iter().map(|r| (r["model_settings"].clone(), r["status"].clone())).collect();
    assert_eq!(status["quality=1"], "pruned");
    assert_eq!(status["quality=2"], "pruned");
    assert_eq!(status["quality=3"], "ok");
    assert_eq!(status["quality=4"], "ok");
    for r in rows.iter().filter(|r| r["status"] == "ok") {
        // Rung 1 ran epoch 1; rung 2 continued from the checkpoint folder with epoch 2.
        let calls =
            std::fs::read_to_string(d.path(&format!("out/artifacts/{}/calls", r["trial_id"])))
                .unwrap();
        assert_eq!(calls, "1-1\n2-2\n");
        assert_eq!(r["epochs_trained"], "2");
        let epochs: Vec<_> = d
            .rows("out/epochs.csv")
            .into_iter()
            .filter(|e| e["trial_id"] == r["trial_id"])
            .collect();
        assert_eq!(epochs.len(), 2, "{epochs:?}");
    }
    assert!(
        !d.path("out/checkpoints").exists()
            || std::fs::read_dir(d.path("out/checkpoints")).unwrap().next().is_none()
    );
}

#[test]
fn measure_reports_joules_and_exits_with_the_commands_code() {
    let d = Dir::new();
    let root = d.path("fake-powercap");
    let _rapl = FakeRapl::start(&root, 20.0, 1 << 40);
    let o = d
        .cmd(&[
            "measure",
            "--out",
            "m.csv",
            "--powercap-root",
            root.to_str().unwrap(),
            "--no-nvml",
            "--",
            "python3",
            "-c",
            "import sys, time; time.sleep(0.5); print('wattsweep: {\"test_accuracy\": 0.25}'); sys.exit(7)",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(" J in ") && e.contains("energy source rapl"), "{e}");
    assert!(e.contains("test_accuracy 0.25"), "{e}");
    let row = &d.rows("m.csv")[0];
    // The machine it ran on, as a sweep's machine.json would name it.
    let id = &row["machine_id"];
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id:?}");
    d.write("ok.py", "print('wattsweep: {\"test_accuracy\": 0.5}')\n");
    d.write(
        "same.toml",
        "name = \"m\"\nbackend = \"command\"\n[energy]\nidle_s = 0\n[grid]\nmodel = [\"x\"]\n[command]\nargv = [\"python3\", \"ok.py\"]\n",
    );
    let sweep = d.run_cmd("same.toml", root.to_str().unwrap(), &[]).output().unwrap();
    assert_eq!(sweep.status.code(), Some(0), "{}", stderr(&sweep));
    let machine: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path("out/machine.json")).unwrap()).unwrap();
    assert_eq!(machine["machine_id"].as_str(), Some(id.as_str()), "a sweep's machine.json agrees");
    let w = num(row, "energy_j") / num(row, "train_time_s");
    assert!((w - 20.0).abs() < 1.5, "{w} W");
    // The command's output passes through.
    assert!(String::from_utf8_lossy(&o.stdout).contains("wattsweep: {\"test_accuracy\": 0.25}"));
    let o =
        d.cmd(&["measure", "--powercap-root", "x", "--no-nvml", "--", "true"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = d.cmd(&["measure", "--no-nvml", "--", "no-such-program-here"]).output().unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
}

#[test]
fn flex_and_command_trials_share_one_grid_and_one_results_file() {
    let d = Dir::new();
    let data = d.path("data");
    std::fs::create_dir_all(&data).unwrap();
    let set = wattsweep::synthetic(100, 1);
    let test = wattsweep::synthetic(50, 2);
    for (prefix, s, n) in [("train", &set, 100), ("t10k", &test, 50)] {
        std::fs::write(
            data.join(format!("{prefix}-images-idx3-ubyte")),
            wattsweep::encode_idx_images(&s.images, n, 28, 28),
        )
        .unwrap();
        std::fs::write(
            data.join(format!("{prefix}-labels-idx1-ubyte")),
            wattsweep::encode_idx_labels(&s.labels),
        )
        .unwrap();
    }
    d.write(
        "train.py",
        &format!(
            "{EMIT}assert os.path.isdir(os.environ['WATTSWEEP_DATA_DIR'])\nev(test_accuracy=0.42)\n"
        ),
    );
    d.write(
        "g.toml",
        "inference = false\n[energy]\nidle_s = 0\n[grid]\nbackend = [\"flex\", \"command\"]\nmodel = [\"mlp\"]\n[command]\nargv = [\"python3\", \"train.py\", \"{model}\"]\n",
    );
    let o = d.run("g.toml", &["--data-dir", "data"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = d.rows("out/results.csv");
    assert_eq!(rows.len(), 2);
    let backends: Vec<&str> = rows.iter().map(|r| r["backend"].as_str()).collect();
    assert_eq!(backends, ["flex", "command"]);
    assert!(rows.iter().all(|r| r["model"] == "mlp" && r["status"] == "ok"));
    assert_eq!(rows[1]["test_accuracy"], "0.42");
    // The built-in trial's id is the one it had before commands existed.
    let o = d.cmd(&["plan", "g.toml"]).output().unwrap();
    let plain = d.write("plain.toml", "model = \"mlp\"\n");
    let p = d.cmd(&["plan", plain.to_str().unwrap()]).output().unwrap();
    let first_id = |o: &Output| {
        String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap().to_string()
    };
    assert_eq!(first_id(&o), first_id(&p));
    assert!(d.path("out/index.html").exists());
}

#[test]
fn bad_command_grids_exit_2_naming_the_key_and_write_nothing() {
    let d = Dir::new();
    d.write("train.py", "print(1)\n");
    let ok_cmd = "[command]\nargv = [\"python3\", \"train.py\"]\n";
    for (text, culprit) in [
        ("backend = \"command\"\n[command]\nargv = []\n".to_string(), "command.argv"),
        (
            "backend = \"command\"\n[command]\nargv = \"python3 train.py\"\n".to_string(),
            "command.argv",
        ),
        ("backend = \"command\"\n[command]\nargv = [\"python3\", 3]\n".to_string(), "command.argv"),
        (
            "backend = \"command\"\n[command]\nargv = [\"python3\", \"{lerning_rate}\"]\n"
                .to_string(),
            "unknown `{lerning_rate}`",
        ),
        (
            format!("backend = \"command\"\n{ok_cmd}inputs = [\"missing.py\"]\n"),
            "command.inputs[0]",
        ),
        (format!("backend = \"command\"\n{ok_cmd}timeout_s = 0\n"), "command.timeout_s"),
        (format!("backend = \"command\"\n{ok_cmd}timeout_s = -3\n"), "command.timeout_s"),
        (
            format!(
                "backend = \"command\"\n{ok_cmd}metric_regex = {{ test_accuracy = '([0-9' }}\n"
            ),
            "command.metric_regex.test_accuracy",
        ),
        (
            format!("backend = \"command\"\n{ok_cmd}metric_regex = {{ accuracy = '([0-9]+)' }}\n"),
            "command.metric_regex.accuracy",
        ),
        (format!("backend = \"command\"\n{ok_cmd}workdir = \"nowhere\"\n"), "command.workdir"),
        (format!("backend = \"command\"\n{ok_cmd}argv2 = [\"x\"]\n"), "command.argv2"),
        (format!("model = \"mlp\"\n{ok_cmd}"), "command: no trial of this grid runs it"),
        ("backend = \"command\"\nmodel = \"mlp\"\n".to_string(), "needs a [command]"),
        (format!("backend = \"command\"\nhiden = 3\n{ok_cmd}"), "hiden"),
        (
            format!("[grid]\nbackend = [\"flex\", \"command\"]\nmodel = [\"resnet\"]\n{ok_cmd}"),
            "model = \"resnet\"",
        ),
    ] {
        let g = d.write("bad.toml", &text);
        let o = d.run(g.to_str().unwrap(), &[]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(culprit), "{text}: `{culprit}` not in {}", stderr(&o));
        assert!(!d.path("out").exists(), "{text}: nothing written");
        let p = d.cmd(&["plan", g.to_str().unwrap()]).output().unwrap();
        assert_eq!(p.status.code(), Some(2), "plan too: {text}");
    }
}

#[test]
fn slurm_refuses_every_grid_plan_refuses_with_the_same_message() {
    let d = Dir::new();
    for text in [
        "epochs = 2\n[search]\nstrategy = \"halving\"\nmin_epochs = 3\n[grid]\nmodel = [\"mlp\", \"cnn\"]\n",
        "[grid]\nmodel = [\"mlp\"]\nlerning_rate = [0.1]\n",
        "backend = \"command\"\nmodel = \"x\"\n",
    ] {
        let g = d.write("bad.toml", text);
        let plan = d.cmd(&["plan", g.to_str().unwrap()]).output().unwrap();
        let slurm = d.cmd(&["slurm", g.to_str().unwrap(), "--out", "out"]).output().unwrap();
        assert_eq!(plan.status.code(), Some(2), "{text}");
        assert_eq!(slurm.status.code(), Some(2), "{text}: {}", stderr(&slurm));
        assert_eq!(stderr(&plan), stderr(&slurm), "{text}");
        assert!(!d.path("out").exists());
    }
}

#[test]
fn sigterm_to_the_whole_job_at_once_is_an_interruption_not_a_failure() {
    // Slurm's scancel and systemd signal every process of the job at once: the command may die
    // before wattsweep has read its own signal. The trial must run again on resume.
    let d = Dir::new();
    d.write("daemon.py", DAEMON);
    d.write(
        "g.toml",
        "backend = \"command\"\n[energy]\nidle_s = 0\n[command]\nargv = [\"python3\", \"daemon.py\"]\n",
    );
    let mut child = d.run_cmd("g.toml", "no-powercap", &["-q"]).spawn().unwrap();
    assert!(wait_until(Duration::from_secs(30), || d.path("pids").exists()), "never started");
    let supervisor: i32 = std::fs::read_to_string(d.path("out/command.pid"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut everyone = pids(&d);
    everyone.extend([supervisor, child.id() as i32]);
    for pid in everyone.iter().rev() {
        // SAFETY: kill only sends a signal.
        unsafe { libc::kill(*pid, libc::SIGTERM) };
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let rows = d.rows("out/results.csv");
    assert_eq!(rows[0]["status"], "interrupted", "{:?}", rows[0]);
    for pid in everyone {
        assert!(wait_until(Duration::from_secs(10), || !alive(pid)), "{pid} still alive");
    }
}
