//! What never goes into a payload: stored text that reads as an instruction to the
//! remote model, and attributes past the payload's size cap.

use serde::{Deserialize, Serialize};

/// Room for attributes in one payload, in characters; what does not fit is withheld.
pub const MAX_PAYLOAD_ATTRIBUTE_CHARS: usize = 2_000;

/// An attribute that was chosen but not emitted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Withheld {
    pub attribute_id: String,
    pub reason: String,
}

/// Phrases with which stored text could try to steer the remote model. Such an
/// attribute is never emitted, however it is quoted: a fact about a person
/// has no reason to contain them.
const INSTRUCTION_MARKERS: [&str; 25] = [
    "ignore previous",
    "ignore all previous",
    "ignore the previous",
    "ignore prior",
    "ignore the above",
    "ignore your instructions",
    "disregard the",
    "disregard all",
    "disregard previous",
    "disregard your",
    "system prompt",
    "system message",
    "you are now",
    "you must",
    "act as",
    "pretend to be",
    "jailbreak",
    "developer mode",
    "<|",
    "|>",
    "[inst]",
    "<<sys>>",
    "### instruction",
    "</user_attributes",
    "```",
];
const ROLE_LABELS: [&str; 4] = ["system:", "assistant:", "user:", "developer:"];

/// Why `text` reads as an instruction to a model rather than a fact, if it does.
pub fn instruction_like(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if let Some(m) = INSTRUCTION_MARKERS.iter().find(|m| contains_phrase(&lower, m)) {
        return Some(format!("looks like an instruction to the model ({m:?})"));
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    if let Some(label) = words.iter().find(|w| ROLE_LABELS.contains(w)) {
        return Some(format!("contains a chat role label ({label:?})"));
    }
    None
}

/// A phrase that starts with a letter must start a word: "contact as" is not "act as".
fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    let word_start = phrase.starts_with(|c: char| c.is_alphanumeric());
    haystack
        .match_indices(phrase)
        .any(|(i, _)| !word_start || haystack[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))
}

/// The chosen (id, text) pairs that may be emitted, in order, and the rest with
/// the reason: text that reads as an instruction, or past the payload's size cap.
pub(super) fn screen<'a>(
    chosen: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<(&'a str, &'a str)>, Vec<Withheld>) {
    let mut kept = Vec::new();
    let mut withheld = Vec::new();
    let mut room = MAX_PAYLOAD_ATTRIBUTE_CHARS;
    for (id, text) in chosen {
        let reason = match instruction_like(text) {
            Some(why) => Some(why),
            None if text.chars().count() > room => {
                Some(format!("the payload's attributes are capped at {MAX_PAYLOAD_ATTRIBUTE_CHARS} characters"))
            }
            None => None,
        };
        match reason {
            Some(reason) => withheld.push(Withheld { attribute_id: id.to_string(), reason }),
            None => {
                room -= text.chars().count();
                kept.push((id, text));
            }
        }
    }
    (kept, withheld)
}
