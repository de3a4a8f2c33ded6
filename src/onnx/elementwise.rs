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
    let v = if a.len() == n && b.len() == n {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    } else if b.len() == 1 && a.len() == n {
        a.iter().map(|&x| f(x, b[0])).collect()
    } else if a.len() == 1 && b.len() == n {
        b.iter().map(|&y| f(a[0], y)).collect()
    } else if a.len() == n && suffix(sb, &out) {
        a.chunks(b.len()).flat_map(|row| row.iter().zip(b).map(|(&x, &y)| f(x, y)).collect::<Vec<_>>()).collect()
    } else if b.len() == n && suffix(sa, &out) {
        b.chunks(a.len()).flat_map(|row| a.iter().zip(row).map(|(&x, &y)| f(x, y)).collect::<Vec<_>>()).collect()
    } else {
        let (ia, ib) = (broadcast_indices(sa, &out), broadcast_indices(sb, &out));
        ia.iter().zip(&ib).map(|(&i, &j)| f(a[i], b[j])).collect()
    };
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
    let (shape, data) = match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) => {
            let f = match op {
                Arith::Add => |p: f32, q: f32| p + q,
                Arith::Sub => |p, q| p - q,
                Arith::Mul => |p, q| p * q,
                Arith::Div => |p, q| p / q,
            };
            let (s, v) = zip(x, &a.shape, y, &b.shape, f)?;
            (s, Data::F32(v))
        }
        (Data::I64(x), Data::I64(y)) => {
            if matches!(op, Arith::Div) && y.contains(&0) {
                return Err(bad("integer division by zero"));
            }
            let f = match op {
                Arith::Add => |p: i64, q: i64| p.wrapping_add(q),
                Arith::Sub => |p: i64, q: i64| p.wrapping_sub(q),
                Arith::Mul => |p: i64, q: i64| p.wrapping_mul(q),
                Arith::Div => |p: i64, q: i64| p.wrapping_div(q),
            };
            let (s, v) = zip(x, &a.shape, y, &b.shape, f)?;
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
        (Data::F32(v), _) => Data::F32(v.iter().map(|&x| apply(op, x)).collect()),
        (Data::I64(v), Unary::Abs) => Data::I64(v.iter().map(|x| x.wrapping_abs()).collect()),
        (Data::I64(v), Unary::Relu) => Data::I64(v.iter().map(|&x| x.max(0)).collect()),
        (d, _) => return Err(bad(format!("{op:?} of {}", d.type_name()))),
    };
    Ok(Tensor { shape: t.shape.clone(), data })
}

fn apply(op: Unary, x: f32) -> f32 {
    match op {
        Unary::Abs => x.abs(),
        Unary::Relu => x.max(0.0),
        Unary::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Unary::Erf => erf(x),
        Unary::Sqrt => x.sqrt(),
    }
}

/// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below f32 resolution for GELU's use).
pub fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    y.copysign(x)
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
