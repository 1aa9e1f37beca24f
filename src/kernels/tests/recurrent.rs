use super::*;

/// Deterministic values in (−scale, scale).
fn values(n: usize, seed: u32, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// The block-by-block forward pass of evaluation and inference (nothing kept) gives the h_T of
/// the whole-sequence pass that training runs, for every cell, with several blocks, a partial
/// last block, and one or two threads.
#[test]
fn the_streaming_forward_pass_equals_the_whole_sequence_pass() {
    let d = Dims { batch: 2 * STREAM_ROWS + 23, steps: 5, input: 7, hidden: 9 };
    let x = values(d.batch * d.steps * d.input, 1, 1.0);
    for cell in [Cell::Tanh, Cell::Lstm, Cell::Gru] {
        let g = cell.gates() * d.hidden;
        let w_ih = values(d.input * g, 2, 0.5);
        let b_ih = values(g, 3, 0.5);
        let w_hh = values(d.hidden * g, 4, 0.5);
        let b_hh = values(g, 5, 0.5);
        let w = Weights {
            w_ih: &w_ih,
            b_ih: &b_ih,
            w_hh: &w_hh,
            b_hh: (cell != Cell::Tanh).then_some(&b_hh[..]),
        };
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let (kept, saved) = pool.install(|| forward(cell, d, &x, &w, true));
            let (streamed, none) = pool.install(|| forward(cell, d, &x, &w, false));
            assert!(saved.is_some() && none.is_none(), "{cell:?}: saved state only when kept");
            assert_eq!(kept.len(), d.batch * d.hidden);
            assert!(kept.iter().any(|v| v.abs() > 0.05), "{cell:?}: a trivial h_T");
            let diff = kept.iter().zip(&streamed).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(diff < 1e-6, "{cell:?}, {threads} threads: h_T differs by {diff}");
        }
    }
}
