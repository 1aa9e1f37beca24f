use super::*;

fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

#[test]
fn products_transposes_strides_and_accumulation() {
    let (m, k, n) = (5, 7, 3);
    let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
    let want = naive(&a, &b, m, k, n);
    let mut c = vec![0.0; m * n];
    gemm(&mut c, n, View::new(&a, m, k), View::new(&b, k, n), false);
    for (x, y) in c.iter().zip(&want) {
        assert!((x - y).abs() < 1e-5);
    }
    // (bᵀ)ᵀ = b via a transposed view of bᵀ stored row-major; accumulate doubles the result.
    let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
    gemm(&mut c, n, View::new(&a, m, k), View::new(&bt, n, k).t(), true);
    for (x, y) in c.iter().zip(&want) {
        assert!((x - 2.0 * y).abs() < 1e-5);
    }
    // Strided output: every other row of a taller buffer.
    let mut tall = vec![9.0; 2 * m * n];
    gemm(&mut tall, 2 * n, View::new(&a, m, k), View::new(&b, k, n), false);
    for i in 0..m {
        for j in 0..n {
            assert!((tall[i * 2 * n + j] - want[i * n + j]).abs() < 1e-5);
            assert_eq!(tall[i * 2 * n + n + j], 9.0);
        }
    }
}

#[test]
#[should_panic(expected = "out of bounds")]
fn a_view_past_its_buffer_panics() {
    let a = [0.0f32; 5];
    View::new(&a, 2, 3);
}

#[test]
fn a_new_product_is_written_in_full_on_every_path() {
    // Shapes that take the gemm crate's main kernel, its outer-product (k ≤ 2) and its
    // matrix-vector (n = 1, m = 1) paths, and an empty inner dimension.
    for (m, k, n) in [(37, 19, 23), (9, 1, 7), (9, 2, 7), (31, 17, 1), (1, 17, 31), (4, 0, 3)] {
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(&a, &b, m, k, n);
        // Leave garbage where the new buffer will be: freed memory the allocator hands back.
        drop(vec![f32::NAN; m * n * 4]);
        let c = gemm_new(View::new(&a, m, k), View::new(&b, k, n));
        assert_eq!(c.len(), m * n);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5, "{m}×{k}×{n}: {x} vs {y}");
        }
        // The transposed views the weight gradients use: (aᵀ)ᵀ·b.
        let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
        let c = gemm_new(View::new(&at, k, m).t(), View::new(&b, k, n));
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5, "{m}×{k}×{n} transposed: {x} vs {y}");
        }
    }
}

#[test]
fn an_unfilled_product_writes_every_element_and_reads_none() {
    // The main kernel, one large enough to be split across threads (m·k·n ≥ PARALLEL_WORK), the
    // outer-product (k ≤ 2) and matrix-vector (n = 1, m = 1: batch-1 inference) paths, empty sizes.
    let shapes = [
        (37, 19, 23),
        (256, 96, 96),
        (9, 1, 7),
        (9, 2, 7),
        (31, 17, 1),
        (1, 17, 31),
        (4, 0, 3),
        (0, 3, 2),
    ];
    assert!(shapes.iter().any(|&(m, k, n)| m * k * n >= PARALLEL_WORK));
    for (m, k, n) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(&a, &b, m, k, n);
        for parallel in [false, true] {
            // NaN where the product goes: reading it (accumulating) would leave NaN behind.
            let mut out = vec![MaybeUninit::new(f32::NAN); m * n];
            let c = gemm_uninit(&mut out, View::new(&a, m, k), View::new(&b, k, n), parallel);
            assert_eq!(c.len(), m * n);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-5, "{m}×{k}×{n} parallel {parallel}: {x} vs {y}");
            }
        }
    }
}
