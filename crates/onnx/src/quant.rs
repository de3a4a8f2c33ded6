//! Dynamic int8 quantization, as ONNX Runtime's `quantize_dynamic` writes
//! it: activations quantized to u8 per tensor at run time, weights stored as
//! i8 per output column, products accumulated in i32.

use super::elementwise::round_even;
use super::kernel;
use super::tensor::{Data, Tensor};
use super::{bad, Result};

/// ONNX `DynamicQuantizeLinear`: u8 values, their scale and zero point.
pub fn dynamic_quantize(x: &Tensor) -> Result<[Tensor; 3]> {
    let v = x.as_f32()?;
    if v.iter().any(|x| !x.is_finite()) {
        return Err(bad("DynamicQuantizeLinear of a non-finite value"));
    }
    let min = v.iter().copied().fold(0f32, f32::min);
    let max = v.iter().copied().fold(0f32, f32::max);
    // ONNX Runtime's choices where the spec is silent: scale 1 for an all-zero
    // input, the zero point clamped before rounding.
    let scale = if max == min { 1.0 } else { (max - min) / 255.0 };
    let (q, zp) = if max == min {
        (vec![0u8; v.len()], 0u8)
    } else {
        let zp = round_even((-min / scale).clamp(0.0, 255.0));
        (v.iter().map(|&x| (round_even(x / scale) + zp).clamp(0.0, 255.0) as u8).collect(), zp as u8)
    };
    Ok([
        Tensor::new(x.shape.clone(), Data::U8(q))?,
        Tensor::f32(vec![], vec![scale])?,
        Tensor::new(vec![], Data::U8(vec![zp]))?,
    ])
}

/// Integer values as i32, for zero points and dequantization.
fn widen(t: &Tensor) -> Result<Vec<i32>> {
    match &t.data {
        Data::U8(v) => Ok(v.iter().map(|&x| i32::from(x)).collect()),
        Data::I8(v) => Ok(v.iter().map(|&x| i32::from(x)).collect()),
        Data::I32(v) => Ok(v.clone()),
        d => Err(bad(format!("expected 8-bit integers, got {}", d.type_name()))),
    }
}

/// ONNX `DequantizeLinear` with a per-tensor or per-axis scale.
pub fn dequantize(x: &Tensor, scale: &Tensor, zero: Option<&Tensor>, ax: i64) -> Result<Tensor> {
    let q = widen(x)?;
    let s = scale.as_f32()?;
    let z = zero.map(widen).transpose()?.unwrap_or_else(|| vec![0; s.len()]);
    if z.len() != s.len() || s.is_empty() {
        return Err(bad("DequantizeLinear scale and zero point differ in length"));
    }
    let out = if s.len() == 1 {
        q.iter().map(|&v| (v - z[0]) as f32 * s[0]).collect()
    } else {
        let a = super::tensor::axis(ax, x.rank())?;
        if x.shape[a] != s.len() {
            return Err(bad("DequantizeLinear scale does not match its axis"));
        }
        let inner: usize = x.shape[a + 1..].iter().product();
        q.iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = (i / inner.max(1)) % s.len();
                (v - z[c]) as f32 * s[c]
            })
            .collect()
    };
    Tensor::f32(x.shape.clone(), out)
}

/// The i8 right-hand side of `MatMulInteger`, packed once when the model is
/// loaded: one row of `kp` (K rounded up to 16, zero padded) values per output
/// column, so the kernel reads both operands contiguously.
pub struct PackedWeights {
    k: usize,
    kp: usize,
    n: usize,
    cols: Vec<i8>,
    col_sums: Vec<i32>,
    zero: Vec<i32>,
}

impl PackedWeights {
    pub fn new(b: &Tensor, zero: Option<&Tensor>) -> Result<Self> {
        let Data::I8(v) = &b.data else {
            return Err(bad(format!("MatMulInteger weights must be int8, got {}", b.data.type_name())));
        };
        let [k, n] = b.shape[..] else { return Err(bad("MatMulInteger weights must be a matrix")) };
        let zero = match zero {
            None => vec![0; n],
            Some(z) => {
                let z = widen(z)?;
                match z.len() {
                    1 => vec![z[0]; n],
                    l if l == n => z,
                    _ => return Err(bad("MatMulInteger weight zero point does not match the columns")),
                }
            }
        };
        let kp = k.div_ceil(16) * 16;
        let mut cols = vec![0i8; n * kp];
        for (r, row) in v.chunks_exact(n.max(1)).enumerate() {
            for (c, &x) in row.iter().enumerate() {
                cols[c * kp + r] = x;
            }
        }
        let col_sums = cols.chunks_exact(kp.max(1)).map(|c| c.iter().map(|&x| i32::from(x)).sum()).collect();
        Ok(PackedWeights { k, kp, n, cols, col_sums, zero })
    }
}

/// ONNX `MatMulInteger` of u8 activations [.., M, K] by packed weights.
pub fn matmul_integer(a: &Tensor, a_zero: Option<&Tensor>, w: &PackedWeights) -> Result<Tensor> {
    let Data::U8(x) = &a.data else {
        return Err(bad(format!("MatMulInteger activations must be uint8, got {}", a.data.type_name())));
    };
    if a.rank() < 2 || a.shape[a.rank() - 1] != w.k {
        return Err(bad(format!("MatMulInteger of {:?} by a {}x{} matrix", a.shape, w.k, w.n)));
    }
    let za = match a_zero {
        Some(z) => *widen(z)?.first().ok_or_else(|| bad("empty zero point"))?,
        None => 0,
    };
    let m = a.len() / w.k.max(1);
    // Rows are padded to the kernel's width only when K is not already a
    // multiple of it (the encoder's 384 and 1536 are).
    let rows: std::borrow::Cow<[u8]> = if w.k == w.kp {
        std::borrow::Cow::Borrowed(x)
    } else {
        let mut padded = vec![0u8; m * w.kp];
        for (dst, src) in padded.chunks_exact_mut(w.kp.max(1)).zip(x.chunks_exact(w.k.max(1))) {
            dst[..w.k].copy_from_slice(src);
        }
        std::borrow::Cow::Owned(padded)
    };
    let mut out = vec![0i32; m * w.n];
    kernel::dots(&rows, m, &w.cols, w.n, w.kp, &mut out);
    // Σ(a - za)(b - zb) = Σab - za·Σb - zb·Σa + K·za·zb
    let k = w.k as i32;
    for (i, row) in out.chunks_exact_mut(w.n.max(1)).enumerate() {
        let sa: i32 = x[i * w.k..(i + 1) * w.k].iter().map(|&v| i32::from(v)).sum();
        for (j, c) in row.iter_mut().enumerate() {
            *c += -za * w.col_sums[j] - w.zero[j] * sa + k * za * w.zero[j];
        }
    }
    let mut shape = a.shape.clone();
    *shape.last_mut().unwrap() = w.n;
    Tensor::new(shape, Data::I32(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_integer_matches_the_definition() {
        // Odd sizes leave rows and columns over every tile shape; the second is encoder-sized;
        // the third needs no row padding.
        for (m, k, n) in [(5, 19, 7), (6, 300, 130), (3, 32, 5)] {
            check_matmul_integer(m, k, n);
        }
    }

    fn check_matmul_integer(m: usize, k: usize, n: usize) {
        let a: Vec<u8> = (0..m * k).map(|i| (i * 37 % 256) as u8).collect();
        let b: Vec<i8> = (0..k * n).map(|i| ((i * 53 % 255) as i32 - 127) as i8).collect();
        let zb: Vec<i8> = (0..n).map(|j| (j % 7) as i8 - 3).collect();
        let za = 131u8;
        let w = PackedWeights::new(
            &Tensor::new(vec![k, n], Data::I8(b.clone())).unwrap(),
            Some(&Tensor::new(vec![n], Data::I8(zb.clone())).unwrap()),
        )
        .unwrap();
        let at = Tensor::new(vec![1, m, k], Data::U8(a.clone())).unwrap();
        let got = matmul_integer(&at, Some(&Tensor::new(vec![], Data::U8(vec![za])).unwrap()), &w).unwrap();
        let Data::I32(got) = got.data else { panic!() };
        for i in 0..m {
            for j in 0..n {
                let want: i32 = (0..k)
                    .map(|kk| {
                        (i32::from(a[i * k + kk]) - i32::from(za)) * (i32::from(b[kk * n + j]) - i32::from(zb[j]))
                    })
                    .sum();
                assert_eq!(got[i * n + j], want, "({i},{j})");
            }
        }
    }

    #[test]
    fn dynamic_quantize_follows_the_onnx_reference() {
        let x = Tensor::f32(vec![4], vec![-1.0, 0.0, 1.0, 2.0]).unwrap();
        let [q, s, z] = dynamic_quantize(&x).unwrap();
        let scale = 3.0 / 255.0;
        assert_eq!(s.as_f32().unwrap(), &[scale]);
        assert_eq!(z.data, Data::U8(vec![85]));
        assert_eq!(q.data, Data::U8(vec![0, 85, 170, 255]));
    }
}
