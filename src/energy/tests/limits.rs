//! The power-limit journal: written before a change, restored by UUID, removed once the limits
//! are back, and left alone while its process runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::super::nvml::{Board as NvmlBoard, GpuDevice, GpuError};
use super::super::visible::GpuId;
use super::*;
use std::path::{Path, PathBuf};

struct Board {
    uuid: String,
    limit_mw: Arc<AtomicU32>,
    permitted: bool,
}

impl GpuDevice for Board {
    fn name(&self) -> String {
        "Fake A100".into()
    }
    fn uuid(&self) -> Option<String> {
        Some(self.uuid.clone())
    }
    fn total_energy_mj(&mut self) -> Result<Option<u64>, GpuError> {
        Ok(Some(0))
    }
    fn power_mw(&mut self) -> Result<u32, GpuError> {
        Ok(0)
    }
    fn set_power_limit_mw(&mut self, mw: u32) -> Result<(), GpuError> {
        if !self.permitted {
            return Err(GpuError::Other("needs root".into()));
        }
        self.limit_mw.store(mw, Ordering::SeqCst);
        Ok(())
    }
}

/// Two boards at 200 W (as a killed sweep left them), NVML listing them in this order.
fn boards(permitted: bool) -> (Vec<NvmlBoard>, Vec<Arc<AtomicU32>>) {
    let limits: Vec<Arc<AtomicU32>> = (0..2).map(|_| Arc::new(AtomicU32::new(200_000))).collect();
    let list = (0..2)
        .map(|i| {
            let uuid = format!("GPU-{i}{i}{i}{i}");
            let id =
                GpuId { name: "Fake A100".into(), uuid: Some(uuid.clone()), ..GpuId::default() };
            let b = Board { uuid, limit_mw: Arc::clone(&limits[i]), permitted };
            (id, Box::new(b) as Box<dyn GpuDevice>)
        })
        .collect();
    (list, limits)
}

fn saved(uuid: &str, mw: u32) -> SavedLimit {
    SavedLimit { name: "Fake A100".into(), uuid: Some(uuid.into()), pci_bus_id: None, limit_mw: mw }
}

/// A journal as process `pid` would have written it.
fn journal_of(dir: &std::path::Path, pid: u32, start_ticks: Option<u64>, gpus: Vec<SavedLimit>) {
    std::fs::create_dir_all(dir).unwrap();
    let j = Journal { pid, start_ticks, written: "2026-12-03T03:00:00Z".into(), gpus };
    std::fs::write(journal_path(dir, pid), serde_json::to_vec(&j).unwrap()).unwrap();
}

/// The pid of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_journal_is_written_with_this_process_and_restored_by_uuid() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &[saved("GPU-1111", 300_000)]).unwrap();
    assert_eq!(path, journal_path(dir.path(), std::process::id()));
    let j: Journal = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(j.pid, std::process::id());
    assert_eq!(j.start_ticks, start_ticks(std::process::id()));
    assert!(j.start_ticks.is_some(), "/proc/self/stat is readable on Linux");
    let (mut list, limits) = boards(true);
    assert_eq!(restore_from(&path, &mut list), Ok(1));
    assert_eq!(limits[1].load(Ordering::SeqCst), 300_000, "GPU-1111 is NVML's second board");
    assert_eq!(limits[0].load(Ordering::SeqCst), 200_000, "the other board is not touched");
    assert!(!path.exists(), "a journal whose limits are back is removed");
}

#[test]
fn a_dead_process_journal_is_restored_at_the_next_start_and_a_live_one_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    // Each journal names another board: the order they are read in must not matter.
    journal_of(dir.path(), dead, Some(1), vec![saved("GPU-0000", 250_000)]);
    let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let live = sleeper.id();
    journal_of(dir.path(), live, start_ticks(live), vec![saved("GPU-0000", 111_000)]);
    // A reused pid: alive, but started at another time than the journal says.
    let own = std::process::id();
    let parent = std::os::unix::process::parent_id();
    journal_of(dir.path(), parent, Some(u64::MAX), vec![saved("GPU-1111", 270_000)]);
    journal_of(dir.path(), own, None, vec![saved("GPU-0000", 999_000)]);

    let (mut list, limits) = boards(true);
    recover(dir.path(), &mut list);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(limits[0].load(Ordering::SeqCst), 250_000, "the dead process's limit is back");
    assert_eq!(
        limits[1].load(Ordering::SeqCst),
        270_000,
        "the reused pid's journal is restored too"
    );
    assert!(!journal_path(dir.path(), dead).exists());
    assert!(!journal_path(dir.path(), parent).exists());
    assert!(journal_path(dir.path(), live).exists(), "a running sweep's journal is its own");
    assert!(journal_path(dir.path(), own).exists(), "this process's own journal is skipped");
}

#[test]
fn a_journal_that_cannot_be_restored_stays_for_the_next_try() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    journal_of(dir.path(), dead, None, vec![saved("GPU-0000", 250_000), saved("GPU-9999", 1)]);
    let (mut list, limits) = boards(false);
    let err = restore_from(&journal_path(dir.path(), dead), &mut list).unwrap_err();
    assert!(err[0].contains("needs root") && err[1].contains("GPU-9999"), "{err:?}");
    assert!(journal_path(dir.path(), dead).exists());
    assert_eq!(limits[0].load(Ordering::SeqCst), 200_000);
    std::fs::write(journal_path(dir.path(), dead), b"{ torn").unwrap();
    let err = restore_from(&journal_path(dir.path(), dead), &mut list).unwrap_err();
    assert!(err[0].contains("unreadable"), "{err:?}");
}

#[test]
fn the_state_folder_follows_the_variables_then_root_then_home() {
    let os = |s: &str| Some(std::ffi::OsString::from(s));
    let at = |w, x, root, h| state_dir_from(w, x, root, h);
    assert_eq!(at(os("/w"), os("/x"), true, os("/h")), PathBuf::from("/w"));
    assert_eq!(at(None, os("/x"), true, os("/h")), PathBuf::from("/x/wattsweep"));
    assert_eq!(at(None, os(""), true, os("/h")), PathBuf::from("/var/lib/wattsweep"));
    assert_eq!(at(None, None, false, os("/h")), PathBuf::from("/h/.local/state/wattsweep"));
    let dirs = recovery_dirs(Path::new("/somewhere"));
    assert_eq!(dirs[0], PathBuf::from("/somewhere"), "its own folder first");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert!(dirs.contains(&PathBuf::from("/var/lib/wattsweep")), "{dirs:?}");
    }
}
