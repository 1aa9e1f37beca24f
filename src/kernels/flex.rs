//! The edge between burn-flex tensors and the kernels' plain f32 slices.

use burn::backend::TensorMetadata;
use burn::tensor::{DType, TensorData};
use burn_flex::FlexTensor;
use std::borrow::Cow;

/// The tensor's elements in row-major order, borrowed when already contiguous.
pub(super) fn f32s(t: &FlexTensor) -> Cow<'_, [f32]> {
    assert_eq!(t.dtype(), DType::F32, "wattsweep's kernels take f32 tensors");
    match t.as_slice::<f32>() {
        Some(s) => Cow::Borrowed(s),
        None => {
            Cow::Owned(t.to_contiguous().into_data().try_into_vec::<f32>().expect("an f32 tensor"))
        }
    }
}

/// A tensor's elements as an owned f32 vector (no copy when it owns its buffer alone, the usual
/// case for a parameter): for code outside the kernels that reads weights (Adam, `deploy`).
pub(crate) fn into_f32s<const D: usize>(t: burn::Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("converted to f32 above")
}

pub(super) fn dims(t: &FlexTensor) -> Vec<usize> {
    t.shape().to_vec()
}

/// A new contiguous tensor owning `data` (no copy).
pub(super) fn output(data: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}
