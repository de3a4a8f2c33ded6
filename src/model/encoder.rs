use super::{model_error, run_error};
use crate::error::{Error, Result};
use crate::onnx::{Graph, Tensor};

/// Loads an ONNX graph once, checking it takes `inputs` inputs.
fn plan(what: &str, bytes: &[u8], inputs: usize) -> Result<Graph> {
    let graph = Graph::load(bytes).map_err(|e| model_error(what, e))?;
    let found = graph.input_names().count();
    if found != inputs {
        return Err(model_error(what, format!("takes {found} inputs, expected {inputs}")));
    }
    Ok(graph)
}

/// The first output of a run, as floats.
fn first_output(graph: &Graph, inputs: Vec<Tensor>) -> Result<Vec<f32>> {
    let mut out = graph.run(inputs).map_err(run_error)?;
    if out.is_empty() {
        return Err(Error::Model("the model has no output".into()));
    }
    out.swap_remove(0).into_f32().map_err(run_error)
}

/// Token ids -> L2-normalized sentence embedding. Batch fixed at 1 (one text
/// per call: no padding), sequence length symbolic.
pub struct Encoder {
    plan: Graph,
    dimension: usize,
}

impl Encoder {
    pub fn from_bytes(bytes: &[u8], dimension: usize) -> Result<Self> {
        let plan = plan("encoder", bytes, 2)?;
        Ok(Encoder { plan, dimension })
    }

    pub fn embed(&self, ids: &[i64]) -> Result<Vec<f32>> {
        if ids.is_empty() {
            return Err(Error::invalid("nothing to encode"));
        }
        let input = Tensor::i64(vec![1, ids.len()], ids.to_vec()).map_err(run_error)?;
        let mask = Tensor::i64(vec![1, ids.len()], vec![1; ids.len()]).map_err(run_error)?;
        let v = first_output(&self.plan, vec![input, mask])?;
        if v.len() != self.dimension {
            return Err(Error::Model(format!("encoder returned {} values, expected {}", v.len(), self.dimension)));
        }
        Ok(v)
    }
}

/// How a pair head pairs its two inputs: one query against N rows (relevance:
/// prompt x attributes), or row by row (verifier: attribute i x evidence i).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    OneToMany,
    RowWise,
}

/// Two sets of vectors -> N probabilities, in one run.
pub struct Head {
    plan: Graph,
    dimension: usize,
    pairing: Pairing,
    /// Width of a third input, one row per pair (the verifier's lexical features); 0 for none.
    extra: usize,
}

impl Head {
    pub fn from_bytes(bytes: &[u8], dimension: usize, pairing: Pairing) -> Result<Self> {
        Self::with_extra_input(bytes, dimension, pairing, 0)
    }

    pub fn with_extra_input(bytes: &[u8], dimension: usize, pairing: Pairing, extra: usize) -> Result<Self> {
        let plan = plan("head", bytes, 2 + usize::from(extra > 0))?;
        Ok(Head { plan, dimension, pairing, extra })
    }

    /// `first` holds one vector (`OneToMany`) or as many as `second` (`RowWise`).
    pub fn score(&self, first: &[&[f32]], second: &[&[f32]]) -> Result<Vec<f32>> {
        if second.is_empty() {
            return Ok(Vec::new());
        }
        let scores = self
            .outputs(first, second, &[])?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Model("the model has no output".into()))?;
        if scores.len() != second.len() {
            return Err(Error::Model(format!("head returned {} scores for {} pairs", scores.len(), second.len())));
        }
        Ok(scores)
    }

    /// Every output of the head, flattened, in the graph's order (the verifier's second output
    /// names problem kinds); `extra` holds a row per pair for a head with a third input. The
    /// caller checks the lengths.
    pub fn outputs(&self, first: &[&[f32]], second: &[&[f32]], extra: &[&[f32]]) -> Result<Vec<Vec<f32>>> {
        if second.is_empty() {
            return Ok(Vec::new());
        }
        let d = self.dimension;
        let rows = if self.pairing == Pairing::OneToMany { 1 } else { second.len() };
        if first.len() != rows {
            return Err(Error::invalid(format!("expected {rows} vectors on the left, got {}", first.len())));
        }
        let mut inputs = vec![matrix(first, d)?, matrix(second, d)?];
        if self.extra > 0 {
            if extra.len() != second.len() {
                return Err(Error::invalid(format!("expected {} feature rows, got {}", second.len(), extra.len())));
            }
            inputs.push(matrix(extra, self.extra)?);
        }
        let out = self.plan.run(inputs).map_err(run_error)?;
        out.into_iter().map(|t| t.into_f32().map_err(run_error)).collect()
    }
}

/// Vectors as one [N, d] tensor; a vector of another length is bad input.
fn matrix(vectors: &[&[f32]], d: usize) -> Result<Tensor> {
    if vectors.iter().any(|a| a.len() != d) {
        return Err(Error::invalid(format!("vectors must have {d} dimensions")));
    }
    let flat: Vec<f32> = vectors.iter().flat_map(|a| a.iter().copied()).collect();
    Tensor::f32(vec![vectors.len(), d], flat).map_err(run_error)
}

/// N vectors -> N rows of class probabilities, in one run.
pub struct Classifier {
    plan: Graph,
    dimension: usize,
    classes: usize,
}

impl Classifier {
    pub fn from_bytes(bytes: &[u8], dimension: usize, classes: usize) -> Result<Self> {
        let plan = plan("sensitive head", bytes, 1)?;
        Ok(Classifier { plan, dimension, classes })
    }

    pub fn probabilities(&self, vectors: &[&[f32]]) -> Result<Vec<Vec<f32>>> {
        if vectors.is_empty() {
            return Ok(Vec::new());
        }
        let flat = first_output(&self.plan, vec![matrix(vectors, self.dimension)?])?;
        if flat.len() != vectors.len() * self.classes {
            return Err(Error::Model(format!(
                "sensitive head returned {} values, expected {} x {}",
                flat.len(),
                vectors.len(),
                self.classes
            )));
        }
        Ok(flat.chunks(self.classes).map(<[f32]>::to_vec).collect())
    }
}
