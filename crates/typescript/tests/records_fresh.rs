//! The package ships `crates/web/src/records.d.ts`; it must be exactly what the Rust types
//! generate, so a field's name, type or optionality cannot change on one side only.
//! `UPDATE_FIXTURES=1 cargo test -p discreet-typescript` (or `make types`) rewrites it.

use std::path::Path;

#[test]
fn records_declarations_are_generated_from_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/records.d.ts");
    let generated = discreet_typescript::records();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == generated,
        "{} is stale: run `make types` (the Rust records changed, or the file was edited by hand)",
        path.display()
    );
}

#[test]
fn every_declaration_is_exported_once() {
    let records = discreet_typescript::records();
    let shapes = include_str!("../../web/src/shapes.d.ts");
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("export type ").or_else(|| l.strip_prefix("export interface ")))
            .map(|l| l.split([' ', '<', '=']).next().unwrap().to_string())
            .collect()
    };
    let mut all = names(&records);
    all.extend(names(shapes));
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), count, "a name declared twice across records.d.ts and shapes.d.ts");
    // Names the hand-written shapes lean on must come from the generated file.
    for used in ["ErrorCode", "Disclosure", "Withheld", "SharedAttribute", "Message"] {
        assert!(names(&records).iter().any(|n| n == used), "{used}");
    }
}

/// `(field, optional)` of `export type NAME = { ... };` in the generated file.
fn fields(records: &str, name: &str) -> Vec<(String, bool)> {
    let start = records.find(&format!("export type {name} = {{\n")).unwrap_or_else(|| panic!("no {name}"));
    let body = &records[start..];
    body[body.find('\n').unwrap() + 1..body.find("\n};").unwrap()]
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/**") && !l.starts_with('*'))
        .map(|l| {
            let name = l.split([':', '?']).next().unwrap().to_string();
            let optional = l[name.len()..].starts_with('?');
            (name, optional)
        })
        .collect()
}

#[test]
fn turn_options_are_select_options_and_compose_options() {
    let records = discreet_typescript::records();
    let mut both = fields(&records, "SelectOptions");
    both.extend(fields(&records, "ComposeOptions"));
    both.sort();
    let mut turn = fields(&records, "TurnOptions");
    turn.sort();
    assert_eq!(turn, both, "prepareTurn must take every option select and compose take");
}

/// ts-rs marks a `skip_serializing_if` field optional only with `ts(optional)`: an output record
/// serialized with every option empty must carry each field the declaration requires, and no
/// field it does not declare.
#[test]
fn output_records_carry_what_their_declarations_require() {
    use discreet::compose::render_selection;
    use discreet::extract::{Candidate, ChatMessage, Role};
    use discreet::review::ReviewLabel;
    use discreet::study::{AttributeLine, StudyLine};
    use discreet::turn::{Excluded, Exclusion};
    use discreet::verify::Verification;
    use discreet::{NewAttribute, Verdict};

    let records = discreet_typescript::records();
    let check = |name: &str, value: serde_json::Value| {
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        for (field, optional) in fields(&records, name) {
            assert!(optional || keys.contains(&&field), "{name}.{field} is required but was not serialized");
        }
        for key in keys {
            assert!(fields(&records, name).iter().any(|(f, _)| f == key), "{name} does not declare {key}");
        }
    };
    let attribute = NewAttribute::text("The user is a nurse.").into_attribute("a".into(), 1.0).unwrap();
    check("Attribute", serde_json::to_value(&attribute).unwrap());
    let excluded = Excluded { attribute, reason: Exclusion::Rejected, score: None, explanation: "rejected".into() };
    check("Excluded", serde_json::to_value(&excluded).unwrap());
    check("Rendered", serde_json::to_value(&render_selection(&[], None).unwrap()).unwrap());
    check("ChatMessage", serde_json::to_value(&ChatMessage::new(Role::User, "hi")).unwrap());
    let candidate = Candidate { attribute: "a".into(), reason: "r".into(), evidence: vec![], confidence: 1.0 };
    check("Candidate", serde_json::to_value(&candidate).unwrap());
    let verification = Verification {
        candidate,
        verdict: Verdict::Accepted,
        score: None,
        rule: None,
        kind: None,
        explanation: "".into(),
    };
    check("Verification", serde_json::to_value(&verification).unwrap());
    let line = AttributeLine {
        study: None,
        participant: "device".into(),
        user: "u".into(),
        at: None,
        attribute: "a".into(),
        reason: String::new(),
        evidence: vec![],
        label: ReviewLabel::Ok,
        kind: None,
        verdict: None,
        verifier_score: None,
        note: String::new(),
    };
    check("AttributeLine", serde_json::to_value(&line).unwrap());
    let tagged = serde_json::to_value(StudyLine::Attribute(line)).unwrap();
    assert_eq!(tagged["stage"], "attribute");
}
