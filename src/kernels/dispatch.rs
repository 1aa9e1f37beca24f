//! The kernels' entry points: the `Kernels` backend extension (flex forward here, the autodiff
//! backward in `autodiff`), the tensor-level functions the models call, and the switch to Burn's
//! reference path.

use super::conv::{self, ConvDims};
use super::dense::DenseDims;
use super::flex::{dims, f32s, output};
use super::lif::{self, Lif, Surrogate};
use super::recurrent::{self, Cell, Dims, Weights};
use burn::backend::{Dispatch, DispatchDevice, Flex, backend_extension, tensor::FloatTensor};
use burn::prelude::*;
use burn_flex::FlexTensor;

#[backend_extension(Flex, Autodiff)]
pub(super) trait Kernels: burn::backend::Backend {
    /// Spike counts `[batch, hidden]` of LIF neurons driven by `current` (see lif.rs).
    fn lif_spikes(
        current: FloatTensor<Self>,
        steps: usize,
        beta: f32,
        threshold: f32,
        surrogate: Surrogate,
    ) -> FloatTensor<Self>;
    /// Spikes `[steps, …]` of LIF neurons driven by `current` `[steps, …]`, one current per step.
    fn lif_sequence(
        current: FloatTensor<Self>,
        beta: f32,
        threshold: f32,
        surrogate: Surrogate,
    ) -> FloatTensor<Self>;
    /// Last hidden state `[batch, hidden]` of a recurrent layer over `seq` `[batch, steps, in]`.
    /// `cell`: 0 tanh (its `b_hh` is ignored), 1 LSTM, 2 GRU.
    fn recurrent_last(
        seq: FloatTensor<Self>,
        w_ih: FloatTensor<Self>,
        b_ih: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        b_hh: FloatTensor<Self>,
        cell: u8,
    ) -> FloatTensor<Self>;
    /// `x·W + b` → ReLU (if `relu`), `x` `[batch, in]`, `W` `[in, out]`.
    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self>;
    /// 3×3 convolution + bias → ReLU (if `relu`) → 2×2 max-pool, NCHW.
    fn conv_relu_pool(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self>;
}

pub(super) fn cell_of(code: u8) -> Cell {
    match code {
        0 => Cell::Tanh,
        1 => Cell::Lstm,
        2 => Cell::Gru,
        _ => unreachable!("cell codes come from `cell_code`"),
    }
}

pub(super) fn cell_code(cell: Cell) -> u8 {
    match cell {
        Cell::Tanh => 0,
        Cell::Lstm => 1,
        Cell::Gru => 2,
    }
}

/// Whether the fused kernels run on `device`: flex (with or without autodiff), unless the
/// environment variable `WATTSWEEP_KERNELS=off` asks for Burn's composed operations (the
/// reference path, for comparisons).
pub(crate) fn available(device: &Device) -> bool {
    let flex = match device.as_dispatch() {
        DispatchDevice::Flex(_) => true,
        DispatchDevice::Autodiff(inner) => matches!(**inner, DispatchDevice::Flex(_)),
        // Reachable only in builds with the `tch` feature (another dispatch variant).
        #[allow(unreachable_patterns)]
        _ => false,
    };
    flex && !reference_forced()
}

thread_local! {
    static REFERENCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn reference_forced() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    REFERENCE.get()
        || *OFF.get_or_init(|| std::env::var("WATTSWEEP_KERNELS").is_ok_and(|v| v == "off"))
}

/// Runs `f` with the kernels off on this thread (models take Burn's composed operations), so
/// that tests can compare both paths in one process.
#[cfg(test)]
pub(crate) fn with_reference<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            REFERENCE.set(self.0);
        }
    }
    let _restore = Restore(REFERENCE.replace(true));
    f()
}

/// The largest absolute difference between `a` and `b`, relative to `b`'s largest magnitude: how
/// far two paths' outputs are apart (tests compare kernels, `deploy` and Burn with it).
#[cfg(test)]
pub(crate) fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[cfg(test)]
thread_local! {
    static CALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Fused kernel calls made on this thread so far: lets tests prove a kernel really ran (with
/// `WATTSWEEP_KERNELS=off` both sides of a comparison would otherwise be the reference path).
#[cfg(test)]
pub(crate) fn calls() -> usize {
    CALLS.get()
}

#[inline]
fn count_call() {
    #[cfg(test)]
    CALLS.set(CALLS.get() + 1);
}

/// See [`Kernels::lif_spikes`].
pub(crate) fn lif_spikes(current: Tensor<2>, lif: Lif) -> Tensor<2> {
    count_call();
    Tensor::from_dispatch(<Dispatch as Kernels>::lif_spikes(
        current.into_dispatch(),
        lif.steps,
        lif.beta,
        lif.threshold,
        lif.surrogate,
    ))
}

/// See [`Kernels::lif_sequence`]: time on the first axis.
pub(crate) fn lif_sequence<const D: usize>(current: Tensor<D>, lif: Lif) -> Tensor<D> {
    count_call();
    Tensor::from_dispatch(<Dispatch as Kernels>::lif_sequence(
        current.into_dispatch(),
        lif.beta,
        lif.threshold,
        lif.surrogate,
    ))
}

/// See [`Kernels::recurrent_last`]; `b_hh` is `None` for the tanh RNN.
pub(crate) fn recurrent_last(
    cell: Cell,
    seq: Tensor<3>,
    w_ih: Tensor<2>,
    b_ih: Tensor<1>,
    w_hh: Tensor<2>,
    b_hh: Option<Tensor<1>>,
) -> Tensor<2> {
    count_call();
    let b_hh = b_hh.unwrap_or_else(|| Tensor::zeros([1], &b_ih.device()).detach());
    Tensor::from_dispatch(<Dispatch as Kernels>::recurrent_last(
        seq.into_dispatch(),
        w_ih.into_dispatch(),
        b_ih.into_dispatch(),
        w_hh.into_dispatch(),
        b_hh.into_dispatch(),
        cell_code(cell),
    ))
}

/// See [`Kernels::dense`]: a `Linear` layer's weight and bias, with or without ReLU.
pub(crate) fn dense(x: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>, relu: bool) -> Tensor<2> {
    count_call();
    Tensor::from_dispatch(<Dispatch as Kernels>::dense(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        relu,
    ))
}

/// See [`Kernels::conv_relu_pool`].
pub(crate) fn conv_relu_pool(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>) -> Tensor<4> {
    conv_block(x, weight, bias, true)
}

/// 3×3 convolution + bias → 2×2 max-pool, no ReLU (the hybrid CNN-SNN's input currents).
pub(crate) fn conv_pool(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>) -> Tensor<4> {
    conv_block(x, weight, bias, false)
}

fn conv_block(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>, relu: bool) -> Tensor<4> {
    count_call();
    Tensor::from_dispatch(<Dispatch as Kernels>::conv_relu_pool(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        relu,
    ))
}

fn conv_dims(x: &[usize], weight: &[usize], relu: bool) -> ConvDims {
    assert!(
        x.len() == 4 && weight.len() == 4 && weight[2] == 3 && weight[3] == 3 && weight[1] == x[1],
        "conv_relu_pool: shapes {x:?} and {weight:?}"
    );
    ConvDims { batch: x[0], cin: x[1], height: x[2], width: x[3], cout: weight[0], relu }
}

fn rnn_dims(seq: &[usize], w_hh: &[usize]) -> Dims {
    assert!(seq.len() == 3 && w_hh.len() == 2, "recurrent_last: shapes {seq:?} and {w_hh:?}");
    Dims { batch: seq[0], steps: seq[1], input: seq[2], hidden: w_hh[0] }
}

/// The recurrent forward shared by the plain and the autodiff implementation: h_T as a tensor,
/// the dimensions, and (with `keep`) what the backward pass needs.
pub(super) fn run_recurrent(
    cell: Cell,
    seq: &FlexTensor,
    w_ih: &FlexTensor,
    b_ih: &FlexTensor,
    w_hh: &FlexTensor,
    b_hh: &FlexTensor,
    keep: bool,
) -> (FlexTensor, Dims, Option<recurrent::Saved>) {
    let d = rnn_dims(&dims(seq), &dims(w_hh));
    let (wi, bi, wh, bh) = (f32s(w_ih), f32s(b_ih), f32s(w_hh), f32s(b_hh));
    let w =
        Weights { w_ih: &wi, b_ih: &bi, w_hh: &wh, b_hh: (cell != Cell::Tanh).then_some(&bh[..]) };
    let (last, saved) = recurrent::forward(cell, d, &f32s(seq), &w, keep);
    (output(last, vec![d.batch, d.hidden]), d, saved)
}

fn dense_dims(x: &[usize], weight: &[usize], relu: bool) -> DenseDims {
    assert!(
        x.len() == 2 && weight.len() == 2 && x[1] == weight[0],
        "dense: shapes {x:?} and {weight:?}"
    );
    DenseDims { batch: x[0], input: x[1], output: weight[1], relu }
}

/// The dense layer's forward shared by both implementations.
pub(super) fn run_dense(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    relu: bool,
) -> (FlexTensor, DenseDims) {
    let d = dense_dims(&dims(x), &dims(weight), relu);
    let y = super::dense::forward(d, &f32s(x), &f32s(weight), &f32s(bias));
    (output(y, vec![d.batch, d.output]), d)
}

/// The conv block's forward shared by both implementations.
pub(super) fn run_conv(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    relu: bool,
    keep: bool,
) -> (FlexTensor, ConvDims, Option<conv::Saved>) {
    let d = conv_dims(&dims(x), &dims(weight), relu);
    let (y, saved) = conv::forward(d, &f32s(x), &f32s(weight), &f32s(bias), keep);
    let (ph, pw) = d.pooled();
    (output(y, vec![d.batch, d.cout, ph, pw]), d, saved)
}

impl Kernels for Flex {
    fn lif_sequence(
        current: FloatTensor<Self>,
        beta: f32,
        threshold: f32,
        _surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        let shape = dims(&current);
        let steps = shape.first().copied().unwrap_or(1);
        let (spikes, _) = lif::sequence_forward(&f32s(&current), steps, beta, threshold, None);
        output(spikes, shape)
    }

    fn lif_spikes(
        current: FloatTensor<Self>,
        steps: usize,
        beta: f32,
        threshold: f32,
        surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        let lif = Lif { steps, beta, threshold, surrogate };
        output(lif.forward(&f32s(&current), None), dims(&current))
    }

    fn recurrent_last(
        seq: FloatTensor<Self>,
        w_ih: FloatTensor<Self>,
        b_ih: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        b_hh: FloatTensor<Self>,
        cell: u8,
    ) -> FloatTensor<Self> {
        let (last, _, _) = run_recurrent(cell_of(cell), &seq, &w_ih, &b_ih, &w_hh, &b_hh, false);
        last
    }

    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self> {
        run_dense(&x, &weight, &bias, relu).0
    }

    fn conv_relu_pool(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self> {
        run_conv(&x, &weight, &bias, relu, false).0
    }
}

#[cfg(test)]
#[path = "tests/mod.rs"]
mod tests;
