//! The payload shapes are hand-written in crates/web/src/shapes.d.ts (each format's fields, more
//! exactly than the core's `Request` names them); they must name exactly the fields and format tag
//! that `compose` serializes. The other records are generated (crates/typescript).

use std::collections::BTreeSet;

use discreet::compose::{compose, PayloadFormat};
use discreet::{Attribute, NewAttribute};
use serde::Serialize;

const DTS: &str = include_str!("../crates/web/src/shapes.d.ts");

/// Field names of `export interface NAME { ... }`.
fn ts_fields(name: &str) -> BTreeSet<String> {
    let start = DTS.find(&format!("export interface {name} ")).unwrap_or_else(|| panic!("no interface {name}"));
    let body = &DTS[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("/**") && !l.starts_with('*'))
        .map(|l| l.split([':', '?']).next().unwrap().trim().to_string())
        .collect()
}

fn json_fields<T: Serialize>(value: &T) -> BTreeSet<String> {
    serde_json::to_value(value).unwrap().as_object().unwrap().keys().cloned().collect()
}

fn attribute() -> Attribute {
    NewAttribute::text("The user is a nurse.").into_attribute("a".into(), 1.0).unwrap()
}

#[test]
fn payload_shapes_match_compose() {
    let a = attribute();
    let interfaces = [
        (PayloadFormat::Openai, "OpenaiPayload"),
        (PayloadFormat::OpenaiResponses, "OpenaiResponsesPayload"),
        (PayloadFormat::Anthropic, "AnthropicPayload"),
        (PayloadFormat::AiSdk, "AiSdkPayload"),
        (PayloadFormat::Text, "TextPayload"),
        (PayloadFormat::Selection, "SelectionPayload"),
    ];
    assert_eq!(interfaces.len(), PayloadFormat::ALL.len());
    let union = &DTS[DTS.find("export type Payload =").unwrap()..];
    let union = &union[..union.find(';').unwrap()];
    for (format, name) in interfaces {
        let (payload, _) = compose("p", &[&a], &format.into());
        assert_eq!(ts_fields(name), json_fields(&payload), "{name}");
        let dts_format = DTS[DTS.find(&format!("export interface {name} ")).unwrap()..]
            .lines()
            .find(|l| l.trim_start().starts_with("format:"))
            .unwrap()
            .split('"')
            .nth(1)
            .unwrap()
            .to_string();
        assert_eq!(serde_json::to_value(format).unwrap(), dts_format.as_str(), "{name}");
        assert!(union.contains(name), "Payload lacks {name}");
    }
    let (payload, _) = compose("p", &[&a], &PayloadFormat::Openai.into());
    let messages = &serde_json::to_value(&payload).unwrap()["messages"];
    assert_eq!(ts_fields("UserMessage"), json_fields(&messages[1]));
    assert_eq!(messages[1]["role"], "user");
}
