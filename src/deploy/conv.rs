//! The CNN's block for inference, one image at a time: 3×3 convolution (stride 1, no padding),
//! bias, ReLU and 2×2 max-pooling (stride 2, floor) in one pass, channels last (`[y][x][c]`).
//!
//! A direct convolution: a register tile holds the four convolution outputs of up to two pooling
//! windows for up to 32 output channels; for each tap and input channel the kernel broadcasts
//! the input values and multiplies them into the weights' vectors, and only the pooled maximum
//! (plus bias, through ReLU) is ever stored. No im2col copy, no full-size convolution output, and
//! positions that the floor of the pooling drops (the 11th row and column of the second
//! convolution) are never computed. Channels last makes an input channel's values at one
//! position contiguous and the output directly the next block's input.

use super::simd::{Isa, Vector, padded};

/// A packed convolution block.
#[derive(Clone, Debug)]
pub(crate) struct ConvPool {
    cin: usize,
    /// Output channels padded to whole vectors; the padding channels come out 0.
    width: usize,
    /// `[ky·3 + kx][cin][width]`.
    w: Vec<f32>,
    /// `[width]`.
    b: Vec<f32>,
    relu: bool,
}

/// An input plane, channels last: `height × width` positions, `stride` values apart (the first
/// `cin` of them are the channels; the rest padding).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plane {
    pub height: usize,
    pub width: usize,
    pub stride: usize,
}

impl Plane {
    /// Pooled output side lengths.
    pub(crate) fn pooled(&self) -> (usize, usize) {
        ((self.height - 2) / 2, (self.width - 2) / 2)
    }
}

impl ConvPool {
    /// `weight` `[cout, cin, 3, 3]` and `bias` `[cout]`, as Burn's `Conv2d` stores them.
    pub(crate) fn new(weight: &[f32], bias: &[f32], cin: usize, cout: usize, relu: bool) -> Self {
        assert_eq!(weight.len(), cout * cin * 9, "convolution weight shape");
        assert_eq!(bias.len(), cout, "convolution bias shape");
        let width = padded(cout);
        let mut w = vec![0.0f32; 9 * cin * width];
        for o in 0..cout {
            for c in 0..cin {
                for tap in 0..9 {
                    w[(tap * cin + c) * width + o] = weight[(o * cin + c) * 9 + tap];
                }
            }
        }
        let mut b = vec![0.0f32; width];
        b[..cout].copy_from_slice(bias);
        ConvPool { cin, width, w, b, relu }
    }

    /// Values per output position (the output channels, padded).
    /// Whether every packed weight and bias is finite.
    pub(crate) fn finite(&self) -> bool {
        self.w.iter().chain(&self.b).all(|v| v.is_finite())
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Pools `x` (the plane `p`) into `out`, `[ph][pw][width]`.
    pub(crate) fn run(&self, isa: Isa, x: &[f32], p: Plane, out: &mut [f32]) {
        assert!(p.height >= 4 && p.width >= 4, "convolution input too small");
        assert!(p.stride >= self.cin, "input channels overlap");
        assert!(x.len() >= ((p.height - 1) * p.width + p.width - 1) * p.stride + self.cin);
        let (ph, pw) = p.pooled();
        assert!(out.len() >= ph * pw * self.width, "convolution output too short");
        // SAFETY: the CPU has `isa`; every read lies inside the plane and every write inside
        // `out` (checked above).
        unsafe {
            match isa {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => run_avx512(self, x.as_ptr(), p, out.as_mut_ptr()),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => run_avx2(self, x.as_ptr(), p, out.as_mut_ptr()),
                #[allow(unreachable_patterns)]
                _ => unreachable!("no Isa on this architecture"),
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn run_avx512(c: &ConvPool, x: *const f32, p: Plane, out: *mut f32) {
    // 2 windows × 4 positions × 2 vectors: 16 of the 32 registers accumulate.
    // SAFETY: as `ConvPool::run` promises.
    unsafe { windows::<std::arch::x86_64::__m512, 2, 8>(c, x, p, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2(c: &ConvPool, x: *const f32, p: Plane, out: *mut f32) {
    // 1 window × 4 positions × 2 vectors: 8 of the 16 registers accumulate.
    // SAFETY: as `ConvPool::run` promises.
    unsafe { windows::<std::arch::x86_64::__m256, 1, 4>(c, x, p, out) }
}

/// Every pooled output, by blocks of two vectors of channels (so that a block's weights stay in
/// L1 across the plane), then row by row, `P` windows at a time (`Q` = 4·`P` positions).
#[inline(always)]
unsafe fn windows<V: Vector, const P: usize, const Q: usize>(
    c: &ConvPool,
    x: *const f32,
    p: Plane,
    out: *mut f32,
) {
    let vectors = c.width / V::LANES;
    let (ph, pw) = p.pooled();
    let mut v = 0;
    while v < vectors {
        let two = vectors - v >= 2;
        for py in 0..ph {
            let mut px = 0;
            while px < pw {
                // SAFETY: as `ConvPool::run` promises; the block lies inside the plane.
                unsafe {
                    px += match (px + P <= pw, two) {
                        (true, true) => block::<V, 2, P, Q>(c, x, p, out, py, px, v),
                        (true, false) => block::<V, 1, P, Q>(c, x, p, out, py, px, v),
                        (false, true) => block::<V, 2, 1, 4>(c, x, p, out, py, px, v),
                        (false, false) => block::<V, 1, 1, 4>(c, x, p, out, py, px, v),
                    };
                }
            }
        }
        v += if two { 2 } else { 1 };
    }
}

/// Windows `(py, px..px+P)` for the channel vectors `v..v+NV`; returns `P`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn block<V: Vector, const NV: usize, const P: usize, const Q: usize>(
    c: &ConvPool,
    x: *const f32,
    p: Plane,
    out: *mut f32,
    py: usize,
    px: usize,
    v: usize,
) -> usize {
    debug_assert_eq!(Q, 4 * P);
    let l = V::LANES;
    let (cin, width) = (c.cin, c.width);
    let (_, pw) = p.pooled();
    // SAFETY: positions (2py+dy+ky, 2(px+i)+dx+kx) lie inside the plane (py < ph, px+P ≤ pw);
    // weight and output columns `v·l..(v+NV)·l` lie inside `width`.
    unsafe {
        let mut acc = [[V::zero(); NV]; Q];
        for tap in 0..9 {
            let (ky, kx) = (tap / 3, tap % 3);
            let wt = c.w.as_ptr().add(tap * cin * width + v * l);
            let src: [*const f32; Q] = std::array::from_fn(|q| {
                let (i, dy, dx) = (q / 4, (q / 2) % 2, q % 2);
                let (y, xx) = (2 * py + dy + ky, 2 * (px + i) + dx + kx);
                x.add((y * p.width + xx) * p.stride)
            });
            for ch in 0..cin {
                let mut wv = [V::zero(); NV];
                for (k, wv) in wv.iter_mut().enumerate() {
                    *wv = V::load(wt.add(ch * width + k * l));
                }
                for q in 0..Q {
                    let xv = V::splat(*src[q].add(ch));
                    for k in 0..NV {
                        acc[q][k] = xv.mul_add(wv[k], acc[q][k]);
                    }
                }
            }
        }
        for i in 0..P {
            for k in 0..NV {
                let a = &acc[4 * i..4 * i + 4];
                let m = a[0][k].max(a[1][k]).max(a[2][k]).max(a[3][k]);
                let m = m.add(V::load(c.b.as_ptr().add(v * l + k * l)));
                let m = if c.relu { V::zero().max(m) } else { m };
                m.store(out.add((py * pw + px + i) * width + v * l + k * l));
            }
        }
    }
    P
}
