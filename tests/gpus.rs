//! GPUs through a fake `libnvidia-ml.so.1` (tests/fake-nvml/fake_nvml.c, built here with `cc`):
//! the real NVML code path, loaded by the real binary, against a library whose power limits live
//! in a state file as the driver keeps them. Which boards are measured, NVML failing to start,
//! and power limits coming back after a SIGKILL, a second Ctrl-C and SIGTERM.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wattsweep");
const GPU0: &str = "GPU-00000000-0000-0000-0000-000000000000";
const GPU1: &str = "GPU-11111111-1111-1111-1111-111111111111";
const MIG1: &str = "MIG-11111111-aaaa-aaaa-aaaa-aaaaaaaaaaaa";

/// The fake library's folder, built once per test binary.
fn fake_lib() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("wattsweep-fake-nvml-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-nvml/fake_nvml.c");
        let out = Command::new("cc")
            .args(["-shared", "-fPIC", "-O1", "-o"])
            .arg(dir.join("libnvidia-ml.so.1"))
            .arg(&src)
            .output()
            .expect("these tests need a C compiler (cc) to build the fake NVML library");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    })
}

/// A scratch folder: the fake driver's state, the journal's folder, grids and output.
struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Node {
        Node { dir: tempfile::tempdir().unwrap() }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path())
            .args(args)
            .env("LD_LIBRARY_PATH", fake_lib())
            .env("FAKE_NVML_STATE", self.path("driver-state"))
            .env("WATTSWEEP_STATE_DIR", self.path("state"))
            .env_remove("CUDA_VISIBLE_DEVICES")
            .env_remove("CUDA_DEVICE_ORDER")
            .env_remove("RUST_LOG");
        c
    }
    fn sensors(&self, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let mut args = vec!["sensors", "--powercap-root", "no-powercap"];
        args.extend_from_slice(extra);
        let mut c = self.cmd(&args);
        c.envs(env.iter().copied());
        c.output().unwrap()
    }
    /// `wattsweep run g.toml --out OUT` on no powercap tree (the CPU is the estimate).
    fn run_cmd(&self, out: &str) -> Command {
        self.cmd(&["run", "g.toml", "--out", out, "--powercap-root", "nope", "--no-fetch"])
    }
    /// g.toml: one command trial running `sh t.sh`, whose script is `script` followed by an
    /// accuracy line; `settings` go at the top, `energy` into its `[energy]` table.
    fn command_grid(&self, settings: &str, energy: &str, script: &str) {
        std::fs::write(
            self.path("g.toml"),
            format!("backend = \"command\"\n{settings}\n[energy]\nidle_s = 0\n{energy}\n[command]\nargv = [\"sh\", \"t.sh\"]\n"),
        )
        .unwrap();
        let accuracy = "echo 'wattsweep: {\"test_accuracy\": 0.9}'";
        std::fs::write(self.path("t.sh"), format!("{script}\n{accuracy}\n")).unwrap();
    }
    /// The limits the fake driver holds, mW.
    fn limits(&self) -> String {
        std::fs::read_to_string(self.path("driver-state"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "250000 250000".into())
    }
    fn journals(&self) -> Vec<String> {
        std::fs::read_dir(self.path("state"))
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    }
    /// A sweep of one command trial that sleeps under a 200 W limit, started in its own
    /// process group (so the test can kill the whole tree).
    fn start_limited_sweep(&self) -> Child {
        self.command_grid("gpu_power_limit_w = 200", "", "sleep 30");
        let mut c = self.run_cmd("out");
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        let child = c.spawn().unwrap();
        self.wait_for("the 200 W limit", || self.limits() == "200000 200000");
        child
    }
    fn wait_for(&self, what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

#[test]
fn only_the_gpus_cuda_visible_devices_names_are_measured() {
    let n = Node::new();
    let all = n.sensors(&[], &[]);
    let out = text(&all.stdout);
    assert!(out.contains(GPU0) && out.contains(GPU1), "{out}");
    assert!(out.contains("rapl+nvml") || out.contains("estimate+nvml"), "{out}");

    let one = text(&n.sensors(&[], &[("CUDA_VISIBLE_DEVICES", GPU1)]).stdout);
    assert!(one.contains(GPU1) && !one.contains(GPU0), "{one}");
    // Indices count in PCI bus order: board 0 is on bus 3B, before 81.
    let first = text(&n.sensors(&[], &[("CUDA_VISIBLE_DEVICES", "0")]).stdout);
    assert!(first.contains(GPU0) && !first.contains(GPU1), "{first}");
    let mig = n.sensors(&[], &[("CUDA_VISIBLE_DEVICES", MIG1)]);
    let (out, err) = (text(&mig.stdout), text(&mig.stderr));
    assert!(out.contains(GPU1) && !out.contains(GPU0) && out.contains("MIG"), "{out}");
    assert!(err.contains("whole boards"), "{err}");
    let none = text(&n.sensors(&[], &[("CUDA_VISIBLE_DEVICES", "")]).stdout);
    assert!(!none.contains("GPU-"), "{none}");

    // `--gpus` (the grid's [energy] gpus) overrides the variable.
    let all = text(&n.sensors(&["--gpus", "all"], &[("CUDA_VISIBLE_DEVICES", GPU1)]).stdout);
    assert!(all.contains(GPU0) && all.contains(GPU1), "{all}");
    let off = text(&n.sensors(&["--gpus", "none"], &[]).stdout);
    assert!(!off.contains("GPU-"), "{off}");
    let bad = text(&n.sensors(&["--gpus", "1,7"], &[]).stdout);
    assert!(bad.contains("ERROR: energy.gpus: no GPU \"7\"") && bad.contains(GPU1), "{bad}");
}

#[test]
fn nvml_that_will_not_start_is_said_out_loud() {
    let n = Node::new();
    let o = n.sensors(&[], &[("FAKE_NVML_INIT", "18")]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(err.contains("NVML is installed but did not start"), "{err}");
    assert!(out.contains("ERROR: NVML is installed but did not start"), "{out}");
}

#[test]
fn a_grid_naming_a_gpu_that_is_not_here_stops_before_the_first_trial() {
    let n = Node::new();
    n.command_grid("", "gpus = [\"GPU-99\"]", "true");
    let o = n.run_cmd("out").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("energy.gpus: no GPU \"GPU-99\""), "{}", text(&o.stderr));
    assert!(!n.path("out/results.csv").exists());
}

#[test]
fn a_limit_left_lowered_by_a_killed_sweep_is_restored_by_the_next_start() {
    let n = Node::new();
    let mut sweep = n.start_limited_sweep();
    assert_eq!(n.journals().len(), 1, "journalled before the change");
    signal(-(sweep.id() as i32), libc::SIGKILL);
    sweep.wait().unwrap();
    assert_eq!(n.limits(), "200000 200000", "the driver keeps what the dead process set");

    let o = n.sensors(&[], &[]);
    let err = text(&o.stderr);
    assert!(err.contains("ended without putting back the power limits of 2 GPU(s)"), "{err}");
    assert_eq!(n.limits(), "250000 250000");
    assert!(n.journals().is_empty(), "{:?}", n.journals());
}

#[test]
fn a_second_ctrl_c_restores_the_limits_before_exiting() {
    let n = Node::new();
    let sweep = n.start_limited_sweep();
    let pid = sweep.id() as i32;
    signal(pid, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    signal(pid, libc::SIGINT);
    let o = sweep.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert_eq!(n.limits(), "250000 250000", "{}", text(&o.stderr));
    assert!(n.journals().is_empty(), "{:?}", n.journals());
}

#[test]
fn sigterm_restores_the_limits_at_once() {
    let n = Node::new();
    let sweep = n.start_limited_sweep();
    signal(sweep.id() as i32, libc::SIGTERM);
    // Slurm's KillWait may SIGKILL before the trial ends: the limits must be back before that.
    n.wait_for("the limits back", || n.limits() == "250000 250000");
    let o = sweep.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(n.journals().is_empty(), "{:?}", n.journals());
}

#[test]
fn a_trial_on_a_shared_node_counts_only_its_gpu() {
    let n = Node::new();
    n.command_grid("", "", "sleep 1");
    let run = |visible: Option<&str>, out: &str| {
        let mut c = n.run_cmd(out);
        if let Some(v) = visible {
            c.env("CUDA_VISIBLE_DEVICES", v);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let mut r = csv::Reader::from_path(n.path(&format!("{out}/results.csv"))).unwrap();
        let h = r.headers().unwrap().clone();
        let row = r.records().next().unwrap().unwrap();
        let get = |c: &str| row[h.iter().position(|x| x == c).unwrap()].to_string();
        let w = get("gpu_energy_j").parse::<f64>().unwrap()
            / get("train_time_s").parse::<f64>().unwrap();
        (w, get("gpu_name"), get("gpu_energy_method"), get("energy_complete"))
    };
    let (w, names, method, complete) = run(Some(GPU1), "one");
    assert!((w - 60.0).abs() < 6.0, "GPU 1 draws 60 W: {w}");
    assert_eq!(
        (names.as_str(), method.as_str(), complete.as_str()),
        ("Fake A100", "counter", "true")
    );
    let (w, names, method, _) = run(None, "both");
    assert!((w - 210.0).abs() < 21.0, "both boards: {w}");
    assert_eq!((names.as_str(), method.as_str()), ("Fake A100;Fake A100", "counter;counter"));
}

#[test]
fn machine_json_names_the_driver_and_the_power_limits_in_force() {
    let n = Node::new();
    n.command_grid("", "", "true");
    let o = n.run_cmd("out").env("CUDA_VISIBLE_DEVICES", GPU1).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(n.path("out/machine.json")).unwrap())
            .unwrap();
    assert_eq!(m["gpus"], serde_json::json!(["Fake A100"]));
    assert_eq!(m["gpu_driver"], "550.54.15");
    assert_eq!(m["gpu_power_limits_w"], serde_json::json!([250.0]));
    assert!(m["machine_id_fields"].as_array().unwrap().contains(&"gpu_power_limits_w".into()));
}
