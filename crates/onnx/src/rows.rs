//! A pair head's feature rows (`y`, `x·y`, `|x − y|`, each `d` wide) straight from `x` and `y`:
//! their range and their u8 values, without writing the float features anywhere. Each feature is
//! the float the unfused Mul, Sub and Abs compute and each u8 the formula `quantize_into` applies,
//! so the integers are the unfused graph's. In wasm with simd128 four lanes at a time (at 10,000
//! attributes these two passes were a fifth of a select); elsewhere the plain loops.

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

pub use imp::{quantize_row, widen_range};

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

fn reference_quantize(x: &[f32], y: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
    let z = f32::from(zp);
    let mut sum = 0;
    for (q, v) in out.iter_mut().zip(features(x, y)) {
        *q = (round_even(v / scale) + z).clamp(0.0, 255.0) as u8;
        sum += i32::from(*q);
    }
    sum
}

/// Whether this build's `widen_range` and `quantize_row` equal the definitions on widths with
/// and without a remainder, zero points at both ends, and values that saturate; the first
/// mismatch, if any. The browser suite runs it on the simd128 build (natively both sides are the
/// definition; `pair.rs`'s tests check the whole layer against the unfused graph there).
pub fn pair_rows_agree_with_reference() -> Result<(), String> {
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
            let (sa, sb) = (quantize_row(&x, &y, scale, zp, &mut a), reference_quantize(&x, &y, scale, zp, &mut b));
            if (a != b) || sa != sb {
                return Err(format!("quantize d {d} zp {zp} scale {scale}: {a:?} ({sa}) != {b:?} ({sb})"));
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
    pub fn quantize_row(x: &[f32], y: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
        super::reference_quantize(x, y, scale, zp, out)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::Range;
    use crate::elementwise::round_even;
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

    /// The row's 3·`d` features quantized into `out`; returns the sum of the u8 values.
    pub fn quantize_row(x: &[f32], y: &[f32], scale: f32, zp: u8, out: &mut [u8]) -> i32 {
        let d = x.len().min(y.len());
        assert!(out.len() >= 3 * d);
        let four = d / 4 * 4;
        let (s, z, magic) = (f32x4_splat(scale), f32x4_splat(f32::from(zp)), f32x4_splat(MAGIC));
        let (zero, top) = (f32x4_splat(0.0), f32x4_splat(255.0));
        let mut sum = i32x4_splat(0);
        let mut j = 0;
        while j < four {
            // SAFETY: j + 4 <= four <= d, within both slices.
            let (p, q) =
                unsafe { (v128_load(x.as_ptr().add(j) as *const v128), v128_load(y.as_ptr().add(j) as *const v128)) };
            for (part, v) in [q, f32x4_mul(p, q), f32x4_abs(f32x4_sub(p, q))].into_iter().enumerate() {
                let rounded = f32x4_sub(f32x4_add(f32x4_div(v, s), magic), magic);
                let clamped = f32x4_pmin(f32x4_pmax(f32x4_add(rounded, z), zero), top);
                let ints = i32x4_trunc_sat_f32x4(clamped);
                sum = i32x4_add(sum, ints);
                // Values are 0..=255 already: the narrowing never saturates.
                let bytes = u8x16_narrow_i16x8(u16x8_narrow_i32x4(ints, ints), i16x8_splat(0));
                // SAFETY: part * d + j + 4 <= 3 * d <= out.len(); a 4-byte store needs no alignment.
                unsafe { v128_store32_lane::<0>(bytes, out.as_mut_ptr().add(part * d + j) as *mut u32) };
            }
            j += 4;
        }
        let lanes = [
            i32x4_extract_lane::<0>(sum),
            i32x4_extract_lane::<1>(sum),
            i32x4_extract_lane::<2>(sum),
            i32x4_extract_lane::<3>(sum),
        ];
        let mut total: i32 = lanes.iter().sum();
        let z = f32::from(zp);
        for k in four..d {
            let parts = [y[k], x[k] * y[k], (x[k] - y[k]).abs()];
            for (part, v) in parts.into_iter().enumerate() {
                let q = (round_even(v / scale) + z).clamp(0.0, 255.0) as u8;
                out[part * d + k] = q;
                total += i32::from(q);
            }
        }
        total
    }
}
