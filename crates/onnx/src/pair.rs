//! A pair head's first layer in one pass: `MatMulInteger(DynamicQuantizeLinear(Concat(x, y, x·y,
//! |x − y|)))` without building the [N, 4d] features, their u8 copy or the N copies of a one-row `x`.
//! Exactly the integers the unfused graph computes: the same float operations per feature, the
//! same range, the same rounding, and integer sums split at block edges (`fuse.rs` finds the pattern).
//! Why it matters: `select` over 10,000 attributes is one such run of 10,000 rows.

use super::quant::{finite_range, quantization, quantize_into, PackedWeights};
use super::rows::{quantize_pair_row, quantize_slice, widen_range, Range};
use super::tensor::{Data, Tensor};
use super::{bad, Result};

/// Rows quantized and multiplied at a time: their u8 features stay in cache between the two steps.
const BLOCK: usize = 64;

/// The fused layer's weights: all of them, plus (for a one-row `x`) the `x` part and the rest
/// apart, so the `x` part's products are computed once per run instead of once per row.
pub struct PairWeights {
    d: usize,
    all: PackedWeights,
    head: PackedWeights,
    tail: PackedWeights,
}

impl PairWeights {
    /// `None` unless the weights take exactly the four feature blocks of `d` values.
    pub fn new(all: PackedWeights, d: usize) -> Option<Self> {
        (d > 0 && all.k() == 4 * d).then(|| PairWeights { d, head: all.rows(0, d), tail: all.rows(d, 4 * d), all })
    }
}

/// `[MatMulInteger output, scale, zero point]` for `x` ([1, d] or [N, d]) against `y` ([N, d]).
pub fn pair_matmul(x: &Tensor, y: &Tensor, w: &PairWeights) -> Result<[Tensor; 3]> {
    let (xv, yv) = (x.as_f32()?, y.as_f32()?);
    let d = w.d;
    let one_row = xv.len() == d;
    // The rows are everything before the last axis, which the Concat joined along.
    let fits = y.shape.last() == Some(&d) && x.shape.last() == Some(&d) && (one_row || x.shape == y.shape);
    if !fits {
        return Err(bad(format!("pair features of {:?} and {:?} for weights {} deep", x.shape, y.shape, 4 * d)));
    }
    let n = yv.len() / d;
    let x_row = |i: usize| if one_row { xv } else { &xv[i * d..(i + 1) * d] };
    let y_row = |i: usize| &yv[i * d..(i + 1) * d];
    // The range over every feature: a one-row x's own values once, the rest row by row.
    let mut range =
        if one_row { finite_range(xv).map(|(min, max)| Range { min, max, finite: true })? } else { Range::default() };
    for i in 0..n {
        if !one_row {
            let (lo, hi) = finite_range(x_row(i))?;
            range = Range { min: range.min.min(lo), max: range.max.max(hi), finite: range.finite };
        }
        range = widen_range(x_row(i), y_row(i), range);
    }
    if !range.finite {
        return Err(bad("DynamicQuantizeLinear of a non-finite value"));
    }
    let (min, max) = (range.min, range.max);
    let (scale, zp) = quantization(min, max);
    let cols = w.all.n();
    // With one x row, its u8 values and their products are the same in every row: computed once.
    let (fixed, weights) = if one_row {
        let mut qx = vec![0u8; w.head.kp()];
        quantize_into(xv, scale, zp, &mut qx[..d]);
        let mut dots = vec![0i32; cols];
        w.head.dots(&qx, 1, &mut dots);
        (Some((dots, qx[..d].iter().map(|&v| i32::from(v)).sum::<i32>())), &w.tail)
    } else {
        (None, &w.all)
    };
    let kp = weights.kp();
    let mut out = vec![0i32; n * cols];
    let mut rows = vec![0u8; BLOCK * kp];
    let mut sums = [0i32; BLOCK];
    for start in (0..n).step_by(BLOCK) {
        let m = BLOCK.min(n - start);
        for r in 0..m {
            let (x, y) = (x_row(start + r), y_row(start + r));
            let row = &mut rows[r * kp..(r + 1) * kp];
            let (x_part, rest) = row.split_at_mut(if one_row { 0 } else { d });
            let x_sum = quantize_slice(&x[..x_part.len()], scale, zp, x_part);
            sums[r] = x_sum + quantize_pair_row(x, y, scale, zp, rest);
        }
        let block = &mut out[start * cols..(start + m) * cols];
        weights.dots(&rows[..m * kp], m, block);
        for (r, row) in block.chunks_exact_mut(cols.max(1)).enumerate() {
            let mut sum = sums[r];
            if let Some((dots, fixed_sum)) = &fixed {
                row.iter_mut().zip(dots).for_each(|(c, f)| *c += f);
                sum += fixed_sum;
            }
            w.all.correct(row, i32::from(zp), sum);
        }
    }
    Ok([
        Tensor::new(y.shape[..y.rank() - 1].iter().copied().chain([cols]).collect(), Data::I32(out))?,
        Tensor::f32(vec![], vec![scale])?,
        Tensor::new(vec![], Data::U8(vec![zp]))?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{dynamic_quantize, matmul_integer};

    /// Against the unfused ops on the same data: one-row and N-row `x`, a depth that needs padding,
    /// row counts around the block size, and a zero point on the weights.
    #[test]
    fn fused_pair_layer_equals_the_unfused_graph() {
        let mut bits = crate::xorshift(0x9e37_79b9);
        let mut next = move || (bits() % 2001) as f32 / 1000.0 - 1.0;
        for (d, n, cols, x_rows) in [(6, 3, 5, 1), (6, 3, 5, 3), (8, 65, 7, 1), (8, 130, 3, 130), (5, 64, 4, 1)] {
            let x: Vec<f32> = (0..x_rows * d).map(|_| next()).collect();
            let y: Vec<f32> = (0..n * d).map(|_| next() * 0.5).collect();
            let b: Vec<i8> = (0..4 * d * cols).map(|i| ((i * 53 % 255) as i32 - 127) as i8).collect();
            let zb: Vec<i8> = (0..cols).map(|j| (j % 5) as i8 - 2).collect();
            let packed = || {
                PackedWeights::new(
                    &Tensor::new(vec![4 * d, cols], Data::I8(b.clone())).unwrap(),
                    Some(&Tensor::new(vec![cols], Data::I8(zb.clone())).unwrap()),
                )
                .unwrap()
            };
            let mut feats = Vec::new();
            for i in 0..n {
                let xr = if x_rows == 1 { &x[..] } else { &x[i * d..(i + 1) * d] };
                let yr = &y[i * d..(i + 1) * d];
                feats.extend_from_slice(xr);
                feats.extend_from_slice(yr);
                feats.extend(xr.iter().zip(yr).map(|(p, q)| p * q));
                feats.extend(xr.iter().zip(yr).map(|(p, q)| (p - q).abs()));
            }
            let [q, s, z] = dynamic_quantize(&Tensor::f32(vec![n, 4 * d], feats).unwrap()).unwrap();
            let want = matmul_integer(&q, Some(&z), &packed()).unwrap();
            let w = PairWeights::new(packed(), d).unwrap();
            let got = pair_matmul(
                &Tensor::f32(vec![x_rows, d], x.clone()).unwrap(),
                &Tensor::f32(vec![n, d], y.clone()).unwrap(),
                &w,
            )
            .unwrap();
            assert_eq!(got[0], want, "d {d} n {n} x rows {x_rows}");
            assert_eq!(got[1], s);
            assert_eq!(got[2], z);
        }
    }

    #[test]
    fn a_non_finite_feature_is_refused_as_the_unfused_graph_refuses_it() {
        let w = PairWeights::new(
            PackedWeights::new(&Tensor::new(vec![8, 1], Data::I8(vec![1; 8])).unwrap(), None).unwrap(),
            2,
        )
        .unwrap();
        // Finite inputs whose product overflows: the unfused Mul gives infinity, which the quantizer refuses.
        let x = Tensor::f32(vec![1, 2], vec![3e38, 1.0]).unwrap();
        let y = Tensor::f32(vec![1, 2], vec![3e38, 1.0]).unwrap();
        assert!(pair_matmul(&x, &y, &w).is_err());
    }
}
