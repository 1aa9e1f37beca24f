//! Ctrl-C and SIGTERM: the first sets a flag the training loop polls between batches, so the
//! current trial ends as `interrupted` and every file stays consistent; a second one exits at
//! once (status 130), for when a batch takes too long. GPU power limits this process lowered
//! come back before that exit, and at once on SIGTERM (Slurm sends it, then SIGKILL after
//! `KillWait`, which no process outlives): from the journal, through a fresh NVML handle, on the
//! signal thread, so a training thread holding the meter cannot delay it.

use anyhow::Result;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone)]
pub(super) struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// Install the handlers for this process; `state_dir` holds its power-limit journal.
    pub(super) fn install(state_dir: PathBuf) -> Result<Interrupt> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let seen = Arc::clone(&flag);
        std::thread::Builder::new().name("signals".into()).spawn(move || {
            for sig in signals.forever() {
                let second = seen.swap(true, Ordering::SeqCst);
                if second || sig == SIGTERM {
                    restore_limits(&state_dir);
                }
                if second {
                    eprintln!("second interrupt: exiting now");
                    std::process::exit(130);
                }
            }
        })?;
        Ok(Interrupt { flag })
    }

    pub(super) fn requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

fn restore_limits(state_dir: &std::path::Path) {
    match crate::energy::restore_own_limits(state_dir) {
        Ok(0) => {}
        Ok(n) => tracing::warn!("interrupted: the power limits of {n} GPU(s) are back"),
        Err(e) => tracing::error!("interrupted: could not put the GPU power limits back: {e}"),
    }
}
