//! The int8 dot products under `MatMulInteger`: out[i·n + j] = Σ_k a[i·kp + k]
//! · b[j·kp + k] for u8 activations `a` and packed i8 weights `b`, both
//! zero-padded to `kp` (a multiple of 16). One implementation per target,
//! all exact integer arithmetic, so every build computes the same numbers.

pub use imp::dots;

/// The same products by the definition, compiled on every target: what each SIMD kernel is
/// checked against (`kernel_agrees_with_reference`: natively the AVX2 one, in the browser suite
/// the simd128 one; the relaxed-SIMD build, on whichever path its CPU takes, through the package
/// tests, which require its scores to equal the simd128 build's to the last bit).
pub fn reference_dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
    for i in 0..m {
        let x = &a[i * kp..(i + 1) * kp];
        for j in 0..n {
            let y = &b[j * kp..(j + 1) * kp];
            out[i * n + j] = x.iter().zip(y).map(|(&p, &q)| i32::from(p) * i32::from(q)).sum();
        }
    }
}

/// Whether this build's `dots` equals `reference_dots` on every tile shape the kernels
/// special-case and their remainders (1-5 rows, 1-9 columns, 16-64 deep) and on the extreme values (255, -128, 127),
/// with a fixed pseudo-random fill; the first mismatch, if any.
pub fn kernel_agrees_with_reference() -> Result<(), String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for m in 1..=5 {
        for n in 1..=9 {
            for kp in [16, 32, 64] {
                for extreme in [false, true] {
                    let a: Vec<u8> = (0..m * kp).map(|_| if extreme { 255 } else { next() as u8 }).collect();
                    let b: Vec<i8> =
                        (0..n * kp).map(|i| if extreme { [-128, 127][i % 2] } else { next() as i8 }).collect();
                    let (mut got, mut want) = (vec![0; m * n], vec![0; m * n]);
                    dots(&a, m, &b, n, kp, &mut got);
                    reference_dots(&a, m, &b, n, kp, &mut want);
                    if got != want {
                        return Err(format!("{m}x{n}x{kp} (extreme {extreme}): {got:?} != {want:?}"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Four accumulators' lane sums as one vector, stored at `out`: six shuffles and three adds
/// instead of four extract-and-add chains, for tiles four columns wide.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod reduce {
    use core::arch::wasm32::*;

    /// SAFETY: `out` must have four writable i32.
    #[inline(always)]
    pub unsafe fn store_sums4(q: &[v128; 4], out: *mut i32) {
        let s01 = i32x4_add(i32x4_shuffle::<0, 4, 2, 6>(q[0], q[1]), i32x4_shuffle::<1, 5, 3, 7>(q[0], q[1]));
        let s23 = i32x4_add(i32x4_shuffle::<0, 4, 2, 6>(q[2], q[3]), i32x4_shuffle::<1, 5, 3, 7>(q[2], q[3]));
        let sums = i32x4_add(i32x4_shuffle::<0, 1, 4, 5>(s01, s23), i32x4_shuffle::<2, 3, 6, 7>(s01, s23));
        v128_store(out as *mut v128, sums);
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
mod imp {
    use core::arch::wasm32::*;

    /// out[i·n + j] = Σ_k a[i·kp + k] · b[j·kp + k] with relaxed SIMD's dot
    /// product, one instruction per 16 multiply-adds where the CPU has one
    /// (x86 AVX-VNNI, Arm SDOT). Its second operand must stay below 128 for
    /// the result to be the same on every CPU, and activations are u8, so
    /// unless `full_range` shows this CPU exact beyond 127 (then the u8 values
    /// go in whole: half the instructions, 1.4-1.8x faster encodings in Chromium),
    /// each is split as a = 2·(a >> 1) + (a & 1): two exact dot products.
    /// Weights are the signed operand; a pair of products stays within
    /// 2·128·127 < 2^15, so the i16 step some CPUs saturate never does.
    pub fn dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
        assert!(a.len() >= m * kp && b.len() >= n * kp && out.len() >= m * n && kp % 16 == 0);
        if full_range() {
            return full::dots(a, m, b, n, kp, out);
        }
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

    /// Whether this CPU's relaxed dot product is exact for a second operand over 127 too. The
    /// spec leaves those lanes implementation-defined; V8 lowers the instruction to `vpdpbusd`
    /// on AVX-VNNI, which multiplies u8 by i8 exactly, and to saturating or signed forms
    /// elsewhere (`pmaddubsw`, Arm `sdot`), which these probes catch: a pair of products past
    /// i16 (255·127·2, 255·-128·2) and 255 read as -1. Where it holds, one instruction does 16
    /// multiply-adds instead of two; the answer is the same for every call on one CPU.
    fn full_range() -> bool {
        static EXACT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *EXACT.get_or_init(|| {
            let probes: [([u8; 16], [i8; 16]); 4] = [
                ([255; 16], [127; 16]),
                ([255; 16], [-128; 16]),
                (
                    core::array::from_fn(|i| [255, 128, 200, 1][i % 4]),
                    core::array::from_fn(|i| [-128, 127, -77, 5][i % 4]),
                ),
                (core::array::from_fn(|i| (i * 37 + 129) as u8), core::array::from_fn(|i| (i as i8).wrapping_mul(-29))),
            ];
            probes.iter().all(|(a, w)| {
                // SAFETY: 16-byte arrays, unaligned loads.
                let (av, wv) = unsafe { (v128_load(a.as_ptr() as *const v128), v128_load(w.as_ptr() as *const v128)) };
                let got = i32x4_relaxed_dot_i8x16_i7x16_add(wv, av, i32x4_splat(0));
                let lanes = [
                    i32x4_extract_lane::<0>(got),
                    i32x4_extract_lane::<1>(got),
                    i32x4_extract_lane::<2>(got),
                    i32x4_extract_lane::<3>(got),
                ];
                (0..4)
                    .all(|l| lanes[l] == (0..4).map(|k| i32::from(a[4 * l + k]) * i32::from(w[4 * l + k])).sum::<i32>())
            })
        })
    }

    /// The products with full-range activations, where `full_range` holds: 2 rows x 4 columns a
    /// tile (8 accumulators, 6 loads per 8 instructions), the 4 columns' sums reduced together.
    mod full {
        use core::arch::wasm32::*;

        pub fn dots(a: &[u8], m: usize, b: &[i8], n: usize, kp: usize, out: &mut [i32]) {
            let mut i = 0;
            while i + 2 <= m {
                row_block::<2>(a, b, n, kp, out, i);
                i += 2;
            }
            if i < m {
                row_block::<1>(a, b, n, kp, out, i);
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
            let (pa, pb) = (a.as_ptr().add(i * kp), b.as_ptr().add(j * kp));
            let mut acc = [[i32x4_splat(0); C]; R];
            let mut k = 0;
            while k < kp {
                let w: [v128; C] = core::array::from_fn(|c| v128_load(pb.add(c * kp + k) as *const v128));
                for r in 0..R {
                    let x = v128_load(pa.add(r * kp + k) as *const v128);
                    for c in 0..C {
                        acc[r][c] = i32x4_relaxed_dot_i8x16_i7x16_add(w[c], x, acc[r][c]);
                    }
                }
                k += 16;
            }
            for r in 0..R {
                let at = (i + r) * n + j;
                if C == 4 {
                    let q = [acc[r][0], acc[r][1], acc[r][2], acc[r][3]];
                    crate::kernel::reduce::store_sums4(&q, out.as_mut_ptr().add(at));
                } else {
                    for c in 0..C {
                        let v = acc[r][c];
                        out[at + c] = i32x4_extract_lane::<0>(v)
                            + i32x4_extract_lane::<1>(v)
                            + i32x4_extract_lane::<2>(v)
                            + i32x4_extract_lane::<3>(v);
                    }
                }
            }
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
mod imp {
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
            let at = (i + r) * n + j;
            if C == 4 {
                let q = [acc[r][0], acc[r][1], acc[r][2], acc[r][3]];
                crate::kernel::reduce::store_sums4(&q, out.as_mut_ptr().add(at));
                continue;
            }
            for c in 0..C {
                let v = acc[r][c];
                out[at + c] = i32x4_extract_lane::<0>(v)
                    + i32x4_extract_lane::<1>(v)
                    + i32x4_extract_lane::<2>(v)
                    + i32x4_extract_lane::<3>(v);
            }
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
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
        super::reference_dots(a, m, b, n, kp, out)
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
    #[test]
    fn this_targets_kernel_equals_the_reference() {
        super::kernel_agrees_with_reference().unwrap();
    }
}
