//! Rewrites a pair head's first layer, `MatMulInteger(DynamicQuantizeLinear(Concat(x, y, x·y,
//! |x − y|)))` (x often an `Expand` of one prompt row), into one `PairMatMul` step (`pair.rs`) that
//! computes the same integers without building the features. Anything else is left as it is.

use super::{Op, Source, Step};
use crate::elementwise::{Arith, Unary};
use crate::pair::PairWeights;
use std::collections::HashMap;

pub(super) fn pair_heads(steps: &mut Vec<Step>, outputs: &[Source]) {
    loop {
        let Some(found) = find(steps, outputs) else { return };
        apply(steps, found);
    }
}

struct Found {
    quantize: usize,
    matmul: usize,
    gone: Vec<usize>,
    x: Source,
    y: Source,
    axis: i64,
}

fn find(steps: &[Step], outputs: &[Source]) -> Option<Found> {
    let mut producer = HashMap::new();
    let mut readers: HashMap<usize, usize> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        for &slot in &step.outputs {
            producer.insert(slot, i);
        }
        for s in step.inputs.iter().flatten() {
            if let Source::Slot(k) = s {
                *readers.entry(*k).or_default() += 1;
            }
        }
    }
    for s in outputs {
        if let Source::Slot(k) = s {
            *readers.entry(*k).or_default() += 1;
        }
    }
    let slot = |s: &Option<Source>| match s {
        Some(Source::Slot(k)) => Some(*k),
        _ => None,
    };
    let only_reader = |k: usize| readers.get(&k) == Some(&1);
    let made_by = |s: &Option<Source>| slot(s).and_then(|k| producer.get(&k).copied());
    let same_pair = |step: &Step, a: &Option<Source>, b: &Option<Source>| {
        if step.inputs.len() != 2 {
            return false;
        }
        let (p, q) = (slot(&step.inputs[0]), slot(&step.inputs[1]));
        let (a, b) = (slot(a), slot(b));
        a.is_some() && b.is_some() && ((p, q) == (a, b) || (p, q) == (b, a))
    };
    for (qi, q) in steps.iter().enumerate() {
        if !matches!(q.op, Op::DynamicQuantize) || q.outputs.len() != 3 || q.inputs.len() != 1 {
            continue;
        }
        let Some(ci) = made_by(&q.inputs[0]).filter(|_| only_reader(slot(&q.inputs[0]).unwrap())) else { continue };
        let concat = &steps[ci];
        let axis = match concat.op {
            Op::Concat(a) if concat.inputs.len() == 4 => a,
            _ => continue,
        };
        let [a0, a1, a2, a3] = [0, 1, 2, 3].map(|i| concat.inputs[i]);
        let Some(mi) = steps.iter().position(|s| {
            matches!(&s.op, Op::MatMulInteger(Some(w)) if w.k() > 0 && w.k() % 4 == 0)
                && s.inputs.len() == 3
                && !s.outputs.is_empty()
                && slot(&s.inputs[0]) == Some(q.outputs[0])
                && slot(&s.inputs[2]) == Some(q.outputs[2])
        }) else {
            continue;
        };
        if !only_reader(q.outputs[0]) {
            continue;
        }
        let Some(mul) = made_by(&a2).filter(|&i| matches!(steps[i].op, Op::Arith(Arith::Mul))) else { continue };
        let Some(abs) = made_by(&a3).filter(|&i| matches!(steps[i].op, Op::Unary(Unary::Abs))) else { continue };
        if steps[abs].inputs.len() != 1 {
            continue;
        }
        let Some(sub) = made_by(&steps[abs].inputs[0]).filter(|&i| matches!(steps[i].op, Op::Arith(Arith::Sub))) else {
            continue;
        };
        let private = [&a2, &a3, &steps[abs].inputs[0]].iter().all(|s| only_reader(slot(s).unwrap()));
        if !private || !same_pair(&steps[mul], &a0, &a1) || !same_pair(&steps[sub], &a0, &a1) {
            continue;
        }
        let mut gone = vec![ci, mul, abs, sub, mi];
        let mut x = a0.unwrap();
        // An Expand read only by these three steps: the fused step broadcasts its one row itself.
        if let Some(ei) = made_by(&a0).filter(|&i| matches!(steps[i].op, Op::Expand)) {
            if readers.get(&slot(&a0).unwrap()) == Some(&3) && slot(&a0) != slot(&a1) {
                if let Some(src) = steps[ei].inputs[0] {
                    x = src;
                    gone.push(ei);
                }
            }
        }
        return Some(Found { quantize: qi, matmul: mi, gone, x, y: a1.unwrap(), axis });
    }
    None
}

fn apply(steps: &mut Vec<Step>, found: Found) {
    let Op::MatMulInteger(packed) = std::mem::replace(&mut steps[found.matmul].op, Op::Identity) else {
        unreachable!("find checked the step")
    };
    let packed = packed.expect("find checked the weights are packed");
    let d = packed.k() / 4;
    let weights = PairWeights::new(packed, d).expect("find checked the depth is four blocks");
    let product = steps[found.matmul].outputs[0];
    let q = &mut steps[found.quantize];
    q.op = Op::PairMatMul(Box::new(weights), found.axis);
    q.inputs = vec![Some(found.x), Some(found.y)];
    q.outputs[0] = product;
    let mut index = 0;
    steps.retain(|_| {
        index += 1;
        !found.gone.contains(&(index - 1))
    });
}
