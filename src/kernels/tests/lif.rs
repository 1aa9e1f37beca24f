use super::*;

/// Step-by-step reference with the gradient by reverse-mode recursion.
fn reference(lif: &Lif, i: f32) -> (f32, f32) {
    let (mut mem, mut reset, mut sum) = (0.0f32, 0.0f32, 0.0f32);
    let mut surrogate = Vec::new();
    for _ in 0..lif.steps {
        mem = mem * lif.beta + i - reset * lif.threshold;
        let u = mem - lif.threshold;
        let spk = if u > 0.0 { 1.0 } else { 0.0 };
        reset = spk;
        sum += spk;
        surrogate.push(match lif.surrogate {
            Surrogate::FastSigmoid { slope } => 1.0 / (1.0 + slope * u.abs()).powi(2),
            Surrogate::Atan { alpha } => {
                let x = std::f32::consts::PI / 2.0 * alpha * u;
                alpha / 2.0 / (1.0 + x * x)
            }
        });
    }
    // d out / d mem_t = s_t + β · d out / d mem_{t+1}; d out / d I = Σ_t d out / d mem_t.
    let (mut dmem, mut di) = (0.0f32, 0.0f32);
    for s in surrogate.iter().rev() {
        dmem = s + lif.beta * dmem;
        di += dmem;
    }
    (sum, di)
}

#[test]
fn spikes_and_gradient_match_the_recursion() {
    for surrogate in [Surrogate::FastSigmoid { slope: 25.0 }, Surrogate::Atan { alpha: 2.0 }] {
        check_against_recursion(Lif { steps: 25, beta: 0.9, threshold: 1.0, surrogate });
    }
}

fn check_against_recursion(lif: Lif) {
    let current: Vec<f32> = (0..5000).map(|k| (k as f32 * 0.0137).sin() * 0.6 + 0.1).collect();
    let mut factor = vec![0.0; current.len()];
    let sum = lif.forward(&current, Some(&mut factor));
    assert_eq!(sum, lif.forward(&current, None));
    let mut fired = 0.0;
    for (k, &i) in current.iter().enumerate() {
        let (s, d) = reference(&lif, i);
        assert_eq!(sum[k], s, "spike count of neuron {k}");
        assert!(
            (factor[k] - d).abs() <= 1e-4 * d.abs().max(1.0),
            "gradient of neuron {k}: {} vs {d}",
            factor[k]
        );
        fired += s;
    }
    assert!(
        fired > 0.0 && fired < 25.0 * current.len() as f32,
        "the test current must make some neurons fire"
    );
}

#[test]
fn a_sequence_gives_the_recursions_spikes_and_gradient() {
    // Reference: each neuron stepped by hand, gradient by reverse-mode recursion through the
    // membrane (reset detached): dmem_t = g_t·σ'_t + β·dmem_{t+1}, ∂L/∂I_t = dmem_t.
    let (steps, n, beta, thr) = (6usize, 700usize, 0.8f32, 0.5f32);
    let current: Vec<f32> = (0..steps * n).map(|k| (k as f32 * 0.173).sin() * 0.9 + 0.2).collect();
    let grad: Vec<f32> = (0..steps * n).map(|k| (k as f32 * 0.071).cos()).collect();
    for surrogate in [Surrogate::FastSigmoid { slope: 25.0 }, Surrogate::Atan { alpha: 2.0 }] {
        let (spikes, slopes) = sequence_forward(&current, steps, beta, thr, Some(surrogate));
        let (plain, none) = sequence_forward(&current, steps, beta, thr, None);
        assert_eq!(spikes, plain);
        assert!(none.is_none());
        let back = sequence_backward(&grad, slopes.as_ref().unwrap(), steps, beta);
        let slope_of = |u: f32| match surrogate {
            Surrogate::FastSigmoid { slope } => 1.0 / (1.0 + slope * u.abs()).powi(2),
            Surrogate::Atan { alpha } => {
                let x = std::f32::consts::PI / 2.0 * alpha * u;
                alpha / 2.0 / (1.0 + x * x)
            }
        };
        let mut fired = 0.0;
        for j in 0..n {
            let (mut mem, mut reset) = (0.0f32, 0.0f32);
            let mut s = Vec::new();
            for t in 0..steps {
                mem = mem * beta + current[t * n + j] - reset * thr;
                let spk = if mem - thr > 0.0 { 1.0 } else { 0.0 };
                assert_eq!(spikes[t * n + j], spk, "neuron {j}, step {t}");
                fired += spk;
                reset = spk;
                s.push(slope_of(mem - thr));
            }
            let mut d = 0.0f32;
            for t in (0..steps).rev() {
                d = grad[t * n + j] * s[t] + beta * d;
                let got = back[t * n + j];
                assert!(
                    (got - d).abs() <= 1e-5 * d.abs().max(1.0),
                    "neuron {j}, step {t}: {got} vs {d}"
                );
            }
        }
        assert!(fired > 0.0 && fired < (steps * n) as f32, "some neurons must fire, not all");
    }
}
