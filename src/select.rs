//! Picks the few stored attributes that should shape the answer to a prompt:
//! scored by the relevance model, kept above a threshold calibrated against
//! human judgments, best first, at most `max_attributes`.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::RelevanceModel;

pub const DEFAULT_MAX_ATTRIBUTES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectOptions {
    pub max_attributes: usize,
    /// Overrides the model's calibrated threshold (for studies and evaluation).
    pub threshold: Option<f32>,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions { max_attributes: DEFAULT_MAX_ATTRIBUTES, threshold: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scored {
    /// Index into the candidates given to `select`.
    pub index: usize,
    pub score: f32,
}

pub struct Selector<'m> {
    model: &'m RelevanceModel,
}

impl<'m> Selector<'m> {
    pub fn new(model: &'m RelevanceModel) -> Self {
        Selector { model }
    }

    /// `attribute_vectors` come from `RelevanceModel::embed_attribute`, cached by the caller.
    pub fn select(&self, prompt: &str, attribute_vectors: &[&[f32]], options: SelectOptions) -> Result<Vec<Scored>> {
        let threshold = self.threshold(options)?;
        if attribute_vectors.is_empty() || options.max_attributes == 0 {
            return Ok(Vec::new());
        }
        Ok(rank(&self.scores(prompt, attribute_vectors)?, threshold, options.max_attributes))
    }

    /// The threshold `select` applies: the caller's, else the model's calibrated one.
    pub fn threshold(&self, options: SelectOptions) -> Result<f32> {
        check_threshold(options.threshold.unwrap_or_else(|| self.model.threshold()))
    }

    /// Every attribute's score, in input order: one prompt encoding, none when there is nothing to score.
    pub fn scores(&self, prompt: &str, attribute_vectors: &[&[f32]]) -> Result<Vec<f32>> {
        if attribute_vectors.is_empty() {
            return Ok(Vec::new());
        }
        let prompt_vector = self.model.embed_prompt(prompt)?;
        self.model.score(&prompt_vector, attribute_vectors)
    }
}

/// A threshold is a probability; `select` and the argument readers refuse anything else.
pub fn check_threshold(threshold: f32) -> Result<f32> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Error::invalid(format!("threshold {threshold} is not within 0..1")));
    }
    Ok(threshold)
}

/// Above the threshold, best first, ties by input order, at most `max`.
pub fn rank(scores: &[f32], threshold: f32, max: usize) -> Vec<Scored> {
    let mut kept: Vec<Scored> = scores
        .iter()
        .enumerate()
        .filter(|(_, &s)| s >= threshold)
        .map(|(index, &score)| Scored { index, score })
        .collect();
    kept.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    kept.truncate(max);
    kept
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn rank_thresholds_sorts_and_budgets() {
        let scores = [0.2, 0.9, 0.5, 0.9, 0.7, 0.1];
        let picked: Vec<usize> = rank(&scores, 0.5, 3).iter().map(|s| s.index).collect();
        assert_eq!(picked, [1, 3, 4]);
        assert!(rank(&scores, 0.95, 3).is_empty());
        assert_eq!(rank(&scores, 0.0, 10).len(), 6);
    }
}
