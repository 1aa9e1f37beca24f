//! The two batch scripts `wattsweep slurm` writes under `<out>/slurm/`:
//!
//! - `sweep.sbatch`: a job array `--array=0-(N-1)%K`; task I `exec`s this same wattsweep binary
//!   as `run GRID --shard I/N --out OUT …`, so scancel's SIGTERM reaches the runner itself (not a
//!   shell that would die and leave the runner to SIGKILL) and the task's exit code is the run's.
//! - `merge.sbatch`: submitted with `--dependency=afterany:<array job id>`, so it starts once every
//!   task has ended, whether it finished, failed or was cancelled; it runs `merge OUT` then
//!   `report OUT`.
//!
//! Every path is absolute (compute nodes start in another directory) and quoted twice over: in the
//! shell body with single quotes, and in `#SBATCH` lines the way sbatch's own directive parser
//! reads them (double quotes, `\"`, and `%%` for a literal `%` in a filename pattern).

use super::settings::SlurmSettings;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// Everything the scripts are written from; all paths absolute.
#[derive(Clone, Debug)]
pub(crate) struct ScriptPlan {
    /// The wattsweep binary (std::env::current_exe), reached at this path from the nodes.
    pub exe: PathBuf,
    pub grid: PathBuf,
    pub out: PathBuf,
    /// Where the scripts `cd` first: the directory `wattsweep slurm` ran in, so default data
    /// directories (`data/mnist`) resolve as they did when the dataset was fetched.
    pub workdir: PathBuf,
    /// Grid name, for job names.
    pub name: String,
    pub settings: SlurmSettings,
    /// `run` options forwarded to every task.
    pub data_dir: Option<PathBuf>,
    pub powercap_root: PathBuf,
    pub no_nvml: bool,
    pub retry_failed: bool,
    /// `[schedule]`'s start, as sbatch's `--begin` takes it (the submitting host's local time,
    /// `YYYY-MM-DDTHH:MM:SS`): the cluster holds the array until then, and the tasks run at once.
    pub begin: Option<String>,
}

impl ScriptPlan {
    pub(crate) fn slurm_dir(&self) -> PathBuf {
        self.out.join("slurm")
    }
    pub(crate) fn logs_dir(&self) -> PathBuf {
        self.slurm_dir().join("logs")
    }
    pub(crate) fn sweep_path(&self) -> PathBuf {
        self.slurm_dir().join("sweep.sbatch")
    }
    pub(crate) fn merge_path(&self) -> PathBuf {
        self.slurm_dir().join("merge.sbatch")
    }
}

/// A word for POSIX sh: single-quoted, each `'` written as `'\''`. Plain words stay bare.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A value in an `#SBATCH` line. sbatch splits those lines at spaces (no shell runs there); it
/// groups double-quoted text and reads `\"` inside as `"`. A backslash in a filename turns off
/// Slurm's `%A`/`%a` patterns, and a line break would end the directive: both are refused.
pub(crate) fn directive_quote(s: &str) -> Result<String> {
    if s.contains(['\n', '\r', '\0']) {
        bail!("`{}`: a line break cannot be written into an #SBATCH line", s.escape_debug());
    }
    if s.contains('\\') {
        bail!(
            "`{s}`: Slurm reads a backslash in a file name as \"no %-patterns\"; choose an output directory without one"
        );
    }
    Ok(format!("\"{}\"", s.replace('"', "\\\"")))
}

/// A literal path inside a Slurm filename pattern: `%` is written `%%`.
pub(crate) fn pattern_literal(s: &str) -> String {
    s.replace('%', "%%")
}

/// Text for a `#` comment line: a line break in a path must not start a new script line.
fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn utf8(p: &Path) -> Result<&str> {
    match p.to_str() {
        Some(s) => Ok(s),
        None => bail!(
            "{}: the path is not valid UTF-8, which a batch script cannot carry safely",
            p.display()
        ),
    }
}

/// `#SBATCH` lines shared by both scripts, then the per-script ones.
fn header(plan: &ScriptPlan, out: &mut String, job_name: &str, log_pattern: &str) -> Result<()> {
    let log =
        directive_quote(&format!("{}/{log_pattern}", pattern_literal(utf8(&plan.logs_dir())?)))?;
    out.push_str(&format!("#SBATCH --job-name={job_name}\n"));
    out.push_str(&format!("#SBATCH --output={log}\n"));
    // A requeued task (node failure) keeps its log instead of truncating it.
    out.push_str("#SBATCH --open-mode=append\n");
    if let Some(p) = &plan.settings.partition {
        out.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(a) = &plan.settings.account {
        out.push_str(&format!("#SBATCH --account={a}\n"));
    }
    Ok(())
}

/// The job-array script. `N` is written into it rather than read from `SLURM_ARRAY_TASK_COUNT`:
/// resubmitting one task by hand (`sbatch --array=3 sweep.sbatch`) gives a count of 1, which
/// would name a different sharding; the script checks the index against `N` instead.
pub(crate) fn sweep_script(plan: &ScriptPlan) -> Result<String> {
    let s = &plan.settings;
    let n = s.tasks;
    let mut out = String::from("#!/bin/bash\n");
    out.push_str(&format!(
        "# Written by `wattsweep slurm` (wattsweep {}) for {}.\n\
         # Array task I runs shard I of {n}: the trials whose id maps to I, under <out>/shards/I-of-{n}/.\n\
         # Submitting this file again resumes: trials with an `ok` row in any shard are skipped.\n",
        env!("CARGO_PKG_VERSION"),
        comment(utf8(&plan.grid)?),
    ));
    header(plan, &mut out, &format!("wattsweep-{}", plan.name), "sweep-%A_%a.out")?;
    out.push_str(&format!("#SBATCH --array=0-{}%{}\n", n - 1, s.max_parallel));
    out.push_str("#SBATCH --nodes=1\n#SBATCH --ntasks=1\n");
    if s.exclusive {
        // RAPL meters whole CPU packages: another job on the node would be billed to our trials.
        out.push_str("#SBATCH --exclusive\n");
    }
    if let Some(t) = &s.time {
        out.push_str(&format!("#SBATCH --time={t}\n"));
    }
    if let Some(c) = s.cpus_per_task {
        out.push_str(&format!("#SBATCH --cpus-per-task={c}\n"));
    }
    if let Some(m) = &s.mem {
        out.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    if let Some(g) = &s.gpus {
        out.push_str(&format!("#SBATCH --gpus={g}\n"));
    }
    if let Some(b) = &plan.begin {
        // Digits, `-`, `T` and `:` only (written by us): bare, as sbatch's examples write it.
        out.push_str(&format!("#SBATCH --begin={b}\n"));
    }
    out.push_str(&format!(
        "\nset -u\nSHARDS={n}\n\
         if [ -z \"${{SLURM_ARRAY_TASK_ID:-}}\" ] || [ \"$SLURM_ARRAY_TASK_ID\" -ge \"$SHARDS\" ]; then\n\
         \x20   echo \"wattsweep: submit this script with sbatch as an array 0-$((SHARDS - 1)) (got task '${{SLURM_ARRAY_TASK_ID:-}}')\" >&2\n\
         \x20   exit 2\n\
         fi\n\
         cd {} || exit 2\n",
        shell_quote(utf8(&plan.workdir)?)
    ));
    let mut cmd = vec![
        shell_quote(utf8(&plan.exe)?),
        "run".into(),
        shell_quote(utf8(&plan.grid)?),
        "--shard".into(),
        "\"$SLURM_ARRAY_TASK_ID/$SHARDS\"".into(),
        "--out".into(),
        shell_quote(utf8(&plan.out)?),
        // The dataset was fetched when this script was written; nodes may have no network.
        "--no-fetch".into(),
        "--powercap-root".into(),
        shell_quote(utf8(&plan.powercap_root)?),
        "--slurm-exclusive".into(),
        s.exclusive.to_string(),
    ];
    if let Some(d) = &plan.data_dir {
        cmd.extend(["--data-dir".into(), shell_quote(utf8(d)?)]);
    }
    if plan.no_nvml {
        cmd.push("--no-nvml".into());
    }
    if plan.retry_failed {
        cmd.push("--retry-failed".into());
    }
    if plan.begin.is_some() {
        cmd.push("--scheduled".into());
    }
    out.push_str(&format!("exec {}\n", cmd.join(" ")));
    Ok(out)
}

/// The merge-and-report script, run after the whole array (`afterany`). Exit status: merge's
/// (0 clean, 1 conflicts or trials without an `ok` row), unless merging or the report failed.
pub(crate) fn merge_script(plan: &ScriptPlan) -> Result<String> {
    let exe = shell_quote(utf8(&plan.exe)?);
    let dir = shell_quote(utf8(&plan.out)?);
    let mut out = String::from("#!/bin/bash\n");
    out.push_str(&format!(
        "# Written by `wattsweep slurm` for {}. Submit it after the array:\n\
         #   sbatch --dependency=afterany:<array job id> {}\n\
         # afterany: it runs once every array task has ended, finished, failed or cancelled.\n",
        comment(utf8(&plan.grid)?),
        comment(&shell_quote(utf8(&plan.merge_path())?)),
    ));
    header(plan, &mut out, &format!("wattsweep-{}-merge", plan.name), "merge-%j.out")?;
    // Merging reads CSVs: one CPU of a shared node, never a whole exclusive one.
    out.push_str("#SBATCH --nodes=1\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
    if let Some(t) = &plan.settings.time {
        out.push_str(&format!("#SBATCH --time={t}\n"));
    }
    out.push_str(&format!(
        "\nset -u\ncd {} || exit 2\n\
         {exe} merge {dir}\n\
         merged=$?\n\
         # 2: nothing could be merged; a report would describe stale files.\n\
         if [ \"$merged\" -ge 2 ]; then exit \"$merged\"; fi\n\
         {exe} report {dir} || exit $?\n\
         exit \"$merged\"\n",
        shell_quote(utf8(&plan.workdir)?)
    ));
    Ok(out)
}

/// The commands that submit both scripts by hand (what `--submit` does). `--parsable` prints
/// `jobid[;cluster]`; the merge depends on the job id alone.
pub(crate) fn submit_commands(plan: &ScriptPlan) -> Result<String> {
    Ok(format!(
        "jobid=$(sbatch --parsable {}) && sbatch --dependency=afterany:\"${{jobid%%;*}}\" {}",
        shell_quote(utf8(&plan.sweep_path())?),
        shell_quote(utf8(&plan.merge_path())?)
    ))
}
