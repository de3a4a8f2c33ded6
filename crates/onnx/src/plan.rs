//! Loading a graph into a plan (constants folded, weights packed, each
//! intermediate freed after its last reader) and running it.

use super::elementwise::{self, Arith, Unary};
use super::nn::{self, Reduce};
use super::pair::{self, PairWeights};
use super::proto::{self, Node};
use super::quant::{self, PackedWeights};
use super::tensor::Tensor;
use super::{bad, layout, Result};
use std::collections::HashMap;

/// Where a node's input comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Const(usize),
    Slot(usize),
}

enum Op {
    Arith(Arith),
    Equal,
    Where,
    Unary(Unary),
    Clip,
    Cast(fn(&Tensor) -> Tensor),
    Shape,
    Reshape {
        allow_zero: bool,
    },
    Transpose(Vec<i64>),
    Unsqueeze,
    Squeeze,
    Concat(i64),
    Gather(i64),
    Slice,
    Expand,
    ConstantOfShape(Option<Tensor>),
    Constant(Tensor),
    Identity,
    LayerNorm {
        axis: i64,
        epsilon: f32,
    },
    Softmax(i64),
    Reduce {
        kind: Reduce,
        axes: Vec<i64>,
        keep: bool,
        noop_empty: bool,
    },
    MatMul,
    DynamicQuantize,
    Dequantize(i64),
    MatMulInteger(Option<PackedWeights>),
    /// A pair head's first layer, fused at load (`fuse.rs`): inputs x and y.
    PairMatMul(Box<PairWeights>, i64),
}

mod fuse;

struct Step {
    op: Op,
    inputs: Vec<Option<Source>>,
    outputs: Vec<usize>,
    /// Slots no later step reads.
    free: Vec<usize>,
}

/// A loaded model, ready to run any number of times.
pub struct Graph {
    consts: Vec<Tensor>,
    steps: Vec<Step>,
    slots: usize,
    inputs: Vec<(String, usize)>,
    outputs: Vec<Source>,
}

fn op_for(node: &Node, opset: i64) -> Result<Op> {
    let float = |name: &str, default: f32| node.attribute(name).and_then(|a| a.float).unwrap_or(default);
    let ints = |name: &str| node.attribute(name).map(|a| a.ints.clone()).unwrap_or_default();
    if !(node.domain.is_empty() || node.domain == "ai.onnx") {
        return Err(bad(format!("operator {}:{} is not supported", node.domain, node.op)));
    }
    Ok(match node.op.as_str() {
        "Add" => Op::Arith(Arith::Add),
        "Sub" => Op::Arith(Arith::Sub),
        "Mul" => Op::Arith(Arith::Mul),
        "Div" => Op::Arith(Arith::Div),
        "Equal" => Op::Equal,
        "Where" => Op::Where,
        "Abs" => Op::Unary(Unary::Abs),
        "Relu" => Op::Unary(Unary::Relu),
        "Sigmoid" => Op::Unary(Unary::Sigmoid),
        "Erf" => Op::Unary(Unary::Erf),
        "Sqrt" => Op::Unary(Unary::Sqrt),
        "Clip" => Op::Clip,
        "Cast" => Op::Cast(proto::cast_target(node.int_attribute("to", 0))?),
        "Shape" if node.attribute("start").is_none() && node.attribute("end").is_none() => Op::Shape,
        "Reshape" => Op::Reshape { allow_zero: node.int_attribute("allowzero", 0) != 0 },
        "Transpose" => Op::Transpose(ints("perm")),
        "Unsqueeze" => Op::Unsqueeze,
        "Squeeze" => Op::Squeeze,
        "Concat" => Op::Concat(node.int_attribute("axis", 0)),
        "Gather" => Op::Gather(node.int_attribute("axis", 0)),
        "Slice" => Op::Slice,
        "Expand" => Op::Expand,
        "ConstantOfShape" => Op::ConstantOfShape(node.attribute("value").and_then(|a| a.tensor.clone())),
        "Constant" => match node.attribute("value").and_then(|a| a.tensor.clone()) {
            Some(t) => Op::Constant(t),
            None => match node.attribute("value_float").and_then(|a| a.float) {
                Some(f) => Op::Constant(Tensor::f32(vec![], vec![f])?),
                None => return Err(bad("Constant without a tensor or float value")),
            },
        },
        "Identity" => Op::Identity,
        "LayerNormalization" => {
            if node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
                return Err(bad("LayerNormalization's mean and inverse deviation outputs are not supported"));
            }
            Op::LayerNorm { axis: node.int_attribute("axis", -1), epsilon: float("epsilon", 1e-5) }
        }
        "Softmax" => Op::Softmax(node.int_attribute("axis", -1)),
        "ReduceSum" | "ReduceMean" | "ReduceL2" => Op::Reduce {
            kind: match node.op.as_str() {
                "ReduceSum" => Reduce::Sum,
                "ReduceMean" => Reduce::Mean,
                _ => Reduce::L2,
            },
            axes: ints("axes"),
            keep: node.int_attribute("keepdims", 1) != 0,
            noop_empty: node.int_attribute("noop_with_empty_axes", 0) != 0,
        },
        "MatMul" => Op::MatMul,
        "DynamicQuantizeLinear" => Op::DynamicQuantize,
        "DequantizeLinear" => Op::Dequantize(node.int_attribute("axis", 1)),
        "MatMulInteger" => Op::MatMulInteger(None),
        other => return Err(bad(format!("operator {other} (opset {opset}) is not supported"))),
    })
}

/// The integers of an optional input (axes, steps).
fn ints_of(t: Option<&Tensor>) -> Result<Vec<i64>> {
    t.map(Tensor::as_i64).transpose().map(Option::unwrap_or_default)
}

fn eval(op: &Op, ins: &[Option<&Tensor>]) -> Result<Vec<Tensor>> {
    let arg = |i: usize| ins.get(i).copied().flatten().ok_or_else(|| bad(format!("input {i} is missing")));
    let opt = |i: usize| ins.get(i).copied().flatten();
    let one = |t: Tensor| Ok(vec![t]);
    match op {
        Op::Arith(a) => one(elementwise::arith(*a, arg(0)?, arg(1)?)?),
        Op::Equal => one(elementwise::equal(arg(0)?, arg(1)?)?),
        Op::Where => one(elementwise::where_(arg(0)?, arg(1)?, arg(2)?)?),
        Op::Unary(u) => one(elementwise::unary(*u, arg(0)?)?),
        Op::Clip => one(elementwise::clip(arg(0)?, opt(1), opt(2))?),
        Op::Cast(to) => one(to(arg(0)?)),
        Op::Shape => one(layout::shape_of(arg(0)?)?),
        Op::Reshape { allow_zero } => one(layout::reshape(arg(0)?, arg(1)?, *allow_zero)?),
        Op::Transpose(perm) => one(layout::transpose(arg(0)?, perm)?),
        Op::Unsqueeze => one(layout::unsqueeze(arg(0)?, &arg(1)?.as_i64()?)?),
        Op::Squeeze => one(layout::squeeze(arg(0)?, &ints_of(opt(1))?)?),
        Op::Concat(axis) => {
            let parts = (0..ins.len()).map(arg).collect::<Result<Vec<_>>>()?;
            one(layout::concat(&parts, *axis)?)
        }
        Op::Gather(axis) => one(layout::gather(arg(0)?, arg(1)?, *axis)?),
        Op::Slice => {
            let (axes, steps) = (opt(3).map(Tensor::as_i64).transpose()?, opt(4).map(Tensor::as_i64).transpose()?);
            one(layout::slice(arg(0)?, &arg(1)?.as_i64()?, &arg(2)?.as_i64()?, axes.as_deref(), steps.as_deref())?)
        }
        Op::Expand => one(layout::expand(arg(0)?, arg(1)?)?),
        Op::ConstantOfShape(value) => one(layout::constant_of_shape(arg(0)?, value.as_ref())?),
        Op::Constant(t) => one(t.clone()),
        Op::Identity => one(arg(0)?.clone()),
        Op::LayerNorm { axis, epsilon } => one(nn::layer_norm(arg(0)?, arg(1)?, opt(2), *axis, *epsilon)?),
        Op::Softmax(axis) => one(nn::softmax(arg(0)?, *axis)?),
        Op::Reduce { kind, axes, keep, noop_empty } => {
            let axes = if axes.is_empty() { ints_of(opt(1))? } else { axes.clone() };
            one(nn::reduce(*kind, arg(0)?, &axes, *keep, *noop_empty)?)
        }
        Op::MatMul => one(nn::matmul(arg(0)?, arg(1)?)?),
        Op::DynamicQuantize => Ok(quant::dynamic_quantize(arg(0)?)?.into()),
        Op::Dequantize(axis) => one(quant::dequantize(arg(0)?, arg(1)?, opt(2), *axis)?),
        Op::MatMulInteger(Some(w)) => one(quant::matmul_integer(arg(0)?, opt(2), w)?),
        Op::PairMatMul(w, axis) => {
            let y = arg(1)?;
            // The Concat joined along its last axis only if that is what its axis named.
            if *axis != -1 && *axis != y.rank() as i64 - 1 {
                return Err(bad(format!("fused pair layer: Concat axis {axis} of rank {} inputs", y.rank())));
            }
            Ok(pair::pair_matmul(arg(0)?, y, w)?.into())
        }
        Op::MatMulInteger(None) => {
            let w = PackedWeights::new(arg(1)?, opt(3))?;
            one(quant::matmul_integer(arg(0)?, opt(2), &w)?)
        }
    }
}

impl Graph {
    pub fn load(bytes: &[u8]) -> Result<Graph> {
        Self::load_with(bytes, true)
    }

    /// `load` without the pair-head fusion: the reference the fused plan is tested against.
    pub fn load_unfused(bytes: &[u8]) -> Result<Graph> {
        Self::load_with(bytes, false)
    }

    /// How many steps a run executes (fewer once a pattern is fused).
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    fn load_with(bytes: &[u8], fuse: bool) -> Result<Graph> {
        let model = proto::parse_model(bytes)?;
        if model.opset < 13 {
            return Err(bad(format!("operator set {} is older than 13, which this runtime reads", model.opset)));
        }
        let g = model.graph;
        let mut consts: Vec<Tensor> = Vec::new();
        let mut names: HashMap<String, Source> = HashMap::new();
        for (name, t) in g.initializers {
            names.insert(name, Source::Const(consts.len()));
            consts.push(t);
        }
        let mut slots = 0;
        let mut inputs = Vec::new();
        for name in g.inputs {
            if !names.contains_key(&name) {
                names.insert(name.clone(), Source::Slot(slots));
                inputs.push((name, slots));
                slots += 1;
            }
        }
        let mut steps = Vec::new();
        for node in &g.nodes {
            let mut op = op_for(node, model.opset)?;
            let mut sources = node
                .inputs
                .iter()
                .map(|name| match name.as_str() {
                    "" => Ok(None),
                    n => names.get(n).copied().map(Some).ok_or_else(|| {
                        bad(format!("{} {:?} reads {n:?}, which no earlier node produces", node.op, node.name))
                    }),
                })
                .collect::<Result<Vec<_>>>()?;
            let konst = |s: &Option<Source>| match s {
                Some(Source::Const(i)) => Some(&consts[*i]),
                _ => None,
            };
            if sources.iter().all(|s| s.is_none() || konst(s).is_some()) {
                let ins: Vec<Option<&Tensor>> = sources.iter().map(konst).collect();
                let outs = eval(&op, &ins).map_err(|e| bad(format!("{} {:?}: {e}", node.op, node.name)))?;
                for (name, t) in node.outputs.iter().zip(outs) {
                    names.insert(name.clone(), Source::Const(consts.len()));
                    consts.push(t);
                }
                continue;
            }
            if let (Op::MatMulInteger(packed), Some(b)) = (&mut op, sources.get(1).and_then(konst)) {
                let zero = sources.get(3).and_then(konst);
                *packed = Some(PackedWeights::new(b, zero).map_err(|e| bad(format!("{:?}: {e}", node.name)))?);
                sources.truncate(3);
                sources[1] = None;
            }
            let outputs = node
                .outputs
                .iter()
                .map(|name| {
                    names.insert(name.clone(), Source::Slot(slots));
                    slots += 1;
                    slots - 1
                })
                .collect();
            steps.push(Step { op, inputs: sources, outputs, free: Vec::new() });
        }
        let outputs = g
            .outputs
            .iter()
            .map(|n| names.get(n).copied().ok_or_else(|| bad(format!("graph output {n:?} is never produced"))))
            .collect::<Result<Vec<_>>>()?;
        if fuse {
            fuse::pair_heads(&mut steps, &outputs);
        }
        let mut graph = Graph { consts, steps, slots, inputs, outputs };
        graph.plan_lifetimes();
        Ok(graph)
    }

    /// Frees each slot after its last reader, and drops constants only
    /// folding or packing read (raw weights once packed).
    fn plan_lifetimes(&mut self) {
        let mut last = vec![None; self.slots];
        let mut used = vec![false; self.consts.len()];
        for (i, step) in self.steps.iter().enumerate() {
            for s in step.inputs.iter().flatten() {
                match *s {
                    Source::Slot(k) => last[k] = Some(i),
                    Source::Const(k) => used[k] = true,
                }
            }
        }
        for s in &self.outputs {
            match *s {
                Source::Slot(k) => last[k] = None,
                Source::Const(k) => used[k] = true,
            }
        }
        for (k, at) in last.into_iter().enumerate() {
            if let Some(i) = at {
                self.steps[i].free.push(k);
            }
        }
        for (t, keep) in self.consts.iter_mut().zip(used) {
            if !keep {
                *t = Tensor { shape: vec![0], data: super::Data::F32(Vec::new()) };
            }
        }
    }

    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().map(|(n, _)| n.as_str())
    }

    /// Runs the graph on its inputs, in the order the model declares them.
    pub fn run(&self, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
        if inputs.len() != self.inputs.len() {
            return Err(bad(format!("the model takes {} inputs, got {}", self.inputs.len(), inputs.len())));
        }
        let mut slots: Vec<Option<Tensor>> = (0..self.slots).map(|_| None).collect();
        for ((_, slot), t) in self.inputs.iter().zip(inputs) {
            slots[*slot] = Some(t);
        }
        for step in &self.steps {
            // An elementwise step whose first input has no later reader writes into that input.
            let owned = match step.inputs.first() {
                Some(Some(Source::Slot(k)))
                    if matches!(step.op, Op::Arith(_) | Op::Unary(_))
                        && step.free.contains(k)
                        && step.inputs.iter().filter(|s| matches!(s, Some(Source::Slot(j)) if j == k)).count() == 1 =>
                {
                    slots[*k].take()
                }
                _ => None,
            };
            let outs = if let Some(first) = owned {
                let second = match step.inputs.get(1) {
                    Some(Some(Source::Const(k))) => Some(&self.consts[*k]),
                    Some(Some(Source::Slot(k))) => slots[*k].as_ref(),
                    _ => None,
                };
                match (&step.op, second) {
                    (Op::Unary(u), _) => vec![elementwise::unary_owned(*u, first)?],
                    (Op::Arith(a), Some(b)) => vec![elementwise::arith_owned(*a, first, b)?],
                    _ => return Err(bad("an elementwise step is missing its second input")),
                }
            } else {
                let ins: Vec<Option<&Tensor>> = step
                    .inputs
                    .iter()
                    .map(|s| match s {
                        Some(Source::Const(k)) => Some(&self.consts[*k]),
                        Some(Source::Slot(k)) => slots[*k].as_ref(),
                        None => None,
                    })
                    .collect();
                eval(&step.op, &ins)?
            };
            for (slot, t) in step.outputs.iter().zip(outs) {
                slots[*slot] = Some(t);
            }
            for k in &step.free {
                slots[*k] = None;
            }
        }
        self.outputs
            .iter()
            .map(|s| match *s {
                Source::Const(k) => Ok(self.consts[k].clone()),
                Source::Slot(k) => slots[k].take().ok_or_else(|| bad("a graph output was not computed")),
            })
            .collect()
    }
}
