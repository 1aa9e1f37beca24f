use super::*;
use burn::nn::{GruConfig, Initializer, LstmConfig};
use burn::tensor::Distribution;

fn close(a: Tensor<2>, b: Tensor<2>) {
    let diff: f32 = (a - b).abs().max().into_scalar();
    assert!(diff < 1e-5, "fused and Burn's cells differ by {diff}");
}

#[test]
fn fused_cells_match_burns_modules() {
    let device = Device::flex();
    let init = Initializer::Uniform { min: -0.3, max: 0.3 };
    let seq = Tensor::<3>::random([4, 7, 5], Distribution::Normal(0.0, 1.0), &device);
    let lstm = LstmConfig::new(5, 6, true).with_initializer(init.clone()).init(&device);
    let (_, state) = lstm.forward(seq.clone(), None);
    close(FusedLstm::from_burn(&lstm).forward(seq.clone()), state.hidden);
    let gru = GruConfig::new(5, 6, true).with_initializer(init).init(&device);
    let out = gru.forward(seq.clone(), None);
    let last = out.slice([0..4, 6..7, 0..6]).reshape([4, 6]);
    close(FusedGru::from_burn(&gru).forward(seq), last);
}
