//! The hand-written TypeScript declarations (crates/web/src/records.d.ts) must name
//! exactly the fields and values that the Rust records serialize to.

use std::collections::BTreeSet;

use discreet::compose::{compose, render_selection, ComposeOptions, PayloadFormat, SharedAttribute};
use discreet::exchange::ImportReport;
use discreet::profile::{Composed, Selection};
use discreet::turn::{Excluded, Exclusion, Turn};
use discreet::{Added, Attribute, Disclosure, Error, ImportMode, NewAttribute, Sensitivity, Source, Verdict};
use serde::Serialize;

const DTS: &str = include_str!("../crates/web/src/records.d.ts");

/// Field names of `export interface NAME { ... }`.
fn ts_fields(name: &str) -> BTreeSet<String> {
    let start = DTS
        .find(&format!("export interface {name} "))
        .or_else(|| DTS.find(&format!("export interface {name}<")))
        .unwrap_or_else(|| panic!("no interface {name}"));
    let body = &DTS[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("/**") && !l.starts_with('*'))
        .map(|l| l.split([':', '?']).next().unwrap().trim().to_string())
        .collect()
}

/// String literals of `export type NAME = "a" | "b";`.
fn ts_union(name: &str) -> BTreeSet<String> {
    let start = DTS.find(&format!("export type {name} =")).unwrap_or_else(|| panic!("no type {name}"));
    let body = &DTS[start..];
    body[..body.find(';').unwrap()].split('"').skip(1).step_by(2).map(String::from).collect()
}

fn json_fields<T: Serialize>(value: &T) -> BTreeSet<String> {
    serde_json::to_value(value).unwrap().as_object().unwrap().keys().cloned().collect()
}

fn json_strings<T: Serialize>(values: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    values.into_iter().map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_string()).collect()
}

fn full_attribute() -> Attribute {
    NewAttribute {
        text: "The user is a nurse.".into(),
        reason: Some("r".into()),
        evidence: vec!["q".into()],
        source: Some(Source { conversation_id: "c".into(), message_ids: vec!["m".into()] }),
        verdict: Verdict::Accepted,
        verifier_score: Some(0.5),
        sensitivity: Sensitivity::Health,
    }
    .into_attribute("a".into(), 1.0)
    .unwrap()
}

fn empty_disclosure() -> Disclosure {
    Disclosure { id: "d".into(), at: 0.0, prompt_hash: String::new(), attribute_ids: vec![], attribute_texts: vec![] }
}

#[test]
fn records_match() {
    let a = full_attribute();
    assert_eq!(ts_fields("Attribute"), json_fields(&a));
    assert_eq!(ts_fields("Source"), json_fields(a.source.as_ref().unwrap()));
    assert_eq!(ts_fields("Added"), json_fields(&Added { attribute: a.clone(), added: true }));
    assert_eq!(ts_fields("ImportReport"), json_fields(&ImportReport::default()));
    assert_eq!(ts_fields("Disclosure"), json_fields(&empty_disclosure()));
    let new = NewAttribute {
        reason: Some("r".into()),
        source: a.source.clone(),
        verifier_score: Some(0.1),
        ..NewAttribute::text("t")
    };
    assert_eq!(ts_fields("NewAttribute"), json_fields(&new));
}

#[test]
fn select_and_compose_records_match() {
    let a = full_attribute();
    let selection = Selection { attribute: a.clone(), score: 0.5 };
    assert_eq!(ts_fields("Selection"), json_fields(&selection));
    let interfaces = [
        (PayloadFormat::Openai, "OpenaiPayload"),
        (PayloadFormat::OpenaiResponses, "OpenaiResponsesPayload"),
        (PayloadFormat::Anthropic, "AnthropicPayload"),
        (PayloadFormat::AiSdk, "AiSdkPayload"),
        (PayloadFormat::Text, "TextPayload"),
        (PayloadFormat::Selection, "SelectionPayload"),
    ];
    assert_eq!(interfaces.len(), PayloadFormat::ALL.len());
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
    }
    let (payload, _) = compose("p", &[&a], &PayloadFormat::Openai.into());
    assert_eq!(ts_fields("Message"), json_fields(&serde_json::to_value(&payload).unwrap()["messages"][0]));
    assert_eq!(ts_fields("UserMessage"), json_fields(&serde_json::to_value(&payload).unwrap()["messages"][1]));
    let options = ComposeOptions {
        system_role: Some(discreet::compose::SystemRole::Developer),
        instructions: Some("i".into()),
        ..ComposeOptions::default()
    };
    assert_eq!(ts_fields("ComposeOptions"), json_fields(&options));
    let shared = SharedAttribute { id: "a".into(), text: "t".into() };
    assert_eq!(ts_fields("SharedAttribute"), json_fields(&shared));
    assert_eq!(ts_fields("Rendered"), json_fields(&render_selection(&[shared], None).unwrap()));
    let withheld = discreet::compose::Withheld { attribute_id: "a".into(), reason: "r".into() };
    assert_eq!(ts_fields("Withheld"), json_fields(&withheld));
    assert_eq!(
        ts_fields("Composed"),
        json_fields(&Composed { payload, disclosure: empty_disclosure(), withheld: vec![withheld] })
    );
    assert_eq!(ts_fields("PrivacySettings"), json_fields(&discreet::sensitive::PrivacySettings::default()));

    let payload = compose("p", &[&a], &PayloadFormat::Openai.into()).0;
    let excluded =
        Excluded { attribute: a.clone(), reason: Exclusion::BelowThreshold, score: Some(0.1), explanation: "e".into() };
    assert_eq!(ts_fields("Excluded"), json_fields(&excluded));
    let turn = Turn {
        selected: vec![Selection { attribute: a.clone(), score: 0.9 }],
        excluded: vec![excluded],
        payload,
        withheld: vec![],
        disclosure: empty_disclosure(),
    };
    assert_eq!(ts_fields("Turn"), json_fields(&turn));
    // TurnOptions extends both option interfaces: the turn's reader takes every field they declare.
    let sample = |field: &str| match field {
        "maxAttributes" => serde_json::json!(3),
        "includeReview" => serde_json::json!(true),
        "threshold" => serde_json::json!(0.5),
        "format" => serde_json::json!("openai"),
        "systemRole" => serde_json::json!("developer"),
        "instructions" => serde_json::json!("i"),
        other => panic!("a new option {other}: add it to TurnArgs and here"),
    };
    let mut fields = ts_fields("SelectOptions");
    fields.extend(ts_fields("ComposeOptions"));
    let all: serde_json::Map<String, serde_json::Value> = fields.iter().map(|f| (f.clone(), sample(f))).collect();
    discreet::arguments::record::<discreet::arguments::TurnArgs>("options", all.into()).unwrap().split().unwrap();
}

#[test]
fn string_unions_match() {
    assert_eq!(ts_union("PayloadFormat"), json_strings(PayloadFormat::ALL));
    assert_eq!(ts_union("Verdict"), json_strings(Verdict::ALL));
    assert_eq!(ts_union("Sensitivity"), json_strings(Sensitivity::ALL));
    assert_eq!(ts_union("ImportMode"), json_strings([ImportMode::Merge, ImportMode::Replace]));
    let codes: BTreeSet<String> = Error::examples().iter().map(|e| e.code().to_string()).collect();
    assert_eq!(ts_union("ErrorCode"), codes);
}

#[test]
fn extraction_and_verification_records_match() {
    use discreet::extract::{Candidate, ChatMessage, Role};
    use discreet::profile::IngestReport;
    use discreet::verify::{Rule, Verification};
    let candidate = Candidate { attribute: "a".into(), reason: "r".into(), evidence: vec![], confidence: 1.0 };
    let mut message = ChatMessage::new(Role::User, "hi");
    message.id = Some("m1".into());
    assert_eq!(ts_fields("ChatMessage"), json_fields(&message));
    assert_eq!(ts_fields("Candidate"), json_fields(&candidate));
    let v = Verification {
        candidate,
        verdict: Verdict::Rejected,
        score: None,
        rule: Some(Rule::Empty),
        kind: None,
        explanation: String::new(),
    };
    assert_eq!(ts_fields("Verification"), json_fields(&v));
    let report = IngestReport { accepted: vec![v], review: vec![], rejected: vec![], stored: vec![] };
    assert_eq!(ts_fields("IngestReport"), json_fields(&report));
    assert_eq!(ts_union("Rule"), json_strings(Rule::ALL));
    assert_eq!(ts_union("ProblemKind"), json_strings(discreet::verify::ProblemKind::ALL));
    assert_eq!(ts_union("Exclusion"), json_strings(Exclusion::ALL));
    assert_eq!(ts_union("Role"), json_strings([Role::System, Role::User, Role::Assistant]));
}

#[test]
fn review_records_match() {
    use discreet::review::{ReviewAction, ReviewDecision, ReviewJudgment, ReviewLabel, Reviewed};
    use discreet::verify::ProblemKind;
    let decision = ReviewDecision {
        action: ReviewAction::Edit,
        text: Some("t".into()),
        kind: Some(ProblemKind::Overgeneralization),
    };
    assert_eq!(ts_fields("ReviewDecision"), json_fields(&decision));
    let judgment = ReviewJudgment::new("j".into(), 1.0, &full_attribute(), &decision);
    assert_eq!(ts_fields("ReviewJudgment"), json_fields(&judgment));
    assert_eq!(ts_fields("Reviewed"), json_fields(&Reviewed { attribute: None, judgment: Some(judgment) }));
    let actions = [ReviewAction::Accept, ReviewAction::Edit, ReviewAction::Delete];
    assert_eq!(ts_union("ReviewAction"), json_strings(actions));
    assert_eq!(ts_union("ReviewLabel"), json_strings([ReviewLabel::Ok, ReviewLabel::Unsure, ReviewLabel::Bad]));
}
