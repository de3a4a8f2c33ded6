//! Dense row-major tensors of the element types the runtime's ops use.

use super::{bad, Result};

#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    U8(Vec<u8>),
    I8(Vec<i8>),
    Bool(Vec<bool>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::I8(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Data::F32(_) => "float",
            Data::I64(_) => "int64",
            Data::I32(_) => "int32",
            Data::U8(_) => "uint8",
            Data::I8(_) => "int8",
            Data::Bool(_) => "bool",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Data,
}

/// Applies one expression to whichever element vector a `Data` holds.
macro_rules! each {
    ($data:expr, $v:ident => $e:expr) => {
        match $data {
            Data::F32($v) => Data::F32($e),
            Data::I64($v) => Data::I64($e),
            Data::I32($v) => Data::I32($e),
            Data::U8($v) => Data::U8($e),
            Data::I8($v) => Data::I8($e),
            Data::Bool($v) => Data::Bool($e),
        }
    };
}
pub(crate) use each;

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Self> {
        if shape.iter().product::<usize>() != data.len() {
            return Err(bad(format!("{} values do not fill shape {shape:?}", data.len())));
        }
        Ok(Tensor { shape, data })
    }

    pub fn f32(shape: Vec<usize>, v: Vec<f32>) -> Result<Self> {
        Self::new(shape, Data::F32(v))
    }

    pub fn i64(shape: Vec<usize>, v: Vec<i64>) -> Result<Self> {
        Self::new(shape, Data::I64(v))
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn as_f32(&self) -> Result<&[f32]> {
        match &self.data {
            Data::F32(v) => Ok(v),
            d => Err(bad(format!("expected float values, got {}", d.type_name()))),
        }
    }

    pub fn into_f32(self) -> Result<Vec<f32>> {
        match self.data {
            Data::F32(v) => Ok(v),
            d => Err(bad(format!("expected float values, got {}", d.type_name()))),
        }
    }

    /// Integer values (shapes, axes, indices) widened to i64.
    pub fn as_i64(&self) -> Result<Vec<i64>> {
        match &self.data {
            Data::I64(v) => Ok(v.clone()),
            Data::I32(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
            d => Err(bad(format!("expected integer values, got {}", d.type_name()))),
        }
    }

    pub fn map_to_f32(&self) -> Tensor {
        let v = match &self.data {
            Data::F32(v) => v.clone(),
            Data::I64(v) => v.iter().map(|&x| x as f32).collect(),
            Data::I32(v) => v.iter().map(|&x| x as f32).collect(),
            Data::U8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Data::I8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Data::Bool(v) => v.iter().map(|&x| f32::from(u8::from(x))).collect(),
        };
        Tensor { shape: self.shape.clone(), data: Data::F32(v) }
    }

    pub fn map_to_i64(&self) -> Tensor {
        let v = match &self.data {
            Data::F32(v) => v.iter().map(|&x| x as i64).collect(),
            Data::I64(v) => v.clone(),
            Data::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::Bool(v) => v.iter().map(|&x| i64::from(x)).collect(),
        };
        Tensor { shape: self.shape.clone(), data: Data::I64(v) }
    }

    /// The same values under another shape of the same size.
    pub fn reshaped(self, shape: Vec<usize>) -> Result<Tensor> {
        Tensor::new(shape, self.data)
    }

    /// Picks the elements at `indices` (flat positions) into a new tensor.
    pub fn pick(&self, shape: Vec<usize>, indices: &[usize]) -> Tensor {
        let data = each!(&self.data, v => indices.iter().map(|&i| v[i]).collect());
        Tensor { shape, data }
    }
}

/// The most values one computed tensor may hold (128 MiB of f32). The shipped encoder's largest
/// is its 30,522 x 384 embedding table; a hostile file must not make a shape op or a broadcast
/// allocate gigabytes from a few bytes of header.
pub const MAX_ELEMENTS: usize = 1 << 25;

/// The element count of `shape` if it is at most `max_elements` (overflow included).
fn element_count(shape: &[usize], max_elements: usize) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).filter(|&n| n <= max_elements)
}

/// Dimensions as read from a file or computed by a graph -> a shape and its
/// element count, refusing negative dimensions and more than `max_elements`
/// (overflow included).
pub fn shape_from_dims(dims: &[i64], max_elements: usize) -> Result<(Vec<usize>, usize)> {
    let shape = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}"))))
        .collect::<Result<Vec<usize>>>()?;
    match element_count(&shape, max_elements) {
        Some(n) => Ok((shape, n)),
        None => Err(bad(format!("shape {shape:?} is too large"))),
    }
}

/// Resolves a possibly negative axis against a rank.
pub fn axis(a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&a) {
        Ok(a as usize)
    } else {
        Err(bad(format!("axis {a} out of range for rank {rank}")))
    }
}

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The shape two operands broadcast to (numpy rules).
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let out = (0..n)
        .map(|i| {
            let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
            let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
            match (da, db) {
                (x, y) if x == y => Ok(x),
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                _ => Err(bad(format!("shapes {a:?} and {b:?} do not broadcast"))),
            }
        })
        .collect::<Result<Vec<usize>>>()?;
    match element_count(&out, MAX_ELEMENTS) {
        Some(_) => Ok(out),
        None => Err(bad(format!("shapes {a:?} and {b:?} broadcast to more than {MAX_ELEMENTS} values"))),
    }
}

/// For each position of `out`, the flat index into a tensor of `shape`
/// broadcast to it.
pub fn broadcast_indices(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let offset = out.len() - shape.len();
    let src = strides(shape);
    let total: usize = out.iter().product();
    let mut idx = vec![0usize; total];
    let mut counter = vec![0usize; out.len()];
    for slot in idx.iter_mut() {
        let mut flat = 0;
        for (d, &c) in counter.iter().enumerate().skip(offset) {
            if shape[d - offset] != 1 {
                flat += c * src[d - offset];
            }
        }
        *slot = flat;
        for d in (0..out.len()).rev() {
            counter[d] += 1;
            if counter[d] < out[d] {
                break;
            }
            counter[d] = 0;
        }
    }
    idx
}
