//! What Discreet knows about a user: one third-person sentence per attribute,
//! with where it came from and what the verifier thought of it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Caps keep one hostile or buggy caller from filling the user's quota or
/// blowing up a prompt payload; an attribute is one sentence, not a document.
pub const MAX_TEXT_CHARS: usize = 500;
pub const MAX_REASON_CHARS: usize = 2_000;
pub const MAX_EVIDENCE_ITEMS: usize = 20;
pub const MAX_EVIDENCE_CHARS: usize = 1_000;
pub const MAX_ID_CHARS: usize = 128;
pub const MAX_MESSAGE_IDS: usize = 200;
/// The largest time a JS `Date` can hold (ECMAScript's time value range, 100 million days after
/// the epoch). Stored times are whole milliseconds in `0..=MAX_TIME_MS`, the only ones
/// `Date.now()` produces, so every time an import accepts survives a round trip exactly.
pub const MAX_TIME_MS: f64 = 8.64e15;

/// A host clock reading as a stored time: whole milliseconds inside the stored range (a native
/// clock has sub-millisecond digits; a broken one may be negative or NaN).
pub fn clock_ms(raw: f64) -> f64 {
    if raw.is_nan() {
        return 0.0;
    }
    raw.floor().clamp(0.0, MAX_TIME_MS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Not seen by the verifier yet (for example typed in by the user).
    #[default]
    Unverified,
    Accepted,
    /// The verifier was unsure: the user should confirm before it is used.
    Review,
    Rejected,
}

impl Verdict {
    /// Whether an attribute with this verdict may be sent to a chat model:
    /// rejected ones never, ones awaiting review only when the caller asks.
    pub fn is_usable(self, include_review: bool) -> bool {
        match self {
            Verdict::Accepted | Verdict::Unverified => true,
            Verdict::Review => include_review,
            Verdict::Rejected => false,
        }
    }

    pub const ALL: [Verdict; 4] = [Verdict::Unverified, Verdict::Accepted, Verdict::Review, Verdict::Rejected];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    #[default]
    None,
    Health,
    Religion,
    Sexuality,
    Ethnicity,
    Politics,
    Finance,
    Location,
    Other,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 9] = [
        Sensitivity::None,
        Sensitivity::Health,
        Sensitivity::Religion,
        Sensitivity::Sexuality,
        Sensitivity::Ethnicity,
        Sensitivity::Politics,
        Sensitivity::Finance,
        Sensitivity::Location,
        Sensitivity::Other,
    ];
}

/// Where an attribute was learned: which conversation, which of its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source {
    pub conversation_id: String,
    /// The ids of the messages whose words are its evidence.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<Vec<String>>", optional))]
    pub message_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attribute {
    pub id: String,
    pub text: String,
    /// The extractor's explanation of why this holds.
    pub reason: Option<String>,
    /// Quotes of the user's own words that support it.
    pub evidence: Vec<String>,
    pub source: Option<Source>,
    /// Milliseconds since the Unix epoch.
    pub created_at: f64,
    /// Milliseconds since the Unix epoch: the last change of text or verdict.
    pub updated_at: f64,
    pub verdict: Verdict,
    /// The verifier's probability that a human would accept it, when it judged the text.
    pub verifier_score: Option<f64>,
    pub sensitivity: Sensitivity,
    /// The user changed the text by hand: it is theirs now, not the extractor's.
    pub user_edited: bool,
    /// When the conversation said it (the ingest option `observedAt`, else when it was stored);
    /// records from before history existed read their `createdAt`.
    #[serde(default = "unknown_time", deserialize_with = "given_time")]
    pub observed_at: f64,
    /// The last time a conversation said it again (never before `observedAt`).
    #[serde(default)]
    pub confirmed_at: Option<f64>,
    /// After this time the fact no longer holds ("is travelling in Japan this month"): it stays
    /// stored but is never offered.
    #[serde(default)]
    pub expires_at: Option<f64>,
    /// The attribute that replaced this one (it may since have been deleted): this one is
    /// history, kept for the user and never offered or sent.
    #[serde(default)]
    pub superseded_by: Option<String>,
    #[serde(default)]
    pub superseded_at: Option<f64>,
    /// Held for review because it may replace that attribute: accepting it in review replaces it.
    #[serde(default)]
    pub may_replace: Option<String>,
}

/// Marks a record written before `observedAt` existed; `Attribute::upgraded` fills it in.
fn unknown_time() -> f64 {
    -1.0
}

/// A time a file or row spells out: the marker for "absent" is refused, so an explicit
/// `observedAt: -1` is an error, not a record silently dated at its creation.
fn given_time<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    let t = f64::deserialize(d)?;
    if t == unknown_time() {
        return Err(serde::de::Error::custom(format!(
            "observedAt must be whole milliseconds since 1970 within 0..={MAX_TIME_MS}, got {t}"
        )));
    }
    Ok(t)
}

/// What a caller supplies to add an attribute; the store fills in the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAttribute {
    /// One third-person sentence about the user, at most 500 characters.
    pub text: String,
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub reason: Option<String>,
    /// Quotes of the user's own words.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<Vec<String>>", optional))]
    pub evidence: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub source: Option<Source>,
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<Verdict>", optional))]
    pub verdict: Verdict,
    /// Probability from the verifier, within 0..1.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub verifier_score: Option<f64>,
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<Sensitivity>", optional))]
    pub sensitivity: Sensitivity,
    /// When the user said it, in milliseconds since the Unix epoch (default: now).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub observed_at: Option<f64>,
    /// When it stops holding, in milliseconds since the Unix epoch.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub expires_at: Option<f64>,
}

impl NewAttribute {
    pub fn text(text: impl Into<String>) -> Self {
        NewAttribute { text: text.into(), ..Default::default() }
    }
}

/// Control characters and runs of white space carry no meaning in a sentence
/// about a person but would defeat duplicate detection, so they collapse.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The key duplicates are detected on: case, spacing and final punctuation do
/// not make a different fact.
pub fn normalize(text: &str) -> String {
    let cleaned = clean_text(text).to_lowercase();
    cleaned.trim_end_matches(['.', '!', '?', ';', ',']).trim_end().to_string()
}

fn check_len(what: &str, s: &str, max: usize) -> Result<()> {
    let n = s.chars().count();
    if n > max {
        return Err(Error::invalid(format!("{what} is {n} characters; the limit is {max}")));
    }
    Ok(())
}

/// Validates and cleans the text of an attribute, returning the stored form.
pub fn validate_text(text: &str) -> Result<String> {
    let cleaned = clean_text(text);
    if cleaned.is_empty() {
        return Err(Error::invalid("attribute text is empty"));
    }
    check_len("attribute text", &cleaned, MAX_TEXT_CHARS)?;
    Ok(cleaned)
}

fn validate_score(score: Option<f64>) -> Result<()> {
    match score {
        Some(s) if !(s.is_finite() && (0.0..=1.0).contains(&s)) => {
            Err(Error::invalid(format!("verifierScore must be within 0..1, got {s}")))
        }
        _ => Ok(()),
    }
}

fn is_stored_time(t: f64) -> bool {
    (0.0..=MAX_TIME_MS).contains(&t) && t.fract() == 0.0
}

/// A caller-given time: whole milliseconds a JS `Date` can hold.
pub fn validate_time(what: &str, t: Option<f64>) -> Result<()> {
    match t {
        Some(t) if !is_stored_time(t) => Err(Error::invalid(format!(
            "{what} must be whole milliseconds since 1970 within 0..={MAX_TIME_MS}, got {t}"
        ))),
        _ => Ok(()),
    }
}

fn validate_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid(format!("{what} is empty")));
    }
    check_len(what, id, MAX_ID_CHARS)
}

fn validate_source(source: &Option<Source>) -> Result<()> {
    let Some(src) = source else { return Ok(()) };
    validate_id("source.conversationId", &src.conversation_id)?;
    if src.message_ids.len() > MAX_MESSAGE_IDS {
        return Err(Error::invalid(format!("source.messageIds has more than {MAX_MESSAGE_IDS} entries")));
    }
    src.message_ids.iter().try_for_each(|m| validate_id("source.messageIds entry", m))
}

fn validate_support(reason: &Option<String>, evidence: &[String]) -> Result<()> {
    if let Some(r) = reason {
        check_len("reason", r, MAX_REASON_CHARS)?;
    }
    if evidence.len() > MAX_EVIDENCE_ITEMS {
        return Err(Error::invalid(format!("evidence has more than {MAX_EVIDENCE_ITEMS} quotes")));
    }
    evidence.iter().try_for_each(|q| check_len("evidence quote", q, MAX_EVIDENCE_CHARS))
}

impl NewAttribute {
    /// Checks every field and returns the attribute as it will be stored.
    pub fn into_attribute(self, id: String, now_ms: f64) -> Result<Attribute> {
        let text = validate_text(&self.text)?;
        validate_support(&self.reason, &self.evidence)?;
        validate_source(&self.source)?;
        validate_score(self.verifier_score)?;
        validate_time("observedAt", self.observed_at)?;
        validate_time("expiresAt", self.expires_at)?;
        let now = clock_ms(now_ms);
        Ok(Attribute {
            id,
            text,
            reason: self.reason,
            evidence: self.evidence,
            source: self.source,
            created_at: now,
            updated_at: now,
            verdict: self.verdict,
            verifier_score: self.verifier_score,
            sensitivity: self.sensitivity,
            user_edited: false,
            observed_at: self.observed_at.unwrap_or(now),
            confirmed_at: None,
            expires_at: self.expires_at,
            superseded_by: None,
            superseded_at: None,
            may_replace: None,
        })
    }
}

impl Attribute {
    /// Full validation of a stored-form attribute, as read from an import file.
    pub fn validate(&self) -> Result<()> {
        validate_id("id", &self.id)?;
        if validate_text(&self.text)? != self.text {
            return Err(Error::invalid(format!(
                "attribute {:?}: text has stray white space or control characters",
                self.id
            )));
        }
        validate_support(&self.reason, &self.evidence)?;
        validate_source(&self.source)?;
        validate_score(self.verifier_score)?;
        let in_attribute = |e: Error| match e {
            Error::InvalidInput(m) => Error::invalid(format!("attribute {:?}: {m}", self.id)),
            other => other,
        };
        for (what, t) in [
            ("createdAt", Some(self.created_at)),
            ("updatedAt", Some(self.updated_at)),
            ("observedAt", Some(self.observed_at)),
            ("confirmedAt", self.confirmed_at),
            ("expiresAt", self.expires_at),
            ("supersededAt", self.superseded_at),
        ] {
            validate_time(what, t).map_err(in_attribute)?;
        }
        if self.created_at > self.updated_at {
            return Err(Error::invalid(format!("attribute {:?}: createdAt is later than updatedAt", self.id)));
        }
        if self.superseded_by.is_some() != self.superseded_at.is_some() {
            return Err(Error::invalid(format!("attribute {:?}: supersededBy and supersededAt go together", self.id)));
        }
        for (what, other) in [("supersededBy", &self.superseded_by), ("mayReplace", &self.may_replace)] {
            let Some(other) = other else { continue };
            validate_id(what, other).map_err(in_attribute)?;
            if *other == self.id {
                return Err(Error::invalid(format!("attribute {:?}: {what} names the attribute itself", self.id)));
            }
        }
        Ok(())
    }

    /// A record stored or exported before history existed, with what it lacks filled in; and one
    /// merged by the first history release, which could confirm a record before it was observed
    /// (a conversation older than the record), read with `confirmedAt` no earlier than `observedAt`.
    pub fn upgraded(mut self) -> Self {
        if self.observed_at == unknown_time() {
            self.observed_at = self.created_at;
        }
        self.confirmed_at = self.confirmed_at.map(|c| c.max(self.observed_at));
        self
    }

    /// Records a change at `now` (already through `clock_ms`): a clock set back never dates a
    /// change before the record existed.
    pub fn touch(&mut self, now: f64) {
        self.updated_at = now.max(self.created_at);
    }

    /// Whether it may be offered for a prompt at `now_ms`: not replaced, not expired.
    pub fn is_current(&self, now_ms: f64) -> bool {
        self.superseded_by.is_none() && self.expires_at.is_none_or(|t| t > now_ms)
    }

    pub fn normalized(&self) -> String {
        normalize(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_readings_become_whole_milliseconds_in_range() {
        assert_eq!(clock_ms(1_733_011_200_123.987), 1_733_011_200_123.0);
        assert_eq!(clock_ms(-5.0), 0.0);
        assert_eq!(clock_ms(f64::NAN), 0.0);
        assert_eq!(clock_ms(f64::INFINITY), MAX_TIME_MS);
        let a = NewAttribute::text("The user is a nurse.").into_attribute("a".into(), 12.75).unwrap();
        assert_eq!((a.created_at, a.updated_at), (12.0, 12.0));
        assert!(a.validate().is_ok());
    }

    #[test]
    fn normalize_ignores_case_space_and_final_punctuation() {
        assert_eq!(normalize("  The user  LIKES\tcats. "), "the user likes cats");
        assert_eq!(normalize("The user likes cats"), normalize("the user likes cats!"));
        assert_ne!(normalize("The user likes cats"), normalize("The user likes dogs"));
    }

    #[test]
    fn clean_text_removes_control_characters() {
        assert_eq!(clean_text("a\u{0}b\u{7}\n c"), "a b c");
        assert_eq!(clean_text("\u{1b}[31m"), "[31m");
    }

    #[test]
    fn empty_and_oversized_text_are_rejected() {
        assert_eq!(validate_text(" \n\t ").unwrap_err().code(), "E_INVALID_INPUT");
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(validate_text(&long).unwrap_err().code(), "E_INVALID_INPUT");
        assert!(validate_text(&"x".repeat(MAX_TEXT_CHARS)).is_ok());
    }

    #[test]
    fn scores_outside_unit_interval_are_rejected() {
        for bad in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            let mut n = NewAttribute::text("The user cooks.");
            n.verifier_score = Some(bad);
            assert!(n.into_attribute("a".into(), 0.0).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn verdict_and_sensitivity_serialize_lowercase() {
        let a = NewAttribute::text("The user cooks.").into_attribute("a1".into(), 5.0).unwrap();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["verdict"], "unverified");
        assert_eq!(v["sensitivity"], "none");
        assert_eq!(v["createdAt"], 5.0);
        assert_eq!(v["userEdited"], false);
    }
}
