use std::io::Cursor;

use tract_onnx::prelude::*;

use super::{model_error, run_error};
use crate::error::{Error, Result};

type Plan = Arc<TypedRunnableModel>;

/// Parses, types and optimizes an ONNX graph once. Value info is ignored
/// because ONNX Runtime's quantizer writes shapes tract cannot reconcile.
/// `facts` builds the input facts with the model's own symbol scope.
fn plan(what: &str, bytes: &[u8], facts: impl FnOnce(&SymbolScope) -> Vec<InferenceFact>) -> Result<Plan> {
    let mut model = tract_onnx::onnx()
        .with_ignore_value_info(true)
        .model_for_read(&mut Cursor::new(bytes))
        .map_err(|e| model_error(what, e))?;
    let facts = facts(&model.symbols);
    for (i, fact) in facts.into_iter().enumerate() {
        model.set_input_fact(i, fact).map_err(|e| model_error(what, e))?;
    }
    model.into_optimized().and_then(|m| m.into_runnable()).map_err(|e| model_error(what, e))
}

/// Token ids -> L2-normalized sentence embedding. Batch fixed at 1 (one text
/// per call: no padding), sequence length symbolic.
pub struct Encoder {
    plan: Plan,
    dimension: usize,
}

impl Encoder {
    pub fn from_bytes(bytes: &[u8], dimension: usize) -> Result<Self> {
        let plan = plan("encoder", bytes, |symbols| {
            let ids = InferenceFact::dt_shape(i64::datum_type(), tvec!(1.to_dim(), symbols.sym("S").to_dim()));
            vec![ids.clone(), ids]
        })?;
        Ok(Encoder { plan, dimension })
    }

    pub fn embed(&self, ids: &[i64]) -> Result<Vec<f32>> {
        if ids.is_empty() {
            return Err(Error::invalid("nothing to encode"));
        }
        let input = Tensor::from_shape(&[1, ids.len()], ids).map_err(run_error)?;
        let mask = Tensor::from_shape(&[1, ids.len()], &vec![1i64; ids.len()]).map_err(run_error)?;
        let out = self.plan.run(tvec!(input.into(), mask.into())).map_err(run_error)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(run_error)?;
        let v: Vec<f32> = view.iter().copied().collect();
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
    plan: Plan,
    dimension: usize,
    pairing: Pairing,
}

impl Head {
    pub fn from_bytes(bytes: &[u8], dimension: usize, pairing: Pairing) -> Result<Self> {
        let plan = plan("head", bytes, |symbols| {
            let n = symbols.sym("N").to_dim();
            let first_rows = if pairing == Pairing::OneToMany { 1.to_dim() } else { n.clone() };
            vec![
                InferenceFact::dt_shape(f32::datum_type(), tvec!(first_rows, dimension.to_dim())),
                InferenceFact::dt_shape(f32::datum_type(), tvec!(n, dimension.to_dim())),
            ]
        })?;
        Ok(Head { plan, dimension, pairing })
    }

    /// `first` holds one vector (`OneToMany`) or as many as `second` (`RowWise`).
    pub fn score(&self, first: &[&[f32]], second: &[&[f32]]) -> Result<Vec<f32>> {
        if second.is_empty() {
            return Ok(Vec::new());
        }
        let d = self.dimension;
        let rows = if self.pairing == Pairing::OneToMany { 1 } else { second.len() };
        if first.len() != rows {
            return Err(Error::invalid(format!("expected {rows} vectors on the left, got {}", first.len())));
        }
        let out = self.plan.run(tvec!(matrix(first, d)?.into(), matrix(second, d)?.into())).map_err(run_error)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(run_error)?;
        Ok(view.iter().copied().collect())
    }
}

/// Vectors as one [N, d] tensor; a vector of another length is bad input.
fn matrix(vectors: &[&[f32]], d: usize) -> Result<Tensor> {
    if vectors.iter().any(|a| a.len() != d) {
        return Err(Error::invalid(format!("vectors must have {d} dimensions")));
    }
    let flat: Vec<f32> = vectors.iter().flat_map(|a| a.iter().copied()).collect();
    Tensor::from_shape(&[vectors.len(), d], &flat).map_err(run_error)
}

/// N vectors -> N rows of class probabilities, in one run.
pub struct Classifier {
    plan: Plan,
    dimension: usize,
    classes: usize,
}

impl Classifier {
    pub fn from_bytes(bytes: &[u8], dimension: usize, classes: usize) -> Result<Self> {
        let plan = plan("sensitive head", bytes, |symbols| {
            vec![InferenceFact::dt_shape(f32::datum_type(), tvec!(symbols.sym("N").to_dim(), dimension.to_dim()))]
        })?;
        Ok(Classifier { plan, dimension, classes })
    }

    pub fn probabilities(&self, vectors: &[&[f32]]) -> Result<Vec<Vec<f32>>> {
        if vectors.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.plan.run(tvec!(matrix(vectors, self.dimension)?.into())).map_err(run_error)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(run_error)?;
        let flat: Vec<f32> = view.iter().copied().collect();
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
