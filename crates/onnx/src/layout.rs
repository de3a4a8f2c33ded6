//! Operators that move values without arithmetic: shapes, views, gathers.

use super::tensor::{
    axis, broadcast_indices, broadcast_shape, each, shape_from_dims, strides, Data, Tensor, MAX_ELEMENTS,
};
use super::{bad, Result};

/// The runtime caps tensors it builds from computed shapes, so a hostile
/// graph cannot ask for more memory than a browser tab has.
fn checked_shape(shape: Vec<i64>) -> Result<Vec<usize>> {
    Ok(shape_from_dims(&shape, MAX_ELEMENTS)?.0)
}

pub fn shape_of(t: &Tensor) -> Result<Tensor> {
    Tensor::i64(vec![t.rank()], t.shape.iter().map(|&d| d as i64).collect())
}

pub fn reshape(t: &Tensor, target: &Tensor, allow_zero: bool) -> Result<Tensor> {
    let mut dims = target.as_i64()?;
    for (i, d) in dims.iter_mut().enumerate() {
        if *d == 0 && !allow_zero {
            *d = *t.shape.get(i).ok_or_else(|| bad("Reshape copies a dimension the input lacks"))? as i64;
        }
    }
    let known: i64 = dims.iter().filter(|&&d| d != -1).product();
    match dims.iter().filter(|&&d| d == -1).count() {
        0 => {}
        1 if known > 0 => {
            let fill = t.len() as i64 / known;
            dims.iter_mut().filter(|d| **d == -1).for_each(|d| *d = fill);
        }
        _ => return Err(bad("Reshape with more than one -1 or an empty known part")),
    }
    t.clone().reshaped(checked_shape(dims)?)
}

pub fn transpose(t: &Tensor, perm: &[i64]) -> Result<Tensor> {
    let r = t.rank();
    let perm: Vec<usize> = if perm.is_empty() {
        (0..r).rev().collect()
    } else {
        perm.iter().map(|&p| axis(p, r)).collect::<Result<_>>()?
    };
    let mut seen = vec![false; r];
    if perm.len() != r || perm.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
        return Err(bad(format!("Transpose permutation {perm:?} for rank {r}")));
    }
    let src = strides(&t.shape);
    let out: Vec<usize> = perm.iter().map(|&p| t.shape[p]).collect();
    // Trailing axes the permutation leaves in place move as contiguous runs
    // (attention's [0, 2, 1, 3] copies head-sized rows, not single values).
    let kept = (0..r).rev().take_while(|&d| perm[d] == d).count();
    let run: usize = t.shape[r - kept..].iter().product();
    let outer = &out[..r - kept];
    let moved: Vec<usize> = perm[..r - kept].iter().map(|&p| src[p]).collect();
    // An odometer over the output: the source offset moves by one stride
    // per step, and by a whole axis back when that axis wraps.
    let mut starts = Vec::with_capacity(t.len() / run.max(1));
    let mut counter = vec![0usize; outer.len()];
    let mut at = 0usize;
    for _ in 0..outer.iter().product::<usize>() {
        starts.push(at);
        for d in (0..outer.len()).rev() {
            counter[d] += 1;
            at += moved[d];
            if counter[d] < outer[d] {
                break;
            }
            at -= moved[d] * outer[d];
            counter[d] = 0;
        }
    }
    let data = each!(&t.data, v => {
        let mut moved_data = Vec::with_capacity(v.len());
        for &s in &starts {
            moved_data.extend_from_slice(&v[s..s + run]);
        }
        moved_data
    });
    Tensor::new(out, data)
}

pub fn unsqueeze(t: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let r = t.rank() + axes.len();
    let mut at: Vec<usize> = axes.iter().map(|&a| axis(a, r)).collect::<Result<_>>()?;
    at.sort_unstable();
    let mut shape = t.shape.clone();
    for a in at {
        if a > shape.len() {
            return Err(bad("Unsqueeze axis out of range"));
        }
        shape.insert(a, 1);
    }
    t.clone().reshaped(shape)
}

pub fn squeeze(t: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let drop: Vec<usize> = if axes.is_empty() {
        (0..t.rank()).filter(|&i| t.shape[i] == 1).collect()
    } else {
        axes.iter().map(|&a| axis(a, t.rank())).collect::<Result<_>>()?
    };
    if drop.iter().any(|&a| t.shape[a] != 1) {
        return Err(bad("Squeeze of an axis longer than 1"));
    }
    let shape = (0..t.rank()).filter(|i| !drop.contains(i)).map(|i| t.shape[i]).collect();
    t.clone().reshaped(shape)
}

pub fn concat(parts: &[&Tensor], ax: i64) -> Result<Tensor> {
    let first = parts.first().ok_or_else(|| bad("Concat of nothing"))?;
    let a = axis(ax, first.rank())?;
    for p in parts {
        let same = p.rank() == first.rank() && (0..p.rank()).all(|i| i == a || p.shape[i] == first.shape[i]);
        if !same || std::mem::discriminant(&p.data) != std::mem::discriminant(&first.data) {
            return Err(bad("Concat of tensors that do not fit together"));
        }
    }
    let outer: usize = first.shape[..a].iter().product();
    let mut shape = first.shape.clone();
    shape[a] = parts.iter().map(|p| p.shape[a]).sum();
    macro_rules! join {
        ($variant:ident) => {{
            let slices: Vec<&[_]> = parts
                .iter()
                .map(|p| if let Data::$variant(v) = &p.data { v.as_slice() } else { unreachable!() })
                .collect();
            let mut out = Vec::with_capacity(shape.iter().product());
            for o in 0..outer {
                for s in &slices {
                    let chunk = s.len() / outer.max(1);
                    out.extend_from_slice(&s[o * chunk..(o + 1) * chunk]);
                }
            }
            Data::$variant(out)
        }};
    }
    let data = match &first.data {
        Data::F32(_) => join!(F32),
        Data::I64(_) => join!(I64),
        Data::I32(_) => join!(I32),
        Data::U8(_) => join!(U8),
        Data::I8(_) => join!(I8),
        Data::Bool(_) => join!(Bool),
    };
    Tensor::new(shape, data)
}

pub fn gather(data: &Tensor, indices: &Tensor, ax: i64) -> Result<Tensor> {
    let a = axis(ax, data.rank())?;
    let n = data.shape[a];
    let idx = indices
        .as_i64()?
        .into_iter()
        .map(|i| {
            let j = if i < 0 { i + n as i64 } else { i };
            usize::try_from(j)
                .ok()
                .filter(|&j| j < n)
                .ok_or_else(|| bad(format!("Gather index {i} out of range 0..{n}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let outer: usize = data.shape[..a].iter().product();
    let inner: usize = data.shape[a + 1..].iter().product();
    let mut picks = Vec::with_capacity(outer * idx.len() * inner);
    for o in 0..outer {
        for &i in &idx {
            let base = (o * n + i) * inner;
            picks.extend(base..base + inner);
        }
    }
    let shape = [&data.shape[..a], &indices.shape[..], &data.shape[a + 1..]].concat();
    Ok(data.pick(shape, &picks))
}

pub fn slice(t: &Tensor, starts: &[i64], ends: &[i64], axes: Option<&[i64]>, steps: Option<&[i64]>) -> Result<Tensor> {
    let r = t.rank();
    let axes: Vec<usize> = match axes {
        Some(a) => a.iter().map(|&x| axis(x, r)).collect::<Result<_>>()?,
        None => (0..starts.len()).collect(),
    };
    if starts.len() != axes.len() || ends.len() != axes.len() || steps.is_some_and(|s| s.len() != axes.len()) {
        return Err(bad("Slice inputs of different lengths"));
    }
    // Per axis: the positions kept.
    let mut keep: Vec<Vec<usize>> = t.shape.iter().map(|&d| (0..d).collect()).collect();
    for (i, &a) in axes.iter().enumerate() {
        let d = t.shape[a] as i64;
        let step = steps.map_or(1, |s| s[i]);
        if step == 0 {
            return Err(bad("Slice step 0"));
        }
        let fix = |v: i64| if v < 0 { v + d } else { v };
        let (lo, hi) = if step > 0 { (0, d) } else { (-1, d - 1) };
        let (mut s, e) = (fix(starts[i]).clamp(lo, hi), fix(ends[i]).clamp(lo, hi));
        let mut kept = Vec::new();
        while (step > 0 && s < e) || (step < 0 && s > e) {
            kept.push(s as usize);
            s += step;
        }
        keep[a] = kept;
    }
    let shape: Vec<usize> = keep.iter().map(Vec::len).collect();
    let src = strides(&t.shape);
    let mut indices = vec![0usize];
    for (d, kept) in keep.iter().enumerate() {
        let stride = src[d];
        indices = indices.iter().flat_map(|&base| kept.iter().map(move |&k| base + k * stride)).collect();
    }
    Ok(t.pick(shape, &indices))
}

pub fn expand(t: &Tensor, shape: &Tensor) -> Result<Tensor> {
    let target = checked_shape(shape.as_i64()?)?;
    let out = broadcast_shape(&t.shape, &target)?;
    checked_shape(out.iter().map(|&d| d as i64).collect())?;
    // A pair head expands its one prompt row to N rows: whole copies, no index per value.
    let inner: Vec<usize> = t.shape.iter().copied().skip_while(|&d| d == 1).collect();
    if !inner.is_empty() && out.ends_with(&inner) {
        let copies = out.iter().product::<usize>() / t.len().max(1);
        let data = each!(&t.data, v => v.repeat(copies));
        return Tensor::new(out, data);
    }
    Ok(t.pick(out.clone(), &broadcast_indices(&t.shape, &out)))
}

pub fn constant_of_shape(shape: &Tensor, value: Option<&Tensor>) -> Result<Tensor> {
    let shape = checked_shape(shape.as_i64()?)?;
    let n = shape.iter().product();
    let data = match value {
        None => Data::F32(vec![0.0; n]),
        Some(v) if v.len() == 1 => each!(&v.data, x => vec![x[0]; n]),
        Some(_) => return Err(bad("ConstantOfShape value must hold one element")),
    };
    Tensor::new(shape, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole-copy path and the index path must agree, and both must match the spec's broadcast.
    #[test]
    fn expand_matches_the_broadcast_definition() {
        for (from, to) in [
            (vec![1, 3], vec![4, 3]),
            (vec![3], vec![2, 2, 3]),
            (vec![2, 1], vec![2, 5]),
            (vec![1, 2, 1], vec![3, 2, 4]),
            (vec![1, 1], vec![2, 3]),
        ] {
            let n: usize = from.iter().product();
            let t = Tensor::f32(from.clone(), (0..n).map(|i| i as f32).collect()).unwrap();
            let shape = Tensor::i64(vec![to.len()], to.iter().map(|&d| d as i64).collect()).unwrap();
            let got = expand(&t, &shape).unwrap();
            let out = broadcast_shape(&from, &to).unwrap();
            let want = t.pick(out.clone(), &broadcast_indices(&from, &out));
            assert_eq!(got, want, "{from:?} -> {to:?}");
        }
    }
}
