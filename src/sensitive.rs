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

use serde::{Deserialize, Serialize};

use crate::attribute::Sensitivity;
use crate::error::{Error, Result};

/// The user's choices, stored with their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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

/// Terms per category; a term with a space matches as a phrase, one ending in
/// `*` as a prefix (`diagnos*` matches "diagnosed", "diagnosis").
const TERMS: [(Sensitivity, &[&str]); 7] = [
    (
        Sensitivity::Health,
        &[
            "health",
            "illness",
            "ill",
            "disease",
            "disorder",
            "diagnos*",
            "symptom*",
            "medication*",
            "medicine",
            "prescription*",
            "therapy",
            "therapist",
            "psychiatr*",
            "depress*",
            "anxiety",
            "adhd",
            "autis*",
            "bipolar",
            "diabet*",
            "cancer",
            "tumor",
            "tumour",
            "hiv",
            "pregnan*",
            "miscarriage",
            "disabilit*",
            "disabled",
            "chronic",
            "surgery",
            "hospital*",
            "allerg*",
            "asthma",
            "epilep*",
            "mental",
            "suicid*",
            "addict*",
            "eating disorder",
            "insomnia",
            "migraine*",
            "injur*",
            "infertil*",
            "ivf",
        ],
    ),
    (
        Sensitivity::Religion,
        &[
            "religio*",
            "faith",
            "church",
            "mosque",
            "synagogue",
            "temple",
            "christian*",
            "catholic*",
            "protestant*",
            "muslim*",
            "islam*",
            "jewish",
            "judaism",
            "hindu*",
            "buddhis*",
            "sikh*",
            "atheis*",
            "agnostic",
            "pray*",
            "bible",
            "quran",
            "koran",
            "torah",
            "god",
            "spiritual*",
            "ramadan",
            "kosher",
            "halal",
        ],
    ),
    (
        Sensitivity::Sexuality,
        &[
            "gay",
            "lesbian",
            "bisexual",
            "homosexual*",
            "heterosexual*",
            "queer",
            "lgbt*",
            "transgender",
            "trans",
            "nonbinary",
            "non-binary",
            "asexual",
            "sexual orientation",
            "sexuality",
            "coming out",
            "same-sex",
            "sex life",
            "sexual",
        ],
    ),
    (
        Sensitivity::Ethnicity,
        &[
            "ethnic*",
            "race",
            "racial",
            "african american",
            "hispanic",
            "latino",
            "latina",
            "latinx",
            "caucasian",
            "indigenous",
            "native american",
            "arab",
            "immigrant*",
            "refugee*",
            "nationality",
            "roma",
        ],
    ),
    (
        Sensitivity::Politics,
        &[
            "politic*",
            "democrat*",
            "republican*",
            "liberal*",
            "conservative*",
            "socialis*",
            "communis*",
            "libertarian*",
            "left-wing",
            "right-wing",
            "vote*",
            "voting",
            "voter",
            "election*",
            "activis*",
            "protest*",
            "union member",
            "trade union",
            "party member",
        ],
    ),
    (
        Sensitivity::Finance,
        &[
            "income",
            "salary",
            "salaries",
            "wage*",
            "debt*",
            "loan*",
            "mortgage*",
            "bankrupt*",
            "credit score",
            "credit card debt",
            "savings",
            "net worth",
            "wealth*",
            "poverty",
            "unemployed",
            "unemployment",
            "welfare",
            "benefits claimant",
            "tax return*",
            "financial difficult*",
            "broke",
            "invest*",
        ],
    ),
    (
        Sensitivity::Location,
        &[
            "lives in",
            "lives at",
            "living in",
            "home address",
            "street address",
            "postal address",
            "zip code",
            "postcode",
            "postal code",
            "neighborhood",
            "neighbourhood",
            "home town",
            "hometown",
            "located in",
            "resides",
            "apartment number",
        ],
    ),
];

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches("'s").to_string())
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

/// The first category (in the order above) whose terms occur in `text`.
pub fn classify(text: &str) -> Sensitivity {
    let words = words(text);
    TERMS
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
    fn none_is_always_allowed_others_only_when_listed() {
        assert!(is_allowed(Sensitivity::None, &[]));
        assert!(!is_allowed(Sensitivity::Health, &[]));
        assert!(is_allowed(Sensitivity::Health, &[Sensitivity::Health]));
        assert!(!is_allowed(Sensitivity::Finance, &[Sensitivity::Health]));
    }
}
