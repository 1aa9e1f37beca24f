use super::*;

fn one_window(x: &[f32], bias: f32) -> f32 {
    // 4×4 input → 2×2 convolution output → one pooled value.
    let d = ConvDims { batch: 1, cin: 1, height: 4, width: 4, cout: 1, relu: true };
    let (y, _) = forward(d, x, &[1.0; 9], &[bias], true);
    assert_eq!(y.len(), 1);
    y[0]
}

#[test]
fn relu_and_pooling_pass_nan_on_and_clip_negatives() {
    let mut x = [1.0f32; 16];
    assert_eq!(one_window(&x, 0.0), 9.0);
    assert_eq!(one_window(&x, -20.0), 0.0, "every window negative: ReLU gives 0");
    // One NaN pixel reaches only the first of the four positions; it must still win the pool
    // and pass ReLU (a diverged CNN must show a NaN loss, not a finite one).
    x[0] = f32::NAN;
    assert!(one_window(&x, 0.0).is_nan());
    assert!(one_window(&x, -20.0).is_nan());
    // NaN in the last position of the window too.
    let mut x = [1.0f32; 16];
    x[15] = f32::NAN;
    assert!(one_window(&x, 0.0).is_nan());
}
