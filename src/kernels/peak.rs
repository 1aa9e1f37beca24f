//! The machine's fp32 multiply-add peak, measured: every rayon thread runs a loop of independent
//! fused multiply-adds on registers (no memory traffic), at the widest vector width the CPU has
//! (AVX-512, else AVX2+FMA, else SSE2 multiply + add). `wattsweep bench` relates the models'
//! training FLOP/s to it.
//!
//! Measured rather than computed from a data sheet because a VM's clock under load is not
//! known (cpufreq is absent in guests and boost depends on the host), and because the number of
//! FMA units per core differs between chips with the same instruction set.

use std::time::Instant;

/// Independent accumulator chains per thread: more than FMA latency × FMA units (4 × 2 on Zen 3,
/// Ice Lake and Sapphire Rapids), so that the loop is throughput-bound.
const CHAINS: usize = 12;
/// Loop iterations per measurement (~20 ms on a 3 GHz core with AVX2).
const ITERS: usize = 1 << 22;
/// Measurements; the fastest counts (interference only slows a run down).
const TRIES: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Peak {
    /// FLOP/s over all threads (one multiply-add = 2 FLOPs).
    pub flops_per_s: f64,
    /// Threads that ran the loop.
    pub threads: usize,
    /// f32 lanes per instruction.
    pub lanes: usize,
    /// The instruction set used: `avx512`, `avx2+fma` or `sse2` (no FMA: multiply and add).
    pub isa: &'static str,
}

/// Measures the peak on rayon's threads.
pub(crate) fn measure() -> Peak {
    let (isa, lanes) = widest();
    let threads = rayon::current_num_threads().max(1);
    let mut best = f64::INFINITY;
    for _ in 0..TRIES {
        let t = Instant::now();
        let sums = rayon::broadcast(|_| run(isa));
        std::hint::black_box(sums);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let flops = (threads * ITERS * CHAINS * lanes * 2) as f64;
    Peak { flops_per_s: flops / best.max(1e-9), threads, lanes, isa }
}

fn widest() -> (&'static str, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return ("avx512", 16);
        }
        if super::simd::has_avx2() {
            return ("avx2+fma", 8);
        }
    }
    ("sse2", 4)
}

/// One thread's loop; returns a sum so that the work cannot be optimised away.
fn run(isa: &str) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `widest` chose the ISA from the CPU's feature flags.
        unsafe {
            match isa {
                "avx512" => return x86::avx512(),
                "avx2+fma" => return x86::avx2(),
                _ => {}
            }
        }
    }
    let _ = isa;
    portable()
}

/// Multiply and add on 4-lane arrays (SSE2 on x86-64; whatever the target vectorises elsewhere).
fn portable() -> f32 {
    let (a, b) = std::hint::black_box((0.999_999f32, 1e-6f32));
    let mut acc = [[1.0f32; 4]; CHAINS];
    for _ in 0..ITERS {
        for chain in acc.iter_mut() {
            for v in chain.iter_mut() {
                *v = *v * a + b;
            }
        }
    }
    acc.iter().flatten().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{CHAINS, ITERS};
    use std::arch::x86_64::*;

    // The multiplier and addend keep every accumulator near 1.0: no overflow, no denormals
    // (which would slow the loop down on some chips).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512() -> f32 {
        let (a, b) = std::hint::black_box((0.999_999f32, 1e-6f32));
        let (a, b) = (_mm512_set1_ps(a), _mm512_set1_ps(b));
        let mut acc = [_mm512_set1_ps(1.0); CHAINS];
        for _ in 0..ITERS {
            for v in acc.iter_mut() {
                *v = _mm512_fmadd_ps(*v, a, b);
            }
        }
        acc.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2() -> f32 {
        let (a, b) = std::hint::black_box((0.999_999f32, 1e-6f32));
        let (a, b) = (_mm256_set1_ps(a), _mm256_set1_ps(b));
        let mut acc = [_mm256_set1_ps(1.0); CHAINS];
        for _ in 0..ITERS {
            for v in acc.iter_mut() {
                *v = _mm256_fmadd_ps(*v, a, b);
            }
        }
        let mut out = [0.0f32; 8];
        let mut sum = 0.0;
        for v in acc {
            // SAFETY: `out` holds the 8 lanes stored.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) };
            sum += out.iter().sum::<f32>();
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_peak_is_plausible_for_the_isa() {
        let p = measure();
        assert!(p.threads >= 1);
        assert_eq!(p.lanes, widest().1);
        // Between 0.1 and 20 GHz of one instruction per cycle per thread × 2 FMA units.
        let per_thread_cycle = p.flops_per_s / p.threads as f64 / (p.lanes * 2) as f64;
        assert!(
            per_thread_cycle > 1e8 && per_thread_cycle < 4e10,
            "{p:?}: {per_thread_cycle:e} FMA instructions per second per thread"
        );
    }

    #[test]
    fn every_isa_loop_keeps_its_accumulators_finite() {
        assert!(portable().is_finite());
        let (isa, _) = widest();
        assert!(run(isa).is_finite(), "{isa}");
    }
}
