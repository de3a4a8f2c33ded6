//! The study export: one JSON object a line, tagged by `stage` (the paper's three stages). The
//! study page (`www/study/items.js`) and `exportJudgments` write it; `verifier.py --judgments`,
//! `discreet eval relevance` and `discreet verify` read it. These types are its one definition:
//! the package's TypeScript declarations are generated from them, `export_lines` in `review.rs`
//! writes through them, and the study page's output is read back through `read_export` in the
//! package's tests, so neither writer can drift from what the readers expect.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::review::ReviewLabel;
use crate::verify::ProblemKind;
use crate::Verdict;

/// Most lines one export may hold: a study of a few hundred items per participant, with room.
pub const MAX_LINES: usize = 100_000;
/// Largest export read: UTF-8 bytes here, and UTF-16 units at the wasm boundary, where a longer
/// string is refused before it is copied.
pub const MAX_EXPORT_BYTES: usize = 64 * 1024 * 1024;

/// One line of a study export: a judge's answer to one item of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum StudyLine {
    Attribute(AttributeLine),
    Relevance(RelevanceLine),
    Response(ResponseLine),
}

/// Stage 1: is this extracted attribute acceptable?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct AttributeLine {
    /// The study's name; absent in a device's export of the user's own review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub study: Option<String>,
    /// Who judged: a participant's code, or `device` for the user reviewing their own profile.
    pub participant: String,
    /// Whose attribute it is.
    pub user: String,
    /// Milliseconds since the Unix epoch; a device's export leaves times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub at: Option<f64>,
    pub attribute: String,
    #[serde(default)]
    pub reason: String,
    /// The user's own words the extractor quoted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", ts(as = "Option<Vec<String>>", optional))]
    pub evidence: Vec<String>,
    pub label: ReviewLabel,
    /// What was wrong with it, when the judge said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub kind: Option<ProblemKind>,
    /// The verifier's verdict and score, when a device recorded what the user judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub verifier_score: Option<f64>,
    #[serde(default)]
    pub note: String,
}

/// Stage 2: should this attribute change the response to the prompt in any way?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RelevanceLine {
    pub study: String,
    pub participant: String,
    pub user: String,
    pub at: f64,
    pub prompt_id: String,
    pub prompt: String,
    pub attribute: String,
    #[serde(default)]
    pub reason: String,
    pub relevant: bool,
    #[serde(default)]
    pub note: String,
}

/// The two responses a stage-3 item shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    Personalized,
    Generic,
}

/// Stage 3: which of two responses is better, the personalized or the generic one?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ResponseLine {
    pub study: String,
    pub participant: String,
    pub user: String,
    pub at: f64,
    pub prompt_id: String,
    pub prompt: String,
    /// The order the two were shown in.
    pub order: [Shown; 2],
    /// 1 = the first shown is much better ... 5 = the second is much better.
    pub rating: u8,
    /// The same judgment on a fixed scale: 5 = the personalized one is much better.
    pub personalized_preference: u8,
    #[serde(default)]
    pub note: String,
}

impl ResponseLine {
    fn check(&self) -> Result<()> {
        if !(1..=5).contains(&self.rating) {
            return Err(Error::invalid(format!("rating is {}; it must be 1 to 5", self.rating)));
        }
        if self.order[0] == self.order[1] {
            return Err(Error::invalid("order must show the personalized and the generic response once each"));
        }
        let expected = if self.order[1] == Shown::Personalized { self.rating } else { 6 - self.rating };
        if self.personalized_preference != expected {
            return Err(Error::invalid(format!(
                "personalized_preference is {}; rating {} with this order means {expected}",
                self.personalized_preference, self.rating
            )));
        }
        Ok(())
    }
}

impl StudyLine {
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Storage(format!("cannot write a study line: {e}")))
    }
}

/// Every line of an export, checked: the first that is not a line of one of the three stages (an
/// unknown stage or field, a missing one, a bad label, an inconsistent rating) fails the whole read,
/// naming its line number. Blank lines are skipped.
pub fn read_export(text: &str) -> Result<Vec<StudyLine>> {
    if text.len() > MAX_EXPORT_BYTES {
        return Err(Error::invalid(format!("the export is {} bytes; the limit is {MAX_EXPORT_BYTES}", text.len())));
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        if out.len() == MAX_LINES {
            return Err(Error::invalid(format!("an export holds at most {MAX_LINES} lines")));
        }
        let n = i + 1;
        let parsed: StudyLine = serde_json::from_str(line).map_err(|e| Error::invalid(format!("line {n}: {e}")))?;
        if let StudyLine::Response(r) = &parsed {
            r.check().map_err(|e| match e {
                Error::InvalidInput(m) => Error::invalid(format!("line {n}: {m}")),
                other => other,
            })?;
        }
        out.push(parsed);
    }
    Ok(out)
}
