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
/// the whole-sequence pass that training runs, for every cell: no rows, one row, fewer rows
/// than a block per thread, exactly a block, several blocks with a partial last one; one step
/// (no `h·W_hh` product) and several; one to three threads.
#[test]
fn the_streaming_forward_pass_equals_the_whole_sequence_pass() {
    for batch in [0, 1, 5, STREAM_ROWS - 1, STREAM_ROWS, 2 * STREAM_ROWS + 23] {
        for steps in [1, 5] {
            let d = Dims { batch, steps, input: 7, hidden: 9 };
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
                for threads in [1, 2, 3] {
                    let pool =
                        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                    let (kept, saved) = pool.install(|| forward(cell, d, &x, &w, true));
                    let (streamed, none) = pool.install(|| forward(cell, d, &x, &w, false));
                    let case = format!("{cell:?}, batch {batch}, {steps} steps, {threads} threads");
                    assert!(
                        saved.is_some() && none.is_none(),
                        "{case}: saved state only when kept"
                    );
                    assert_eq!(kept.len(), d.batch * d.hidden, "{case}");
                    assert_eq!(streamed.len(), kept.len(), "{case}");
                    if batch > 0 {
                        assert!(kept.iter().any(|v| v.abs() > 0.05), "{case}: a trivial h_T");
                    }
                    for (i, (a, b)) in kept.iter().zip(&streamed).enumerate() {
                        assert!((a - b).abs() < 1e-6, "{case}: h_T[{i}] {b} streamed, {a} kept");
                    }
                }
            }
        }
    }
}

/// No units or no steps: h_T is h_0 = 0, without a division by zero.
#[test]
fn the_streaming_forward_pass_takes_empty_sizes() {
    let w = Weights { w_ih: &[], b_ih: &[], w_hh: &[], b_hh: Some(&[]) };
    let d = Dims { batch: 3, steps: 4, input: 2, hidden: 0 };
    assert!(forward(Cell::Lstm, d, &[0.5; 24], &w, false).0.is_empty());
    let d = Dims { batch: 3, steps: 0, input: 2, hidden: 2 };
    let (w_ih, b) = ([0.1f32; 16], [0.2f32; 8]);
    let w = Weights { w_ih: &w_ih, b_ih: &b, w_hh: &[0.3; 16], b_hh: Some(&b) };
    assert_eq!(forward(Cell::Lstm, d, &[], &w, false).0, vec![0.0; 6]);
}

#[test]
fn transpose_swaps_rows_and_columns() {
    let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    assert_eq!(transpose(&m, 2, 3), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(transpose(&transpose(&m, 2, 3), 3, 2), m);
    assert!(transpose(&[], 0, 4).is_empty());
    assert!(transpose(&[], 3, 0).is_empty());
}
