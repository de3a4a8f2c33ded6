//! How a newly extracted attribute relates to a stored one: `same` (a paraphrase: merge),
//! `updates` (same aspect of the user, new value: the old one becomes history) or `unrelated`
//! (both stay true). The relation head (`models/train/relation.py`) reads both attributes'
//! vectors and the lexical features computed here; the decision rule is the one the trainer
//! calibrated, so that few true facts are replaced and unclear replacements go to the user.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::RelationThresholds;
use crate::sensitive::words;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Unrelated = 0,
    Same = 1,
    Updates = 2,
}

impl Relation {
    pub const ALL: [Relation; 3] = [Relation::Unrelated, Relation::Same, Relation::Updates];
}

/// The lexical input's width: overlap, change cue, addition cue, past cue.
pub const LEXICAL_FEATURES: usize = 4;

#[derive(Deserialize)]
struct Cues {
    ignore: Vec<String>,
    change: Vec<String>,
    addition: Vec<String>,
    past: Vec<String>,
}

/// `src/relation_cues.json`, which the trainer reads too.
fn cues() -> &'static Cues {
    static CUES: OnceLock<Cues> = OnceLock::new();
    CUES.get_or_init(|| {
        #[derive(Deserialize)]
        struct File {
            #[allow(dead_code)]
            note: String,
            #[serde(flatten)]
            cues: Cues,
        }
        let file: File = serde_json::from_str(include_str!("relation_cues.json")).expect("relation_cues.json");
        file.cues
    })
}

fn has_phrase(ws: &[String], phrases: &[String]) -> bool {
    phrases.iter().any(|phrase| {
        let parts: Vec<&str> = phrase.split(' ').collect();
        ws.windows(parts.len()).any(|w| w.iter().zip(&parts).all(|(a, b)| a == b))
    })
}

/// The head's lexical input for a pair: the share of content words the texts have in common, and
/// whether the new text says the user's situation changed ("moved", "no longer"), adds to it
/// ("also", "another") or tells of the past ("used to", "years ago").
pub fn lexical(old: &str, new: &str) -> [f32; LEXICAL_FEATURES] {
    let c = cues();
    let (a, b) = (words(old), words(new));
    let content = |ws: &[String]| -> std::collections::BTreeSet<String> {
        ws.iter().filter(|w| !c.ignore.contains(w)).cloned().collect()
    };
    let (ca, cb) = (content(&a), content(&b));
    let union = ca.union(&cb).count();
    let overlap = if union == 0 { 0.0 } else { ca.intersection(&cb).count() as f32 / union as f32 };
    let flag = |phrases: &[String]| if has_phrase(&b, phrases) { 1.0 } else { 0.0 };
    [overlap, flag(&c.change), flag(&c.addition), flag(&c.past)]
}

/// The head's probabilities for one pair, one per relation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Probabilities {
    pub unrelated: f32,
    pub same: f32,
    pub updates: f32,
}

/// What the device makes of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Related {
    /// `updates` only when the head is sure enough to replace the old attribute.
    pub relation: Relation,
    /// The new attribute may replace the old one, but not surely enough: the user decides.
    pub review: bool,
    /// The probability of `relation` (of `updates` when held for review).
    pub score: f32,
    pub probabilities: Probabilities,
}

impl Related {
    /// The device's rule (`decide` in models/train/relation.py).
    pub fn decide(p: Probabilities, t: RelationThresholds) -> Related {
        let (relation, review, score) = if p.updates >= t.updates {
            (Relation::Updates, false, p.updates)
        } else if p.updates >= t.review {
            let alternative = if p.same >= t.same { Relation::Same } else { Relation::Unrelated };
            (alternative, true, p.updates)
        } else if p.same >= t.same {
            (Relation::Same, false, p.same)
        } else {
            (Relation::Unrelated, false, p.unrelated)
        };
        Related { relation, review, score, probabilities: p }
    }
}
