//! Sensitive categories (the GDPR's special categories plus finances and
//! precise location). An attribute in one is stored but never emitted by
//! `select`/`compose` unless the user allowed that category.
//!
//! Tagging has two halves. This term list, matched on whole words of the
//! lower-cased text, runs wherever text enters (add, ingest, import, edit):
//! it is predictable and auditable, and it errs towards tagging, since a
//! wrongly tagged attribute is only withheld while a missed one leaks. The
//! list misses paraphrases ("injects insulin"), so the relevance model's
//! sensitive head (`RelevanceModel::sensitive_categories`, card in
//! `models/MODEL_CARD-sensitive.md`) tags what it leaves untagged, at ingest
//! and in `Profile::select` before any untagged attribute can be offered.
//! A term match wins over the model; tags only ever tighten.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::attribute::Sensitivity;
use crate::error::{Error, Result};

/// The user's choices, stored with their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivacySettings {
    /// Sensitive categories the user allows to leave the device; none by default.
    #[serde(default)]
    pub allowed_sensitive: Vec<Sensitivity>,
}

impl PrivacySettings {
    pub fn with_allowed(mut categories: Vec<Sensitivity>) -> Result<Self> {
        if categories.contains(&Sensitivity::None) {
            return Err(Error::invalid("\"none\" is not a sensitive category: it is always allowed"));
        }
        categories.sort_by_key(|c| Sensitivity::ALL.iter().position(|x| x == c));
        categories.dedup();
        Ok(PrivacySettings { allowed_sensitive: categories })
    }
}

/// The categories and their terms, shared with the trainer and the package (`src/sensitive.json`).
const TERM_FILE: &str = include_str!("sensitive.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermFile {
    #[allow(dead_code)]
    about: String,
    categories: Vec<Sensitivity>,
    terms: HashMap<String, Vec<String>>,
}

/// Terms per category, in the file's order of categories (the first match wins); a term
/// with a space matches as a phrase, one ending in `*` as a prefix (`diagnos*` matches
/// "diagnosed", "diagnosis").
fn terms() -> &'static [(Sensitivity, Vec<String>)] {
    static TERMS: OnceLock<Vec<(Sensitivity, Vec<String>)>> = OnceLock::new();
    TERMS.get_or_init(|| {
        // Compiled in and checked by the tests below: failing here is a build defect, not bad input.
        let mut file: TermFile = serde_json::from_str(TERM_FILE).expect("src/sensitive.json is valid");
        file.categories
            .iter()
            .map(|&c| {
                let name =
                    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                (c, file.terms.remove(&name).unwrap_or_default())
            })
            .collect()
    })
}

/// Lower-case words; typographic apostrophes count as `'`, and a final `'s` is dropped.
/// `words` in models/train/sensitive.py splits the same way (the trainers compute features with it).
pub(crate) fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\u{2019}', '\u{2018}', '\u{2bc}'], "'")
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.strip_suffix("'s").unwrap_or(w).to_string())
        .collect()
}

fn matches(words: &[String], term: &str) -> bool {
    let parts: Vec<&str> = term.split(' ').collect();
    let word_matches = |w: &str, p: &str| match p.strip_suffix('*') {
        Some(prefix) => w.starts_with(prefix),
        None => w == p,
    };
    words.windows(parts.len()).any(|window| window.iter().zip(&parts).all(|(w, p)| word_matches(w, p)))
}

/// The first category (in the file's order) whose terms occur in `text`.
pub fn classify(text: &str) -> Sensitivity {
    let words = words(text);
    terms()
        .iter()
        .find(|(_, terms)| terms.iter().any(|t| matches(&words, t)))
        .map_or(Sensitivity::None, |(category, _)| *category)
}

/// Whether an attribute of this category may leave the device.
pub fn is_allowed(category: Sensitivity, allowed: &[Sensitivity]) -> bool {
    category == Sensitivity::None || allowed.contains(&category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_each_category_on_whole_words() {
        for (text, want) in [
            ("The user was diagnosed with ADHD last year.", Sensitivity::Health),
            ("The user attends church every Sunday.", Sensitivity::Religion),
            ("The user is gay and recently came out to family.", Sensitivity::Sexuality),
            ("The user identifies as Hispanic.", Sensitivity::Ethnicity),
            ("The user votes for the Green party.", Sensitivity::Politics),
            ("The user is paying off a large student loan.", Sensitivity::Finance),
            ("The user lives in Leipzig, near the zoo.", Sensitivity::Location),
            ("The user enjoys baking sourdough bread.", Sensitivity::None),
            // Whole words only: "trained" holds no term, nor does "blackbird".
            ("The user trained as a pilot.", Sensitivity::None),
            ("The user's blackbird photos are popular.", Sensitivity::None),
        ] {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn the_term_file_names_every_category_once_and_no_unknown_one() {
        let file: TermFile = serde_json::from_str(TERM_FILE).unwrap();
        assert_eq!(file.categories, Sensitivity::ALL[1..], "every category but none, in the enum's order");
        let names: Vec<String> = file.categories.iter().map(|c| serde_json::to_value(c).unwrap().to_string()).collect();
        for name in file.terms.keys() {
            assert!(names.contains(&format!("\"{name}\"")), "terms for an unknown category {name}");
        }
        let listed: usize = terms().iter().map(|(_, t)| t.len()).sum();
        assert_eq!(listed, file.terms.values().map(Vec::len).sum::<usize>(), "no terms lost");
        assert!(terms().iter().all(|(c, t)| (*c == Sensitivity::Other) == t.is_empty()), "only `other` has no terms");
        for (_, t) in terms() {
            assert!(t.iter().all(|t| !t.is_empty() && *t == t.to_lowercase() && !t.contains("  ")), "{t:?}");
        }
    }

    #[test]
    fn none_is_always_allowed_others_only_when_listed() {
        assert!(is_allowed(Sensitivity::None, &[]));
        assert!(!is_allowed(Sensitivity::Health, &[]));
        assert!(is_allowed(Sensitivity::Health, &[Sensitivity::Health]));
        assert!(!is_allowed(Sensitivity::Finance, &[Sensitivity::Health]));
    }
}
