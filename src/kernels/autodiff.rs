//! The kernels on an autodiff flex device: each forward keeps what its backward needs (in an
//! `Arc`, so Burn's graph can clone the state for free) and registers one backward step that
//! hands the gradients of every tracked input back to Burn.

use super::dispatch::{Kernels, cell_of, run_conv, run_dense, run_recurrent};
use super::flex::{dims, f32s, output};
use super::lif::{Lif, Surrogate};
use super::recurrent::{self, Cell, Weights};
use super::{conv, dense};
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::tensor::FloatTensor;
use burn_flex::FlexTensor;
use std::sync::Arc;

#[derive(Debug)]
struct LifBackward;

impl Backward<Flex, 1> for LifBackward {
    /// ∂spikes/∂current per neuron, and the shape.
    type State = Arc<(Vec<f32>, Vec<usize>)>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [parent] = ops.parents;
        if let Some(node) = parent {
            let (factor, shape) = &*ops.state;
            let g: Vec<f32> = f32s(&grad).iter().zip(factor).map(|(g, f)| g * f).collect();
            grads.register::<Flex>(node.id, output(g, shape.clone()));
        }
    }
}

#[derive(Debug)]
struct LifSequenceBackward;

impl Backward<Flex, 1> for LifSequenceBackward {
    /// σ'(mem_t − θ) per step and neuron, β, and the shape (steps first).
    type State = Arc<(Vec<f32>, f32, Vec<usize>)>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let [parent] = ops.parents;
        if let Some(node) = parent {
            let (slopes, beta, shape) = &*ops.state;
            let g = super::lif::sequence_backward(&f32s(&grad), slopes, shape[0], *beta);
            grads.register::<Flex>(node.id, output(g, shape.clone()));
        }
    }
}

#[derive(Debug)]
struct RecurrentState {
    cell: Cell,
    d: recurrent::Dims,
    seq: FlexTensor,
    w_ih: FlexTensor,
    w_hh: FlexTensor,
    saved: recurrent::Saved,
}

#[derive(Debug)]
struct RecurrentBackward;

impl Backward<Flex, 5> for RecurrentBackward {
    type State = Arc<RecurrentState>;

    fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let s = &*ops.state;
        let [seq, w_ih, b_ih, w_hh, b_hh] = ops.parents.map(|p| p.map(|n| n.id));
        let (wi, wh) = (f32s(&s.w_ih), f32s(&s.w_hh));
        let w = Weights { w_ih: &wi, b_ih: &[], w_hh: &wh, b_hh: None };
        let g = recurrent::backward(
            s.cell,
            s.d,
            &f32s(&s.seq),
            &w,
            &s.saved,
            &f32s(&grad),
            seq.is_some(),
        );
        let (d, gates) = (s.d, s.cell.gates() * s.d.hidden);
        let mut put = |node: Option<NodeId>, v: Vec<f32>, shape: Vec<usize>| {
            if let Some(id) = node {
                grads.register::<Flex>(id, output(v, shape));
            }
        };
        if let Some(dx) = g.x {
            put(seq, dx, vec![d.batch, d.steps, d.input]);
        }
        put(w_ih, g.w_ih, vec![d.input, gates]);
        put(b_ih, g.b_ih, vec![gates]);
        put(w_hh, g.w_hh, vec![d.hidden, gates]);
        if s.cell != Cell::Tanh {
            put(b_hh, g.b_hh, vec![gates]);
        }
    }
}

#[derive(Debug)]
struct ConvState {
    d: conv::ConvDims,
    weight: FlexTensor,
    saved: conv::Saved,
}

#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    type State = Arc<ConvState>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let s = &*ops.state;
        let [x, weight, bias] = ops.parents;
        let g = conv::backward(s.d, &f32s(&s.weight), &s.saved, &f32s(&grad), x.is_some());
        let d = s.d;
        if let (Some(node), Some(dx)) = (x, g.x) {
            grads.register::<Flex>(node.id, output(dx, vec![d.batch, d.cin, d.height, d.width]));
        }
        if let Some(node) = weight {
            grads.register::<Flex>(node.id, output(g.weight, vec![d.cout, d.cin, 3, 3]));
        }
        if let Some(node) = bias {
            grads.register::<Flex>(node.id, output(g.bias, vec![d.cout]));
        }
    }
}

#[derive(Debug)]
struct DenseState {
    d: dense::DenseDims,
    x: FlexTensor,
    weight: FlexTensor,
    /// The output (ReLU's gradient is its sign); shares the forward's buffer.
    y: FlexTensor,
}

#[derive(Debug)]
struct DenseBackward;

impl Backward<Flex, 3> for DenseBackward {
    type State = Arc<DenseState>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let s = &*ops.state;
        let [x, weight, bias] = ops.parents;
        let g = dense::backward(
            s.d,
            &f32s(&s.x),
            &f32s(&s.weight),
            &f32s(&s.y),
            &f32s(&grad),
            x.is_some(),
        );
        let d = s.d;
        if let (Some(node), Some(dx)) = (x, g.x) {
            grads.register::<Flex>(node.id, output(dx, vec![d.batch, d.input]));
        }
        if let Some(node) = weight {
            grads.register::<Flex>(node.id, output(g.weight, vec![d.input, d.output]));
        }
        if let Some(node) = bias {
            grads.register::<Flex>(node.id, output(g.bias, vec![d.output]));
        }
    }
}

impl<C: CheckpointStrategy> Kernels for Autodiff<Flex, C> {
    fn lif_sequence(
        current: FloatTensor<Self>,
        beta: f32,
        threshold: f32,
        surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        let (current, guard) = current.into_parts();
        match LifSequenceBackward.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let shape = dims(&current);
                let steps = shape.first().copied().unwrap_or(1);
                let (spikes, slopes) = super::lif::sequence_forward(
                    &f32s(&current),
                    steps,
                    beta,
                    threshold,
                    Some(surrogate),
                );
                let out = output(spikes, shape.clone());
                prep.finish(Arc::new((slopes.expect("asked for"), beta, shape)), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(<Flex as Kernels>::lif_sequence(current, beta, threshold, surrogate))
            }
        }
    }

    fn lif_spikes(
        current: FloatTensor<Self>,
        steps: usize,
        beta: f32,
        threshold: f32,
        surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        let lif = Lif { steps, beta, threshold, surrogate };
        let (current, guard) = current.into_parts();
        match LifBackward.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let c = f32s(&current);
                let mut factor = vec![0.0f32; c.len()];
                let out = output(lif.forward(&c, Some(&mut factor)), dims(&current));
                prep.finish(Arc::new((factor, dims(&current))), out)
            }
            OpsKind::UnTracked(prep) => prep
                .finish(<Flex as Kernels>::lif_spikes(current, steps, beta, threshold, surrogate)),
        }
    }

    fn recurrent_last(
        seq: FloatTensor<Self>,
        w_ih: FloatTensor<Self>,
        b_ih: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        b_hh: FloatTensor<Self>,
        cell: u8,
    ) -> FloatTensor<Self> {
        let code = cell;
        let (seq, g0) = seq.into_parts();
        let (w_ih, g1) = w_ih.into_parts();
        let (b_ih, g2) = b_ih.into_parts();
        let (w_hh, g3) = w_hh.into_parts();
        let (b_hh, g4) = b_hh.into_parts();
        match RecurrentBackward.prepare::<C>([g0, g1, g2, g3, g4]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let cell = cell_of(code);
                let (out, d, saved) = run_recurrent(cell, &seq, &w_ih, &b_ih, &w_hh, &b_hh, true);
                let saved = saved.expect("kept for backward");
                let state = RecurrentState { cell, d, seq, w_ih, w_hh, saved };
                prep.finish(Arc::new(state), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(<Flex as Kernels>::recurrent_last(seq, w_ih, b_ih, w_hh, b_hh, code))
            }
        }
    }

    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self> {
        let (x, g0) = x.into_parts();
        let (weight, g1) = weight.into_parts();
        let (bias, g2) = bias.into_parts();
        match DenseBackward.prepare::<C>([g0, g1, g2]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (out, d) = run_dense(&x, &weight, &bias, relu);
                let state = DenseState { d, x, weight, y: out.clone() };
                prep.finish(Arc::new(state), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(<Flex as Kernels>::dense(x, weight, bias, relu))
            }
        }
    }

    fn conv_relu_pool(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self> {
        let (x, g0) = x.into_parts();
        let (weight, g1) = weight.into_parts();
        let (bias, g2) = bias.into_parts();
        match ConvBackward.prepare::<C>([g0, g1, g2]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (out, d, saved) = run_conv(&x, &weight, &bias, relu, true);
                let state = ConvState { d, weight, saved: saved.expect("kept for backward") };
                prep.finish(Arc::new(state), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(<Flex as Kernels>::conv_relu_pool(x, weight, bias, relu))
            }
        }
    }
}
