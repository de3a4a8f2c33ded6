//! The export file format, and the validation an import file must pass before
//! anything is written.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::attribute::Attribute;
use crate::error::{Error, Result};

pub const FORMAT: &str = "discreet.attributes";
/// Version 2 added history (`observedAt`, `supersededBy`, ...); version 1 files still import.
pub const FORMAT_VERSION: u32 = 2;
const OLDEST_VERSION: u32 = 1;
/// A profile of thousands of attributes is a few MB; anything far larger is
/// not an export of ours and would only exhaust memory.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;
pub const MAX_IMPORT_ATTRIBUTES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportFile {
    pub format: String,
    pub version: u32,
    pub exported_at: f64,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Keep what is stored; imported attributes with a known id replace it,
    /// ones that duplicate a stored text under another id are skipped.
    #[default]
    Merge,
    /// The store ends up holding exactly the file's attributes.
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Attributes the file added.
    pub added: u32,
    /// Stored attributes the file overwrote (same id).
    pub replaced: u32,
    /// Entries whose text a stored attribute under another id already has, left out.
    pub skipped: u32,
}

pub fn to_json(attributes: Vec<Attribute>, now_ms: f64) -> Result<String> {
    let file = ExportFile { format: FORMAT.into(), version: FORMAT_VERSION, exported_at: now_ms, attributes };
    serde_json::to_string_pretty(&file).map_err(|e| Error::Storage(format!("cannot serialize export: {e}")))
}

/// Parses and fully validates an export file; returns its attributes.
pub fn parse(json: &str) -> Result<Vec<Attribute>> {
    if json.len() > MAX_IMPORT_BYTES {
        return Err(Error::invalid(format!("import file is {} bytes; the limit is {MAX_IMPORT_BYTES}", json.len())));
    }
    if json.trim().is_empty() {
        return Err(Error::invalid("import file is empty"));
    }
    // Check the header first so a foreign JSON file gets a clear message
    // instead of a complaint about its first unexpected field.
    let header: serde_json::Value =
        serde_json::from_str(json).map_err(|e| Error::invalid(format!("import file is not valid JSON: {e}")))?;
    if header.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(Error::invalid(format!("not a Discreet export: \"format\" must be {FORMAT:?}")));
    }
    match header.get("version").and_then(|v| v.as_u64()) {
        Some(v) if (u64::from(OLDEST_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v) => {}
        Some(v) => {
            return Err(Error::invalid(format!(
                "export format version {v} is not supported (this build reads {OLDEST_VERSION} to {FORMAT_VERSION})"
            )))
        }
        None => return Err(Error::invalid("export file has no numeric \"version\"")),
    }
    let mut file: ExportFile = serde_json::from_value(header)
        .map_err(|e| Error::invalid(format!("import file does not match the export format: {e}")))?;
    file.attributes = file.attributes.into_iter().map(Attribute::upgraded).collect();
    if file.attributes.len() > MAX_IMPORT_ATTRIBUTES {
        return Err(Error::invalid(format!("import file holds more than {MAX_IMPORT_ATTRIBUTES} attributes")));
    }
    let mut ids = HashSet::new();
    let mut norms = HashSet::new();
    for (i, a) in file.attributes.iter().enumerate() {
        a.validate().map_err(|e| Error::invalid(format!("attributes[{i}]: {e}")))?;
        if !ids.insert(a.id.as_str()) {
            return Err(Error::invalid(format!("attributes[{i}]: id {:?} appears twice", a.id)));
        }
        if !norms.insert(a.normalized()) {
            return Err(Error::invalid(format!("attributes[{i}]: text {:?} appears twice", a.text)));
        }
    }
    Ok(file.attributes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::NewAttribute;

    fn sample() -> Vec<Attribute> {
        ["The user is a nurse.", "The user is vegetarian."]
            .iter()
            .enumerate()
            .map(|(i, t)| NewAttribute::text(*t).into_attribute(format!("a{i}"), 1.0).unwrap())
            .collect()
    }

    #[test]
    fn round_trip() {
        let json = to_json(sample(), 2.0).unwrap();
        assert_eq!(parse(&json).unwrap(), sample());
    }

    #[test]
    fn rejects_foreign_and_malformed_files() {
        for bad in [
            "",
            "   ",
            "{",
            "[]",
            "null",
            r#"{"format":"other","version":1,"attributes":[]}"#,
            r#"{"format":"discreet.attributes","version":3,"exportedAt":0,"attributes":[]}"#,
            r#"{"format":"discreet.attributes","version":0,"exportedAt":0,"attributes":[]}"#,
            r#"{"format":"discreet.attributes","version":1,"exportedAt":0,"attributes":[{"id":"x"}]}"#,
            r#"{"format":"discreet.attributes","version":1,"exportedAt":0,"attributes":{}}"#,
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code(), "E_INVALID_INPUT", "{bad}");
        }
    }

    #[test]
    fn rejects_duplicates_and_invalid_records_inside_the_file() {
        let mut attrs = sample();
        attrs[1].text = "the user is a NURSE".into();
        assert!(parse(&to_json(attrs, 0.0).unwrap()).unwrap_err().to_string().contains("appears twice"));

        let mut attrs = sample();
        attrs[1].id = "a0".into();
        assert!(parse(&to_json(attrs, 0.0).unwrap()).unwrap_err().to_string().contains("appears twice"));

        let mut attrs = sample();
        attrs[0].text = String::new();
        assert!(parse(&to_json(attrs, 0.0).unwrap()).unwrap_err().to_string().contains("attributes[0]"));

        let mut attrs = sample();
        attrs[1].verifier_score = Some(7.0);
        assert!(parse(&to_json(attrs, 0.0).unwrap()).unwrap_err().to_string().contains("attributes[1]"));
    }

    fn with_times(created: &str, updated: &str) -> String {
        let json = to_json(sample(), 0.0).unwrap();
        let (c, u) = (format!("\"createdAt\": {created}"), format!("\"updatedAt\": {updated}"));
        json.replacen("\"createdAt\": 1.0", &c, 1).replacen("\"updatedAt\": 1.0", &u, 1)
    }

    #[test]
    fn times_must_be_whole_milliseconds_a_date_can_hold() {
        assert!(parse(&with_times("1733011200000", "1733011200000")).is_ok());
        assert!(parse(&with_times("0", "8640000000000000")).is_ok());
        // The import_file fuzz target's find: a 60-digit time parsed, then changed on export.
        let huge = "444444444444444444444444444444444444444444444444444444444444";
        for (created, updated) in [(huge, huge), ("1.5", "2"), ("-1", "0"), ("8640000000000001", "8640000000000001")] {
            let err = parse(&with_times(created, updated)).unwrap_err();
            assert_eq!(err.code(), "E_INVALID_INPUT");
            assert!(err.to_string().contains("whole milliseconds"), "{err}");
        }
        let err = parse(&with_times("20", "10")).unwrap_err();
        assert!(err.to_string().contains("createdAt is later than updatedAt"), "{err}");
    }

    #[test]
    fn stored_floats_survive_the_round_trip_exactly() {
        // serde_json's default parser turns this into the neighbouring double.
        let mut attrs = sample();
        attrs[0].verifier_score = Some(0.9856906946328695);
        let back = parse(&to_json(attrs.clone(), 0.0).unwrap()).unwrap();
        assert_eq!(back[0].verifier_score.unwrap().to_bits(), 0.9856906946328695f64.to_bits());
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x >> 11) as f64 / (1u64 << 53) as f64;
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<f64>(&text).unwrap().to_bits(), v.to_bits(), "{text}");
        }
    }

    #[test]
    fn wrong_types_are_rejected() {
        let json = to_json(sample(), 0.0).unwrap().replace("\"unverified\"", "3");
        assert_eq!(parse(&json).unwrap_err().code(), "E_INVALID_INPUT");
    }
}
