//! Human relevance judgments in the shared JSONL format (one pair a line:
//! `prompt`, `attribute`, `relevant`, optional `reason` and `llm_votes`).
//! The study page's export mixes stages, each line tagged with `stage`
//! (`attribute`, `relevance`, `response`); lines of other stages are skipped.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RelevanceJudgment {
    /// Who the attribute belongs to; with the prompt it names the list the pair was judged in.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub prompt_id: Option<String>,
    /// Authored concrete-fact data: the prompt's group and the pair's kind (`fact`, `near_miss`,
    /// `other_fact`, `trait`), so a report can say which kinds get through.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    pub prompt: String,
    pub attribute: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// The human majority: should this attribute change the answer?
    pub relevant: bool,
    #[serde(default)]
    pub llm_votes: BTreeMap<String, bool>,
}

impl RelevanceJudgment {
    /// The list this pair was ranked in: one user's attributes for one prompt.
    pub fn list_key(&self) -> String {
        let prompt = self.prompt_id.as_deref().or(self.group.as_deref()).unwrap_or(&self.prompt);
        format!("{}\u{1f}{prompt}", self.user.as_deref().unwrap_or(""))
    }
}

/// Reads every line; the first bad one fails the whole read with its line number.
pub fn read_relevance(reader: impl BufRead) -> Result<Vec<RelevanceJudgment>> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| Error::invalid(format!("line {n}: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| Error::invalid(format!("line {n}: {e}")))?;
        // A study export holds every stage; this reader takes the relevance lines.
        if value.get("stage").is_some_and(|s| s != "relevance") {
            continue;
        }
        let j: RelevanceJudgment =
            serde_json::from_value(value).map_err(|e| Error::invalid(format!("line {n}: {e}")))?;
        if j.prompt.trim().is_empty() || j.attribute.trim().is_empty() {
            return Err(Error::invalid(format!("line {n}: empty prompt or attribute")));
        }
        out.push(j);
    }
    if out.is_empty() {
        return Err(Error::invalid("no judgments in the file"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shared_format() {
        let data = r#"{"user":"u1","prompt":"p","attribute":"a","reason":"r","relevant":true,"llm_votes":{"gpt-5.4":false}}

{"stage":"attribute","attribute":"a","label":"ok"}
{"stage":"relevance","prompt":"p2","attribute":"a2","relevant":false}"#;
        let j = read_relevance(data.as_bytes()).unwrap();
        assert_eq!(j.len(), 2);
        assert!(!j[0].llm_votes["gpt-5.4"]);
        assert!(!j[1].relevant);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        for (data, needle) in [
            ("{\"prompt\":\"p\",\"attribute\":\"a\",\"relevant\":true}\n{oops", "line 2"),
            ("{\"prompt\":\"p\",\"attribute\":\"a\"}", "missing field `relevant`"),
            ("{\"prompt\":\"p\",\"attribute\":\"a\",\"relevant\":\"yes\"}", "line 1"),
            ("{\"prompt\":\" \",\"attribute\":\"a\",\"relevant\":true}", "empty prompt"),
            ("", "no judgments"),
        ] {
            let err = read_relevance(data.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let bytes: &[u8] = b"{\"prompt\":\"\xff\",\"attribute\":\"a\",\"relevant\":true}";
        assert!(read_relevance(bytes).unwrap_err().to_string().contains("line 1"));
    }
}
