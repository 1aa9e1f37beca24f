//! Reused scratch buffers for the kernels' large intermediates (im2col matrices, per-step
//! activations, gradient scratch).
//!
//! A fresh multi-MiB `Vec` per batch is fresh memory from the kernel: every page faults and is
//! cleared on first touch (`clear_page_erms` was 17 % of CNN training time in `perf`). Buffers
//! handed back on drop are zero-filled and reused instead.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// Buffers smaller than this are left to the allocator.
const MIN_LEN: usize = 1 << 16;
/// At most this many idle buffers are kept.
const MAX_IDLE: usize = 24;

static IDLE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// A zero-filled f32 buffer that returns to the pool when dropped.
#[derive(Debug, Default)]
pub struct Buf(Vec<f32>);

/// `len` zeros, in a reused buffer when one is large enough.
pub fn zeroed(len: usize) -> Buf {
    if len < MIN_LEN {
        return Buf(vec![0.0; len]);
    }
    let reused = IDLE.lock().ok().and_then(|mut idle| {
        // The smallest idle buffer that fits, so that small requests leave large buffers alone.
        let best = idle
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i)?;
        Some(idle.swap_remove(best))
    });
    match reused {
        Some(mut v) => {
            v.clear();
            v.resize(len, 0.0);
            Buf(v)
        }
        None => Buf(vec![0.0; len]),
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if self.0.capacity() < MIN_LEN {
            return;
        }
        if let Ok(mut idle) = IDLE.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(std::mem::take(&mut self.0));
        }
    }
}

impl Deref for Buf {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

#[cfg(test)]
#[path = "tests/buffers.rs"]
mod tests;
