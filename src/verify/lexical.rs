//! Lexical features of a (claim, support) pair, which sentence vectors blur: how strongly the claim
//! is worded, whether the reason tells of a single request, a repeated pattern or a task done for
//! someone else, whether the quotes are the user speaking of themselves, and how much of the
//! claim's wording the support holds. The word lists are data carried by `verifier.json`
//! (written from `models/train/data/verifier_lexicon.json`); this computes exactly what
//! `models/train/verifier_lexical.py` computes, which the agreement fixture pins value by value.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// A group counts at most this many matches.
const CAP: usize = 3;
/// Claim words match support words on this many leading characters (a crude stem).
const STEM: usize = 5;
/// Features after the groups: quotes, claim words found in the support, claim and reason length.
const FIXED: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub group: String,
    pub phrases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    #[serde(default)]
    pub about: String,
    pub scale: f32,
    /// Matched in the claim, the reason and the quotes, in this order.
    pub attribute: Vec<Group>,
    pub reason: Vec<Group>,
    pub quotes: Vec<Group>,
    pub stopwords: Vec<String>,
}

/// Lowercase words: letters, digits, `_` and `'`; anything else separates.
fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let spaced: String =
        lower.chars().map(|c| if c.is_alphanumeric() || c == '_' || c == '\'' { c } else { ' ' }).collect();
    spaced.split_whitespace().map(String::from).collect()
}

fn stem(word: &str) -> String {
    word.chars().take(STEM).collect()
}

fn capped(n: usize) -> f32 {
    n.min(CAP) as f32 / CAP as f32
}

impl Lexicon {
    pub fn width(&self) -> usize {
        self.attribute.len() + self.reason.len() + self.quotes.len() + FIXED
    }

    pub fn features(&self, attribute: &str, reason: &str, evidence: &[String]) -> Vec<f32> {
        let claim = tokens(attribute);
        let why = tokens(reason);
        let quotes: Vec<&str> = evidence.iter().map(String::as_str).filter(|q| !q.trim().is_empty()).collect();
        let quoted = tokens(&quotes.join(" "));
        let mut f = Vec::with_capacity(self.width());
        for (groups, words) in [(&self.attribute, &claim), (&self.reason, &why), (&self.quotes, &quoted)] {
            f.extend(groups.iter().map(|g| capped(g.phrases.iter().map(|p| occurrences(words, &tokens(p))).sum())));
        }
        let stop: HashSet<&str> = self.stopwords.iter().map(String::as_str).collect();
        let content: Vec<&String> =
            claim.iter().filter(|w| !stop.contains(w.as_str()) && w.chars().count() >= 3).collect();
        let stems: HashSet<String> = why.iter().chain(&quoted).map(|w| stem(w)).collect();
        let found = content.iter().filter(|w| stems.contains(&stem(w))).count();
        f.push(quotes.len().min(2) as f32 / 2.0);
        f.push(found as f32 / content.len().max(1) as f32);
        f.push(claim.len().min(30) as f32 / 30.0);
        f.push(why.len().min(40) as f32 / 40.0);
        f.iter_mut().for_each(|x| *x *= self.scale);
        f
    }
}

/// How many times `phrase` occurs in `words` as consecutive whole words.
fn occurrences(words: &[String], phrase: &[String]) -> usize {
    if phrase.is_empty() || phrase.len() > words.len() {
        return 0;
    }
    words.windows(phrase.len()).filter(|w| *w == phrase).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let g =
            |name: &str, p: &[&str]| Group { group: name.into(), phrases: p.iter().map(|s| s.to_string()).collect() };
        Lexicon {
            about: String::new(),
            scale: 3.0,
            attribute: vec![g("intensifier", &["passionate", "die-hard"])],
            reason: vec![g("single", &["once", "asked for a"])],
            quotes: vec![g("self", &["i'm"])],
            stopwords: vec!["the".into(), "user".into(), "about".into()],
        }
    }

    #[test]
    fn counts_whole_words_and_phrases() {
        let f = lexicon().features(
            "The user is a passionate, die-hard fan of Poetry.",
            "They asked for a poem ONCE, once.",
            &["I'm no poet".into(), " ".into()],
        );
        assert_eq!(f.len(), lexicon().width());
        // intensifier: passionate + die-hard = 2 of 3; single: "asked for a" + 2 x "once" = 3.
        assert_eq!(&f[..3], &[2.0, 3.0, 1.0]);
        // one non-empty quote; claim words passionate, die, hard, fan, poetry: "poetr" != "poem".
        assert_eq!(f[3], 1.5);
        assert_eq!(f[4], 0.0);
        assert_eq!(f[5], 10.0 / 30.0 * 3.0);
    }

    #[test]
    fn shared_stems_count_as_found() {
        let f = lexicon().features("The user gardens.", "They talk about their garden.", &[]);
        assert_eq!(f[4], 3.0);
        assert_eq!(lexicon().features("", "", &[]), vec![0.0; 7]);
    }
}
