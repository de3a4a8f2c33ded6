//! Float operators of neural networks: normalization, softmax, reductions,
//! batched matrix products.

use super::elementwise::exp;
use super::tensor::{axis, broadcast_shape, Tensor};
use super::{bad, Result};

/// (outer, length, inner) of `shape` around `ax`.
fn around(shape: &[usize], ax: usize) -> (usize, usize, usize) {
    (shape[..ax].iter().product(), shape[ax], shape[ax + 1..].iter().product())
}

pub fn layer_norm(x: &Tensor, scale: &Tensor, bias: Option<&Tensor>, ax: i64, epsilon: f32) -> Result<Tensor> {
    let a = axis(ax, x.rank())?;
    let row: usize = x.shape[a..].iter().product();
    let (s, b) = (scale.as_f32()?, bias.map(Tensor::as_f32).transpose()?);
    if s.len() != row || b.is_some_and(|b| b.len() != row) || row == 0 {
        return Err(bad("LayerNormalization scale or bias does not match the normalized axes"));
    }
    let mut out = x.as_f32()?.to_vec();
    // The arithmetic of ONNX Runtime's CPU kernel (one pass for the mean
    // and the mean square, then divide): int8 graphs requantize this output,
    // so last-bit differences would flip quantized values downstream.
    for r in out.chunks_mut(row) {
        let (mut sum, mut squares) = (0f32, 0f32);
        for &v in r.iter() {
            sum += v;
            squares += v * v;
        }
        let mean = sum / row as f32;
        let deviation = (squares / row as f32 - mean * mean + epsilon).sqrt();
        for (i, v) in r.iter_mut().enumerate() {
            *v = (*v - mean) / deviation * s[i] + b.map_or(0.0, |b| b[i]);
        }
    }
    Tensor::f32(x.shape.clone(), out)
}

pub fn softmax(x: &Tensor, ax: i64) -> Result<Tensor> {
    let a = axis(ax, x.rank())?;
    let (outer, n, inner) = around(&x.shape, a);
    let mut out = x.as_f32()?.to_vec();
    if inner == 1 && n > 0 {
        // The usual case (attention rows): contiguous, so the loops vectorize.
        for row in out.chunks_exact_mut(n) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            row.iter_mut().for_each(|v| *v = exp(*v - max));
            let sum: f32 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= sum);
        }
        return Tensor::f32(x.shape.clone(), out);
    }
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            let max = (0..n).map(|k| out[at(k)]).fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for k in 0..n {
                let e = exp(out[at(k)] - max);
                out[at(k)] = e;
                sum += e;
            }
            for k in 0..n {
                out[at(k)] /= sum;
            }
        }
    }
    Tensor::f32(x.shape.clone(), out)
}

#[derive(Clone, Copy, Debug)]
pub enum Reduce {
    Sum,
    Mean,
    L2,
}

/// Reduces over `axes` (all axes when empty, unless `noop_empty`).
pub fn reduce(kind: Reduce, x: &Tensor, axes: &[i64], keep: bool, noop_empty: bool) -> Result<Tensor> {
    if axes.is_empty() && noop_empty {
        return Ok(x.clone());
    }
    let mut reduced: Vec<usize> = if axes.is_empty() {
        (0..x.rank()).collect()
    } else {
        axes.iter().map(|&a| axis(a, x.rank())).collect::<Result<_>>()?
    };
    reduced.sort_unstable();
    reduced.dedup();
    let v = x.as_f32()?;
    let mut t = Tensor::f32(x.shape.clone(), v.to_vec())?;
    // One axis at a time, from the last, keeping it as length 1.
    for &a in reduced.iter().rev() {
        let (outer, n, inner) = around(&t.shape, a);
        let src = t.as_f32()?;
        let mut out = vec![0f32; outer * inner];
        for o in 0..outer {
            for k in 0..n {
                for i in 0..inner {
                    let val = src[(o * n + k) * inner + i];
                    out[o * inner + i] += if matches!(kind, Reduce::L2) { val * val } else { val };
                }
            }
        }
        let mut shape = t.shape.clone();
        shape[a] = 1;
        if matches!(kind, Reduce::Mean) && n > 0 {
            out.iter_mut().for_each(|v| *v /= n as f32);
        }
        t = Tensor::f32(shape, out)?;
    }
    let mut out = t.into_f32()?;
    if matches!(kind, Reduce::L2) {
        out.iter_mut().for_each(|v| *v = v.sqrt());
    }
    let shape =
        (0..x.rank()).filter_map(|i| if reduced.contains(&i) { keep.then_some(1) } else { Some(x.shape[i]) }).collect();
    Tensor::f32(shape, out)
}

/// Float matrix product over the last two axes, broadcasting the rest.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.rank() < 2 || b.rank() < 2 {
        return Err(bad("MatMul of vectors is not supported"));
    }
    let (ra, rb) = (a.rank(), b.rank());
    let (m, k, n) = (a.shape[ra - 2], a.shape[ra - 1], b.shape[rb - 1]);
    if b.shape[rb - 2] != k {
        return Err(bad(format!("MatMul of {:?} and {:?}", a.shape, b.shape)));
    }
    let batch = broadcast_shape(&a.shape[..ra - 2], &b.shape[..rb - 2])?;
    let count: usize = batch.iter().product();
    let (ba, bb): (usize, usize) = (a.shape[..ra - 2].iter().product(), b.shape[..rb - 2].iter().product());
    if (ba != count && ba != 1) || (bb != count && bb != 1) {
        return Err(bad("MatMul batch broadcasting beyond repeating one matrix is not supported"));
    }
    let (x, y) = (a.as_f32()?, b.as_f32()?);
    let mut out = vec![0f32; count * m * n];
    for p in 0..count {
        let xa = &x[(if ba == 1 { 0 } else { p }) * m * k..][..m * k];
        let yb = &y[(if bb == 1 { 0 } else { p }) * k * n..][..k * n];
        gemm(xa, yb, &mut out[p * m * n..][..m * n], m, k, n);
    }
    let mut shape = batch;
    shape.extend([m, n]);
    Tensor::f32(shape, out)
}

/// c[m x n] = a[m x k] · b[k x n], row-major. Tiles of 4 rows x 8 columns
/// keep their sums in registers (the compiler turns the fixed-size arrays
/// into vector registers), so each loaded row piece of `b` serves 4 rows.
fn gemm(a: &[f32], b: &[f32], c: &mut [f32], m: usize, k: usize, n: usize) {
    const R: usize = 4;
    const C: usize = 8;
    let mut i = 0;
    while i + R <= m {
        let mut j = 0;
        while j + C <= n {
            let mut acc = [[0f32; C]; R];
            for kk in 0..k {
                let bv: &[f32; C] = b[kk * n + j..kk * n + j + C].try_into().unwrap();
                for (r, sums) in acc.iter_mut().enumerate() {
                    let av = a[(i + r) * k + kk];
                    for (s, &bb) in sums.iter_mut().zip(bv) {
                        *s += av * bb;
                    }
                }
            }
            for (r, sums) in acc.iter().enumerate() {
                c[(i + r) * n + j..(i + r) * n + j + C].copy_from_slice(sums);
            }
            j += C;
        }
        if j < n {
            edge(a, b, c, (i, i + R), (j, n), k, n);
        }
        i += R;
    }
    if i < m {
        edge(a, b, c, (i, m), (0, n), k, n);
    }
}

/// The rows and columns `gemm`'s tiles leave over.
fn edge(a: &[f32], b: &[f32], c: &mut [f32], rows: (usize, usize), cols: (usize, usize), k: usize, n: usize) {
    for i in rows.0..rows.1 {
        let row = &mut c[i * n + cols.0..i * n + cols.1];
        row.iter_mut().for_each(|v| *v = 0.0);
        for kk in 0..k {
            let av = a[i * k + kk];
            for (r, &bb) in row.iter_mut().zip(&b[kk * n + cols.0..kk * n + cols.1]) {
                *r += av * bb;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_matches_the_definition_on_every_tile_edge() {
        for (m, k, n) in [(1, 1, 1), (4, 3, 8), (5, 7, 9), (9, 32, 17), (3, 2, 5)] {
            let av: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
            let bv: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
            let a = Tensor::f32(vec![2, m, k], [av.clone(), av.iter().map(|v| -v).collect()].concat()).unwrap();
            let b = Tensor::f32(vec![k, n], bv.clone()).unwrap();
            let c = matmul(&a, &b).unwrap();
            assert_eq!(c.shape, vec![2, m, n]);
            let got = c.as_f32().unwrap();
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|kk| av[i * k + kk] * bv[kk * n + j]).sum();
                    assert!((got[i * n + j] - want).abs() < 1e-5, "({m},{k},{n}) at ({i},{j})");
                    assert!((got[m * n + i * n + j] + want).abs() < 1e-5);
                }
            }
        }
    }
}
