//! Dynamic int8 quantization, as ONNX Runtime's `quantize_dynamic` writes
//! it: activations quantized to u8 per tensor at run time, weights stored as
//! i8 per output column, products accumulated in i32.

use super::elementwise::round_even;
use super::kernel;
use super::rows::quantize_slice;
use super::tensor::{Data, Tensor};
use super::{bad, Result};

/// ONNX `DynamicQuantizeLinear`: u8 values, their scale and zero point.
pub fn dynamic_quantize(x: &Tensor) -> Result<[Tensor; 3]> {
    let v = x.as_f32()?;
    let (min, max) = finite_range(v)?;
    let (scale, zp) = quantization(min, max);
    let mut q = vec![0u8; v.len()];
    quantize_into(v, scale, zp, &mut q);
    Ok([
        Tensor::new(x.shape.clone(), Data::U8(q))?,
        Tensor::f32(vec![], vec![scale])?,
        Tensor::new(vec![], Data::U8(vec![zp]))?,
    ])
}

/// The range `DynamicQuantizeLinear` maps onto 0..=255: always holds zero, and refuses a
/// non-finite value. One pass with eight lanes of plain comparisons, which the compiler turns
/// into vector min/max (`f32::min` would not vectorize: it must skip NaN, which is refused anyway).
pub fn finite_range(v: &[f32]) -> Result<(f32, f32)> {
    const L: usize = 8;
    let (mut lo, mut hi, mut bad_bits) = ([0f32; L], [0f32; L], [0u32; L]);
    let chunks = v.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..L {
            let x = c[i];
            lo[i] = if x < lo[i] { x } else { lo[i] };
            hi[i] = if x > hi[i] { x } else { hi[i] };
            // Exponent bits all set: infinity or NaN.
            bad_bits[i] |= u32::from(x.to_bits() & 0x7f80_0000 == 0x7f80_0000);
        }
    }
    for (i, &x) in rest.iter().enumerate() {
        lo[i] = if x < lo[i] { x } else { lo[i] };
        hi[i] = if x > hi[i] { x } else { hi[i] };
        bad_bits[i] |= u32::from(!x.is_finite());
    }
    if bad_bits.iter().any(|&b| b != 0) {
        return Err(bad("DynamicQuantizeLinear of a non-finite value"));
    }
    let min = lo.iter().copied().fold(0f32, |a, b| if b < a { b } else { a });
    let max = hi.iter().copied().fold(0f32, |a, b| if b > a { b } else { a });
    Ok((min, max))
}

/// Scale and zero point for a range from `finite_range`, with ONNX Runtime's choices where the
/// spec is silent: scale 1 for an all-zero input, the zero point clamped before rounding.
pub fn quantization(min: f32, max: f32) -> (f32, u8) {
    if max == min {
        return (1.0, 0);
    }
    let scale = (max - min) / 255.0;
    (scale, round_even((-min / scale).clamp(0.0, 255.0)) as u8)
}

/// `x / scale` rounded half to even, plus the zero point, saturated to u8: the spec's formula
/// (division kept: a reciprocal would round differently), four lanes at a time in wasm (`rows.rs`).
pub fn quantize_into(v: &[f32], scale: f32, zp: u8, out: &mut [u8]) {
    quantize_slice(v, scale, zp, out);
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
        if v.len() != k * n {
            return Err(bad("MatMulInteger weights do not fill their shape"));
        }
        // Transposed in 64 x 64 blocks that stay in L1: a plain loop scatters every byte to another
        // cache line, and this runs over all 10.6 M encoder weights at each model load.
        const B: usize = 64;
        for r0 in (0..k).step_by(B) {
            for c0 in (0..n).step_by(B) {
                for c in c0..(c0 + B).min(n) {
                    let dst = &mut cols[c * kp + r0..c * kp + (r0 + B).min(k)];
                    for (i, x) in dst.iter_mut().enumerate() {
                        *x = v[(r0 + i) * n + c];
                    }
                }
            }
        }
        let col_sums = cols.chunks_exact(kp.max(1)).map(|c| c.iter().map(|&x| i32::from(x)).sum()).collect();
        Ok(PackedWeights { k, kp, n, cols, col_sums, zero })
    }
}

impl PackedWeights {
    pub fn k(&self) -> usize {
        self.k
    }

    pub fn kp(&self) -> usize {
        self.kp
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Σ_k a·b for `m` rows of `kp` u8 values, no zero points.
    pub fn dots(&self, rows: &[u8], m: usize, out: &mut [i32]) {
        kernel::dots(rows, m, &self.cols, self.n, self.kp, out);
    }

    /// Turns one row's raw products into Σ(a - za)(b - zb) = Σab - za·Σb - zb·Σa + K·za·zb,
    /// given Σa (`row_sum`) over the row's K activations.
    pub fn correct(&self, row: &mut [i32], za: i32, row_sum: i32) {
        let k = self.k as i32;
        for ((c, &sb), &zb) in row.iter_mut().zip(&self.col_sums).zip(&self.zero) {
            *c += -za * sb - zb * row_sum + k * za * zb;
        }
    }

    /// The weights of input rows `from..to` alone, zero points dropped (only `correct` on the
    /// whole weights uses them).
    pub fn rows(&self, from: usize, to: usize) -> PackedWeights {
        let k = to - from;
        let kp = k.div_ceil(16) * 16;
        let mut cols = vec![0i8; self.n * kp];
        for (dst, src) in cols.chunks_exact_mut(kp.max(1)).zip(self.cols.chunks_exact(self.kp.max(1))) {
            dst[..k].copy_from_slice(&src[from..to]);
        }
        let col_sums = cols.chunks_exact(kp.max(1)).map(|c| c.iter().map(|&x| i32::from(x)).sum()).collect();
        PackedWeights { k, kp, n: self.n, cols, col_sums, zero: vec![0; self.n] }
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
    w.dots(&rows, m, &mut out);
    for (i, row) in out.chunks_exact_mut(w.n.max(1)).enumerate() {
        w.correct(row, za, x[i * w.k..(i + 1) * w.k].iter().map(|&v| i32::from(v)).sum());
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

    /// The one-pass range and vectorized rounding against the spec's formula, term by term, over
    /// lengths that leave every remainder of the eight lanes, ties included.
    #[test]
    fn dynamic_quantize_matches_the_spec_formula() {
        for n in [1, 7, 8, 9, 100, 1001] {
            let v: Vec<f32> = (0..n).map(|i| ((i * 7919 % 1000) as f32 - 400.0) / 37.0).chain([0.5, -2.5]).collect();
            let [q, s, z] = dynamic_quantize(&Tensor::f32(vec![v.len()], v.clone()).unwrap()).unwrap();
            let min = v.iter().copied().fold(0f32, f32::min);
            let max = v.iter().copied().fold(0f32, f32::max);
            let scale = (max - min) / 255.0;
            let zp = ((-min / scale).clamp(0.0, 255.0)).round_ties_even();
            let want: Vec<u8> =
                v.iter().map(|&x| ((x / scale).round_ties_even() + zp).clamp(0.0, 255.0) as u8).collect();
            assert_eq!(s.as_f32().unwrap(), &[scale]);
            assert_eq!(z.data, Data::U8(vec![zp as u8]));
            assert_eq!(q.data, Data::U8(want), "n = {n}");
        }
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [0, 5, 9] {
                let mut v = vec![1.0f32; 10];
                v[at] = bad;
                assert!(dynamic_quantize(&Tensor::f32(vec![10], v).unwrap()).is_err(), "{bad} at {at}");
            }
        }
        let [q, s, z] = dynamic_quantize(&Tensor::f32(vec![3], vec![0.0; 3]).unwrap()).unwrap();
        assert_eq!((q.data, s.as_f32().unwrap()[0], z.data), (Data::U8(vec![0; 3]), 1.0, Data::U8(vec![0])));
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
