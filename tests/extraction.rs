//! The extraction reply parser: what chat models really send (fences, prose,
//! wrappers) is read; wrong types, oversize and non-JSON replies are refused
//! with E_BAD_EXTRACTION and nothing else.

use discreet::extract::{parse_extraction, MAX_CANDIDATES, MAX_REPLY_BYTES};

const ONE: &str =
    r#"{"attribute": "The user is vegan.", "reason": "They say so.", "evidence": ["I'm vegan"], "confidence": 0.9}"#;

fn code(reply: &str) -> String {
    let err = parse_extraction(reply).unwrap_err();
    assert_eq!(err.code(), "E_BAD_EXTRACTION", "{err}");
    err.to_string()
}

#[test]
fn fenced_json_with_prose_around_it() {
    let reply =
        format!("Sure! Here are the attributes [as requested]:\n```json\n[{ONE}]\n```\nLet me know if [1] helps.");
    let c = parse_extraction(&reply).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].attribute, "The user is vegan.");
    assert_eq!(c[0].evidence, ["I'm vegan"]);
    assert_eq!(c[0].confidence, 0.9);
}

#[test]
fn bare_json_trailing_prose_and_object_wrapper() {
    assert_eq!(parse_extraction(&format!("[{ONE}, {ONE}]\n\nI hope this helps! {{smile}}")).unwrap().len(), 2);
    assert_eq!(parse_extraction(&format!("{{\"attributes\": [{ONE}]}}")).unwrap().len(), 1);
    // A citation in prose is not the answer; the array after it is.
    assert_eq!(parse_extraction(&format!("As noted in [1], here you go: [{ONE}]")).unwrap().len(), 1);
    // Unfenced code block without a language tag.
    assert_eq!(parse_extraction(&format!("```\n[{ONE}]\n```")).unwrap().len(), 1);
}

#[test]
fn empty_list_is_a_valid_answer() {
    assert!(parse_extraction("[]").unwrap().is_empty());
    assert!(parse_extraction("Nothing durable here.\n```json\n[]\n```").unwrap().is_empty());
}

#[test]
fn wrong_types_are_refused_with_the_field_named() {
    for (reply, needle) in [
        (r#"[{"attribute": 5, "reason": "r", "evidence": [], "confidence": 1}]"#, "`attribute` is a number"),
        (
            r#"[{"attribute": "The user", "reason": "r", "evidence": "I said", "confidence": 1}]"#,
            "`evidence` is a string",
        ),
        (
            r#"[{"attribute": "The user", "reason": "r", "evidence": [3], "confidence": 1}]"#,
            "evidence entry is a number",
        ),
        (
            r#"[{"attribute": "The user", "reason": "r", "evidence": [], "confidence": "high"}]"#,
            "`confidence` is a string",
        ),
        (r#"[{"attribute": "The user", "reason": "r", "evidence": [], "confidence": 1.5}]"#, "not within 0..1"),
        (r#"[{"attribute": "The user", "evidence": [], "confidence": 1}]"#, "`reason` is missing"),
        (r#"[{"attribute": "  ", "reason": "r", "evidence": [], "confidence": 1}]"#, "`attribute` is empty"),
        (r#"["The user is vegan."]"#, "candidate 1 is a string"),
        (r#"{"facts": []}"#, "without an `attributes` array"),
        ("I could not find anything.", "no JSON array"),
        ("", "empty"),
        ("   \n ", "empty"),
    ] {
        let msg = code(reply);
        assert!(msg.contains(needle), "{reply}: {msg}");
    }
}

#[test]
fn one_bad_candidate_fails_the_whole_reply() {
    let reply = format!(r#"[{ONE}, {{"attribute": "The user", "reason": "r", "evidence": [], "confidence": null}}]"#);
    assert!(code(&reply).contains("candidate 2"));
}

#[test]
fn oversize_replies_and_lists() {
    // 1 MB of prose around a valid answer still parses.
    let prose = "blah [not json] {nor this} ".repeat(40_000);
    assert!(prose.len() > 1_000_000);
    assert_eq!(parse_extraction(&format!("{prose}\n```json\n[{ONE}]\n```\nThat is all.")).unwrap().len(), 1);
    // 1 MB of unclosed brackets is refused, quickly, without recursion trouble.
    let brackets = "[".repeat(1_000_000);
    code(&brackets);
    let numbers = format!("[{}", "1,".repeat(500_000));
    code(&numbers);
    assert!(code(&"x".repeat(MAX_REPLY_BYTES + 1)).contains("limit"));
    let many = format!("[{}]", vec![ONE; MAX_CANDIDATES + 1].join(","));
    assert!(code(&many).contains("at most"));
    let long = format!(r#"[{{"attribute": "{}", "reason": "r", "evidence": [], "confidence": 1}}]"#, "a".repeat(501));
    assert!(code(&long).contains("longer than"));
}
