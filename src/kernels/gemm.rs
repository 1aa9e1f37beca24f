//! A bounds-checked view over the `gemm` crate (the same matrix-multiply kernels burn-flex uses),
//! for row-major f32 buffers with arbitrary row strides and transposed views.

use std::mem::MaybeUninit;

/// A read-only matrix: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// A contiguous row-major `rows × cols` matrix at the start of `data`.
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols)
    }

    /// Rows `rs` elements apart (e.g. one time step of every sequence in `[batch, steps, h]`).
    pub(crate) fn strided(data: &'a [f32], rows: usize, cols: usize, rs: usize) -> Self {
        let v = View { data, rows, cols, rs, cs: 1 };
        v.check();
        v
    }

    /// The transpose, without copying.
    pub(crate) fn t(self) -> Self {
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
/// Inside a rayon task (a kernel already split by batch) the product stays on this thread. Training
/// itself runs on a pool worker, so a product not inside a kernel's own split takes
/// [`gemm_new`] or [`gemm_uninit`] with `parallel`.
pub(crate) fn gemm(out: &mut [f32], out_rs: usize, a: View, b: View, accumulate: bool) {
    product(out, out_rs, a, b, accumulate, rayon::current_thread_index().is_none());
}

/// A new row-major `a·b`, split across the pool's threads when large enough (see
/// [`gemm_uninit`]). The buffer is not zero-filled first: the product writes every element (a
/// 1.6 MB weight gradient's zero fill was ~3 % of MLP training time).
pub(crate) fn gemm_new(a: View, b: View) -> Vec<f32> {
    let len = a.rows * b.cols;
    let mut out: Vec<f32> = Vec::with_capacity(len);
    gemm_uninit(&mut out.spare_capacity_mut()[..len], a, b, true);
    // SAFETY: `gemm_uninit` initialised the first `len` elements.
    unsafe { out.set_len(len) };
    out
}

/// `out := a·b` into uninitialised row-major memory (`a.rows × b.cols` elements), returned as
/// initialised: no zero fill or prior value is read. `parallel`: split across the current rayon
/// pool's threads when large enough, even when called from one of them (a trial runs inside its
/// pool: a kernel that does not split the work itself would otherwise run on one core); otherwise
/// on this thread.
pub(crate) fn gemm_uninit<'o>(
    out: &'o mut [MaybeUninit<f32>],
    a: View,
    b: View,
    parallel: bool,
) -> &'o mut [f32] {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions differ");
    assert_eq!(out.len(), m * n, "gemm: output is not {m}×{n}");
    if k == 0 {
        out.fill(MaybeUninit::new(0.0));
    } else if m > 0 && n > 0 {
        // SAFETY: `out` holds m rows of n elements, n apart; with `accumulate = false` the product
        // writes each of them and reads none. The views were bounds-checked when made.
        unsafe { raw(out.as_mut_ptr().cast(), n, a, b, false, parallelism(m * n * k, parallel)) };
    }
    // SAFETY: every element was written above (`MaybeUninit<f32>` has `f32`'s layout).
    unsafe { &mut *(out as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// The `gemm` crate's product into `out` (row stride `out_rs`).
///
/// # Safety
/// `out` must hold `a.rows` rows of `b.cols` elements `out_rs` apart (initialised when
/// `accumulate`), and `a.cols == b.rows` with both views bounds-checked.
unsafe fn raw(
    out: *mut f32,
    out_rs: usize,
    a: View,
    b: View,
    accumulate: bool,
    parallelism: gemm::Parallelism,
) {
    // SAFETY: as the caller promises.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            out,
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

fn parallelism(work: usize, may_split: bool) -> gemm::Parallelism {
    if work >= PARALLEL_WORK && may_split {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    }
}

fn product(out: &mut [f32], out_rs: usize, a: View, b: View, accumulate: bool, may_split: bool) {
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
    let parallelism = parallelism(m * n * k, may_split);
    // SAFETY: every index the product touches was bounds-checked above (views in `check`).
    unsafe { raw(out.as_mut_ptr(), out_rs, a, b, accumulate, parallelism) };
}

#[cfg(test)]
#[path = "tests/gemm.rs"]
mod tests;
