//! A dense layer for inference, one input row at a time: `y = act(x·W + b)`.
//!
//! Inputs equal to the layer's `base` are skipped: their share, `base·Σ W`, is folded into the
//! bias when the layer is packed, so only the other inputs' weight rows are read. For the MLP's
//! first layer `base` is a blank pixel as normalised (most of an MNIST digit); after a ReLU it is
//! 0. The accumulators stay in vector registers across all the inputs (a tile of up to 16 vectors
//! of output columns), so each weight is loaded once per image and nothing is written back until
//! the tile is done. Exact up to fp32 rounding (the folded bias is summed in f64).

use super::simd::{Isa, Vector, padded};

/// A packed dense layer.
#[derive(Clone, Debug)]
pub(crate) struct Dense {
    input: usize,
    output: usize,
    /// `output` padded to whole vectors; the padding columns are zero.
    width: usize,
    /// `[input, width]`.
    w: Vec<f32>,
    /// `[width]`, with `base·Σ_i W[i]` added.
    b: Vec<f32>,
    base: f32,
    relu: bool,
}

/// Reused per thread: the inputs that differ from `base`, minus `base`, and where they are.
#[derive(Default)]
pub(crate) struct Active {
    at: Vec<u32>,
    value: Vec<f32>,
}

impl Dense {
    /// `w` `[rows, output]` as Burn's `Linear` stores it, `b` `[output]`. Packed input `i` is
    /// `w`'s row `row_of(i)`, or a zero row when `None` (padding channels, for example).
    pub(crate) fn new(
        input: usize,
        output: usize,
        w: &[f32],
        b: &[f32],
        row_of: impl Fn(usize) -> Option<usize>,
        relu: bool,
        base: f32,
    ) -> Dense {
        assert_eq!(b.len(), output, "dense bias shape");
        assert_eq!(w.len() % output.max(1), 0, "dense weight shape");
        let width = padded(output);
        let mut packed = vec![0.0f32; input * width];
        let mut sums = vec![0.0f64; output];
        for i in 0..input {
            if let Some(r) = row_of(i) {
                let src = &w[r * output..(r + 1) * output];
                packed[i * width..i * width + output].copy_from_slice(src);
                for (s, &v) in sums.iter_mut().zip(src) {
                    *s += v as f64;
                }
            }
        }
        let mut bias = vec![0.0f32; width];
        for (j, (&bj, s)) in b.iter().zip(&sums).enumerate() {
            bias[j] = (bj as f64 + base as f64 * s) as f32;
        }
        Dense { input, output, width, w: packed, b: bias, base, relu }
    }

    pub(crate) fn output(&self) -> usize {
        self.output
    }

    /// Output columns written by [`Dense::row`] (the real ones, then zero padding).
    /// Whether every packed weight and bias is finite.
    pub(crate) fn finite(&self) -> bool {
        self.w.iter().chain(&self.b).all(|v| v.is_finite())
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// `y[..width] = act(x·W + b)` for one input row `x` (`input` values).
    pub(crate) fn row(&self, isa: Isa, x: &[f32], y: &mut [f32], active: &mut Active) {
        assert_eq!(x.len(), self.input, "dense input length");
        assert!(y.len() >= self.width, "dense output too short");
        self.gather(x, active);
        // SAFETY: the CPU has `isa` (it was detected); `active` indexes rows of `w`, and `y`
        // holds `width` elements (checked above).
        unsafe {
            match isa {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => row_avx512(self, active, y.as_mut_ptr()),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => row_avx2(self, active, y.as_mut_ptr()),
                #[allow(unreachable_patterns)]
                _ => unreachable!("no Isa on this architecture"),
            }
        }
    }

    /// The inputs that differ from `base`, without a branch per input.
    fn gather(&self, x: &[f32], a: &mut Active) {
        a.at.resize(x.len(), 0);
        a.value.resize(x.len(), 0.0);
        let mut n = 0;
        for (i, &v) in x.iter().enumerate() {
            a.at[n] = i as u32;
            a.value[n] = v - self.base;
            n += (v != self.base) as usize;
        }
        a.at.truncate(n);
        a.value.truncate(n);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn row_avx512(d: &Dense, a: &Active, y: *mut f32) {
    // SAFETY: as `Dense::row` promises.
    unsafe { columns::<std::arch::x86_64::__m512>(d, a, y) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx2(d: &Dense, a: &Active, y: *mut f32) {
    // SAFETY: as `Dense::row` promises.
    unsafe { columns::<std::arch::x86_64::__m256>(d, a, y) }
}

/// The columns in tiles: as many vectors as the registers hold, then halves down to one, with
/// more partial sums per column as tiles narrow (a single chain of fused multiply-adds would wait
/// on each one's latency).
#[inline(always)]
unsafe fn columns<V: Vector>(d: &Dense, a: &Active, y: *mut f32) {
    let l = V::LANES;
    let vectors = d.width / l;
    let mut v = 0;
    while v < vectors {
        let left = vectors - v;
        let col = v * l;
        // SAFETY: each tile's columns lie inside `width`.
        unsafe {
            let (w, b, y) = (d.w.as_ptr().add(col), d.b.as_ptr().add(col), y.add(col));
            v += if left >= 16 && l == 16 {
                tile::<V, 16, 1>(w, d.width, a, b, y, d.relu)
            } else if left >= 8 {
                tile::<V, 8, 1>(w, d.width, a, b, y, d.relu)
            } else if left >= 4 {
                tile::<V, 4, 2>(w, d.width, a, b, y, d.relu)
            } else if left >= 2 {
                tile::<V, 2, 4>(w, d.width, a, b, y, d.relu)
            } else {
                tile::<V, 1, 8>(w, d.width, a, b, y, d.relu)
            };
        }
    }
}

/// `NV` vectors of columns from `w`, `b` and `y` (already at the tile's first column), with `U`
/// partial sums per vector; returns `NV`.
#[inline(always)]
unsafe fn tile<V: Vector, const NV: usize, const U: usize>(
    w: *const f32,
    width: usize,
    a: &Active,
    b: *const f32,
    y: *mut f32,
    relu: bool,
) -> usize {
    let l = V::LANES;
    // SAFETY: `a.at` holds rows of `w` (each `width` long, the tile inside it); `b` and `y` hold
    // the tile's columns.
    unsafe {
        let mut acc = [[V::zero(); NV]; U];
        for (v, acc) in acc[0].iter_mut().enumerate() {
            *acc = V::load(b.add(v * l));
        }
        let n = a.at.len();
        let (at, value) = (a.at.as_ptr(), a.value.as_ptr());
        let mut k = 0;
        while k + U <= n {
            for (u, acc) in acc.iter_mut().enumerate() {
                let x = V::splat(*value.add(k + u));
                let row = w.add(*at.add(k + u) as usize * width);
                for (v, acc) in acc.iter_mut().enumerate() {
                    *acc = x.mul_add(V::load(row.add(v * l)), *acc);
                }
            }
            k += U;
        }
        while k < n {
            let x = V::splat(*value.add(k));
            let row = w.add(*at.add(k) as usize * width);
            for (v, acc) in acc[0].iter_mut().enumerate() {
                *acc = x.mul_add(V::load(row.add(v * l)), *acc);
            }
            k += 1;
        }
        for v in 0..NV {
            let mut s = acc[0][v];
            for part in &acc[1..] {
                s = s.add(part[v]);
            }
            // `max(0, s)`: a NaN stays NaN (the second operand wins).
            let s = if relu { V::zero().max(s) } else { s };
            s.store(y.add(v * l));
        }
    }
    NV
}
