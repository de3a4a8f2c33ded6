use super::{model_error, run_error};
use crate::error::{Error, Result};
use crate::onnx::{Graph, Tensor};
use std::collections::VecDeque;
use std::sync::Mutex;

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

/// How many encodings `Encoder::remembering` keeps: enough for one `ingest`
/// of the largest reply, whose verifier encodes each candidate and its reason
/// before the sensitive tag encodes the candidate again (at most ~0.5 MB).
const RECENT: usize = 2 * crate::extract::MAX_CANDIDATES;

/// Inputs already encoded, and their vectors, oldest first.
type Recent = VecDeque<(Vec<i64>, Vec<f32>)>;

/// Token ids -> L2-normalized sentence embedding. Batch fixed at 1 (one text
/// per call: no padding), sequence length symbolic.
pub struct Encoder {
    plan: Graph,
    dimension: usize,
    /// While `remembering`: the last `RECENT` inputs and their vectors.
    recent: Mutex<Option<Recent>>,
}

impl Encoder {
    pub fn from_bytes(bytes: &[u8], dimension: usize) -> Result<Self> {
        let plan = plan("encoder", bytes, 2)?;
        Ok(Encoder { plan, dimension, recent: Mutex::new(None) })
    }

    /// Runs `f` with repeated inputs encoded once. Scoped rather than always
    /// on, so a chat turn (and the benchmark) always pays for its encoding.
    pub fn remembering<T>(&self, f: impl FnOnce() -> T) -> T {
        let started = self.with_recent(|r| r.is_none() && r.replace(VecDeque::new()).is_none()).unwrap_or(false);
        let out = f();
        if started {
            self.with_recent(|r| *r = None);
        }
        out
    }

    /// A poisoned lock only means a panic elsewhere; the cache is then skipped.
    fn with_recent<T>(&self, f: impl FnOnce(&mut Option<Recent>) -> T) -> Option<T> {
        self.recent.lock().ok().map(|mut r| f(&mut r))
    }

    pub fn embed(&self, ids: &[i64]) -> Result<Vec<f32>> {
        if ids.is_empty() {
            return Err(Error::invalid("nothing to encode"));
        }
        let hit = self.with_recent(|r| r.as_ref()?.iter().find(|(k, _)| k == ids).map(|(_, v)| v.clone())).flatten();
        if let Some(v) = hit {
            return Ok(v);
        }
        let v = self.run(ids)?;
        self.with_recent(|r| {
            if let Some(recent) = r.as_mut() {
                if recent.len() == RECENT {
                    recent.pop_front();
                }
                recent.push_back((ids.to_vec(), v.clone()));
            }
        });
        Ok(v)
    }

    fn run(&self, ids: &[i64]) -> Result<Vec<f32>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder() -> Encoder {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/relevance-encoder.int8.onnx");
        Encoder::from_bytes(&std::fs::read(path).unwrap(), 384).unwrap()
    }

    #[test]
    fn repeated_inputs_are_encoded_once_only_while_remembering() {
        let e = encoder();
        let cached = |e: &Encoder| e.with_recent(|r| r.as_ref().map(VecDeque::len)).flatten();
        let first = e.embed(&[101, 7592, 102]).unwrap();
        assert_eq!(cached(&e), None, "outside `remembering` nothing is kept");
        e.remembering(|| {
            assert_eq!(e.embed(&[101, 7592, 102]).unwrap(), first);
            assert_eq!(e.embed(&[101, 7592, 102]).unwrap(), first);
            assert_eq!(cached(&e), Some(1), "a repeat is served from the cache");
            e.remembering(|| e.embed(&[101, 7593, 102]).unwrap());
            assert_eq!(cached(&e), Some(2), "a nested call keeps the outer cache");
            for i in 0..(RECENT as i64 + 5) {
                e.embed(&[101, 2000 + i, 102]).unwrap();
            }
            let recent = e.with_recent(|r| r.clone()).unwrap().unwrap();
            assert_eq!(recent.len(), RECENT);
            assert!(recent.iter().all(|(k, _)| k != &[101, 7592, 102]), "the oldest entries are dropped");
        });
        assert_eq!(cached(&e), None);
        assert_eq!(e.embed(&[101, 7592, 102]).unwrap(), first, "recomputed identically");
    }
}
