//! `wattsweep __supervise --status FILE --grace-s S -- PROGRAM ARGS…`: the process between
//! wattsweep and a command trial. wattsweep starts it with `PR_SET_PDEATHSIG` = SIGTERM, so it
//! hears of wattsweep's death even by SIGKILL; it makes itself a child subreaper, so every
//! descendant of the command — also one that called `setsid` or forked twice — stays below it.
//! When the command exits it ends what the command left running; on SIGTERM/SIGINT/SIGHUP it
//! ends the whole tree (SIGTERM, then SIGKILL after the grace period). Last, it writes what
//! happened to the status file (JSON) for wattsweep to read.

use super::tree;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the supervisor writes to its status file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Status {
    /// The command's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended the command, when one did.
    pub signal: Option<i32>,
    /// The command could not be started (e.g. no such program).
    pub spawn_error: Option<String>,
    /// The supervisor was told to end the tree (timeout, Ctrl-C, budget, wattsweep gone).
    pub terminated: bool,
    /// Processes still running after the command exited (or when told to end), which the
    /// supervisor ended.
    pub leftovers: usize,
    /// CPU seconds of the whole tree (user + system, every process reaped).
    pub cpu_s: f64,
    /// Peak resident memory of the largest single process of the tree, MiB.
    pub max_rss_mb: f64,
}

/// Run the supervisor; returns its exit code (0 once the status file is written).
pub(crate) fn supervise(status_path: &Path, grace: Duration, argv: &[String]) -> i32 {
    // SAFETY: prctl with these arguments only changes this process's attributes.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    // wattsweep may have died before PR_SET_PDEATHSIG was in force: then our parent is no
    // longer the one that started us.
    let parent: Option<i32> =
        std::env::var("WATTSWEEP_SUPERVISOR_PARENT").ok().and_then(|p| p.parse().ok());
    // SAFETY: getppid has no preconditions.
    if parent.is_some_and(|p| p != unsafe { libc::getppid() }) {
        return 1;
    }
    let mut status = Status::default();
    match std::process::Command::new(&argv[0]).args(&argv[1..]).spawn() {
        Err(e) => status.spawn_error = Some(format!("cannot start `{}`: {e}", argv[0])),
        Ok(child) => {
            let pid = child.id() as i32;
            loop {
                let mut st = 0;
                // SAFETY: waitpid writes only into `st`. Any child: orphans re-parented to us
                // are reaped as they end, the command's own status kept.
                let r = unsafe { libc::waitpid(-1, &mut st, libc::WNOHANG) };
                if r == pid {
                    if libc::WIFEXITED(st) {
                        status.exit_code = Some(libc::WEXITSTATUS(st));
                    } else if libc::WIFSIGNALED(st) {
                        status.signal = Some(libc::WTERMSIG(st));
                    }
                    break;
                }
                if r > 0 {
                    continue;
                }
                if stop.load(Ordering::SeqCst) {
                    status.terminated = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let grace = if status.terminated { grace } else { grace.min(Duration::from_secs(2)) };
    status.leftovers = tree::end_descendants(me, grace, true);
    if status.terminated && status.exit_code.is_none() && status.signal.is_none() {
        // The command itself was among those ended; the count above included it.
        status.leftovers = status.leftovers.saturating_sub(1);
    }
    // Everything has been signalled; reap what remains (bounded: a process stuck in the
    // kernel must not hang the sweep).
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < until {
        let mut st = 0;
        // SAFETY: as above.
        let r = unsafe { libc::waitpid(-1, &mut st, libc::WNOHANG) };
        if r < 0 {
            break; // ECHILD: none left
        }
        if r == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // SAFETY: getrusage only writes into the zeroed struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } == 0 {
        let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        status.cpu_s = s(ru.ru_utime) + s(ru.ru_stime);
        status.max_rss_mb = ru.ru_maxrss as f64 / 1024.0;
    }
    let tmp = status_path.with_extension("tmp");
    let written = serde_json::to_vec(&status)
        .map_err(std::io::Error::other)
        .and_then(|b| std::fs::write(&tmp, b))
        .and_then(|_| std::fs::rename(&tmp, status_path));
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("wattsweep supervisor: {}: {e}", status_path.display());
            70
        }
    }
}
