//! A process tree read from `/proc/<pid>/stat`: who descends from whom (by parent pid, which
//! `setsid` and double forks do not change under a child subreaper), their CPU time, and how to
//! end them all.

use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// One process, from its `/proc/<pid>/stat` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Proc {
    pub pid: i32,
    pub ppid: i32,
    /// utime + stime + cutime + cstime, in clock ticks: its own CPU time and that of the
    /// children it has reaped (each dead process counted once, in its reaper).
    pub cpu_ticks: u64,
    /// Start time after boot, in clock ticks: with the pid, names a process uniquely.
    pub start_ticks: u64,
}

/// Parse a `/proc/<pid>/stat` line. The command name is in parentheses and may itself contain
/// spaces and parentheses, so the fields are counted from the last `)`.
pub(crate) fn parse_stat(line: &str) -> Option<Proc> {
    let pid = line.split_once(' ')?.0.trim().parse().ok()?;
    let rest = &line[line.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17, starttime 22.
    let num = |i: usize| f.get(i)?.parse::<u64>().ok();
    Some(Proc {
        pid,
        ppid: f.get(1)?.parse().ok()?,
        cpu_ticks: num(11)? + num(12)? + num(13)? + num(14)?,
        start_ticks: num(19)?,
    })
}

/// Every process under `proc_root` (normally `/proc`) that could be read.
pub(crate) fn snapshot(proc_root: &Path) -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir(proc_root) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|line| parse_stat(&line))
        .collect()
}

/// The pids that descend from `root` (not `root` itself), parents before children.
pub(crate) fn descendants(procs: &[Proc], root: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for c in procs.iter().filter(|c| c.ppid == p && c.pid != p) {
            if !out.contains(&c.pid) {
                out.push(c.pid);
                frontier.push(c.pid);
            }
        }
    }
    out
}

/// Clock ticks per second (`_SC_CLK_TCK`).
pub(crate) fn ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// CPU ticks of `root` and everything below it, `None` when `root` is gone.
pub(crate) fn tree_cpu_ticks(procs: &[Proc], root: i32) -> Option<u64> {
    let own = procs.iter().find(|p| p.pid == root)?.cpu_ticks;
    let below: u64 = descendants(procs, root)
        .iter()
        .filter_map(|d| procs.iter().find(|p| p.pid == *d))
        .map(|p| p.cpu_ticks)
        .sum();
    Some(own + below)
}

/// The start time of `pid` (to tell it from a later process that reuses the pid).
pub(crate) fn start_ticks(pid: i32) -> Option<u64> {
    let line = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&line).map(|p| p.start_ticks)
}

fn signal_all(pids: &[i32], sig: i32) {
    for &pid in pids {
        // SAFETY: kill only sends a signal; a pid that is gone gives ESRCH, which is fine.
        unsafe { libc::kill(pid, sig) };
    }
}

/// End every descendant of `root`: SIGTERM, up to `grace` for them to go (reaping as we wait
/// when `reap` — we are their subreaper), then SIGKILL to whatever is left, until none is left
/// (a process may fork while we end it). Returns how many there were.
pub(crate) fn end_descendants(root: i32, grace: Duration, reap: bool) -> usize {
    let proc_root = Path::new("/proc");
    let first = live(&descendants(&snapshot(proc_root), root));
    if first.is_empty() {
        return 0;
    }
    signal_all(&first, libc::SIGTERM);
    let until = Instant::now() + grace;
    let mut seen = first.clone();
    loop {
        if reap {
            reap_any();
        }
        let left = live(&descendants(&snapshot(proc_root), root));
        for p in &left {
            if !seen.contains(p) {
                seen.push(*p);
            }
        }
        if left.is_empty() {
            break;
        }
        if Instant::now() >= until {
            signal_all(&left, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(20));
        if Instant::now() >= until + Duration::from_secs(10) {
            break; // unkillable (uninterruptible sleep): give up rather than hang
        }
    }
    seen.len()
}

/// Those of `pids` that are not zombies (a zombie has ended; only its reaper can clear it).
fn live(pids: &[i32]) -> Vec<i32> {
    pids.iter()
        .copied()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|l| {
                l.rfind(')').and_then(|i| l[i + 1..].split_whitespace().next()) != Some("Z")
            })
        })
        .collect()
}

/// Reap every child that has ended, without blocking.
pub(crate) fn reap_any() {
    loop {
        let mut status = 0;
        // SAFETY: waitpid with WNOHANG writes only into `status`.
        let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if r <= 0 {
            break;
        }
    }
}

/// The supervisor of the command trial running now (0: none), whose tree's CPU time the
/// process CPU clock adds (the estimate and the background-load share count the trial's
/// processes as ours).
static TRACKED: AtomicI32 = AtomicI32::new(0);

/// Count `pid`'s tree as ours until [`untrack`].
pub(crate) fn track(pid: i32) {
    TRACKED.store(pid, Ordering::SeqCst);
}

pub(crate) fn untrack() {
    TRACKED.store(0, Ordering::SeqCst);
}

/// CPU time in µs of the tracked tree that has not yet reached this process's own children
/// count (`RUSAGE_CHILDREN`, which takes a child's time when it is reaped): 0 when none is
/// tracked or it has been reaped.
pub(crate) fn tracked_cpu_us() -> u64 {
    let pid = TRACKED.load(Ordering::SeqCst);
    if pid <= 0 {
        return 0;
    }
    let ticks = tree_cpu_ticks(&snapshot(Path::new("/proc")), pid).unwrap_or(0);
    (ticks as f64 / ticks_per_s() * 1e6) as u64
}

#[cfg(test)]
#[path = "tests/tree.rs"]
mod tests;
