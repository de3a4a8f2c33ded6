//! One chat turn in one call: what `select` then `compose` do, from a single read of the profile and
//! a single encoding of the prompt, plus the reason each other stored attribute stayed on the device,
//! so that an app's "what was shared" panel shows the core's reasons instead of re-deriving them.

use std::collections::HashMap;

use serde::Serialize;

use crate::attribute::{clock_ms, Attribute, Sensitivity, Verdict};
use crate::compose::{compose, ComposeOptions, Payload, Withheld};
use crate::disclosure::Disclosure;
use crate::env::Env;
use crate::error::Result;
use crate::model::RelevanceModel;
use crate::profile::{Profile, Selection};
use crate::select::{rank, SelectOptions, Selector};
use crate::sensitive::is_allowed;
use crate::store::Store;

/// One chat turn: what `select` then `compose` return, from one read of the profile and one
/// prompt encoding. `P` lets TypeScript callers name the payload shape their format gives.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Turn<P = Payload> {
    /// What the payload carries, best first.
    pub selected: Vec<Selection>,
    /// Every other stored attribute, in the profile's order, with why it was not sent.
    pub excluded: Vec<Excluded>,
    pub payload: P,
    /// Chosen but not sent (also in `excluded`, reason `withheld`).
    pub withheld: Vec<Withheld>,
    /// The record of this disclosure, already stored on the device (also when nothing was sent).
    pub disclosure: Disclosure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Excluded {
    pub attribute: Attribute,
    pub reason: Exclusion,
    /// The relevance score, for the attributes that were scored (`below-threshold`, `over-budget`,
    /// `withheld`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub score: Option<f32>,
    /// The reason in words, for a panel or a log.
    pub explanation: String,
}

/// Why a stored attribute was not sent for this prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Exclusion {
    /// The verifier rejected it: never sent.
    Rejected,
    /// Held for the user's review; offered only with `includeReview`.
    AwaitingReview,
    /// In a sensitive category the user has not allowed to leave the device.
    Sensitive,
    /// Scored below the threshold: it should not change this answer.
    BelowThreshold,
    /// Above the threshold, but `maxAttributes` others scored higher.
    OverBudget,
    /// Chosen, but its text reads like an instruction or the payload was full.
    Withheld,
    /// Replaced by a newer attribute: history, never sent.
    Superseded,
    /// Past its `expiresAt`: no longer holds.
    Expired,
}

impl Exclusion {
    pub const ALL: [Exclusion; 8] = [
        Exclusion::Rejected,
        Exclusion::AwaitingReview,
        Exclusion::Sensitive,
        Exclusion::BelowThreshold,
        Exclusion::OverBudget,
        Exclusion::Withheld,
        Exclusion::Superseded,
        Exclusion::Expired,
    ];
}

/// Why `a` may not be offered or sent at `now`, when it is history or has expired.
pub(crate) fn not_current(a: &Attribute, now: f64) -> Option<(Exclusion, String)> {
    if let Some(by) = &a.superseded_by {
        return Some((Exclusion::Superseded, format!("replaced by {by}: history, never sent")));
    }
    (!a.is_current(now))
        .then(|| (Exclusion::Expired, "expired (past its expiresAt): no longer holds, never sent".to_string()))
}

fn sensitive(attribute: &Attribute, category: Sensitivity) -> Excluded {
    let name = serde_json::to_value(category).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    Excluded {
        attribute: attribute.clone(),
        reason: Exclusion::Sensitive,
        score: None,
        explanation: format!("sensitive ({name}): the user has not allowed this category to leave the device"),
    }
}

impl<S: Store, E: Env> Profile<S, E> {
    /// `select` and `compose` for one turn, logging one disclosure (also when nothing is sent).
    /// Errors are `select`'s and `compose`'s; nothing is logged when one occurs.
    pub async fn prepare_turn(
        &self,
        model: &RelevanceModel,
        prompt: &str,
        select: SelectOptions,
        include_review: bool,
        options: &ComposeOptions,
    ) -> Result<Turn> {
        options.check()?;
        let selector = Selector::new(model);
        let threshold = selector.threshold(select)?;
        let all = self.list().await?;
        let now = clock_ms(self.env.now_ms());
        let allowed = self.store.settings().await?.allowed_sensitive;
        let mut excluded: Vec<(usize, Excluded)> = Vec::new();
        let mut eligible = Vec::new();
        for (i, a) in all.iter().enumerate() {
            let skip = |reason, explanation: &str| Excluded {
                attribute: a.clone(),
                reason,
                score: None,
                explanation: explanation.to_string(),
            };
            if let Some((reason, why)) = not_current(a, now) {
                excluded.push((i, skip(reason, &why)));
            } else if a.verdict == Verdict::Rejected {
                excluded.push((i, skip(Exclusion::Rejected, "rejected by the verifier: never sent")));
            } else if !a.verdict.is_usable(include_review) {
                excluded.push((
                    i,
                    skip(Exclusion::AwaitingReview, "awaiting the user's review (offered with includeReview)"),
                ));
            } else if !is_allowed(a.sensitivity, &allowed) {
                excluded.push((i, sensitive(a, a.sensitivity)));
            } else {
                eligible.push(a);
            }
        }
        // Once, not a scan per attribute: excluded entries are reported in the profile's order.
        let positions: HashMap<&str, usize> = all.iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
        let position = |a: &Attribute| positions[a.id.as_str()];
        let candidates = self.candidates(model, eligible, &allowed).await?;
        excluded.extend(candidates.dropped.iter().map(|(a, tag)| (position(a), sensitive(a, *tag))));
        let refs: Vec<&[f32]> = candidates.vectors.iter().map(Vec::as_slice).collect();
        let scores = selector.scores(prompt, &refs)?;
        let picked = rank(&scores, threshold, select.max_attributes);
        let chosen: Vec<&Attribute> = picked.iter().map(|s| candidates.attributes[s.index]).collect();
        let (payload, withheld) = compose(prompt, &chosen, options);
        let sent: Vec<Attribute> =
            chosen.iter().filter(|a| payload.attribute_ids.contains(&a.id)).map(|a| (*a).clone()).collect();
        let disclosure = self.record_disclosure(prompt, &sent).await?;

        let is_sent = |a: &Attribute| payload.attribute_ids.contains(&a.id);
        // `rank` already orders the picks best first, as `select` returns them.
        let selected: Vec<Selection> = picked
            .iter()
            .map(|s| (candidates.attributes[s.index], s.score))
            .filter(|(a, _)| is_sent(a))
            .map(|(a, score)| Selection { attribute: a.clone(), score })
            .collect();
        for (a, &score) in candidates.attributes.iter().zip(&scores).filter(|(a, _)| !is_sent(a)) {
            let (reason, explanation) = if let Some(w) = withheld.iter().find(|w| w.attribute_id == a.id) {
                (Exclusion::Withheld, format!("withheld: {}", w.reason))
            } else if score < threshold {
                (Exclusion::BelowThreshold, format!("relevance {score:.2} is below the threshold {threshold:.2}"))
            } else {
                let max = select.max_attributes;
                (
                    Exclusion::OverBudget,
                    format!("relevance {score:.2} clears the threshold; the budget of {max} went to higher scores"),
                )
            };
            excluded.push((position(a), Excluded { attribute: (*a).clone(), reason, score: Some(score), explanation }));
        }
        excluded.sort_by_key(|(i, _)| *i);
        Ok(Turn { selected, excluded: excluded.into_iter().map(|(_, e)| e).collect(), payload, withheld, disclosure })
    }
}
