//! Dynamic int8 quantization, as ONNX Runtime's `quantize_dynamic` writes
//! it: activations quantized to u8 per tensor at run time, weights stored as
//! i8 per output column, products accumulated in i32.

use super::elementwise::round_even;
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
    let mut rows = vec![0u8; m * w.kp];
    for (dst, src) in rows.chunks_exact_mut(w.kp.max(1)).zip(x.chunks_exact(w.k.max(1))) {
        dst[..w.k].copy_from_slice(src);
    }
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

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
mod kernel {
    use core::arch::wasm32::*;

    /// out[i·n + j] = Σ_k a[i·kp + k] · b[j·kp + k] with relaxed SIMD's dot
    /// product, one instruction per 16 multiply-adds where the CPU has one
    /// (x86 AVX-VNNI, Arm SDOT). Its second operand must stay below 128 for
    /// the result to be the same on every CPU, and activations are u8, so
    /// each is split as a = 2·(a >> 1) + (a & 1): two exact dot products.
    /// Weights are the signed operand; a pair of products stays within
    /// 2·128·127 < 2^15, so the i16 step some CPUs saturate never does.
    pub fn dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
        assert!(a.len() >= m * kp && b.len() >= n * kp && out.len() >= m * n && kp % 16 == 0);
        let high: Vec<u8> = a[..m * kp].iter().map(|&x| x >> 1).collect();
        let low: Vec<u8> = a[..m * kp].iter().map(|&x| x & 1).collect();
        let mut i = 0;
        while i + 2 <= m {
            row_block::<2>(&high, &low, b, n, kp, out, i);
            i += 2;
        }
        if i < m {
            row_block::<1>(&high, &low, b, n, kp, out, i);
        }
    }

    fn row_block<const R: usize>(high: &[u8], low: &[u8], b: &[i8], n: usize, kp: usize, out: &mut [i32], i: usize) {
        let mut j = 0;
        while j + 2 <= n {
            // SAFETY: dots() checked the lengths; i + R <= m and j + 2 <= n.
            unsafe { tile::<R, 2>(high, low, b, n, kp, out, i, j) };
            j += 2;
        }
        if j < n {
            unsafe { tile::<R, 1>(high, low, b, n, kp, out, i, j) };
        }
    }

    /// R x C outputs with 2·R·C accumulators: at most 2 x 2, which with the
    /// operands fits the 16 vector registers of x86-64 without spilling.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize, const C: usize>(
        high: &[u8],
        low: &[u8],
        b: &[i8],
        n: usize,
        kp: usize,
        out: &mut [i32],
        i: usize,
        j: usize,
    ) {
        let (ph, pl, pb) = (high.as_ptr().add(i * kp), low.as_ptr().add(i * kp), b.as_ptr().add(j * kp));
        let mut acc_high = [[i32x4_splat(0); C]; R];
        let mut acc_low = [[i32x4_splat(0); C]; R];
        let mut k = 0;
        while k < kp {
            let w: [v128; C] = core::array::from_fn(|c| v128_load(pb.add(c * kp + k) as *const v128));
            for r in 0..R {
                let h = v128_load(ph.add(r * kp + k) as *const v128);
                let l = v128_load(pl.add(r * kp + k) as *const v128);
                for c in 0..C {
                    acc_high[r][c] = i32x4_relaxed_dot_i8x16_i7x16_add(w[c], h, acc_high[r][c]);
                    acc_low[r][c] = i32x4_relaxed_dot_i8x16_i7x16_add(w[c], l, acc_low[r][c]);
                }
            }
            k += 16;
        }
        for r in 0..R {
            for c in 0..C {
                let v = i32x4_add(i32x4_shl(acc_high[r][c], 1), acc_low[r][c]);
                out[(i + r) * n + j + c] = i32x4_extract_lane::<0>(v)
                    + i32x4_extract_lane::<1>(v)
                    + i32x4_extract_lane::<2>(v)
                    + i32x4_extract_lane::<3>(v);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(target_feature = "relaxed-simd")))]
mod kernel {
    use core::arch::wasm32::*;

    /// out[i·n + j] = Σ_k a[i·kp + k] · b[j·kp + k], tiles of 4 rows x 4
    /// columns: 16 accumulators, operands widened to i16 as they load, and
    /// `i32x4.dot_i16x8_s` doing 8 multiply-adds per instruction.
    pub fn dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
        assert!(a.len() >= m * kp && b.len() >= n * kp && out.len() >= m * n && kp % 8 == 0);
        let mut i = 0;
        while i + 4 <= m {
            row_block::<4>(a, b, n, kp, out, i);
            i += 4;
        }
        while i < m {
            row_block::<1>(a, b, n, kp, out, i);
            i += 1;
        }
    }

    fn row_block<const R: usize>(a: &[u8], b: &[i8], n: usize, kp: usize, out: &mut [i32], i: usize) {
        let mut j = 0;
        while j + 4 <= n {
            // SAFETY: dots() checked the lengths; i + R <= m and j + 4 <= n.
            unsafe { tile::<R, 4>(a, b, n, kp, out, i, j) };
            j += 4;
        }
        while j < n {
            unsafe { tile::<R, 1>(a, b, n, kp, out, i, j) };
            j += 1;
        }
    }

    #[inline(always)]
    unsafe fn tile<const R: usize, const C: usize>(
        a: &[u8],
        b: &[i8],
        n: usize,
        kp: usize,
        out: &mut [i32],
        i: usize,
        j: usize,
    ) {
        let pa = a.as_ptr().add(i * kp);
        let pb = b.as_ptr().add(j * kp);
        let mut acc = [[i32x4_splat(0); C]; R];
        let mut k = 0;
        while k < kp {
            let av: [v128; R] = core::array::from_fn(|r| u16x8_load_extend_u8x8(pa.add(r * kp + k)));
            let bv: [v128; C] = core::array::from_fn(|c| i16x8_load_extend_i8x8(pb.add(c * kp + k)));
            for r in 0..R {
                for c in 0..C {
                    acc[r][c] = i32x4_add(acc[r][c], i32x4_dot_i16x8(av[r], bv[c]));
                }
            }
            k += 8;
        }
        for r in 0..R {
            for c in 0..C {
                let v = acc[r][c];
                out[(i + r) * n + j + c] = i32x4_extract_lane::<0>(v)
                    + i32x4_extract_lane::<1>(v)
                    + i32x4_extract_lane::<2>(v)
                    + i32x4_extract_lane::<3>(v);
            }
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod kernel {
    /// out[i·n + j] = Σ_k a[i·kp + k] · b[j·kp + k]. Native evaluation runs
    /// whole datasets through the encoder, so x86-64 gets an AVX2 kernel when
    /// the CPU has it; other CPUs a loop the compiler vectorizes.
    pub fn dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
        assert!(a.len() >= m * kp && b.len() >= n * kp && out.len() >= m * n && kp % 16 == 0);
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present; lengths checked above.
            return unsafe { avx2::dots(a, m, b, n, kp, out) };
        }
        for i in 0..m {
            let x = &a[i * kp..(i + 1) * kp];
            for j in 0..n {
                let y = &b[j * kp..(j + 1) * kp];
                out[i * n + j] = x.iter().zip(y).map(|(&p, &q)| i32::from(p) * i32::from(q)).sum();
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        use std::arch::x86_64::*;

        #[target_feature(enable = "avx2")]
        pub unsafe fn dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
            let mut i = 0;
            while i < m {
                let rows = (m - i).min(4);
                let mut j = 0;
                while j < n {
                    let cols = (n - j).min(2);
                    match (rows, cols) {
                        (4, 2) => tile::<4, 2>(a, b, n, kp, out, i, j),
                        (4, _) => tile::<4, 1>(a, b, n, kp, out, i, j),
                        (_, 2) => (0..rows).for_each(|r| tile::<1, 2>(a, b, n, kp, out, i + r, j)),
                        _ => (0..rows).for_each(|r| tile::<1, 1>(a, b, n, kp, out, i + r, j)),
                    }
                    j += cols;
                }
                i += rows;
            }
        }

        /// Operands widened to i16 as they load, `vpmaddwd` for 16 multiply-adds.
        #[target_feature(enable = "avx2")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn tile<const R: usize, const C: usize>(
            a: &[u8],
            b: &[i8],
            n: usize,
            kp: usize,
            out: &mut [i32],
            i: usize,
            j: usize,
        ) {
            let (pa, pb) = (a.as_ptr().add(i * kp), b.as_ptr().add(j * kp));
            let mut acc = [[_mm256_setzero_si256(); C]; R];
            let mut k = 0;
            while k < kp {
                let bv: [__m256i; C] = core::array::from_fn(|c| {
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(pb.add(c * kp + k) as *const __m128i))
                });
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(r * kp + k) as *const __m128i));
                    for (sum, w) in row.iter_mut().zip(&bv) {
                        *sum = _mm256_add_epi32(*sum, _mm256_madd_epi16(av, *w));
                    }
                }
                k += 16;
            }
            for r in 0..R {
                for c in 0..C {
                    let mut lanes = [0i32; 8];
                    _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc[r][c]);
                    out[(i + r) * n + j + c] = lanes.iter().sum();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_integer_matches_the_definition() {
        let (m, k, n) = (5, 19, 7);
        let a: Vec<u8> = (0..m * k).map(|i| (i * 37 % 256) as u8).collect();
        let b: Vec<i8> = (0..k * n).map(|i| ((i * 53 % 255) as i32 - 127) as i8).collect();
        let zb: Vec<i8> = (0..n).map(|j| j as i8 - 3).collect();
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
