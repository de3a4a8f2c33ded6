//! Stage 1, verification: a candidate attribute becomes accepted, held for
//! review, or rejected. Exact rules first; the verifier model scores the rest
//! and two calibrated thresholds turn its score into a verdict.

mod kind;
mod lexical;
mod rules;

pub use kind::ProblemKind;
pub use lexical::{Group, Lexicon};
pub use rules::{check, Context, Rule};

use serde::Serialize;

use crate::attribute::{normalize, Verdict};
use crate::error::Result;
use crate::extract::Candidate;
use crate::model::{Claim, RelevanceModel, VerifierModel};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub candidate: Candidate,
    /// `accepted`, `review` or `rejected`.
    pub verdict: Verdict,
    /// The model's probability that a human would accept it; null when a rule decided.
    pub score: Option<f32>,
    /// The rule that rejected it, if one did.
    pub rule: Option<Rule>,
    /// For what is not accepted: the study's kind of problem it most looks like, from the
    /// rule that decided or the verifier's kind output.
    pub kind: Option<ProblemKind>,
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
        Ok(self.verify_encoded(candidates, context)?.into_iter().map(|(v, _)| v).collect())
    }

    /// `verify`, each verification with the attribute's embedding where the model computed
    /// the one `select` caches (see `Assessment::attribute_vector`).
    pub fn verify_encoded(
        &self,
        candidates: &[Candidate],
        context: &Context,
    ) -> Result<Vec<(Verification, Option<Vec<f32>>)>> {
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
                    kind: ProblemKind::of_rule(rule),
                    explanation,
                }),
                None => {
                    to_score.push(out.len());
                    out.push(Verification {
                        candidate: c.clone(),
                        verdict: Verdict::Unverified,
                        score: None,
                        rule: None,
                        kind: None,
                        explanation: String::new(),
                    });
                }
            }
        }
        let claims: Vec<Claim> = to_score
            .iter()
            .map(|&i| {
                let c = &out[i].candidate;
                Claim { attribute: &c.attribute, reason: &c.reason, evidence: &c.evidence }
            })
            .collect();
        let assessed = self.model.assess(self.encoder, &claims)?;
        let t = self.model.thresholds();
        let mut vectors = vec![None; out.len()];
        for (&i, a) in to_score.iter().zip(assessed) {
            vectors[i] = a.attribute_vector;
            let score = a.score;
            let kind = a.kind.filter(|_| score < t.accept);
            let why = kind.map_or(String::new(), |k| format!("{}; ", k.describe()));
            let (verdict, explanation) = if score >= t.accept {
                (Verdict::Accepted, format!("verifier score {score:.2} is at least {:.2}", t.accept))
            } else if score < t.reject {
                (Verdict::Rejected, format!("{why}verifier score {score:.2} is below {:.2}", t.reject))
            } else {
                (
                    Verdict::Review,
                    format!("{why}verifier score {score:.2} is between {:.2} and {:.2}", t.reject, t.accept),
                )
            };
            let v = &mut out[i];
            (v.verdict, v.score, v.kind, v.explanation) = (verdict, Some(score), kind, explanation);
        }
        Ok(out.into_iter().zip(vectors).collect())
    }
}

/// What the model weighs the attribute against: the extractor's reason, then the user's quoted
/// words, each in double quotes. The training script builds the same text
/// (`models/train/verifier_authored.py::support_text`); the agreement fixture holds quoted pairs.
pub fn support_text(reason: &str, evidence: &[String]) -> String {
    let quotes: Vec<String> =
        evidence.iter().map(|q| q.trim()).filter(|q| !q.is_empty()).map(|q| format!("\"{q}\"")).collect();
    let reason = reason.trim();
    match (reason.is_empty(), quotes.is_empty()) {
        (_, true) => reason.to_string(),
        (true, false) => quotes.join(" "),
        (false, false) => format!("{reason} {}", quotes.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_the_reason_then_the_quotes() {
        let q = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(support_text(" They said so. ", &q(&["i'm vegetarian", "  "])), "They said so. \"i'm vegetarian\"");
        assert_eq!(support_text("", &q(&["a", "b"])), "\"a\" \"b\"");
        assert_eq!(support_text("Only a reason.", &[]), "Only a reason.");
        assert_eq!(support_text(" ", &[]), "");
    }

    #[test]
    fn rule_rejections_name_their_kind() {
        assert_eq!(ProblemKind::of_rule(Rule::NotStandalone), Some(ProblemKind::NotStandalone));
        assert_eq!(ProblemKind::of_rule(Rule::EvidenceNotFound), Some(ProblemKind::MissingEvidence));
        assert_eq!(ProblemKind::of_rule(Rule::Duplicate), None);
        let names: Vec<String> = ProblemKind::ALL.iter().map(|k| serde_json::to_string(k).unwrap()).collect();
        assert_eq!(names, ["\"overgeneralization\"", "\"task_context\"", "\"missing_evidence\"", "\"not_standalone\""]);
    }
}
