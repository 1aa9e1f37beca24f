//! The inference phase's structure (its timing is measured, not tested).

use super::*;
use crate::backend::Backend;
use crate::data::{Dataset, synthetic};
use crate::models::{ModelKind, ModelSettings};

#[test]
fn every_phase_is_called_in_order_and_single_images_cycle() {
    let device = Device::flex();
    let norm = Dataset::Mnist.mean_std();
    let test = Prepared::from_split(&synthetic(10, 2), None, norm);
    let model = Model::init(&ModelSettings::defaults(ModelKind::Mlp), &device);
    let mut seen = Vec::new();
    let r = measure(&model, &test, 4, 25, Backend::Flex, &mut |p| seen.push(p));
    assert_eq!(
        seen,
        vec![
            InferPhase::BatchStart,
            InferPhase::BatchEnd,
            InferPhase::SingleStart,
            InferPhase::SingleEnd
        ]
    );
    assert_eq!(r.batch_images, 10);
    assert_eq!(r.single_images, 25, "more single images than test images: they cycle");
    assert!(r.single_median_s > 0.0 && r.single_median_s <= r.single_time_s);
    assert!(r.batch_time_s > 0.0);
    let expected = match crate::deploy::Isa::detect() {
        Some(isa) if crate::kernels::available(&device) => format!("deploy-{}", isa.name()),
        _ => "flex".into(),
    };
    assert_eq!(r.runtime, expected);
}
