//! Runtime CPU-feature dispatch and the vectorisable transcendental functions the kernels use.
//!
//! The crate is built for the baseline x86-64 target (SSE2) so that one binary runs on every node
//! of a cluster; `simd_fn!` compiles a kernel body twice, once with AVX2+FMA enabled (three times with
//! `wide;`: AVX-512F too), and picks at run time. The math helpers are `#[inline(always)]` so that they are vectorised inside that body.
//! libm's `expf` is a scalar call per element (burn-flex's sigmoid spent ~40 % of LSTM time in
//! it); the polynomial below vectorises.

/// Define `fn name(args)` whose body runs compiled for AVX2+FMA when the CPU has both. Inside
/// the body, `M` is the [`MulAdd`] of the version running: [`Fused`] in the AVX2+FMA one,
/// [`Separate`] in the baseline one (whose `mul_add` would be a scalar libm call).
///
/// `simd_fn! { wide; fn … }` adds a version compiled for AVX-512F (16 lanes), picked first where
/// the CPU has it: for element-wise bodies heavy enough that the width pays (the recurrent cells'
/// gate exponentials). Each element is computed by the same operations in every version, so the
/// results are the same.
macro_rules! simd_fn {
    (wide; $($f:tt)*) => { $crate::kernels::simd::simd_fn!(@versions true; $($f)*); };
    (@versions $wide:literal; $(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn imp<M: $crate::kernels::simd::MulAdd>($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                #[allow(clippy::too_many_arguments, dead_code)]
                unsafe fn avx512($($arg: $ty),*) {
                    imp::<$crate::kernels::simd::Fused>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) {
                    imp::<$crate::kernels::simd::Fused>($($arg),*)
                }
                if $wide && $crate::kernels::simd::has_avx512() {
                    // SAFETY: the CPU supports the features `avx512` was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if $crate::kernels::simd::has_avx2() {
                    // SAFETY: the CPU supports the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            imp::<$crate::kernels::simd::Separate>($($arg),*)
        }
    };
    ($($f:tt)*) => { $crate::kernels::simd::simd_fn!(@versions false; $($f)*); };
}
pub(crate) use simd_fn;

/// `a·b + c` as the kernel version at hand computes it best.
pub(crate) trait MulAdd {
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// One fused multiply-add instruction (one rounding): for code compiled with FMA enabled.
pub(crate) struct Fused;

/// A multiply, then an add: for the baseline build, where `f32::mul_add` is a library call.
pub(crate) struct Separate;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// Whether the CPU has AVX2 and FMA (cached by std after the first call).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Whether the CPU has AVX-512F, AVX2 and FMA (cached by std after the first call).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && has_avx2()
}

/// e^x for f32, Cephes' `expf` polynomial (relative error ≲ 2e-7 over the clamped range).
/// Inputs are clamped to [-87.3, 88.3] so that 2^n stays a normal number.
/// The polynomial's multiply-adds are fused with `M = Fused` (half the instructions: the LSTM
/// cell's five exponentials were 13 % of its training time as separate multiplies and adds).
#[inline(always)]
pub(crate) fn exp<M: MulAdd>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    // 1.5·2^23: adding and subtracting it rounds to the nearest integer without `round()`,
    // which has no SSE2 instruction and would stop vectorisation.
    const MAGIC: f32 = 12_582_912.0;
    // Compare-and-select rather than `clamp`, and the exponent taken from the bits of `t` rather
    // than an `as i32` cast: both keep the loop vectorised (a saturating float → int cast and
    // `clamp`'s NaN handling compiled to per-lane scalar code).
    let x = if x < -87.3 { -87.3 } else { x };
    let x = if x > 88.3 { 88.3 } else { x };
    let t = M::mul_add(x, LOG2E, MAGIC);
    let n = t - MAGIC;
    let r = M::mul_add(-n, C2, M::mul_add(-n, C1, x));
    let mut p = 1.987_569_1e-4f32;
    p = M::mul_add(p, r, 1.398_199_9e-3);
    p = M::mul_add(p, r, 8.333_452e-3);
    p = M::mul_add(p, r, 4.166_579_6e-2);
    p = M::mul_add(p, r, 0.166_666_65);
    p = M::mul_add(p, r, 0.5);
    let e = M::mul_add(p * r, r, r) + 1.0;
    // t's unit in the last place is 1, so its bits minus MAGIC's are n (here in [-126, 127]).
    let n_int = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let scale = f32::from_bits((n_int.wrapping_add(127) as u32) << 23);
    e * scale
}

/// Logistic sigmoid 1 / (1 + e^-x).
#[inline(always)]
pub(crate) fn sigmoid<M: MulAdd>(x: f32) -> f32 {
    1.0 / (1.0 + exp::<M>(-x))
}

/// tanh(x) = 2·σ(2x) − 1, the identity the reference path uses too (models/fused.rs).
#[inline(always)]
pub(crate) fn tanh<M: MulAdd>(x: f32) -> f32 {
    2.0 / (1.0 + exp::<M>(-2.0 * x)) - 1.0
}

#[cfg(test)]
#[path = "tests/simd.rs"]
mod tests;
