use super::*;
use burn::optim::AdamConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::tensor::Distribution;

#[test]
fn matches_burns_adam_over_several_steps() {
    let device = Device::flex();
    device.seed(5);
    for wd in [None, Some(0.01f32)] {
        let burn_adam = AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(wd.map(WeightDecayConfig::new))
            .build();
        let fused = FusedAdam { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8, weight_decay: wd };
        let mut a = Tensor::<2>::random([70, 1100], Distribution::Normal(0.0, 1.0), &device);
        let mut b = a.clone();
        let (mut sa, mut sb) = (None, None);
        for step in 0..5 {
            let g = Tensor::<2>::random([70, 1100], Distribution::Normal(0.0, 0.1), &device)
                + step as f64 * 0.01;
            (a, sa) = burn_adam.step(0.01, a, g.clone(), sa);
            (b, sb) = fused.step(0.01, b, g, sb);
        }
        let diff: f32 = (a.clone() - b).abs().max().into_scalar();
        let moved: f32 = a.abs().max().into_scalar();
        assert!(diff < 1e-5 && moved > 0.0, "weight decay {wd:?}: fused Adam differs by {diff}");
    }
}
