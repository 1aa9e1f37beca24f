use super::*;

/// Both versions: fused multiply-adds (the AVX2+FMA kernels) and separate ones (the baseline).
#[test]
fn exp_sigmoid_tanh_match_libm() {
    accurate::<Fused>();
    accurate::<Separate>();
}

fn accurate<M: MulAdd>() {
    let mut worst = (0.0f32, 0.0f32, 0.0f32);
    let mut x = -30.0f32;
    while x < 30.0 {
        worst.0 = worst.0.max(((exp::<M>(x) - x.exp()) / x.exp()).abs());
        worst.1 = worst.1.max((sigmoid::<M>(x) - 1.0 / (1.0 + (-x).exp())).abs());
        worst.2 = worst.2.max((tanh::<M>(x) - x.tanh()).abs());
        x += 0.001_3;
    }
    assert!(worst.0 < 5e-7, "exp relative error {}", worst.0);
    assert!(worst.1 < 2e-7, "sigmoid error {}", worst.1);
    assert!(worst.2 < 5e-7, "tanh error {}", worst.2);
    // Saturation, not overflow or NaN, far outside the range.
    assert_eq!(sigmoid::<M>(-200.0).max(0.0), sigmoid::<M>(-200.0));
    assert!(sigmoid::<M>(-200.0) < 1e-37 && sigmoid::<M>(200.0) == 1.0);
    assert_eq!(tanh::<M>(100.0), 1.0);
    assert_eq!(tanh::<M>(-100.0), -1.0);
}

#[test]
fn exp_takes_the_exponent_from_the_bits_exactly() {
    exact_powers::<Fused>();
    exact_powers::<Separate>();
}

fn exact_powers<M: MulAdd>() {
    // exp(n·ln 2) = 2^n over the whole unclamped range (2^-125 … 2^127): the scale built from
    // the bits is right at both ends.
    for n in -125..=127 {
        let x = n as f32 * std::f32::consts::LN_2;
        let want = (x as f64).exp();
        let rel = ((exp::<M>(x) as f64 - want) / want).abs();
        assert!(rel < 5e-7, "exp({n}·ln2) = {} vs {want}", exp::<M>(x));
    }
    // NaN does not become a number silently.
    assert!(exp::<M>(f32::NAN).is_nan());
}

simd_fn! {
    /// `o[0] = o[1]·o[2] + o[3]` with the version's own multiply-add.
    fn probe(o: &mut [f32]) {
        o[0] = M::mul_add(o[1], o[2], o[3]);
    }
}

/// The AVX2+FMA version gets the fused multiply-add and the baseline the separate one (swapped,
/// every accuracy test would still pass but the baseline would call libm per element).
#[test]
fn each_version_gets_its_multiply_add() {
    // (1 + 2^-13)(1 − 2^-13) − 1 = −2^-26 exactly; rounded after the product it is 0.
    let e = 2f32.powi(-13);
    let mut o = [0.0, 1.0 + e, 1.0 - e, -1.0];
    probe(&mut o);
    #[cfg(target_arch = "x86_64")]
    let fused = has_avx2();
    #[cfg(not(target_arch = "x86_64"))]
    let fused = false;
    let want = if fused { -(2f32.powi(-26)) } else { 0.0 };
    assert_eq!(o[0], want, "fused = {fused}");
    assert_eq!(Fused::mul_add(o[1], o[2], o[3]), -(2f32.powi(-26)));
    assert_eq!(Separate::mul_add(o[1], o[2], o[3]), 0.0);
}
