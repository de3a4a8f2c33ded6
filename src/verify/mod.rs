//! Stage 1, verification: a candidate attribute becomes accepted, held for
//! review, or rejected. Exact rules first; the verifier model scores the rest
//! and two calibrated thresholds turn its score into a verdict.

mod rules;

pub use rules::{check, Context, Rule};

use serde::Serialize;

use crate::attribute::{normalize, Verdict};
use crate::error::Result;
use crate::extract::Candidate;
use crate::model::{RelevanceModel, VerifierModel};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub candidate: Candidate,
    /// `accepted`, `review` or `rejected`.
    pub verdict: Verdict,
    /// The model's probability that a human would accept it; absent when a rule decided.
    pub score: Option<f32>,
    /// The rule that rejected it, if one did.
    pub rule: Option<Rule>,
    /// Why, in words, for the user and for logs.
    pub explanation: String,
}

pub struct Verifier<'m> {
    encoder: &'m RelevanceModel,
    model: &'m VerifierModel,
}

impl<'m> Verifier<'m> {
    /// `encoder` is the relevance model whose encoder `model` was trained on.
    pub fn new(encoder: &'m RelevanceModel, model: &'m VerifierModel) -> Self {
        Verifier { encoder, model }
    }

    /// One verification per candidate, in order. A candidate equal to an
    /// earlier one of the same batch is a duplicate.
    pub fn verify(&self, candidates: &[Candidate], context: &Context) -> Result<Vec<Verification>> {
        let mut ctx = context.clone();
        let mut out = Vec::with_capacity(candidates.len());
        let mut to_score = Vec::new();
        for c in candidates {
            let decided = check(c, &ctx);
            ctx.stored.insert(normalize(&c.attribute));
            match decided {
                Some((rule, explanation)) => out.push(Verification {
                    candidate: c.clone(),
                    verdict: Verdict::Rejected,
                    score: None,
                    rule: Some(rule),
                    explanation,
                }),
                None => {
                    to_score.push(out.len());
                    out.push(Verification {
                        candidate: c.clone(),
                        verdict: Verdict::Unverified,
                        score: None,
                        rule: None,
                        explanation: String::new(),
                    });
                }
            }
        }
        let pairs: Vec<(&str, &str)> =
            to_score.iter().map(|&i| (out[i].candidate.attribute.as_str(), support(&out[i].candidate))).collect();
        let scores = self.model.score(self.encoder, &pairs)?;
        let t = self.model.thresholds();
        for (&i, score) in to_score.iter().zip(scores) {
            let (verdict, explanation) = if score >= t.accept {
                (Verdict::Accepted, format!("verifier score {score:.2} is at least {:.2}", t.accept))
            } else if score < t.reject {
                (Verdict::Rejected, format!("verifier score {score:.2} is below {:.2}", t.reject))
            } else {
                (Verdict::Review, format!("verifier score {score:.2} is between {:.2} and {:.2}", t.reject, t.accept))
            };
            let v = &mut out[i];
            (v.verdict, v.score, v.explanation) = (verdict, Some(score), explanation);
        }
        Ok(out)
    }
}

/// What the model weighs the attribute against. It was trained on the
/// extractor's reasons, so the reason is the support; quotes only when there is no reason.
fn support(c: &Candidate) -> &str {
    if c.reason.trim().is_empty() {
        c.evidence.first().map_or("", String::as_str)
    } else {
        &c.reason
    }
}
