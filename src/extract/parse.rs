//! Chat models wrap JSON in code fences and prose, so the parser looks for
//! the JSON; but once found, every field must have the asked-for type: a
//! half-understood reply must not put guesses about a person into storage.

use serde_json::{Map, Value};

use super::Candidate;
use crate::attribute::{MAX_EVIDENCE_CHARS, MAX_EVIDENCE_ITEMS, MAX_REASON_CHARS, MAX_TEXT_CHARS};
use crate::error::{Error, Result};

pub const MAX_REPLY_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_CANDIDATES: usize = 100;
/// Places in the reply where a JSON value is tried; bounds the work on a
/// long reply full of brackets.
const MAX_STARTS: usize = 32;

fn bad(msg: impl Into<String>) -> Error {
    Error::BadExtraction(msg.into())
}

/// The candidates in a chat model's reply to `extraction_prompt`.
/// An empty array is a valid answer (nothing worth keeping).
pub fn parse_extraction(reply: &str) -> Result<Vec<Candidate>> {
    if reply.len() > MAX_REPLY_BYTES {
        return Err(bad(format!("the reply is {} bytes; the limit is {MAX_REPLY_BYTES}", reply.len())));
    }
    if reply.trim().is_empty() {
        return Err(bad("the reply is empty"));
    }
    let list = find_list(reply)?;
    if list.len() > MAX_CANDIDATES {
        return Err(bad(format!("{} candidates; at most {MAX_CANDIDATES} per reply", list.len())));
    }
    list.iter().enumerate().map(|(i, v)| candidate(i + 1, v)).collect()
}

/// The fenced blocks first (where models are told to put code), then the
/// whole reply; the first JSON value that is an array, or an object with an
/// `attributes` array, wins.
fn find_list(reply: &str) -> Result<Vec<Value>> {
    let mut found_json = None;
    for region in fenced_blocks(reply).into_iter().chain([reply]) {
        // A value that parsed is skipped whole: an array inside a rejected object is not the answer.
        let mut parsed_to = 0;
        let mut tries = 0;
        for (start, _) in region.match_indices(['[', '{']) {
            if start < parsed_to {
                continue;
            }
            tries += 1;
            if tries > MAX_STARTS {
                break;
            }
            let mut values = serde_json::Deserializer::from_str(&region[start..]).into_iter::<Value>();
            let Some(Ok(value)) = values.next() else { continue };
            parsed_to = start + values.byte_offset();
            match value {
                // `[1]` in prose is a citation, not an answer.
                Value::Array(items) if items.is_empty() || !items.iter().all(Value::is_number) => return Ok(items),
                Value::Object(mut map) => match map.remove("attributes") {
                    Some(Value::Array(items)) => return Ok(items),
                    _ => found_json = found_json.or(Some("a JSON object without an `attributes` array")),
                },
                _ => {}
            }
        }
    }
    Err(bad(match found_json {
        Some(what) => format!("found {what}, expected a JSON array of attributes"),
        None => "no JSON array of attributes found in the reply".to_string(),
    }))
}

fn fenced_blocks(reply: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = reply;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // The info string (`json`) runs to the end of the fence's line.
        let body_start = after.find('\n').map_or(after.len(), |n| n + 1);
        let body = &after[body_start..];
        let Some(close) = body.find("```") else { break };
        blocks.push(&body[..close]);
        rest = &body[close + 3..];
    }
    blocks
}

fn candidate(n: usize, value: &Value) -> Result<Candidate> {
    let Value::Object(map) = value else {
        return Err(bad(format!("candidate {n} is {}, expected an object", kind(value))));
    };
    let text = |field: &str, max: usize| -> Result<String> {
        match map.get(field) {
            Some(Value::String(s)) if s.trim().is_empty() => Err(bad(format!("candidate {n}: `{field}` is empty"))),
            Some(Value::String(s)) if s.chars().count() > max => {
                Err(bad(format!("candidate {n}: `{field}` is longer than {max} characters")))
            }
            Some(Value::String(s)) => Ok(s.trim().to_string()),
            Some(other) => Err(bad(format!("candidate {n}: `{field}` is {}, expected a string", kind(other)))),
            None => Err(bad(format!("candidate {n}: `{field}` is missing"))),
        }
    };
    Ok(Candidate {
        attribute: text("attribute", MAX_TEXT_CHARS)?,
        reason: text("reason", MAX_REASON_CHARS)?,
        evidence: evidence(n, map)?,
        confidence: confidence(n, map)?,
    })
}

fn evidence(n: usize, map: &Map<String, Value>) -> Result<Vec<String>> {
    let items = match map.get("evidence") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(bad(format!("candidate {n}: `evidence` is {}, expected an array of strings", kind(other))))
        }
        None => return Err(bad(format!("candidate {n}: `evidence` is missing"))),
    };
    if items.len() > MAX_EVIDENCE_ITEMS {
        return Err(bad(format!("candidate {n}: more than {MAX_EVIDENCE_ITEMS} evidence quotes")));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if s.chars().count() > MAX_EVIDENCE_CHARS => {
                Err(bad(format!("candidate {n}: an evidence quote is longer than {MAX_EVIDENCE_CHARS} characters")))
            }
            Value::String(s) => Ok(s.trim().to_string()),
            other => Err(bad(format!("candidate {n}: an evidence entry is {}, expected a string", kind(other)))),
        })
        .filter(|q| q.as_ref().map_or(true, |q| !q.is_empty()))
        .collect()
}

fn confidence(n: usize, map: &Map<String, Value>) -> Result<f64> {
    match map.get("confidence") {
        Some(Value::Number(x)) => match x.as_f64() {
            Some(c) if (0.0..=1.0).contains(&c) => Ok(c),
            _ => Err(bad(format!("candidate {n}: `confidence` {x} is not within 0..1"))),
        },
        Some(other) => Err(bad(format!("candidate {n}: `confidence` is {}, expected a number", kind(other)))),
        None => Err(bad(format!("candidate {n}: `confidence` is missing"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
