//! The part of ONNX's protobuf schema the runtime reads, decoded straight
//! from the wire format (a full protobuf stack would cost more code than the
//! whole runtime). Unknown fields are skipped, as protobuf requires.

use super::tensor::{shape_from_dims, Data, Tensor};
use super::{bad, Result};

/// A cursor over one protobuf message.
struct Wire<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A field's payload.
enum Value<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64,
    Bytes(&'a [u8]),
}

impl<'a> Wire<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Wire { bytes, at: 0 }
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or_else(|| bad("truncated varint"))?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| bad("truncated field"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// The next (field number, payload), or None at the end.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>> {
        if self.at == self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| bad("field too long"))?;
                Value::Bytes(self.take(n)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().unwrap())),
            t => return Err(bad(format!("unsupported wire type {t}"))),
        };
        Ok(Some((key >> 3, value)))
    }
}

fn bytes<'a>(v: Value<'a>) -> Result<&'a [u8]> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(bad("expected a length-delimited field")),
    }
}

fn string(v: Value<'_>) -> Result<String> {
    String::from_utf8(bytes(v)?.to_vec()).map_err(|_| bad("a name is not UTF-8"))
}

fn int(v: Value<'_>) -> Result<i64> {
    match v {
        Value::Varint(x) => Ok(x as i64),
        _ => Err(bad("expected an integer field")),
    }
}

/// Repeated integers, packed or one per field.
fn ints(v: Value<'_>, out: &mut Vec<i64>) -> Result<()> {
    match v {
        Value::Varint(x) => out.push(x as i64),
        Value::Bytes(b) => {
            let mut w = Wire::new(b);
            while w.at < b.len() {
                out.push(w.varint()? as i64);
            }
        }
        _ => return Err(bad("expected integers")),
    }
    Ok(())
}

/// Repeated floats, packed or one per field.
fn floats(v: Value<'_>, out: &mut Vec<f32>) -> Result<()> {
    match v {
        Value::Fixed32(x) => out.push(f32::from_bits(x)),
        Value::Bytes(b) if b.len() % 4 == 0 => {
            out.extend(b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())))
        }
        _ => return Err(bad("expected floats")),
    }
    Ok(())
}

pub struct Model {
    pub opset: i64,
    pub graph: Graph,
}

#[derive(Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub initializers: Vec<(String, Tensor)>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

#[derive(Default)]
pub struct Node {
    pub op: String,
    pub domain: String,
    pub name: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attributes: Vec<Attribute>,
}

#[derive(Default)]
pub struct Attribute {
    pub name: String,
    pub int: Option<i64>,
    pub float: Option<f32>,
    pub ints: Vec<i64>,
    pub floats: Vec<f32>,
    pub tensor: Option<Tensor>,
}

impl Node {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn int_attribute(&self, name: &str, default: i64) -> i64 {
        self.attribute(name).and_then(|a| a.int).unwrap_or(default)
    }
}

pub fn parse_model(data: &[u8]) -> Result<Model> {
    let mut w = Wire::new(data);
    let mut graph = None;
    let mut opset = None;
    while let Some((field, v)) = w.field()? {
        match field {
            7 => graph = Some(parse_graph(bytes(v)?)?),
            8 => {
                let (mut domain, mut version) = (String::new(), 0);
                let mut o = Wire::new(bytes(v)?);
                while let Some((f, v)) = o.field()? {
                    match f {
                        1 => domain = string(v)?,
                        2 => version = int(v)?,
                        _ => {}
                    }
                }
                if domain.is_empty() || domain == "ai.onnx" {
                    opset = Some(version);
                }
            }
            _ => {}
        }
    }
    Ok(Model {
        graph: graph.ok_or_else(|| bad("no graph: not an ONNX model"))?,
        opset: opset.ok_or_else(|| bad("no ONNX operator set imported"))?,
    })
}

fn parse_graph(data: &[u8]) -> Result<Graph> {
    let mut g = Graph::default();
    let mut w = Wire::new(data);
    while let Some((field, v)) = w.field()? {
        match field {
            1 => g.nodes.push(parse_node(bytes(v)?)?),
            5 => g.initializers.push(parse_tensor(bytes(v)?)?),
            11 => g.inputs.push(value_info_name(bytes(v)?)?),
            12 => g.outputs.push(value_info_name(bytes(v)?)?),
            _ => {}
        }
    }
    Ok(g)
}

fn value_info_name(data: &[u8]) -> Result<String> {
    let mut w = Wire::new(data);
    while let Some((field, v)) = w.field()? {
        if field == 1 {
            return string(v);
        }
    }
    Err(bad("a graph input or output has no name"))
}

fn parse_node(data: &[u8]) -> Result<Node> {
    let mut n = Node::default();
    let mut w = Wire::new(data);
    while let Some((field, v)) = w.field()? {
        match field {
            1 => n.inputs.push(string(v)?),
            2 => n.outputs.push(string(v)?),
            3 => n.name = string(v)?,
            4 => n.op = string(v)?,
            5 => n.attributes.push(parse_attribute(bytes(v)?)?),
            7 => n.domain = string(v)?,
            _ => {}
        }
    }
    Ok(n)
}

fn parse_attribute(data: &[u8]) -> Result<Attribute> {
    let mut a = Attribute::default();
    let mut w = Wire::new(data);
    while let Some((field, v)) = w.field()? {
        match field {
            1 => a.name = string(v)?,
            2 => {
                let mut f = Vec::new();
                floats(v, &mut f)?;
                a.float = f.first().copied();
            }
            3 => a.int = Some(int(v)?),
            5 => a.tensor = Some(parse_tensor(bytes(v)?)?.1),
            7 => floats(v, &mut a.floats)?,
            8 => ints(v, &mut a.ints)?,
            _ => {}
        }
    }
    Ok(a)
}

/// ONNX TensorProto.DataType values the runtime computes with.
const FLOAT: i64 = 1;
const UINT8: i64 = 2;
const INT8: i64 = 3;
const INT32: i64 = 6;
const INT64: i64 = 7;
const BOOL: i64 = 9;

fn parse_tensor(data: &[u8]) -> Result<(String, Tensor)> {
    let (mut dims, mut name, mut dtype) = (Vec::new(), String::new(), 0);
    let (mut raw, mut f32s, mut i64s, mut i32s) = (None, Vec::new(), Vec::new(), Vec::new());
    let mut w = Wire::new(data);
    while let Some((field, v)) = w.field()? {
        match field {
            1 => ints(v, &mut dims)?,
            2 => dtype = int(v)?,
            4 => floats(v, &mut f32s)?,
            5 => ints(v, &mut i32s)?,
            7 => ints(v, &mut i64s)?,
            8 => name = string(v)?,
            9 => raw = Some(bytes(v)?),
            14 if int(v)? == 1 => return Err(bad(format!("tensor {name:?} keeps its data outside the file"))),
            _ => {}
        }
    }
    // No cap beyond overflow: the raw data has to be in the file anyway.
    let (shape, len) = shape_from_dims(&dims, usize::MAX).map_err(|e| bad(format!("tensor {name:?}: {e}")))?;
    let data = match (dtype, raw) {
        (FLOAT, Some(r)) => Data::F32(fixed(r, len, |c| f32::from_le_bytes(c.try_into().unwrap()))?),
        (FLOAT, None) => Data::F32(f32s),
        (UINT8, Some(r)) => Data::U8(fixed(r, len, |c| c[0])?),
        (UINT8, None) => Data::U8(i32s.iter().map(|&x| x as u8).collect()),
        (INT8, Some(r)) => Data::I8(fixed(r, len, |c| c[0] as i8)?),
        (INT8, None) => Data::I8(i32s.iter().map(|&x| x as i8).collect()),
        (INT32, Some(r)) => Data::I32(fixed(r, len, |c| i32::from_le_bytes(c.try_into().unwrap()))?),
        (INT32, None) => Data::I32(i32s.iter().map(|&x| x as i32).collect()),
        (INT64, Some(r)) => Data::I64(fixed(r, len, |c| i64::from_le_bytes(c.try_into().unwrap()))?),
        (INT64, None) => Data::I64(i64s),
        (BOOL, Some(r)) => Data::Bool(fixed(r, len, |c| c[0] != 0)?),
        (BOOL, None) => Data::Bool(i32s.iter().map(|&x| x != 0).collect()),
        (t, _) => return Err(bad(format!("tensor {name:?} has unsupported data type {t}"))),
    };
    if data.len() != len {
        return Err(bad(format!("tensor {name:?} holds {} values for shape {shape:?}", data.len())));
    }
    Ok((name, Tensor { shape, data }))
}

/// Little-endian raw data, `len` values of `size_of::<T>()` bytes each.
fn fixed<T>(raw: &[u8], len: usize, read: impl Fn(&[u8]) -> T) -> Result<Vec<T>> {
    let size = std::mem::size_of::<T>().max(1);
    if len.checked_mul(size) != Some(raw.len()) {
        return Err(bad(format!("raw data of {} bytes for {len} values", raw.len())));
    }
    Ok(raw.chunks_exact(size).map(read).collect())
}

/// Data type code of `Cast`'s `to` attribute.
pub fn cast_target(code: i64) -> Result<fn(&Tensor) -> Tensor> {
    Ok(match code {
        FLOAT => |t| t.map_to_f32(),
        INT64 => |t| t.map_to_i64(),
        _ => return Err(bad(format!("Cast to data type {code} is not supported"))),
    })
}
