//! The user's review of what the verifier kept, as the study recommends: each accept, edit or
//! delete of an attribute the verifier judged is applied and recorded on the device as a stage-1
//! judgment in the paper's scheme (ok / unsure / bad, with the problem kind when the user names
//! one), so the verifier can be retrained from real users' decisions
//! (`models/train/verifier.py --judgments`, which reads `export_lines`' JSONL).

use serde::{Deserialize, Serialize};

use crate::attribute::{clock_ms, normalize, validate_text, Attribute, Verdict, MAX_TEXT_CHARS};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::store::Store;
use crate::study::{AttributeLine, StudyLine};
use crate::verify::ProblemKind;

/// What the user decided about one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ReviewAction {
    /// It holds as written: a held attribute becomes accepted.
    Accept,
    /// It holds once corrected: the text is replaced and accepted.
    Edit,
    /// It does not hold: the attribute is deleted.
    Delete,
}

/// The paper's stage-1 labels: accepted as written `ok`, corrected `unsure` (or `bad` with a
/// kind), deleted `bad`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ReviewLabel {
    Ok,
    Unsure,
    Bad,
}

/// A caller's decision: `{ action, text?, kind? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewDecision {
    pub action: ReviewAction,
    /// The corrected text, for `edit` only.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub text: Option<String>,
    /// Why the attribute was wrong as extracted, when the user says; not for `accept`.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub kind: Option<ProblemKind>,
}

impl ReviewDecision {
    pub fn check(&self) -> Result<()> {
        match (self.action, &self.text) {
            (ReviewAction::Edit, None) => return Err(Error::invalid("an edit needs the corrected text")),
            (ReviewAction::Accept | ReviewAction::Delete, Some(_)) => {
                return Err(Error::invalid("only an edit takes a text"))
            }
            _ => {}
        }
        if self.action == ReviewAction::Accept && self.kind.is_some() {
            return Err(Error::invalid("an accepted attribute has no problem kind"));
        }
        Ok(())
    }

    /// The label the study's annotators would have given the text as extracted: accepted as it
    /// stood is `ok`; corrected is `unsure` (partly right) unless the user named a problem;
    /// deleted is `bad`.
    pub fn label(&self) -> ReviewLabel {
        match (self.action, self.kind) {
            (ReviewAction::Accept, _) => ReviewLabel::Ok,
            (ReviewAction::Edit, None) => ReviewLabel::Unsure,
            (ReviewAction::Edit, Some(_)) | (ReviewAction::Delete, _) => ReviewLabel::Bad,
        }
    }
}

/// One recorded decision: the attribute as the verifier judged it, and what the user made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewJudgment {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub at: f64,
    pub attribute_id: String,
    /// The text the verifier judged (before any edit).
    pub attribute: String,
    pub reason: Option<String>,
    pub evidence: Vec<String>,
    /// The verifier's verdict and score at the time: what the user agreed or disagreed with.
    pub verdict: Verdict,
    pub verifier_score: Option<f64>,
    pub action: ReviewAction,
    pub label: ReviewLabel,
    pub kind: Option<ProblemKind>,
    /// The user's correction, for an edit.
    pub edited_text: Option<String>,
}

/// Whether the user's decision on `a` is a judgment of the verifier's work: it scored the
/// attribute (ingest), and the user had not already made the text their own. A record held
/// because it may replace another is not: the decision is on the replacement, and its `review`
/// verdict may be the relation's rather than the verifier's (the record does not say which).
pub fn is_judged(a: &Attribute) -> bool {
    a.verifier_score.is_some()
        && matches!(a.verdict, Verdict::Accepted | Verdict::Review)
        && !a.user_edited
        && a.may_replace.is_none()
}

impl ReviewJudgment {
    pub fn new(id: String, at: f64, a: &Attribute, decision: &ReviewDecision) -> Self {
        ReviewJudgment {
            id,
            at,
            attribute_id: a.id.clone(),
            attribute: a.text.clone(),
            reason: a.reason.clone(),
            evidence: a.evidence.clone(),
            verdict: a.verdict,
            verifier_score: a.verifier_score,
            action: decision.action,
            label: decision.label(),
            kind: decision.kind,
            edited_text: decision.text.clone(),
        }
    }
}

/// The judgments as the study page exports stage 1 (`study::AttributeLine`), so
/// `verifier.py --judgments` reads them like a study's. Each line holds the attribute's text,
/// reason and the user's quoted words (sensitive ones too: the user asked for this file), the
/// label and kind, the verifier's verdict and score, and `user` (the profile's name); no times.
pub fn export_lines(user: &str, judgments: &[ReviewJudgment]) -> Result<String> {
    let mut out = String::new();
    for j in judgments {
        let note = match (&j.edited_text, j.action) {
            (Some(t), _) => format!("edited to: {}", t.chars().take(MAX_TEXT_CHARS).collect::<String>()),
            (None, ReviewAction::Accept) => "accepted".into(),
            (None, _) => "deleted".into(),
        };
        let line = StudyLine::Attribute(AttributeLine {
            study: None,
            participant: "device".into(),
            user: user.into(),
            at: None,
            attribute: j.attribute.clone(),
            reason: j.reason.clone().unwrap_or_default(),
            evidence: j.evidence.clone(),
            label: j.label,
            kind: j.kind,
            verdict: Some(j.verdict),
            verifier_score: j.verifier_score,
            note,
        });
        out.push_str(&line.to_json()?);
        out.push('\n');
    }
    Ok(out)
}

/// What `review` did: the attribute as it is now (null once deleted), and the judgment recorded
/// (null when the decision does not judge the verifier's work: the attribute was added by hand,
/// edited by the user, already reviewed, or held because it may replace another; or when the
/// judgment could not be stored, since the decision itself was applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Reviewed {
    pub attribute: Option<Attribute>,
    /// The attribute it replaced, now history: accepting one held because it may replace another
    /// (`mayReplace`) replaces that one.
    pub replaced: Option<Attribute>,
    pub judgment: Option<ReviewJudgment>,
}

impl<S: Store, E: Env> Profile<S, E> {
    /// Applies the user's decision on attribute `id` and, where the verifier had judged it,
    /// records the decision as a stage-1 judgment. The change is written first: a judgment
    /// that cannot be stored never undoes what the user asked for.
    pub async fn review(&self, id: &str, decision: &ReviewDecision) -> Result<Reviewed> {
        decision.check()?;
        let text = decision.text.as_deref().map(validate_text).transpose()?;
        let before = self.get(id).await?;
        if text.as_deref().is_some_and(|t| normalize(t) == before.normalized()) {
            return Err(Error::invalid("the corrected text is the stored one: accept it instead"));
        }
        // One judgment per attribute: a later decision on what the user already reviewed is theirs.
        let judged = is_judged(&before) && !self.store.judgments().await?.iter().any(|j| j.attribute_id == before.id);
        let now = clock_ms(self.env.now_ms());
        let after = match (decision.action, text) {
            (ReviewAction::Delete, _) => {
                self.store.delete(id).await?;
                None
            }
            (ReviewAction::Edit, Some(text)) => {
                let mut a = self.edited(before.clone(), text).await?;
                a.verdict = Verdict::Accepted;
                Some(a)
            }
            _ => {
                let mut a = before.clone();
                a.verdict = Verdict::Accepted;
                a.touch(now);
                Some(a)
            }
        };
        let mut replaced = None;
        let after = match after {
            Some(a) => {
                let writes = self.accepted_replacement(a, now).await?;
                self.store.write_all(false, &writes).await?;
                let mut writes = writes.into_iter();
                let accepted = writes.next();
                replaced = writes.next();
                accepted
            }
            None => None,
        };
        let mut judgment = judged.then(|| ReviewJudgment::new(self.env.fresh_id("judgment"), now, &before, decision));
        if let Some(j) = &judgment {
            // The user's change is done; failing to keep its training signal must not report it undone.
            if self.store.add_judgment(j).await.is_err() {
                judgment = None;
            }
        }
        Ok(Reviewed { attribute: after, replaced, judgment })
    }

    /// The recorded judgments, oldest first.
    pub async fn judgments(&self) -> Result<Vec<ReviewJudgment>> {
        let mut all = self.store.judgments().await?;
        all.sort_by(|a, b| a.at.total_cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    /// The judgments as study-export JSONL (`export_lines`), for the user to hand over.
    pub async fn export_judgments(&self, user: &str) -> Result<String> {
        export_lines(user, &self.judgments().await?)
    }

    pub async fn clear_judgments(&self) -> Result<()> {
        self.store.clear_judgments().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(action: ReviewAction, text: Option<&str>, kind: Option<ProblemKind>) -> ReviewDecision {
        ReviewDecision { action, text: text.map(String::from), kind }
    }

    #[test]
    fn labels_follow_the_study_scheme() {
        assert_eq!(decision(ReviewAction::Accept, None, None).label(), ReviewLabel::Ok);
        assert_eq!(decision(ReviewAction::Edit, Some("x"), None).label(), ReviewLabel::Unsure);
        let over = Some(ProblemKind::Overgeneralization);
        assert_eq!(decision(ReviewAction::Edit, Some("x"), over).label(), ReviewLabel::Bad);
        assert_eq!(decision(ReviewAction::Delete, None, None).label(), ReviewLabel::Bad);
    }

    #[test]
    fn inconsistent_decisions_are_refused() {
        for bad in [
            decision(ReviewAction::Edit, None, None),
            decision(ReviewAction::Accept, Some("x"), None),
            decision(ReviewAction::Delete, Some("x"), None),
            decision(ReviewAction::Accept, None, Some(ProblemKind::TaskContext)),
        ] {
            assert_eq!(bad.check().unwrap_err().code(), "E_INVALID_INPUT", "{bad:?}");
        }
        let json = r#"{"action": "delete", "kind": "task_context"}"#;
        let d: ReviewDecision = serde_json::from_str(json).unwrap();
        assert!(d.check().is_ok());
        assert!(serde_json::from_str::<ReviewDecision>(r#"{"action": "approve"}"#).is_err());
    }
}
