//! The generated scripts, checked by running them: bash parses them, and a fake wattsweep that
//! prints its arguments shows every path arrives intact (spaces, quotes, `$`, `%`). Also the
//! settings resolution (flags over `[slurm]` over defaults) and `sbatch --parsable` parsing.

use crate::slurm::sbatch::{
    ScriptPlan, directive_quote, merge_script, shell_quote, submit_commands, sweep_script,
};
use crate::slurm::settings::{SlurmFlags, SlurmSettings, resolve};
use crate::slurm::submit::parse_job_id;
use std::path::{Path, PathBuf};
use std::process::Command;

fn settings(tasks: u64, k: u64, exclusive: bool) -> SlurmSettings {
    SlurmSettings {
        tasks,
        max_parallel: k,
        partition: None,
        time: None,
        cpus_per_task: None,
        mem: None,
        gpus: None,
        exclusive,
        account: None,
    }
}

/// A plan whose paths are all awkward, rooted at `root`; the "binary" prints its arguments.
fn plan_in(root: &Path, s: SlurmSettings) -> ScriptPlan {
    let dir = root.join("it's a \"dir\" $HOME %x");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("fake wattsweep");
    std::fs::write(&exe, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n[ \"$1\" = merge ] && exit 1\nexit 0\n").unwrap();
    Command::new("chmod").arg("+x").arg(&exe).status().unwrap();
    ScriptPlan {
        exe,
        grid: dir.join("grid file.toml"),
        out: dir.join("out dir"),
        workdir: dir.clone(),
        name: "g".into(),
        settings: s,
        data_dir: Some(dir.join("data 'x'")),
        powercap_root: PathBuf::from("/sys/class/powercap"),
        no_nvml: true,
        retry_failed: true,
        begin: None,
    }
}

fn run_bash(script: &str, env: &[(&str, &str)]) -> (i32, Vec<String>) {
    let mut c = Command::new("bash");
    c.arg("-c").arg(script).env_remove("SLURM_ARRAY_TASK_ID");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    let lines = String::from_utf8_lossy(&o.stdout).lines().map(String::from).collect();
    (o.status.code().unwrap_or(-1), lines)
}

#[test]
fn shell_quote_survives_the_shell() {
    for s in
        ["plain/path-1.toml", "with space", "it's", "\"dq\"", "$HOME `x` \\n", "", "a\nb", "%A_%a"]
    {
        let (rc, out) = run_bash(&format!("printf '%s' {}", shell_quote(s)), &[]);
        assert_eq!(rc, 0);
        assert_eq!(out.join("\n"), s, "{s:?} quoted as {}", shell_quote(s));
    }
    assert_eq!(shell_quote("/abs/plain_path.toml"), "/abs/plain_path.toml");
}

#[test]
fn sbatch_directives_quote_like_sbatch_reads_them() {
    assert_eq!(directive_quote("/o/it's \"q\"/x").unwrap(), r#""/o/it's \"q\"/x""#);
    assert!(directive_quote("/o/back\\slash").is_err());
    assert!(directive_quote("/o/line\nbreak").is_err());
}

#[test]
fn sweep_script_has_the_array_the_throttle_and_exclusive() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings(4, 2, true);
    s.partition = Some("gpu".into());
    s.time = Some("1-00:00:00".into());
    s.cpus_per_task = Some(8);
    s.mem = Some("16G".into());
    s.gpus = Some("a100:1".into());
    s.account = Some("proj".into());
    let plan = plan_in(tmp.path(), s);
    let text = sweep_script(&plan).unwrap();
    for line in [
        "#SBATCH --array=0-3%2",
        "#SBATCH --exclusive",
        "#SBATCH --partition=gpu",
        "#SBATCH --time=1-00:00:00",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=16G",
        "#SBATCH --gpus=a100:1",
        "#SBATCH --account=proj",
        "SHARDS=4",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
    // The log path: `%x` of the directory escaped as `%%x`, the quote as `\"`, the patterns kept.
    assert!(text.contains("%%x/out dir/slurm/logs/sweep-%A_%a.out\"\n"), "{text}");
    assert!(text.contains("a \\\"dir\\\" $HOME"), "{text}");
    assert!(text.starts_with("#!/bin/bash\n"));
    let first_command = text.lines().position(|l| !l.starts_with('#')).unwrap();
    assert!(
        !text.lines().skip(first_command).any(|l| l.starts_with("#SBATCH")),
        "sbatch ignores directives after the first command"
    );
}

#[test]
fn sweep_script_runs_the_shard_with_every_path_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_in(tmp.path(), settings(3, 3, false));
    let text = sweep_script(&plan).unwrap();
    assert!(!text.contains("--exclusive\n"));
    let (rc, args) =
        run_bash(&text, &[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "1")]);
    assert_eq!(rc, 0, "{args:?}");
    let p = |p: &Path| p.to_str().unwrap().to_string();
    let expected = vec![
        "run".to_string(),
        p(&plan.grid),
        "--shard".into(),
        "2/3".into(),
        "--out".into(),
        p(&plan.out),
        "--no-fetch".into(),
        "--powercap-root".into(),
        "/sys/class/powercap".into(),
        "--slurm-exclusive".into(),
        "false".into(),
        "--data-dir".into(),
        p(plan.data_dir.as_ref().unwrap()),
        "--no-nvml".into(),
        "--retry-failed".into(),
    ];
    assert_eq!(args, expected);
    // Outside an array, or with an index beyond N, the script refuses instead of mis-sharding.
    assert_eq!(run_bash(&text, &[]).0, 2);
    assert_eq!(run_bash(&text, &[("SLURM_ARRAY_TASK_ID", "3")]).0, 2);
}

#[test]
fn merge_script_merges_then_reports_and_keeps_merges_status() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_in(tmp.path(), settings(2, 1, true));
    let text = merge_script(&plan).unwrap();
    assert!(!text.contains("--exclusive"), "merging must not hold a whole node");
    assert!(text.contains("afterany"));
    let (rc, args) = run_bash(&text, &[]);
    let out = plan.out.to_str().unwrap().to_string();
    assert_eq!(args, vec!["merge".to_string(), out.clone(), "report".into(), out]);
    assert_eq!(rc, 1, "the fake merge's status 1 (missing trials) is the job's");
    let submit = submit_commands(&plan).unwrap();
    assert!(submit.contains("--dependency=afterany:\"${jobid%%;*}\""), "{submit}");
    assert!(submit.contains("sbatch --parsable '"), "{submit}");
}

#[test]
fn parsable_output_gives_the_job_id() {
    assert_eq!(parse_job_id("1234\n").as_deref(), Some("1234"));
    assert_eq!(parse_job_id("1234;cluster2\n").as_deref(), Some("1234"));
    assert_eq!(parse_job_id("sbatch: warning: something\n77\n").as_deref(), Some("77"));
    assert_eq!(parse_job_id(""), None);
    assert_eq!(parse_job_id("Submitted batch job 5"), None);
}

fn table(text: &str) -> toml::Table {
    toml::from_str(text).unwrap()
}

#[test]
fn settings_default_flags_win_over_the_table() {
    let d = resolve(&SlurmFlags::default(), &toml::Table::new(), 20).unwrap();
    assert_eq!(d, settings(8, 8, true));
    assert_eq!(resolve(&SlurmFlags::default(), &toml::Table::new(), 3).unwrap().tasks, 3);

    let t = table(
        "tasks = 4\nmax_parallel = 2\npartition = \"cpu\"\ntime = 90\nmem = \"8G\"\ngpus = 1\nshared = true\naccount = \"a\"\ncpus_per_task = 4\n",
    );
    let s = resolve(&SlurmFlags::default(), &t, 10).unwrap();
    assert_eq!((s.tasks, s.max_parallel, s.exclusive), (4, 2, false));
    assert_eq!(
        (s.time.as_deref(), s.gpus.as_deref(), s.cpus_per_task),
        (Some("90"), Some("1"), Some(4))
    );

    let flags = SlurmFlags {
        tasks: Some(5),
        max_parallel: Some(9),
        exclusive: true,
        partition: Some("gpu".into()),
        ..Default::default()
    };
    let s = resolve(&flags, &t, 10).unwrap();
    assert_eq!(
        (s.tasks, s.max_parallel, s.exclusive, s.partition.as_deref()),
        (5, 5, true, Some("gpu"))
    );
    // More tasks than trials would start empty shards.
    assert_eq!(
        resolve(&SlurmFlags { tasks: Some(50), ..Default::default() }, &t, 6).unwrap().tasks,
        6
    );
}

#[test]
fn settings_refuse_contradictions_and_bad_values() {
    let none = toml::Table::new();
    assert!(
        resolve(&SlurmFlags { exclusive: true, shared: true, ..Default::default() }, &none, 4)
            .is_err()
    );
    assert!(
        resolve(&SlurmFlags::default(), &table("exclusive = true\nshared = true\n"), 4).is_err()
    );
    assert!(
        resolve(&SlurmFlags::default(), &table("exclusive = false\n"), 4)
            .is_ok_and(|s| !s.exclusive)
    );
    for bad in [
        "tasks = 0",
        "tasks = \"4\"",
        "exclusive = \"yes\"",
        "time = \"2h\"",
        "mem = \"lots\"",
        "gpus = \"a100:\"",
        "partition = \"a b\"",
        "max_parallel = -1",
    ] {
        assert!(resolve(&SlurmFlags::default(), &table(bad), 4).is_err(), "{bad} was accepted");
    }
    assert!(resolve(&SlurmFlags { tasks: Some(0), ..Default::default() }, &none, 4).is_err());
    for good in ["30", "30:00", "2:00:00", "1-0", "1-12:00", "1-12:00:00"] {
        assert!(crate::slurm::settings::valid_time(good), "{good}");
    }
}

#[test]
fn a_scheduled_sweep_begins_when_slurm_is_told_and_its_tasks_do_not_wait_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_in(dir.path(), settings(3, 2, false));
    let unscheduled = sweep_script(&plan).unwrap();
    assert!(!unscheduled.contains("--begin") && !unscheduled.contains("--scheduled"));
    plan.begin = Some("2026-12-04T01:00:00".into());
    let script = sweep_script(&plan).unwrap();
    assert!(script.contains("\n#SBATCH --begin=2026-12-04T01:00:00\n"), "{script}");
    let (code, args) = run_bash(&script, &[("SLURM_ARRAY_TASK_ID", "1")]);
    assert_eq!(code, 0);
    assert!(args.contains(&"--scheduled".to_string()), "{args:?}");
}
