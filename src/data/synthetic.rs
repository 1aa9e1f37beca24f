//! A tiny learnable stand-in for MNIST, for tests and demos (never used by `run` on its own):
//! class k is a bright horizontal bar on rows 2k+4..2k+6 plus noise, so every model, the
//! recurrent ones reading rows as time steps included, can learn it within an epoch.
//! `scripts/synthetic-data.py` writes the same kind of set as IDX files for CI.

use super::split::Split;

/// `n` images (labels cycling 0–9), deterministic for a given `seed`.
pub fn synthetic(n: usize, seed: u64) -> Split {
    let step = |s: u64| s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut state = step(seed);
    let mut images = Vec::with_capacity(n * 28 * 28);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let k = i % 10;
        labels.push(k as u8);
        for row in 0..28 {
            let bar = if (2 * k + 4..2 * k + 6).contains(&row) { 180 } else { 0 };
            for _ in 0..28 {
                state = step(state);
                images.push(bar + (state >> 58) as u8); // noise 0..63
            }
        }
    }
    Split { images, labels, rows: 28, cols: 28 }
}
