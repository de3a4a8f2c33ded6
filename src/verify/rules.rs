//! Checks that need no model because the answer is exact: the model only
//! sees candidates that pass them.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::attribute::{clean_text, normalize};
use crate::extract::Candidate;

/// Why a rule rejected a candidate. Stable names: apps and studies count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Empty,
    NotThirdPerson,
    NotAboutUser,
    NotStandalone,
    Duplicate,
    NoEvidence,
    EvidenceNotFound,
    /// Reads as an instruction to a model (prompt injection), not a fact.
    Instruction,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::Empty,
        Rule::NotThirdPerson,
        Rule::NotAboutUser,
        Rule::NotStandalone,
        Rule::Duplicate,
        Rule::NoEvidence,
        Rule::EvidenceNotFound,
        Rule::Instruction,
    ];
}

/// What the rules compare a candidate against.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The user's own messages; when given, every evidence quote must occur in one.
    pub user_messages: Option<Vec<String>>,
    /// Normalized texts of the attributes already stored.
    pub stored: HashSet<String>,
}

const FIRST_OR_SECOND_PERSON: [&str; 14] =
    ["i", "i'm", "i've", "i'd", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "we", "our"];
/// A pronoun that ends a clause points at something outside the sentence.
const DANGLING: [&str; 10] = ["it", "this", "that", "these", "those", "them", "him", "her", "he", "she"];
const POINTERS: [&str; 5] = ["the above", "aforementioned", "mentioned above", "the said ", "the previous one"];

pub fn check(c: &Candidate, ctx: &Context) -> Option<(Rule, String)> {
    let text = clean_text(&c.attribute);
    if text.is_empty() {
        return Some((Rule::Empty, "the attribute is empty".into()));
    }
    if let Some(why) = crate::compose::instruction_like(&text) {
        return Some((Rule::Instruction, why));
    }
    let lower = text.to_lowercase();
    let words = words_outside_quotes(&lower);
    if let Some((w, _)) = words.iter().find(|(w, _)| FIRST_OR_SECOND_PERSON.contains(&w.as_str())) {
        return Some((Rule::NotThirdPerson, format!("written in the first or second person ({w:?})")));
    }
    if !lower.contains("the user") && !lower.contains("user's") {
        return Some((Rule::NotAboutUser, "not a third-person statement about \"the user\"".into()));
    }
    if let Some((w, _)) = words.iter().find(|(w, ends)| *ends && DANGLING.contains(&w.as_str())) {
        return Some((Rule::NotStandalone, format!("{w:?} refers to something outside the sentence")));
    }
    if let Some(p) = POINTERS.iter().find(|p| lower.contains(*p)) {
        return Some((Rule::NotStandalone, format!("{:?} refers to something outside the sentence", p.trim())));
    }
    if ctx.stored.contains(&normalize(&text)) {
        return Some((Rule::Duplicate, "already stored".into()));
    }
    if let Some(messages) = &ctx.user_messages {
        if c.evidence.is_empty() {
            return Some((Rule::NoEvidence, "no quote of the user's words supports it".into()));
        }
        let said: Vec<String> = messages.iter().map(|m| squash(m)).collect();
        if let Some(q) = c.evidence.iter().find(|q| !quote_found(q, &said)) {
            return Some((Rule::EvidenceNotFound, format!("the quote {q:?} is not in the user's messages")));
        }
    }
    None
}

/// Lower-cased words with whether each ends a clause; words inside double
/// quotes are titles or quotations, not the sentence's own pronouns.
fn words_outside_quotes(lower: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut quoted = false;
    for raw in lower.split_whitespace() {
        let opens = raw.starts_with(['"', '\u{201c}']);
        let closes =
            raw.ends_with(['"', '\u{201d}']) || raw.trim_end_matches(['.', ',', ';', ':', '!', '?']).ends_with('"');
        if opens {
            quoted = true;
        }
        if !quoted {
            let word: String = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'').replace('\u{2019}', "'");
            let ends = raw.ends_with(['.', ',', ';', ':', '!', '?', ')']);
            if !word.is_empty() {
                out.push((word, ends));
            }
        }
        if closes && (quoted || opens) {
            quoted = false;
        }
    }
    if let Some(last) = out.last_mut() {
        last.1 = true;
    }
    out
}

fn squash(s: &str) -> String {
    clean_text(s).to_lowercase().replace(['\u{2018}', '\u{2019}'], "'").replace(['\u{201c}', '\u{201d}'], "\"")
}

/// Models elide with "..." and add their own quote marks; each remaining
/// fragment must appear verbatim (case and spacing aside).
fn quote_found(quote: &str, said: &[String]) -> bool {
    let q = squash(quote);
    let fragments: Vec<&str> = q
        .split("...")
        .flat_map(|f| f.split('\u{2026}'))
        .map(|f| f.trim().trim_matches(['"', '\'']).trim())
        .filter(|f| !f.is_empty())
        .collect();
    !fragments.is_empty() && said.iter().any(|m| fragments.iter().all(|f| m.contains(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(attribute: &str, evidence: &[&str]) -> Candidate {
        Candidate {
            attribute: attribute.into(),
            reason: "r".into(),
            evidence: evidence.iter().map(|s| s.to_string()).collect(),
            confidence: 0.9,
        }
    }

    fn rule(attribute: &str) -> Option<Rule> {
        check(&cand(attribute, &[]), &Context::default()).map(|(r, _)| r)
    }

    #[test]
    fn person_and_subject() {
        assert_eq!(rule("  "), Some(Rule::Empty));
        assert_eq!(rule("I am a nurse."), Some(Rule::NotThirdPerson));
        assert_eq!(rule("The user likes your answers."), Some(Rule::NotThirdPerson));
        assert_eq!(rule("Likes hiking."), Some(Rule::NotAboutUser));
        assert_eq!(rule("The user likes hiking."), None);
        assert_eq!(rule("The user's favourite band is Muse."), None);
        // A quoted title keeps its own pronouns.
        assert_eq!(rule("The user loves the song \"Where Is My Mind\"."), None);
    }

    #[test]
    fn dangling_references() {
        assert_eq!(rule("The user really likes it."), Some(Rule::NotStandalone));
        assert_eq!(rule("The user is interested in this."), Some(Rule::NotStandalone));
        assert_eq!(rule("The user wants them, quickly."), Some(Rule::NotStandalone));
        assert_eq!(rule("The user agrees with the above approach."), Some(Rule::NotStandalone));
        assert_eq!(rule("The user likes it when code is commented."), None);
        assert_eq!(rule("The user thinks that tests matter."), None);
    }

    #[test]
    fn duplicates_and_evidence() {
        let mut ctx = Context::default();
        ctx.stored.insert(normalize("The user is vegan"));
        assert_eq!(check(&cand("the user is Vegan.", &[]), &ctx).unwrap().0, Rule::Duplicate);
        ctx.user_messages = Some(vec!["Hi! I\u{2019}m   vegan and I cook every day.".into()]);
        let c = |e: &[&str]| check(&cand("The user cooks daily.", e), &ctx).map(|(r, _)| r);
        assert_eq!(c(&[]), Some(Rule::NoEvidence));
        assert_eq!(c(&["I love steak"]), Some(Rule::EvidenceNotFound));
        assert_eq!(c(&["\"I'm vegan ... I cook every day\""]), None);
        assert_eq!(c(&["i cook every day", "..."]), Some(Rule::EvidenceNotFound));
    }
}
