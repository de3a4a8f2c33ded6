//! `ingest`: the only way extracted attributes reach storage. Each candidate is verified, then
//! related to the stored attributes it is closest to, so that a paraphrase merges into what is
//! stored, a new value of the same aspect ("relocated to Madrid") retires the old one as
//! history, and an unclear replacement waits for the user.

use serde::Serialize;

use crate::arguments::IngestArgs;
use crate::attribute::{
    clock_ms, normalize, validate_text, Attribute, NewAttribute, Sensitivity, Source, Verdict, MAX_EVIDENCE_ITEMS,
};
use crate::env::Env;
use crate::error::Result;
use crate::extract::{parse_extraction, Candidate, ChatMessage, Role};
use crate::history::{chain, supersede};
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
    /// Stored records this reply changed: merged into (seen again), replaced (now history), or
    /// current again (a replaced or expired fact said again).
    pub updated: Vec<Attribute>,
    /// One per candidate, in the reply's order: what happened to it.
    pub outcomes: Vec<Outcome>,
}

/// A stored attribute next to a new fact, and how the relation head reads the pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Relative {
    pub attribute: Attribute,
    /// Cosine similarity of the two attribute vectors, which picks the nearest.
    pub similarity: f32,
    pub related: Related,
}

/// What became of one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeAction {
    /// Stored as a new attribute; or, for a replaced or expired fact said again, its record made
    /// current again (that record is then in `updated`, not `stored`).
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
    /// The relation head's probability of the relation acted on (`same` or `updates`); 1 when the
    /// records' own history links them (a replaced fact said again replaces what had replaced it).
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub action: OutcomeAction,
    /// The candidate's text, as extracted.
    pub text: String,
    /// The record stored or made current for it (`added`, `replaces`, `held-for-review`).
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

/// The decision for one candidate against its nearest records.
enum Link {
    None,
    Same(usize, f32),
    Updates(usize, f32),
    MayUpdate(usize, f32),
}

/// Whether a reply writes a record of its pool.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    No,
    New,
    Changed,
}

/// What a reply's candidates are related to, and what it writes: the current stored attributes
/// the verifier did not reject (with their vectors, when the encoder has a relation head), then
/// each record the reply stores, so that a later candidate of the same reply merges into or
/// replaces an earlier one instead of standing next to it.
struct Pool {
    records: Vec<Attribute>,
    vectors: Vec<Vec<f32>>,
    written: Vec<Written>,
    relate: bool,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b)).max(f32::MIN_POSITIVE)
}

impl Pool {
    /// The current stored attributes the verifier did not reject, with their vectors (from the
    /// cache, else computed: the second value holds those to cache).
    fn current(
        stored: &[Attribute],
        encoder: &RelevanceModel,
        cached: Vec<CachedVector>,
        now: f64,
    ) -> Result<(Pool, Vec<CachedVector>)> {
        let current: Vec<&Attribute> =
            stored.iter().filter(|a| a.is_current(now) && a.verdict != Verdict::Rejected).collect();
        let (vectors, fresh) =
            vector_cache::resolve(&current, cached, encoder.version(), |t| encoder.embed_attribute(t))?;
        let written = vec![Written::No; current.len()];
        let records = current.into_iter().cloned().collect();
        Ok((Pool { records, vectors, written, relate: true }, fresh))
    }

    /// The `RELATE_NEAREST` records closest to `vector` that may still be related to, closest
    /// first, with their similarity and how the relation head reads each pair.
    fn nearest(
        &self,
        encoder: &RelevanceModel,
        text: &str,
        vector: &[f32],
        now: f64,
    ) -> Result<Vec<(usize, f32, Related)>> {
        let mut order: Vec<(usize, f32)> = (0..self.records.len())
            .filter(|&i| self.records[i].is_current(now) && self.records[i].verdict != Verdict::Rejected)
            .map(|i| (i, cosine(&self.vectors[i], vector)))
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        order.truncate(RELATE_NEAREST);
        if order.is_empty() {
            return Ok(vec![]);
        }
        let old: Vec<&[f32]> = order.iter().map(|&(i, _)| self.vectors[i].as_slice()).collect();
        let new: Vec<&[f32]> = vec![vector; order.len()];
        let lexical: Vec<_> = order.iter().map(|&(i, _)| relate::lexical(&self.records[i].text, text)).collect();
        let related = encoder.relate(&old, &new, &lexical)?;
        Ok(order.into_iter().zip(related).map(|((i, similarity), r)| (i, similarity, r)).collect())
    }

    /// A paraphrase wins over a replacement (the candidate says nothing new); among replacements
    /// the surest. A pair in the head's review band is a possible replacement, for the user.
    fn link(&self, encoder: &RelevanceModel, text: &str, vector: &[f32], now: f64) -> Result<Link> {
        if !self.relate {
            return Ok(Link::None);
        }
        let near = self.nearest(encoder, text, vector, now)?;
        let best = |keep: &dyn Fn(&Related) -> bool, p: &dyn Fn(&Related) -> f32| {
            near.iter().filter(|(_, _, r)| keep(r)).map(|(i, _, r)| (*i, p(r))).max_by(|a, b| a.1.total_cmp(&b.1))
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

    fn related(&self, i: usize, score: f32) -> RelatedAttribute {
        RelatedAttribute { id: self.records[i].id.clone(), text: self.records[i].text.clone(), score }
    }

    /// Record `i`, to be changed and written.
    fn change(&mut self, i: usize) -> &mut Attribute {
        if self.written[i] == Written::No {
            self.written[i] = Written::Changed;
        }
        &mut self.records[i]
    }

    fn push(&mut self, record: Attribute, vector: Vec<f32>, written: Written) {
        self.records.push(record);
        self.vectors.push(vector);
        self.written.push(written);
    }

    /// The records written with `how`, in the order the reply met them.
    fn written(&self, how: Written) -> Vec<Attribute> {
        self.records.iter().zip(&self.written).filter(|(_, w)| **w == how).map(|(a, _)| a.clone()).collect()
    }
}

/// Folds a paraphrase into the stored record: seen again, with the new quotes, and the
/// better-supported wording when `text_is_free` and the user did not write the text themselves.
fn merge(into: &mut Attribute, new: &Attribute, text_is_free: bool, now: f64) {
    // An older conversation ingested late dates the fact earlier; "seen again" is the later one.
    into.confirmed_at = Some(into.confirmed_at.unwrap_or(0.0).max(into.observed_at).max(new.observed_at));
    into.observed_at = into.observed_at.min(new.observed_at);
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
    into.touch(now);
}

/// Whether candidate `c` says the replaced or expired (not rejected) record `old` again: its text,
/// with words of the user's that the record does not quote yet, in a conversation later than the
/// fact stopped holding. Ingesting again the conversation the fact came from says nothing new and
/// must not undo a replacement or an expiry.
fn says_again(old: &Attribute, c: &Candidate, observed_at: Option<f64>, now: f64) -> bool {
    let ended = old.superseded_at.or(old.expires_at.filter(|t| *t <= now));
    !old.is_current(now)
        && old.verdict != Verdict::Rejected
        && old.normalized() == normalize(&c.attribute)
        && c.evidence.iter().any(|q| !old.evidence.contains(q))
        && observed_at.zip(ended).is_none_or(|(o, e)| o > e)
}

/// The pool's index of the aspect's current value, for a replaced fact `past` said again: the end
/// of the chain that replaced it (Lyon -> Madrid -> Berlin: Berlin), when that one is current.
fn replacer(past: Option<&Attribute>, stored: &[Attribute], pool: &Pool) -> Option<usize> {
    let past = past?;
    let end = chain(stored, past.superseded_by.as_deref()?).ok()?.pop()?;
    pool.records.iter().position(|a| a.id == end.id && a.id != past.id)
}

/// A fact said again after it was replaced or expired: its record (the store keeps one per
/// text) is current again, with the new support and the verifier's verdict on what was said.
fn revive(old: &Attribute, new: &Attribute, now: f64) -> Attribute {
    let mut a = old.clone();
    merge(&mut a, new, false, now);
    a.superseded_by = None;
    a.superseded_at = None;
    if !a.is_current(now) {
        a.expires_at = new.expires_at;
    }
    // The user's own wording keeps the standing they gave it; otherwise verdict, score and reason
    // are the verifier's on what was just said, together (a review judgment records both).
    if !old.user_edited {
        a.verdict = new.verdict;
        a.verifier_score = new.verifier_score;
        a.reason = new.reason.clone();
    }
    a.may_replace = None;
    a
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
        let now = clock_ms(self.env.now_ms());
        // A replaced or expired fact said again is no duplicate: it comes back (see `revive`).
        // Anything else stored, one the user rejected included, is.
        let again = |a: &Attribute| candidates.iter().any(|c| says_again(a, c, options.observed_at, now));
        let context = Context {
            user_messages: Some(user_messages.iter().map(|m| m.content.clone()).collect()),
            stored: stored.iter().filter(|a| !again(a)).map(Attribute::normalized).collect(),
        };
        let verified = Verifier::new(encoder, verifier).verify_encoded(&candidates, &context)?;
        let (mut pool, mut cache) = match encoder.has_relation() {
            true => Pool::current(&stored, encoder, self.store.vectors().await?, now)?,
            false => (Pool { records: vec![], vectors: vec![], written: vec![], relate: false }, vec![]),
        };
        let mut report = IngestReport {
            accepted: vec![],
            review: vec![],
            rejected: vec![],
            stored: vec![],
            updated: vec![],
            outcomes: vec![],
        };
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
            let mut new = self.candidate_record(&v, &user_messages, options)?;
            let vector = match vector.filter(|_| new.text == text) {
                Some(vector) => vector,
                // Cleaning changed the text, or the verifier cuts attributes elsewhere.
                None => encoder.embed_attribute(&new.text)?,
            };
            if new.sensitivity == Sensitivity::None {
                new.sensitivity = encoder.sensitive_categories(&[&vector])?[0];
            }
            let past = stored.iter().find(|s| says_again(s, &v.candidate, options.observed_at, now));
            let (mut record, written) = match past {
                Some(old) => (revive(old, &new, now), Written::Changed),
                None => (new.clone(), Written::New),
            };
            // A replaced fact said again: its own history names the aspect and the value that holds
            // it now, which it replaces in turn (Lyon, Madrid, back to Lyon) even where the head sees
            // no relation, so two values of one aspect never stand side by side.
            let (link, said_again) =
                match (pool.link(encoder, &new.text, &vector, now)?, replacer(past, &stored, &pool)) {
                    (Link::None, Some(j)) => (Link::Updates(j, 1.0), true),
                    (link, _) => (link, false),
                };
            let outcome = match link {
                Link::Same(i, p) => {
                    let r = pool.related(i, p);
                    let free = !stored.iter().any(|s| s.id != r.id && s.normalized() == new.normalized());
                    let accepted = v.verdict == Verdict::Accepted;
                    let target = pool.change(i);
                    // A doubtful saying adds support but never rewords what is stored; a sure one
                    // settles a paraphrase still waiting for review (unless it waits on a replacement).
                    let promote = accepted && target.verdict == Verdict::Review && target.may_replace.is_none();
                    merge(target, &new, free && accepted, now);
                    let reworded = target.text == new.text;
                    let mut explanation = format!("merged into {:?}: the same fact, seen again", r.text);
                    if promote {
                        target.verdict = Verdict::Accepted;
                        target.verifier_score = match (target.verifier_score, new.verifier_score) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                        explanation.push_str(", and no longer held for review");
                    }
                    // Reworded: later candidates of this reply compare with the new wording.
                    if reworded {
                        pool.vectors[i] = vector.clone();
                        cache.push(CachedVector {
                            id: r.id.clone(),
                            model: encoder.version().to_string(),
                            text: new.text.clone(),
                            vector: vector.clone(),
                        });
                    }
                    Outcome { action: OutcomeAction::Merged, text, id: None, related: Some(r), explanation }
                }
                Link::Updates(i, p) if v.verdict == Verdict::Accepted => {
                    let r = pool.related(i, p);
                    supersede(pool.change(i), &record.id, now);
                    let mut explanation = format!("updated: {:?} -> {:?}", r.text, record.text);
                    if said_again {
                        explanation.push_str(" (said again after it was replaced)");
                    }
                    let id = Some(record.id.clone());
                    Outcome { action: OutcomeAction::Replaces, text, id, related: Some(r), explanation }
                }
                // A replacement the head is unsure of, or by a candidate the verifier doubts:
                // a doubtful fact never retires one the user relies on.
                Link::Updates(i, p) | Link::MayUpdate(i, p) => {
                    let r = pool.related(i, p);
                    record.verdict = Verdict::Review;
                    record.may_replace = Some(r.id.clone());
                    let again = if said_again { "said again, " } else { "" };
                    let explanation = format!("held for review: {again}may replace {:?}", r.text);
                    let id = Some(record.id.clone());
                    Outcome { action: OutcomeAction::HeldForReview, text, id, related: Some(r), explanation }
                }
                Link::None => {
                    let explanation = match (past, record.verdict) {
                        (Some(_), _) => "current again: said again after it was replaced or expired".to_string(),
                        (None, Verdict::Review) => format!("added for review: {}", v.explanation),
                        (None, _) => "added".to_string(),
                    };
                    let id = Some(record.id.clone());
                    Outcome { action: OutcomeAction::Added, text, id, related: None, explanation }
                }
            };
            if v.verdict == Verdict::Accepted {
                report.accepted.push(v);
            } else {
                report.review.push(v);
            }
            if outcome.action != OutcomeAction::Merged {
                // The store's vector must be of the stored text (a revived record keeps its own).
                let vector = if record.text == new.text { vector } else { encoder.embed_attribute(&record.text)? };
                cache.push(CachedVector {
                    id: record.id.clone(),
                    model: encoder.version().to_string(),
                    text: record.text.clone(),
                    vector: vector.clone(),
                });
                pool.push(record, vector, written);
            }
            report.outcomes.push(outcome);
        }
        report.stored = pool.written(Written::New);
        report.updated = pool.written(Written::Changed);
        let writes: Vec<Attribute> = report.stored.iter().chain(&report.updated).cloned().collect();
        self.store.write_all(false, &writes).await?;
        best_effort(self.store.put_vectors(&cache).await)?;
        Ok(report)
    }

    /// The stored attributes closest to `text` (at most `RELATE_NEAREST`; current ones the
    /// verifier did not reject), closest first, each with how `text` relates to it: whether
    /// `ingest` would merge `text` into it, let it replace it, or store both. Writes nothing but
    /// missing vectors to the cache. `E_MODEL` when `encoder` has no relation head.
    pub async fn related(&self, encoder: &RelevanceModel, text: &str) -> Result<Vec<Relative>> {
        encoder.require_relation()?;
        let text = validate_text(text)?;
        let stored = self.store.list().await?;
        let now = clock_ms(self.env.now_ms());
        let (pool, fresh) = Pool::current(&stored, encoder, self.store.vectors().await?, now)?;
        best_effort(self.store.put_vectors(&fresh).await)?;
        let vector = encoder.embed_attribute(&text)?;
        let near = pool.nearest(encoder, &text, &vector, now)?;
        Ok(near
            .into_iter()
            .map(|(i, similarity, related)| Relative { attribute: pool.records[i].clone(), similarity, related })
            .collect())
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
