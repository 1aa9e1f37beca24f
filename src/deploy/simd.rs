//! Vector registers for the forward-only kernels, and which instruction set this CPU runs them
//! with ([`Isa`], detected at run time: one binary serves AVX-512 and AVX2 machines alike).
//!
//! The kernels are written once, generic over [`Vector`]; each entry point is compiled per
//! instruction set inside a `#[target_feature]` function, so the vector methods inline into it.
//! A CPU with neither AVX-512F nor AVX2+FMA (or another architecture) has no [`Isa`]: inference
//! then takes the training kernels' path (a plan is not made).

/// The instruction set the forward-only kernels run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// 16 lanes, 32 registers.
    Avx512,
    /// 8 lanes, 16 registers, fused multiply-add.
    Avx2,
}

impl Isa {
    /// The best this CPU has, unless `WATTSWEEP_ISA=avx2` asks for the narrower one (to time or
    /// test it on an AVX-512 machine).
    pub(crate) fn detect() -> Option<Isa> {
        let best = Self::supported().into_iter().next()?;
        match std::env::var("WATTSWEEP_ISA").as_deref() {
            Ok("avx2") if Self::supported().contains(&Isa::Avx2) => Some(Isa::Avx2),
            _ => Some(best),
        }
    }

    /// Every instruction set this CPU runs, widest first.
    pub(crate) fn supported() -> Vec<Isa> {
        let mut isas = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                isas.push(Isa::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                isas.push(Isa::Avx2);
            }
        }
        isas
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
        }
    }
}

/// Channel and column counts are padded to a multiple of this (a whole number of vectors for
/// either instruction set).
pub(crate) const PAD: usize = 16;

/// Rounds `n` up to a multiple of [`PAD`].
pub(crate) fn padded(n: usize) -> usize {
    n.div_ceil(PAD) * PAD
}

/// One vector register of f32 lanes.
///
/// # Safety
/// Every method requires the CPU feature of the implementing type, and pointer arguments must
/// be valid for `LANES` elements.
pub(crate) trait Vector: Copy {
    const LANES: usize;
    unsafe fn zero() -> Self;
    unsafe fn splat(x: f32) -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    /// `self·b + c`, one rounding.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    unsafe fn add(self, b: Self) -> Self;
    /// Lane-wise maximum; where either lane is NaN, `b`'s lane.
    unsafe fn max(self, b: Self) -> Self;
}

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// `Vector` for one x86 register type from its intrinsics, each method compiled with `features`.
#[cfg(target_arch = "x86_64")]
macro_rules! vector {
    ($ty:ty, $lanes:literal, $features:literal, $zero:ident, $splat:ident, $load:ident,
     $store:ident, $fma:ident, $add:ident, $max:ident) => {
        impl Vector for $ty {
            const LANES: usize = $lanes;
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn zero() -> Self {
                $zero()
            }
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn splat(x: f32) -> Self {
                $splat(x)
            }
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn load(p: *const f32) -> Self {
                // SAFETY: the caller promises `LANES` readable elements.
                unsafe { $load(p) }
            }
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn store(self, p: *mut f32) {
                // SAFETY: the caller promises `LANES` writable elements.
                unsafe { $store(p, self) }
            }
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn mul_add(self, b: Self, c: Self) -> Self {
                $fma(self, b, c)
            }
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn add(self, b: Self) -> Self {
                $add(self, b)
            }
            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn max(self, b: Self) -> Self {
                $max(self, b)
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
vector!(
    __m512,
    16,
    "avx512f",
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
    _mm512_max_ps
);

#[cfg(target_arch = "x86_64")]
vector!(
    __m256,
    8,
    "avx2,fma",
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    _mm256_max_ps
);
