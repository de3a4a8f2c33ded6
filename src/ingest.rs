//! `ingest`: the only way extracted attributes reach storage. Each candidate is verified, then
//! related to the stored attributes it is closest to, so that a paraphrase merges into what is
//! stored, a new value of the same aspect ("relocated to Madrid") retires the old one as
//! history, and an unclear replacement waits for the user.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::arguments::IngestArgs;
use crate::attribute::{clock_ms, Attribute, NewAttribute, Sensitivity, Source, Verdict, MAX_EVIDENCE_ITEMS};
use crate::env::Env;
use crate::error::Result;
use crate::extract::{parse_extraction, ChatMessage, Role};
use crate::history::supersede;
use crate::model::{RelevanceModel, VerifierModel};
use crate::profile::{best_effort, Profile};
use crate::relate::{self, Related, Relation};
use crate::sensitive::classify;
use crate::store::Store;
use crate::vector_cache::{self, CachedVector};
use crate::verify::{Context, Verification, Verifier};

/// How many stored attributes, closest by vector, each candidate is related to: a replacement is
/// about the same aspect, so it sits among the nearest; the head costs little per pair.
pub const RELATE_NEAREST: usize = 5;

/// What `ingest` did with each candidate of an extraction reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    /// What the verifier accepted (a candidate may still have merged or be held, see `outcomes`).
    pub accepted: Vec<Verification>,
    /// What the verifier was unsure of: stored, but not used by `select` until the user confirms
    /// (or `includeReview`).
    pub review: Vec<Verification>,
    /// Not stored.
    pub rejected: Vec<Verification>,
    /// The new records written, in the candidates' order.
    pub stored: Vec<Attribute>,
    /// Stored records this reply changed: merged into (seen again) or replaced (now history).
    pub updated: Vec<Attribute>,
    /// One per candidate, in the reply's order: what happened to it.
    pub outcomes: Vec<Outcome>,
}

/// What became of one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeAction {
    /// Stored as a new attribute.
    Added,
    /// A paraphrase of `related`: that record was confirmed instead of storing a second one.
    Merged,
    /// Stored; `related` is now history (`supersededBy` names the new one).
    Replaces,
    /// Stored for review: it may replace `related`, which stays current until the user accepts.
    HeldForReview,
    /// Not stored (see `rejected`).
    Rejected,
}

/// A stored attribute a candidate was found to relate to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RelatedAttribute {
    pub id: String,
    pub text: String,
    /// The relation head's probability of the relation acted on (`same` or `updates`).
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub action: OutcomeAction,
    /// The candidate's text, as extracted.
    pub text: String,
    /// The record stored for it (`added`, `replaces`, `held-for-review`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub id: Option<String>,
    /// The stored attribute merged into, replaced, or that may be replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub related: Option<RelatedAttribute>,
    /// The outcome in words, for a chat note or a log.
    pub explanation: String,
}

/// The decision for one candidate against its nearest stored attributes.
enum Link {
    None,
    Same(usize, f32),
    Updates(usize, f32),
    MayUpdate(usize, f32),
}

/// The stored attributes a candidate can relate to: current ones the verifier did not reject.
struct Neighbours<'a> {
    attributes: Vec<&'a Attribute>,
    vectors: Vec<Vec<f32>>,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b)).max(f32::MIN_POSITIVE)
}

impl Neighbours<'_> {
    /// A paraphrase wins over a replacement (the candidate says nothing new); among replacements
    /// the surest. A pair in the head's review band is a possible replacement, for the user.
    fn link(&self, encoder: &RelevanceModel, text: &str, vector: &[f32], taken: &[bool]) -> Result<Link> {
        let mut order: Vec<(usize, f32)> =
            (0..self.attributes.len()).filter(|&i| !taken[i]).map(|i| (i, cosine(&self.vectors[i], vector))).collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        order.truncate(RELATE_NEAREST);
        if order.is_empty() {
            return Ok(Link::None);
        }
        let old: Vec<&[f32]> = order.iter().map(|&(i, _)| self.vectors[i].as_slice()).collect();
        let new: Vec<&[f32]> = vec![vector; order.len()];
        let lexical: Vec<_> = order.iter().map(|&(i, _)| relate::lexical(&self.attributes[i].text, text)).collect();
        let related: Vec<Related> = encoder.relate(&old, &new, &lexical)?;
        let best = |keep: &dyn Fn(&Related) -> bool, p: &dyn Fn(&Related) -> f32| {
            order
                .iter()
                .zip(&related)
                .filter(|(_, r)| keep(r))
                .map(|(&(i, _), r)| (i, p(r)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        if let Some((i, p)) = best(&|r| r.relation == Relation::Same && !r.review, &|r| r.probabilities.same) {
            return Ok(Link::Same(i, p));
        }
        if let Some((i, p)) = best(&|r| r.relation == Relation::Updates, &|r| r.probabilities.updates) {
            return Ok(Link::Updates(i, p));
        }
        if let Some((i, p)) = best(&|r| r.review, &|r| r.probabilities.updates) {
            return Ok(Link::MayUpdate(i, p));
        }
        Ok(Link::None)
    }
}

/// Folds a paraphrase into the stored record: seen again, with the new quotes, and the
/// better-supported wording unless the user wrote the text themselves.
fn merge(into: &mut Attribute, new: &Attribute, text_is_free: bool, now: f64) {
    into.confirmed_at = Some(into.confirmed_at.unwrap_or(0.0).max(new.observed_at));
    // The same fact in other words may name what the stored wording hid ("a condition" ->
    // "diabetes"): tagging only tightens, as an edit's does.
    if into.sensitivity == Sensitivity::None {
        into.sensitivity = new.sensitivity;
    }
    let better = new.evidence.len() > into.evidence.len()
        || (new.evidence.len() == into.evidence.len() && new.verifier_score > into.verifier_score);
    if better && text_is_free && !into.user_edited {
        into.text = new.text.clone();
        into.reason = new.reason.clone();
        into.verifier_score = new.verifier_score.or(into.verifier_score);
    }
    for q in &new.evidence {
        if into.evidence.len() < MAX_EVIDENCE_ITEMS && !into.evidence.contains(q) {
            into.evidence.push(q.clone());
        }
    }
    if let (Some(mine), Some(theirs)) = (&mut into.source, &new.source) {
        if mine.conversation_id == theirs.conversation_id {
            for m in &theirs.message_ids {
                if !mine.message_ids.contains(m) {
                    mine.message_ids.push(m.clone());
                }
            }
        }
    }
    into.source = into.source.take().or_else(|| new.source.clone());
    into.updated_at = now.max(into.created_at);
}

impl<S: Store, E: Env> Profile<S, E> {
    /// The chat model's `reply` to `extraction_prompt(conversation)` is parsed, each candidate
    /// verified against the user's own messages and the stored profile, related to the stored
    /// attributes (when the encoder has a relation head), and every write made in one
    /// transaction. A reply that cannot be parsed stores nothing (`E_BAD_EXTRACTION`).
    pub async fn ingest(
        &self,
        encoder: &RelevanceModel,
        verifier: &VerifierModel,
        conversation: &[ChatMessage],
        options: &IngestArgs,
        reply: &str,
    ) -> Result<IngestReport> {
        options.check()?;
        let candidates = parse_extraction(reply)?;
        let user_messages: Vec<&ChatMessage> = conversation.iter().filter(|m| m.role == Role::User).collect();
        let stored = self.store.list().await?;
        let context = Context {
            user_messages: Some(user_messages.iter().map(|m| m.content.clone()).collect()),
            stored: stored.iter().map(Attribute::normalized).collect(),
        };
        let verified = Verifier::new(encoder, verifier).verify_encoded(&candidates, &context)?;
        let now = clock_ms(self.env.now_ms());
        let mut cache = Vec::new();
        let neighbours = if encoder.has_relation() {
            let current: Vec<&Attribute> =
                stored.iter().filter(|a| a.is_current(now) && a.verdict != Verdict::Rejected).collect();
            let (vectors, fresh) =
                vector_cache::resolve(&current, self.store.vectors().await?, encoder.version(), |t| {
                    encoder.embed_attribute(t)
                })?;
            cache = fresh;
            Some(Neighbours { attributes: current, vectors })
        } else {
            None
        };
        let mut report = IngestReport {
            accepted: vec![],
            review: vec![],
            rejected: vec![],
            stored: vec![],
            updated: vec![],
            outcomes: vec![],
        };
        // Stored records changed by this reply, by their index among the neighbours.
        let mut changed: BTreeMap<usize, Attribute> = BTreeMap::new();
        let taken_len = neighbours.as_ref().map_or(0, |n| n.attributes.len());
        let mut replaced = vec![false; taken_len];
        for (v, vector) in verified {
            let text = v.candidate.attribute.clone();
            if v.verdict == Verdict::Rejected {
                let explanation = format!("rejected: {}", v.explanation);
                report.outcomes.push(Outcome {
                    action: OutcomeAction::Rejected,
                    text,
                    id: None,
                    related: None,
                    explanation,
                });
                report.rejected.push(v);
                continue;
            }
            let mut attribute = self.candidate_record(&v, &user_messages, options)?;
            let vector = match vector.filter(|_| attribute.text == text) {
                Some(vector) => vector,
                // Cleaning changed the text, or the verifier cuts attributes elsewhere.
                None => encoder.embed_attribute(&attribute.text)?,
            };
            if attribute.sensitivity == Sensitivity::None {
                attribute.sensitivity = encoder.sensitive_categories(&[&vector])?[0];
            }
            let link = match &neighbours {
                Some(n) => n.link(encoder, &attribute.text, &vector, &replaced)?,
                None => Link::None,
            };
            let related = |i: usize, score: f32| {
                let n = neighbours.as_ref().expect("a link implies neighbours");
                let a = changed.get(&i).unwrap_or(n.attributes[i]);
                RelatedAttribute { id: a.id.clone(), text: a.text.clone(), score }
            };
            let outcome = match link {
                Link::Same(i, p) => {
                    let r = related(i, p);
                    let n = neighbours.as_ref().expect("a link implies neighbours");
                    let free = !stored.iter().any(|s| s.id != r.id && s.normalized() == attribute.normalized());
                    let target = changed.entry(i).or_insert_with(|| n.attributes[i].clone());
                    merge(target, &attribute, free, now);
                    let explanation = format!("merged into {:?}: the same fact, seen again", r.text);
                    Outcome { action: OutcomeAction::Merged, text, id: None, related: Some(r), explanation }
                }
                Link::Updates(i, p) if v.verdict == Verdict::Accepted => {
                    let r = related(i, p);
                    let n = neighbours.as_ref().expect("a link implies neighbours");
                    let target = changed.entry(i).or_insert_with(|| n.attributes[i].clone());
                    supersede(target, &attribute.id, now);
                    replaced[i] = true;
                    let explanation = format!("updated: {:?} -> {:?}", r.text, attribute.text);
                    let id = Some(attribute.id.clone());
                    Outcome { action: OutcomeAction::Replaces, text, id, related: Some(r), explanation }
                }
                // A replacement the head is unsure of, or by a candidate the verifier doubts:
                // a doubtful fact never retires one the user relies on.
                Link::Updates(i, p) | Link::MayUpdate(i, p) => {
                    let r = related(i, p);
                    attribute.verdict = Verdict::Review;
                    attribute.may_replace = Some(r.id.clone());
                    let explanation = format!("held for review: may replace {:?}", r.text);
                    let id = Some(attribute.id.clone());
                    Outcome { action: OutcomeAction::HeldForReview, text, id, related: Some(r), explanation }
                }
                Link::None => {
                    let explanation = match attribute.verdict {
                        Verdict::Review => format!("added for review: {}", v.explanation),
                        _ => "added".to_string(),
                    };
                    let id = Some(attribute.id.clone());
                    Outcome { action: OutcomeAction::Added, text, id, related: None, explanation }
                }
            };
            if v.verdict == Verdict::Accepted {
                report.accepted.push(v);
            } else {
                report.review.push(v);
            }
            if outcome.action != OutcomeAction::Merged {
                cache.push(CachedVector {
                    id: attribute.id.clone(),
                    model: encoder.version().to_string(),
                    text: attribute.text.clone(),
                    vector,
                });
                report.stored.push(attribute);
            }
            report.outcomes.push(outcome);
        }
        report.updated = changed.into_values().collect();
        let writes: Vec<Attribute> = report.stored.iter().chain(&report.updated).cloned().collect();
        self.store.write_all(false, &writes).await?;
        best_effort(self.store.put_vectors(&cache).await)?;
        Ok(report)
    }

    /// The record a verified candidate would be stored as, tagged by the term list.
    fn candidate_record(
        &self,
        v: &Verification,
        user_messages: &[&ChatMessage],
        options: &IngestArgs,
    ) -> Result<Attribute> {
        let c = &v.candidate;
        let source = options.conversation_id.as_ref().map(|id| Source {
            conversation_id: id.to_string(),
            message_ids: user_messages
                .iter()
                .filter(|m| c.evidence.iter().any(|q| m.content.contains(q.as_str())))
                .filter_map(|m| m.id.clone())
                .collect(),
        });
        let new = NewAttribute {
            text: c.attribute.clone(),
            reason: Some(c.reason.clone()),
            evidence: c.evidence.clone(),
            source,
            verdict: v.verdict,
            verifier_score: v.score.map(f64::from),
            sensitivity: classify(&c.attribute),
            observed_at: options.observed_at,
            expires_at: None,
        };
        new.into_attribute(self.env.fresh_id("attr"), self.env.now_ms())
    }
}
