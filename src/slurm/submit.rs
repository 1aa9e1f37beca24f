//! `--submit`: hand the two scripts to `sbatch --parsable`, the merge one with
//! `--dependency=afterany:<array job id>`, and say how to watch them.

use super::sbatch::shell_quote;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// The job id in `sbatch --parsable` output: `jobid` or `jobid;cluster` (federations and
/// multi-cluster setups), possibly after warnings on earlier lines.
pub(crate) fn parse_job_id(stdout: &str) -> Option<String> {
    let line = stdout.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// `sbatch --parsable [--dependency=afterany:ID] SCRIPT`; returns the job id.
pub(crate) fn sbatch(script: &Path, after: Option<&str>) -> Result<String> {
    let mut cmd = Command::new("sbatch");
    cmd.arg("--parsable");
    if let Some(id) = after {
        cmd.arg(format!("--dependency=afterany:{id}"));
    }
    cmd.arg(script);
    let output = match cmd.output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "`sbatch` was not found: run this on a Slurm login node (the scripts are written; see above to submit them by hand)"
            )
        }
        Err(e) => return Err(e).context("cannot run sbatch"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("sbatch {} failed ({}): {}", script.display(), output.status, stderr.trim());
    }
    match parse_job_id(&stdout) {
        Some(id) => Ok(id),
        None => bail!(
            "sbatch {}: no job id in its output `{}` {}",
            script.display(),
            stdout.trim(),
            stderr.trim()
        ),
    }
}

/// The lines printed after submitting: job ids, and how to watch, cancel and resume.
pub(crate) fn watch_text(
    array_id: &str,
    merge_id: &str,
    tasks: u64,
    out: &Path,
    sweep: &Path,
) -> String {
    let out_q = shell_quote(&out.display().to_string());
    format!(
        "submitted: array job {array_id} ({tasks} task{}), merge job {merge_id} (runs after the array ends)\n\
         watch:     squeue -j {array_id},{merge_id}\n\
         \x20          sacct -j {array_id},{merge_id} --format=JobID,State,Elapsed,ExitCode,NodeList\n\
         logs:      {}\n\
         cancel:    scancel {array_id} {merge_id}   (one task: scancel {array_id}_<task>)\n\
         resume:    wattsweep slurm … --submit again, or sbatch {} and a new merge; finished trials are skipped\n\
         results:   {out_q}/results.csv once job {merge_id} has run",
        if tasks == 1 { "" } else { "s" },
        shell_quote(&out.join("slurm").join("logs").display().to_string()),
        shell_quote(&sweep.display().to_string()),
    )
}
