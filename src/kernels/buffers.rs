//! Reused scratch buffers for the kernels' large intermediates (im2col matrices, per-step
//! activations, gradient scratch).
//!
//! A fresh multi-MiB `Vec` per batch is fresh memory from the kernel: every page faults and is
//! cleared on first touch (`clear_page_erms` was 17 % of CNN training time in `perf`). Buffers
//! handed back on drop are reused instead, as they are: every caller overwrites its buffer in
//! full (zero-filling them on reuse was 6 % of LSTM training time).

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// Buffers smaller than this are left to the allocator.
const MIN_LEN: usize = 1 << 16;
/// At most this many idle buffers are kept.
const MAX_IDLE: usize = 24;

/// Idle buffers, the largest kept up to `MAX_IDLE`.
pub(super) struct Pool(Mutex<Vec<Vec<f32>>>);

/// The kernels' pool.
static POOL: Pool = Pool::new();

impl Pool {
    pub(super) const fn new() -> Self {
        Pool(Mutex::new(Vec::new()))
    }

    /// `len` values to be overwritten: a reused buffer keeps what it held (zeros where it grows).
    pub(super) fn scratch(&'static self, len: usize) -> Buf {
        let v = if len < MIN_LEN { None } else { self.take(len) };
        let v = match v {
            Some(mut v) => {
                v.resize(len, 0.0);
                v
            }
            None => vec![0.0; len],
        };
        Buf { v, pool: self }
    }

    fn take(&self, len: usize) -> Option<Vec<f32>> {
        self.0.lock().ok().and_then(|mut idle| {
            // The smallest idle buffer that fits, so that small requests leave large buffers alone.
            let best = idle
                .iter()
                .enumerate()
                .filter(|(_, v)| v.capacity() >= len)
                .min_by_key(|(_, v)| v.capacity())
                .map(|(i, _)| i)?;
            Some(idle.swap_remove(best))
        })
    }

    fn put(&self, v: Vec<f32>) {
        if v.capacity() < MIN_LEN {
            return;
        }
        if let Ok(mut idle) = self.0.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(v);
        }
    }
}

/// An f32 buffer that returns to its pool when dropped.
#[derive(Debug)]
pub(super) struct Buf {
    v: Vec<f32>,
    pool: &'static Pool,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pool")
    }
}

/// From the kernels' pool: see [`Pool::scratch`].
pub(super) fn scratch(len: usize) -> Buf {
    POOL.scratch(len)
}

impl Drop for Buf {
    fn drop(&mut self) {
        self.pool.put(std::mem::take(&mut self.v));
    }
}

impl Deref for Buf {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.v
    }
}

impl DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.v
    }
}

#[cfg(test)]
#[path = "tests/buffers.rs"]
mod tests;
