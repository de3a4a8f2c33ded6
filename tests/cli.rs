//! The native `discreet` binary: eval output contract and its errors.

use std::path::PathBuf;
use std::process::Command;

fn discreet(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_discreet")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp_file(name: &str, body: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("discreet-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

const PAIRS: &str = r#"{"prompt":"Plan a week of dinners for me.","attribute":"The user is vegetarian.","reason":"r","relevant":true,"llm_votes":{"gpt-5.4":true}}
{"prompt":"Plan a week of dinners for me.","attribute":"The user drives a red car.","reason":"r","relevant":false,"llm_votes":{"gpt-5.4":true}}
{"prompt":"Explain how tides work.","attribute":"The user is vegetarian.","reason":"r","relevant":false,"llm_votes":{"gpt-5.4":false}}
{"prompt":"Explain how tides work.","attribute":"The user is a marine biology student.","reason":"r","relevant":true,"llm_votes":{"gpt-5.4":true}}
"#;

fn last_json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim_end().lines().last().unwrap()).unwrap()
}

#[test]
fn eval_prints_metrics_as_the_last_line() {
    let data = temp_file("pairs.jsonl", PAIRS.as_bytes());
    let (code, stdout, stderr) = discreet(&["eval", "relevance", "--data", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let m = last_json(&stdout);
    for key in [
        "n",
        "f1",
        "precision",
        "recall",
        "kappa",
        "accuracy",
        "selection_rate",
        "human_rate",
        "threshold",
        "ms_per_pair",
    ] {
        assert!(m.get(key).is_some(), "missing {key} in {m}");
    }
    assert_eq!(m["n"], 4);
    assert_eq!(m["human_rate"], 0.5);
    assert!(m["ms_per_pair"].as_f64().unwrap() > 0.0);
}

#[test]
fn llm_votes_are_scored_by_the_same_code() {
    let data = temp_file("llm.jsonl", PAIRS.as_bytes());
    let (code, stdout, stderr) =
        discreet(&["eval", "relevance", "--data", data.to_str().unwrap(), "--labels-from", "llm:gpt-5.4"]);
    assert_eq!(code, 0, "{stderr}");
    let m = last_json(&stdout);
    // Votes: tp=2, fp=1, fn=0, tn=1.
    assert_eq!(m["selection_rate"], 0.75);
    assert!((m["precision"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(m["recall"], 1.0);
    assert!(m["threshold"].is_null());

    let (code, _, stderr) =
        discreet(&["eval", "relevance", "--data", data.to_str().unwrap(), "--labels-from", "llm:nobody"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("no vote from \"nobody\""), "{stderr}");
}

#[test]
fn malformed_input_fails_with_a_clear_message() {
    let cases: [(&str, &[u8], &str); 4] = [
        ("badline.jsonl", b"{\"prompt\":\"p\",\"attribute\":\"a\",\"relevant\":true}\n{broken\n", "line 2"),
        ("missing.jsonl", b"{\"prompt\":\"p\",\"attribute\":\"a\"}\n", "missing field `relevant`"),
        ("utf8.jsonl", b"{\"prompt\":\"\xff\xfe\",\"attribute\":\"a\",\"relevant\":true}\n", "line 1"),
        ("empty.jsonl", b"", "no judgments"),
    ];
    for (name, body, needle) in cases {
        let data = temp_file(name, body);
        let (code, _, stderr) = discreet(&["eval", "relevance", "--data", data.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}");
        assert!(stderr.contains(needle), "{name}: {stderr}");
    }
    let (code, _, stderr) = discreet(&["eval", "relevance", "--data", "/nonexistent.jsonl"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent.jsonl"), "{stderr}");
}

#[test]
fn missing_model_files_are_reported() {
    let data = temp_file("ok.jsonl", PAIRS.as_bytes());
    let (code, _, stderr) =
        discreet(&["eval", "relevance", "--data", data.to_str().unwrap(), "--models", "/nonexistent"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("model error") && stderr.contains("/nonexistent/relevance.json"), "{stderr}");
}

#[test]
fn bad_flags_are_rejected() {
    for args in [
        &["eval", "relevance"][..],
        &["eval", "relevance", "--data"],
        &["eval", "relevance", "--bogus", "x"],
        &["eval", "relevance", "--data", "x", "--threshold", "7"],
        &["frobnicate"],
    ] {
        let (code, _, _) = discreet(args);
        assert_eq!(code, 2, "{args:?}");
    }
}
