use super::*;

#[test]
fn the_bias_is_added_once_and_relu_keeps_nan() {
    let d = DenseDims { batch: 2, input: 3, output: 2, relu: true };
    let x = [1.0, 2.0, 3.0, -1.0, -2.0, -3.0];
    // W is [in, out]: column 0 picks the first input, column 1 is poisoned.
    let w = [1.0, f32::NAN, 0.0, 0.0, 0.0, 0.0];
    let y = forward(d, &x, &w, &[0.5, 0.0]);
    assert_eq!(y[0], 1.5);
    assert_eq!(y[2], 0.0, "−1 + 0.5 clipped by ReLU");
    // A diverged layer stays visible to the divergence check.
    assert!(y[1].is_nan() && y[3].is_nan(), "{y:?}");
}

#[test]
fn backward_masks_by_the_output_and_gives_the_input_gradient_only_when_asked() {
    let d = DenseDims { batch: 2, input: 2, output: 2, relu: true };
    let (x, w) = ([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 0.5, 2.0]);
    let y = forward(d, &x, &w, &[0.0, 0.0]);
    // y = [[2, 3], [5, 5]]: all positive, so every gradient passes; then zero one output.
    let mut y_masked = y.clone();
    y_masked[1] = 0.0;
    let grad = [1.0, 1.0, 1.0, 1.0];
    let g = backward(d, &x, &w, &y_masked, &grad, true);
    // dz = [[1, 0], [1, 1]]: dW = xᵀ·dz, db = column sums, dx = dz·Wᵀ.
    assert_eq!(g.bias, vec![2.0, 1.0]);
    assert_eq!(g.weight, vec![1.0 + 3.0, 3.0, 2.0 + 4.0, 4.0]);
    assert_eq!(g.x, Some(vec![1.0, 0.5, 0.0, 2.5]));
    assert!(backward(d, &x, &w, &y, &grad, false).x.is_none());
}

#[test]
fn a_large_batch_split_by_rows_gives_the_same_output_as_one_product() {
    // More rows than ROWS_PER_TASK per thread, and not a multiple of the thread count.
    let batch = ROWS_PER_TASK * rayon::current_num_threads().max(1) + 3;
    let d = DenseDims { batch, input: 5, output: 7, relu: true };
    let x: Vec<f32> = (0..batch * 5).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
    let w: Vec<f32> = (0..35).map(|i| ((i * 13 % 17) as f32 - 8.0) / 8.0).collect();
    let b: Vec<f32> = (0..7).map(|i| i as f32 * 0.1 - 0.3).collect();
    let split = forward(d, &x, &w, &b);
    // Unfilled memory holding NaN: the product must write every element without reading it.
    let mut whole = vec![MaybeUninit::new(f32::NAN); batch * 7];
    rows_forward(d, &x, &w, &b, &mut whole, true);
    // SAFETY: NaN-initialised above, and overwritten by `rows_forward`.
    let whole: Vec<f32> = whole.iter().map(|v| unsafe { v.assume_init() }).collect();
    assert_eq!(split, whole);
    assert!(split.contains(&0.0) && split.iter().any(|v| *v > 0.0));
}

#[test]
fn a_layer_without_relu_adds_its_bias_to_every_row_and_keeps_negatives() {
    for threads in 1..=3 {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        // Small batches, and large ones split by rows with a partial last part.
        for batch in [1, 3, ROWS_PER_TASK * threads + 1, ROWS_PER_TASK * threads * 2 - 1] {
            pool.install(|| check_without_relu(batch));
        }
    }
}

fn check_without_relu(batch: usize) {
    let d = DenseDims { batch, input: 2, output: 3, relu: false };
    let x: Vec<f32> = (0..batch * 2).map(|i| i as f32 - 3.0).collect();
    // y[r] = [x0 − x1, x1, 0] + b
    let w = [1.0, 0.0, 0.0, -1.0, 1.0, 0.0];
    let b = [0.25, -0.5, -1.0];
    let y = forward(d, &x, &w, &b);
    assert_eq!(y.len(), batch * 3);
    for (r, row) in y.chunks_exact(3).enumerate() {
        let (x0, x1) = (x[2 * r], x[2 * r + 1]);
        assert_eq!(row, [x0 - x1 + 0.25, x1 - 0.5, -1.0], "batch {batch}, row {r}");
    }
}

#[test]
fn empty_layers_give_empty_or_bias_only_outputs() {
    let y = forward(
        DenseDims { batch: 0, input: 4, output: 3, relu: true },
        &[],
        &[0.0; 12],
        &[1.0; 3],
    );
    assert!(y.is_empty());
    let y = forward(DenseDims { batch: 2, input: 4, output: 0, relu: true }, &[0.0; 8], &[], &[]);
    assert!(y.is_empty());
    // No inputs: the product is zero, the output is the bias (then ReLU).
    let y =
        forward(DenseDims { batch: 2, input: 0, output: 2, relu: true }, &[], &[], &[1.5, -2.0]);
    assert_eq!(y, [1.5, 0.0, 1.5, 0.0]);
    // Large batches (the row split) with no inputs or no outputs.
    let batch = ROWS_PER_TASK * rayon::current_num_threads().max(1) * 2;
    let d = DenseDims { batch, input: 0, output: 2, relu: false };
    assert_eq!(forward(d, &[], &[], &[0.5, -0.5]), [0.5, -0.5].repeat(batch));
    let d = DenseDims { batch, input: 3, output: 0, relu: true };
    assert!(forward(d, &vec![1.0; batch * 3], &[], &[]).is_empty());
}
