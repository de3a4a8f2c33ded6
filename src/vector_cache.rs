//! Attribute vectors are computed once per attribute text and model version
//! and kept beside the attributes, so a chat turn costs one prompt encoding.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::attribute::Attribute;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedVector {
    /// The attribute's id.
    pub id: String,
    pub model: String,
    /// The text the vector was computed from: an edit makes it stale.
    pub text: String,
    #[serde(with = "crate::vector_codec")]
    pub vector: Vec<f32>,
}

/// The vector of every attribute, in order, reusing cached ones that match
/// the model version and the current text; also returns the vectors it had
/// to compute, for the caller to persist.
pub fn resolve(
    attributes: &[&Attribute],
    cached: Vec<CachedVector>,
    model_version: &str,
    mut embed: impl FnMut(&str) -> Result<Vec<f32>>,
) -> Result<(Vec<Vec<f32>>, Vec<CachedVector>)> {
    let mut by_id: HashMap<String, CachedVector> = cached.into_iter().map(|c| (c.id.clone(), c)).collect();
    let mut vectors = Vec::with_capacity(attributes.len());
    let mut fresh = Vec::new();
    for a in attributes {
        match by_id.remove(&a.id) {
            Some(c) if c.model == model_version && c.text == a.text => vectors.push(c.vector),
            _ => {
                let v = embed(&a.text)?;
                fresh.push(CachedVector {
                    id: a.id.clone(),
                    model: model_version.into(),
                    text: a.text.clone(),
                    vector: v.clone(),
                });
                vectors.push(v);
            }
        }
    }
    Ok((vectors, fresh))
}

/// The attributes among `attributes` with no vector in `cached` for this model version and text.
pub fn missing<'a>(attributes: &[&'a Attribute], cached: &[CachedVector], model_version: &str) -> Vec<&'a Attribute> {
    let fresh: HashMap<&str, &CachedVector> =
        cached.iter().filter(|c| c.model == model_version).map(|c| (c.id.as_str(), c)).collect();
    attributes.iter().copied().filter(|a| fresh.get(a.id.as_str()).is_none_or(|c| c.text != a.text)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::NewAttribute;

    #[test]
    fn reuses_fresh_vectors_and_recomputes_stale_ones() {
        let a = NewAttribute::text("The user cooks.").into_attribute("a".into(), 0.0).unwrap();
        let b = NewAttribute::text("The user runs.").into_attribute("b".into(), 0.0).unwrap();
        let c = NewAttribute::text("The user sings.").into_attribute("c".into(), 0.0).unwrap();
        let cached = vec![
            CachedVector { id: "a".into(), model: "m1".into(), text: "The user cooks.".into(), vector: vec![1.0] },
            CachedVector { id: "b".into(), model: "m0".into(), text: "The user runs.".into(), vector: vec![9.0] },
            CachedVector { id: "c".into(), model: "m1".into(), text: "The user sang.".into(), vector: vec![9.0] },
        ];
        let mut calls = Vec::new();
        let (vectors, fresh) = resolve(&[&a, &b, &c], cached, "m1", |t| {
            calls.push(t.to_string());
            Ok(vec![2.0])
        })
        .unwrap();
        assert_eq!(vectors, vec![vec![1.0], vec![2.0], vec![2.0]]);
        assert_eq!(calls, ["The user runs.", "The user sings."], "stale model version and edited text recompute");
        assert_eq!(fresh.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["b", "c"]);
        let cached = [
            CachedVector { id: "a".into(), model: "m1".into(), text: "The user cooks.".into(), vector: vec![1.0] },
            CachedVector { id: "b".into(), model: "m0".into(), text: "The user runs.".into(), vector: vec![9.0] },
        ];
        let missing: Vec<&str> = missing(&[&a, &b, &c], &cached, "m1").iter().map(|m| m.id.as_str()).collect();
        assert_eq!(missing, ["b", "c"], "what resolve would compute");
    }
}
