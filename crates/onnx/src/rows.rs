//! Float rows to u8 the way `DynamicQuantizeLinear` maps them (`x / scale` rounded half to even,
//! plus the zero point, saturated), for whole tensors (`quantize_slice`) and for a pair head's
//! feature rows (`y`, `x·y`, `|x − y|`, each `d` wide) straight from `x` and `y`: their range and
//! u8 values without writing the float features anywhere. Each feature is the float the unfused
//! Mul, Sub and Abs compute, so the integers are the unfused graph's. In wasm with simd128 four
//! lanes at a time (the scalar loops left the float-to-u8 step unvectorized: 7% of an encoding,
//! and with the features a fifth of a select over 10,000 attributes); elsewhere the plain loops.

use super::elementwise::round_even;

/// Running min / max over features, starting from zero (the range always holds it), and whether
/// a non-finite value was seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f32,
    pub max: f32,
    pub finite: bool,
}

impl Default for Range {
    fn default() -> Self {
        Range { min: 0.0, max: 0.0, finite: true }
    }
}

pub use imp::{quantize_pair_row, quantize_slice, widen_range};

/// The definition, on every target: what the SIMD versions are checked against.
fn features<'a>(x: &'a [f32], y: &'a [f32]) -> impl Iterator<Item = f32> + 'a {
    let prod = x.iter().zip(y).map(|(&p, &q)| p * q);
    let diff = x.iter().zip(y).map(|(&p, &q)| (p - q).abs());
    y.iter().copied().chain(prod).chain(diff)
}

fn reference_range(x: &[f32], y: &[f32], r: Range) -> Range {
    features(x, y).fold(r, |r, v| Range {
        min: if v < r.min { v } else { r.min },
        max: if v > r.max { v } else { r.max },
        finite: r.finite && v.is_finite(),
    })
}

fn reference_quantize(values: impl Iterator<Item = f32>, scale: f32, zp: u8, out: &mut [u8]) -> i32 {
    let z = f32::from(zp);
    let mut sum = 0;
    for (q, v) in out.iter_mut().zip(values) {
        *q = (round_even(v / scale) + z).clamp(0.0, 255.0) as u8;
        sum += i32::from(*q);
    }
    sum
}

/// Whether this build's `widen_range`, `quantize_pair_row` and `quantize_slice` equal the definitions on widths with
/// and without a remainder, zero points at both ends, and values that saturate; the first
/// mismatch, if any. The browser suite runs it on the simd128 build (natively both sides are the
/// definition; `pair.rs`'s tests check the whole layer against the unfused graph there).
pub fn rows_agree_with_reference() -> Result<(), String> {
    let mut bits = crate::xorshift(0x9e37_79b9);
    let mut next = move || (bits() % 4001) as f32 / 1000.0 - 2.0;
    for d in [1, 3, 4, 8, 13, 384] {
        for (zp, scale) in [(0u8, 0.01f32), (128, 0.015), (255, 0.02), (40, 0.003)] {
            let x: Vec<f32> = (0..d).map(|_| next()).collect();
            let y: Vec<f32> = (0..d).map(|_| next()).collect();
            let start = Range { min: -0.5, max: 0.25, finite: true };
            let (got, want) = (widen_range(&x, &y, start), reference_range(&x, &y, start));
            if got != want {
                return Err(format!("range d {d}: {got:?} != {want:?}"));
            }
            let (mut a, mut b) = (vec![0u8; 3 * d], vec![0u8; 3 * d]);
            let (sa, sb) =
                (quantize_pair_row(&x, &y, scale, zp, &mut a), reference_quantize(features(&x, &y), scale, zp, &mut b));
            if (a != b) || sa != sb {
                return Err(format!("pair row d {d} zp {zp} scale {scale}: {a:?} ({sa}) != {b:?} ({sb})"));
            }
            let (mut a, mut b) = (vec![0u8; d], vec![0u8; d]);
            let (sa, sb) =
                (quantize_slice(&x, scale, zp, &mut a), reference_quantize(x.iter().copied(), scale, zp, &mut b));
            if (a != b) || sa != sb {
                return Err(format!("slice d {d} zp {zp} scale {scale}: {a:?} ({sa}) != {b:?} ({sb})"));
            }
        }
        let mut y = vec![1.0; d];
        y[d / 2] = f32::INFINITY;
        if widen_range(&y, &y, Range::default()).finite {
            return Err(format!("d {d}: an infinite feature went unnoticed"));
        }
    }
    Ok(())
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use super::Range;

    /// `r` widened by the features of the row (`x` and `y` of one length `d`).
    pub fn widen_range(x: &[f32], y: &[f32], r: Range) -> Range {
        super::reference_range(x, y, r)
    }

    /// The row's 3·`d` features quantized into `out`; returns the sum of the u8 values.
    pub fn quantize_pair_row(x: &[f32], y: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
        super::reference_quantize(super::features(x, y), scale, zp, out)
    }

    /// `v` quantized into `out`; returns the sum of the u8 values.
    pub fn quantize_slice(v: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
        super::reference_quantize(v.iter().copied(), scale, zp, out)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::Range;
    use core::arch::wasm32::*;

    const MAGIC: f32 = 12_582_912.0; // round_even's 1.5 * 2^23

    fn exponent_all_ones(v: v128) -> v128 {
        let e = u32x4_splat(0x7f80_0000);
        i32x4_eq(v128_and(v, e), e)
    }

    /// `r` widened by the features of the row (`x` and `y` of one length `d`). `pmin(lo, v)` is
    /// `v < lo ? v : lo`, the scalar definition lane by lane; min and max are order-free.
    pub fn widen_range(x: &[f32], y: &[f32], r: Range) -> Range {
        let d = x.len().min(y.len());
        let four = d / 4 * 4;
        let (mut lo, mut hi, mut bad) = (f32x4_splat(r.min), f32x4_splat(r.max), i32x4_splat(0));
        let mut j = 0;
        while j < four {
            // SAFETY: j + 4 <= four <= d, within both slices.
            let (p, q) =
                unsafe { (v128_load(x.as_ptr().add(j) as *const v128), v128_load(y.as_ptr().add(j) as *const v128)) };
            for v in [q, f32x4_mul(p, q), f32x4_abs(f32x4_sub(p, q))] {
                lo = f32x4_pmin(lo, v);
                hi = f32x4_pmax(hi, v);
                bad = v128_or(bad, exponent_all_ones(v));
            }
            j += 4;
        }
        let lanes = |v: v128| {
            [
                f32x4_extract_lane::<0>(v),
                f32x4_extract_lane::<1>(v),
                f32x4_extract_lane::<2>(v),
                f32x4_extract_lane::<3>(v),
            ]
        };
        let mut out = Range { min: r.min, max: r.max, finite: r.finite && !v128_any_true(bad) };
        for (l, h) in lanes(lo).into_iter().zip(lanes(hi)) {
            out.min = if l < out.min { l } else { out.min };
            out.max = if h > out.max { h } else { out.max };
        }
        super::reference_range(&x[four..d], &y[four..d], out)
    }

    /// Four values to u8 by the scalar formula lane by lane, stored at `at`; adds them to `sum`.
    struct Quantizer {
        scale: v128,
        zp: v128,
        sum: v128,
    }

    impl Quantizer {
        fn new(scale: f32, zp: u8) -> Self {
            Quantizer { scale: f32x4_splat(scale), zp: f32x4_splat(f32::from(zp)), sum: i32x4_splat(0) }
        }

        /// SAFETY: `at` must have 4 writable bytes.
        #[inline(always)]
        unsafe fn put(&mut self, v: v128, at: *mut u8) {
            let magic = f32x4_splat(MAGIC);
            let rounded = f32x4_sub(f32x4_add(f32x4_div(v, self.scale), magic), magic);
            // The values are finite (the range refused others), so pmin / pmax clamp as `clamp` does.
            let clamped = f32x4_pmin(f32x4_pmax(f32x4_add(rounded, self.zp), f32x4_splat(0.0)), f32x4_splat(255.0));
            let ints = i32x4_trunc_sat_f32x4(clamped);
            self.sum = i32x4_add(self.sum, ints);
            // Values are 0..=255 already: the narrowing never saturates.
            let bytes = u8x16_narrow_i16x8(u16x8_narrow_i32x4(ints, ints), i16x8_splat(0));
            v128_store32_lane::<0>(bytes, at as *mut u32);
        }

        fn total(&self) -> i32 {
            i32x4_extract_lane::<0>(self.sum)
                + i32x4_extract_lane::<1>(self.sum)
                + i32x4_extract_lane::<2>(self.sum)
                + i32x4_extract_lane::<3>(self.sum)
        }
    }

    /// The row's 3·`d` features quantized into `out`; returns the sum of the u8 values.
    pub fn quantize_pair_row(x: &[f32], y: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
        let d = x.len().min(y.len());
        assert!(out.len() >= 3 * d);
        let four = d / 4 * 4;
        let mut q = Quantizer::new(scale, zp);
        let mut j = 0;
        while j < four {
            // SAFETY: j + 4 <= four <= d, within both slices; part * d + j + 4 <= 3 * d <= out.len().
            unsafe {
                let (p, r) = (v128_load(x.as_ptr().add(j) as *const v128), v128_load(y.as_ptr().add(j) as *const v128));
                for (part, v) in [r, f32x4_mul(p, r), f32x4_abs(f32x4_sub(p, r))].into_iter().enumerate() {
                    q.put(v, out.as_mut_ptr().add(part * d + j));
                }
            }
            j += 4;
        }
        let mut total = q.total();
        for k in four..d {
            let parts = [y[k], x[k] * y[k], (x[k] - y[k]).abs()];
            for (part, v) in parts.into_iter().enumerate() {
                total += super::reference_quantize(std::iter::once(v), scale, zp, &mut out[part * d + k..]);
            }
        }
        total
    }

    /// `v` quantized into `out`; returns the sum of the u8 values.
    pub fn quantize_slice(v: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
        let n = v.len();
        assert!(out.len() >= n);
        let four = n / 4 * 4;
        let mut q = Quantizer::new(scale, zp);
        let mut j = 0;
        while j < four {
            // SAFETY: j + 4 <= four <= n <= out.len().
            unsafe { q.put(v128_load(v.as_ptr().add(j) as *const v128), out.as_mut_ptr().add(j)) };
            j += 4;
        }
        q.total() + super::reference_quantize(v[four..].iter().copied(), scale, zp, &mut out[four..])
    }
}
