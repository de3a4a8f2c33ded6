//! The study export's definition (`discreet::study`): what each stage's line holds, and the
//! failures a damaged or hand-edited export meets. The study page's own output is read back
//! through the package in tests/js/pkg.test.mjs.

use discreet::study::{read_export, Shown, StudyLine};
use discreet::Error;
use serde_json::{json, Value};

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// One line of each stage, as www/study/items.js writes them.
fn page_lines() -> Vec<Value> {
    let base = json!({ "study": "pilot", "participant": "p1", "user": "u07", "at": 1764633600000.0_f64 });
    let with = |extra: Value| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    vec![
        with(
            json!({ "stage": "attribute", "attribute": "The user is a nurse.", "reason": "r", "label": "ok", "note": "" }),
        ),
        with(json!({ "stage": "relevance", "prompt_id": "q1", "prompt": "Plan my week.",
            "attribute": "The user is a nurse.", "reason": "r", "relevant": true, "note": "" })),
        with(json!({ "stage": "response", "prompt_id": "q1", "prompt": "Plan my week.",
            "order": ["generic", "personalized"], "rating": 4, "personalized_preference": 4, "note": "clearer" })),
    ]
}

#[test]
fn each_stage_reads_and_writes_back_the_same_line() {
    let values = page_lines();
    let read = read_export(&lines(&values)).unwrap();
    assert!(matches!(read[0], StudyLine::Attribute(_)));
    assert!(matches!(&read[1], StudyLine::Relevance(r) if r.relevant && r.prompt_id == "q1"));
    assert!(matches!(&read[2], StudyLine::Response(r) if r.order == [Shown::Generic, Shown::Personalized]));
    for (line, value) in read.iter().zip(&values) {
        assert_eq!(&serde_json::from_str::<Value>(&line.to_json().unwrap()).unwrap(), value);
    }
}

#[test]
fn blank_lines_are_skipped_and_an_empty_export_is_empty() {
    assert_eq!(read_export("").unwrap(), vec![]);
    let text = format!("\n{}\n  \n", lines(&page_lines()));
    assert_eq!(read_export(&text).unwrap().len(), 3);
}

fn refused(edit: impl Fn(&mut Value), line_of: usize) -> String {
    let mut values = page_lines();
    edit(&mut values[line_of]);
    match read_export(&lines(&values)) {
        Err(Error::InvalidInput(m)) => {
            assert!(m.starts_with(&format!("line {}: ", line_of + 1)), "{m}");
            m
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bad_line_fails_the_read_naming_its_number() {
    refused(|v| v["stage"] = json!("interview"), 0);
    refused(|v| v["label"] = json!("acceptable"), 0);
    refused(|v| v["kind"] = json!("rude"), 0);
    refused(|v| v["colour"] = json!("blue"), 1);
    refused(|v| drop(v.as_object_mut().unwrap().remove("relevant")), 1);
    refused(|v| v["relevant"] = json!("yes"), 1);
    refused(|v| drop(v.as_object_mut().unwrap().remove("stage")), 2);
    assert!(refused(|v| v["rating"] = json!(6), 2).contains("1 to 5"));
    assert!(refused(|v| v["order"] = json!(["generic", "generic"]), 2).contains("once each"));
    // 4 with the personalized one second means the personalized one is better: 4, not 2.
    assert!(refused(|v| v["personalized_preference"] = json!(2), 2).contains("means 4"));
    let mut text = lines(&page_lines());
    text.push_str("{not json\n");
    assert!(matches!(read_export(&text), Err(Error::InvalidInput(m)) if m.starts_with("line 4: ")));
}

#[test]
fn a_device_export_leaves_out_study_and_times() {
    let text = include_str!("fixtures/judgments_device.jsonl");
    for line in read_export(text).unwrap() {
        let StudyLine::Attribute(a) = line else { panic!("{line:?}") };
        assert_eq!((a.study, a.at, a.participant.as_str()), (None, None, "device"));
    }
}
