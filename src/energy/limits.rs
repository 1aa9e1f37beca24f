//! A journal of GPU power limits, so that a limit wattsweep lowered always comes back.
//!
//! Before the first change, the limits in force are written to
//! `<state dir>/gpu-power-limits-<pid>.json` (atomically), with the process's start time so a
//! reused pid is not taken for ours. Putting them back removes the file. A process that dies
//! holding lowered limits (SIGKILL from the OOM killer or from Slurm after KillWait, a CUDA
//! abort) leaves its journal behind, and the next wattsweep that opens NVML restores every
//! board it names (found by UUID, else PCI bus id) and removes it, with a warning. A journal of a
//! process that is still running (another sweep) is left alone.
//!
//! The state dir is `$WATTSWEEP_STATE_DIR` if set, else `$XDG_STATE_HOME/wattsweep` if set, else
//! for root (who alone may set limits) `/var/lib/wattsweep`, one place for every run on the
//! machine, else `~/.local/state/wattsweep`. Root's starts also look in `/var/lib/wattsweep` and
//! `~/.local/state/wattsweep`, so a run started with another environment is still found.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::device::Board;
use crate::results::write_atomic;

/// One board's limit before wattsweep changed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedLimit {
    pub name: String,
    pub uuid: Option<String>,
    pub pci_bus_id: Option<String>,
    pub limit_mw: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    pid: u32,
    /// `/proc/<pid>/stat` field 22 (clock ticks after boot): tells a reused pid apart.
    start_ticks: Option<u64>,
    written: String,
    gpus: Vec<SavedLimit>,
}

/// Where journals live (see the module docs).
pub(crate) fn default_state_dir() -> PathBuf {
    state_dir_from(
        std::env::var_os("WATTSWEEP_STATE_DIR"),
        std::env::var_os("XDG_STATE_HOME"),
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() } == 0,
        std::env::var_os("HOME"),
    )
}

fn state_dir_from(
    wattsweep: Option<std::ffi::OsString>,
    xdg: Option<std::ffi::OsString>,
    root: bool,
    home: Option<std::ffi::OsString>,
) -> PathBuf {
    let set = |v: Option<std::ffi::OsString>| v.filter(|d| !d.is_empty()).map(PathBuf::from);
    if let Some(d) = set(wattsweep) {
        return d;
    }
    if let Some(d) = set(xdg) {
        return d.join("wattsweep");
    }
    if root {
        return PathBuf::from(ROOT_STATE_DIR);
    }
    set(home).unwrap_or_else(std::env::temp_dir).join(".local/state/wattsweep")
}

/// Root's journals when no variable names another place.
const ROOT_STATE_DIR: &str = "/var/lib/wattsweep";

/// The folders a start looks for journals of dead processes in: its own, and for root also the
/// machine-wide one and root's home default, so that a run started with another environment
/// (`sudo -E`, a Slurm task with the user's `XDG_STATE_HOME`) is still found.
pub(crate) fn recovery_dirs(own: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![own.to_path_buf()];
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        // Root's home default, as `default_state_dir` gives it without the variables.
        let home = state_dir_from(None, None, false, std::env::var_os("HOME"));
        for d in [PathBuf::from(ROOT_STATE_DIR), home] {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    dirs
}

/// This process's journal in `dir`.
pub(crate) fn journal_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("gpu-power-limits-{pid}.json"))
}

fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Record `saved` as this process's limits to put back; an error means no limit may be changed.
pub(crate) fn write(dir: &Path, saved: &[SavedLimit]) -> anyhow::Result<PathBuf> {
    let pid = std::process::id();
    let journal = Journal {
        pid,
        start_ticks: start_ticks(pid),
        written: chrono::Utc::now().to_rfc3339(),
        gpus: saved.to_vec(),
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!("cannot create {} for the power-limit journal: {e}", dir.display())
    })?;
    let path = journal_path(dir, pid);
    write_atomic(&path, &serde_json::to_vec_pretty(&journal)?)?;
    Ok(path)
}

/// Remove a journal whose limits are back.
pub(crate) fn clear(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove the power-limit journal {}: {e}", path.display());
    }
}

/// Put back the limits in `path` on the boards of `gpus` it names; `Ok` when every one is back
/// (the journal is then removed), else the reasons (the journal stays for the next try).
pub(crate) fn restore_from(path: &Path, gpus: &mut [Board]) -> Result<usize, Vec<String>> {
    let journal: Journal = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(j) => j,
        Err(e) => return Err(vec![format!("{}: unreadable ({e})", path.display())]),
    };
    let mut problems = Vec::new();
    let mut restored = 0;
    for saved in &journal.gpus {
        let board = gpus.iter_mut().find(|(id, _)| match (&saved.uuid, &id.uuid) {
            (Some(a), Some(b)) => a == b,
            _ => saved.pci_bus_id.is_some() && saved.pci_bus_id == id.pci_bus_id,
        });
        let Some((_, device)) = board else {
            problems.push(format!(
                "{} ({}) is not here",
                saved.uuid.as_deref().unwrap_or("a GPU"),
                saved.name
            ));
            continue;
        };
        match device.set_power_limit_mw(saved.limit_mw) {
            Ok(()) => restored += 1,
            Err(e) => problems.push(format!(
                "{} ({}): {e}",
                saved.uuid.as_deref().unwrap_or("a GPU"),
                saved.name
            )),
        }
    }
    if problems.is_empty() {
        clear(path);
        Ok(restored)
    } else {
        Err(problems)
    }
}

/// Restore the journals in `dir` left by processes that are gone (every start of a command that
/// opens NVML does this before measuring anything).
pub(crate) fn recover(dir: &Path, gpus: &mut [Board]) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let own = std::process::id();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("gpu-power-limits-")
            .and_then(|r| r.strip_suffix(".json"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let recorded = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Journal>(&b).ok())
            .and_then(|j| j.start_ticks);
        let alive = start_ticks(pid).is_some_and(|now| recorded.is_none_or(|r| r == now));
        if alive {
            tracing::debug!("{}: process {pid} is still running; left alone", path.display());
            continue;
        }
        match restore_from(&path, gpus) {
            Ok(n) => tracing::warn!(
                "wattsweep process {pid} ended without putting back the power limits of {n} GPU(s) (killed?); restored them from {}",
                path.display()
            ),
            Err(problems) => tracing::error!(
                "wattsweep process {pid} ended without putting back GPU power limits, and they cannot all be restored from {}: {}; fix it by hand (nvidia-smi -pl) and remove the file",
                path.display(),
                problems.join("; ")
            ),
        }
    }
}

#[cfg(test)]
#[path = "tests/limits.rs"]
mod tests;
