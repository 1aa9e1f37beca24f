//! Ctrl-C and SIGTERM: the first sets a flag the training loop polls between batches, so the
//! current trial ends as `interrupted` and every file stays consistent; a second one exits at
//! once (status 130), for when a batch takes too long.

use anyhow::Result;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone)]
pub(super) struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// Install the handlers for this process.
    pub(super) fn install() -> Result<Interrupt> {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM] {
            // Order matters: the conditional exit checks the flag before it is set by this signal.
            signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&flag))?;
            signal_hook::flag::register(sig, Arc::clone(&flag))?;
        }
        Ok(Interrupt { flag })
    }

    pub(super) fn requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
