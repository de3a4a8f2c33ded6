//! Element-wise operators with numpy broadcasting.

use super::tensor::{broadcast_indices, broadcast_shape, Data, Tensor};
use super::{bad, Result};

/// `f` over two broadcast operands. Equal shapes, a scalar operand, and an
/// operand that repeats along leading axes (bias, per-column scales) skip
/// index arithmetic; they are nearly every call.
fn zip<T: Copy, U>(
    a: &[T],
    sa: &[usize],
    b: &[T],
    sb: &[usize],
    f: impl Fn(T, T) -> U,
) -> Result<(Vec<usize>, Vec<U>)> {
    let out = broadcast_shape(sa, sb)?;
    let n: usize = out.iter().product();
    let mut v = Vec::with_capacity(n);
    if a.len() == n && b.len() == n {
        v.extend(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
    } else if b.len() == 1 && a.len() == n {
        v.extend(a.iter().map(|&x| f(x, b[0])));
    } else if a.len() == 1 && b.len() == n {
        v.extend(b.iter().map(|&y| f(a[0], y)));
    } else if a.len() == n && suffix(sb, &out) {
        for row in a.chunks_exact(b.len()) {
            v.extend(row.iter().zip(b).map(|(&x, &y)| f(x, y)));
        }
    } else if b.len() == n && suffix(sa, &out) {
        for row in b.chunks_exact(a.len()) {
            v.extend(a.iter().zip(row).map(|(&x, &y)| f(x, y)));
        }
    } else {
        let (ia, ib) = (broadcast_indices(sa, &out), broadcast_indices(sb, &out));
        v.extend(ia.iter().zip(&ib).map(|(&i, &j)| f(a[i], b[j])));
    }
    Ok((out, v))
}

/// Whether `s` (without its leading ones) is a trailing part of `out`.
fn suffix(s: &[usize], out: &[usize]) -> bool {
    let s: Vec<usize> = s.iter().copied().skip_while(|&d| d == 1).collect();
    !s.is_empty() && out.ends_with(&s)
}

#[derive(Clone, Copy, Debug)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

pub fn arith(op: Arith, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    // One monomorphized loop per operator: a function pointer chosen by a
    // match would cost a call per element and block vectorization.
    let (shape, data) = match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) => {
            let (sa, sb) = (&a.shape, &b.shape);
            let (s, v) = match op {
                Arith::Add => zip(x, sa, y, sb, |p, q| p + q)?,
                Arith::Sub => zip(x, sa, y, sb, |p, q| p - q)?,
                Arith::Mul => zip(x, sa, y, sb, |p, q| p * q)?,
                Arith::Div => zip(x, sa, y, sb, |p, q| p / q)?,
            };
            (s, Data::F32(v))
        }
        (Data::I64(x), Data::I64(y)) => {
            if matches!(op, Arith::Div) && y.contains(&0) {
                return Err(bad("integer division by zero"));
            }
            let (sa, sb) = (&a.shape, &b.shape);
            let (s, v) = match op {
                Arith::Add => zip(x, sa, y, sb, i64::wrapping_add)?,
                Arith::Sub => zip(x, sa, y, sb, i64::wrapping_sub)?,
                Arith::Mul => zip(x, sa, y, sb, i64::wrapping_mul)?,
                Arith::Div => zip(x, sa, y, sb, i64::wrapping_div)?,
            };
            (s, Data::I64(v))
        }
        (x, y) => return Err(bad(format!("{op:?} of {} and {}", x.type_name(), y.type_name()))),
    };
    Ok(Tensor { shape, data })
}

pub fn equal(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (shape, v) = match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) => zip(x, &a.shape, y, &b.shape, |p, q| p == q)?,
        (Data::I64(x), Data::I64(y)) => zip(x, &a.shape, y, &b.shape, |p, q| p == q)?,
        (x, y) => return Err(bad(format!("Equal of {} and {}", x.type_name(), y.type_name()))),
    };
    Ok(Tensor { shape, data: Data::Bool(v) })
}

pub fn where_(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let Data::Bool(c) = &cond.data else { return Err(bad("Where needs a bool condition")) };
    let out = broadcast_shape(&broadcast_shape(&cond.shape, &x.shape)?, &y.shape)?;
    let (ic, ix, iy) =
        (broadcast_indices(&cond.shape, &out), broadcast_indices(&x.shape, &out), broadcast_indices(&y.shape, &out));
    let data = match (&x.data, &y.data) {
        (Data::F32(a), Data::F32(b)) => {
            Data::F32((0..ic.len()).map(|i| if c[ic[i]] { a[ix[i]] } else { b[iy[i]] }).collect())
        }
        (Data::I64(a), Data::I64(b)) => {
            Data::I64((0..ic.len()).map(|i| if c[ic[i]] { a[ix[i]] } else { b[iy[i]] }).collect())
        }
        (a, b) => return Err(bad(format!("Where of {} and {}", a.type_name(), b.type_name()))),
    };
    Ok(Tensor { shape: out, data })
}

/// `arith` into `a`'s own buffer when `a` is f32 and already the output's shape (`b` the same
/// shape, one value, or a trailing block): the same operation per element in the same order, without
/// a new tensor. The plan calls it when `a` has no later reader; anything else goes to `arith`.
pub fn arith_owned(op: Arith, mut a: Tensor, b: &Tensor) -> Result<Tensor> {
    fn apply(x: &mut [f32], y: &[f32], f: impl Fn(f32, f32) -> f32) {
        if y.len() == 1 {
            x.iter_mut().for_each(|p| *p = f(*p, y[0]));
        } else {
            for row in x.chunks_exact_mut(y.len()) {
                row.iter_mut().zip(y).for_each(|(p, &q)| *p = f(*p, q));
            }
        }
    }
    let fits = |y: &[f32]| {
        broadcast_shape(&a.shape, &b.shape).is_ok_and(|out| out == a.shape)
            && (y.len() == 1 || b.shape == a.shape || suffix(&b.shape, &a.shape))
    };
    match (&mut a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) if fits(y) && !y.is_empty() => {
            match op {
                Arith::Add => apply(x, y, |p, q| p + q),
                Arith::Sub => apply(x, y, |p, q| p - q),
                Arith::Mul => apply(x, y, |p, q| p * q),
                Arith::Div => apply(x, y, |p, q| p / q),
            }
            Ok(a)
        }
        _ => arith(op, &a, b),
    }
}

/// `unary` into `t`'s own buffer when it is f32 (see `arith_owned`).
pub fn unary_owned(op: Unary, mut t: Tensor) -> Result<Tensor> {
    let Data::F32(v) = &mut t.data else { return unary(op, &t) };
    match op {
        Unary::Abs => v.iter_mut().for_each(|x| *x = x.abs()),
        Unary::Relu => v.iter_mut().for_each(|x| *x = x.max(0.0)),
        Unary::Sigmoid => v.iter_mut().for_each(|x| *x = 1.0 / (1.0 + exp(-*x))),
        Unary::Erf => v.iter_mut().for_each(|x| *x = erf(*x)),
        Unary::Sqrt => v.iter_mut().for_each(|x| *x = x.sqrt()),
    }
    Ok(t)
}

#[derive(Clone, Copy, Debug)]
pub enum Unary {
    Abs,
    Relu,
    Sigmoid,
    Erf,
    Sqrt,
}

pub fn unary(op: Unary, t: &Tensor) -> Result<Tensor> {
    let data = match (&t.data, op) {
        (Data::F32(v), Unary::Abs) => Data::F32(v.iter().map(|x| x.abs()).collect()),
        (Data::F32(v), Unary::Relu) => Data::F32(v.iter().map(|x| x.max(0.0)).collect()),
        (Data::F32(v), Unary::Sigmoid) => Data::F32(v.iter().map(|&x| 1.0 / (1.0 + exp(-x))).collect()),
        (Data::F32(v), Unary::Erf) => Data::F32(v.iter().map(|&x| erf(x)).collect()),
        (Data::F32(v), Unary::Sqrt) => Data::F32(v.iter().map(|x| x.sqrt()).collect()),
        (Data::I64(v), Unary::Abs) => Data::I64(v.iter().map(|x| x.wrapping_abs()).collect()),
        (Data::I64(v), Unary::Relu) => Data::I64(v.iter().map(|&x| x.max(0)).collect()),
        (d, _) => return Err(bad(format!("{op:?} of {}", d.type_name()))),
    };
    Ok(Tensor { shape: t.shape.clone(), data })
}

/// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below f32 resolution for GELU's use).
pub fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-x * x);
    y.copysign(x)
}

/// e^x to within 2 ulp, inlined: wasm has no exp instruction, and libm's
/// call per element was a visible share of the encoder's time (GELU runs
/// erf on every FFN activation). Cody-Waite reduction to 2^n · e^r, |r| <= ln2/2,
/// then a degree-6 polynomial for e^r.
#[inline]
pub fn exp(x: f32) -> f32 {
    // No branch, so loops over it vectorize; NaN stays NaN through every step.
    let x = x.clamp(-87.3, 88.0);
    let n = round_even(x * std::f32::consts::LOG2_E);
    let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0 + r * (0.5 + r * (0.166_666_67 + r * (0.041_666_668 + r * (0.008_333_334 + r * 0.001_388_889)))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

pub fn clip(t: &Tensor, min: Option<&Tensor>, max: Option<&Tensor>) -> Result<Tensor> {
    let bound = |b: Option<&Tensor>, default: f32| -> Result<f32> {
        match b {
            None => Ok(default),
            Some(b) => b.as_f32()?.first().copied().ok_or_else(|| bad("Clip bound is empty")),
        }
    };
    let (lo, hi) = (bound(min, f32::NEG_INFINITY)?, bound(max, f32::INFINITY)?);
    let v = t.as_f32()?.iter().map(|&x| x.max(lo).min(hi)).collect();
    Tensor::f32(t.shape.clone(), v)
}

/// Round half to even for |x| < 2^22 with two additions, the same result as
/// `f32::round_ties_even` without its libm call on targets lacking an
/// instruction for it (x86-64 before SSE4.1).
#[inline]
pub fn round_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23
    (x + MAGIC) - MAGIC
}

#[cfg(test)]
mod tests {
    #[test]
    fn exp_and_erf_are_accurate() {
        let mut worst = 0f32;
        for i in -8700..8800 {
            let x = i as f32 / 100.0;
            let (got, want) = (super::exp(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 3e-7, "exp relative error {worst}");
        assert_eq!(super::exp(f32::NEG_INFINITY), super::exp(-87.3));
        assert!(super::exp(f32::NAN).is_nan());
        for x in [0.5f32, 1.5, 2.5, -0.5, -1.5, 254.5, 3.49, -7.51, 0.0] {
            assert_eq!(super::round_even(x), x.round_ties_even(), "{x}");
        }
        for (x, want) in
            [(0.0f32, 0.0f32), (0.5, 0.520_499_9), (1.0, 0.842_700_8), (-2.0, -0.995_322_3), (4.0, 0.999_999_98)]
        {
            assert!((super::erf(x) - want).abs() < 3e-7, "erf({x}) = {}", super::erf(x));
        }
    }
}
