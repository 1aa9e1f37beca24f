//! A bounds-checked view over the `gemm` crate (the same matrix-multiply kernels burn-flex uses),
//! for row-major f32 buffers with arbitrary row strides and transposed views.

/// A read-only matrix: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// A contiguous row-major `rows × cols` matrix at the start of `data`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols)
    }

    /// Rows `rs` elements apart (e.g. one time step of every sequence in `[batch, steps, h]`).
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, rs: usize) -> Self {
        let v = View { data, rows, cols, rs, cs: 1 };
        v.check();
        v
    }

    /// The transpose, without copying.
    pub fn t(self) -> Self {
        View { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }

    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < self.data.len(), "gemm view {}×{} out of bounds", self.rows, self.cols);
        }
    }
}

/// Work (m·n·k) above which a product is split across rayon's threads.
const PARALLEL_WORK: usize = 1 << 21;

/// `out = a·b` (or `out += a·b` with `accumulate`), `out` row-major with row stride `out_rs`.
pub fn gemm(out: &mut [f32], out_rs: usize, a: View, b: View, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions differ");
    if m == 0 || n == 0 {
        return;
    }
    assert!((m - 1) * out_rs + n <= out.len(), "gemm: output {m}×{n} out of bounds");
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                out[r * out_rs..r * out_rs + n].fill(0.0);
            }
        }
        return;
    }
    // Inside a rayon task (a kernel already split by batch) the product stays on this thread.
    let parallelism = if m * n * k >= PARALLEL_WORK && rayon::current_thread_index().is_none() {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every index the product touches was bounds-checked above (views in `check`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            out_rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
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
}
