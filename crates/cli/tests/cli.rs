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
fn scores_file_has_a_line_per_pair_and_the_summary_ranks_lists() {
    let data = temp_file("ranked.jsonl", PAIRS.as_bytes());
    let out = std::env::temp_dir().join(format!("discreet-cli-{}", std::process::id())).join("scores.jsonl");
    let (code, stdout, stderr) =
        discreet(&["eval", "relevance", "--data", data.to_str().unwrap(), "--scores", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let m = last_json(&stdout);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    let threshold = m["threshold"].as_f64().unwrap();
    for (line, input) in lines.iter().zip(PAIRS.lines()) {
        let input: serde_json::Value = serde_json::from_str(input).unwrap();
        assert_eq!(line["prompt"], input["prompt"]);
        assert_eq!(line["attribute"], input["attribute"]);
        let score = line["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{line}");
        assert_eq!(line["selected"].as_bool().unwrap(), score >= threshold, "{line}");
    }
    // Two prompts (no user or prompt_id: the prompt text names the list), each with one relevant pair.
    let lists = &m["lists"];
    assert_eq!(lists["lists"], 2);
    assert_eq!(lists["relevant_per_list"], 1.0);
    let selected: usize = lines.iter().filter(|l| l["selected"] == true).count();
    assert_eq!(lists["selected_per_list"].as_f64().unwrap(), selected as f64 / 2.0);
    assert!(lists["hit_at_1"].as_f64().is_some() && lists["hit_at_3"] == 1.0, "{lists}");

    let (code, _, stderr) =
        discreet(&["eval", "relevance", "--data", data.to_str().unwrap(), "--scores", "/nonexistent-dir/scores.jsonl"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent-dir/scores.jsonl"), "{stderr}");
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

#[test]
fn verify_prints_a_line_per_candidate_then_a_summary() {
    let data = temp_file(
        "candidates.jsonl",
        br#"{"attribute":"The user keeps a vegetarian diet.","reason":"They say they have been vegetarian for ten years.","label":"ok"}
{"attribute":"The user likes it.","reason":"They thank the assistant.","label":"bad"}

{"attribute":"The user is a professional sailor.","reason":"They asked for help formatting a spreadsheet.","label":"bad"}
"#,
    );
    let (code, stdout, stderr) = discreet(&["verify", "--data", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["rule"], "not_standalone");
    assert_eq!(lines[1]["verdict"], "rejected");
    assert!(lines[1]["score"].is_null());
    assert_eq!(lines[2]["line"], 4);
    let s0 = lines[0]["score"].as_f64().unwrap();
    let s2 = lines[2]["score"].as_f64().unwrap();
    assert!(s0 > s2, "a supported claim outscores an unsupported one: {s0} vs {s2}");
    let summary = &lines[3];
    assert_eq!(summary["n"], 3);
    let total: u64 = ["accepted", "review", "rejected"].iter().map(|k| summary[k].as_u64().unwrap()).sum();
    assert_eq!(total, 3);
    assert_eq!(summary["by_rule"]["not_standalone"], 1);
    assert_eq!(summary["flag_vs_human"]["n"], 3);
}

#[test]
fn verify_reports_bad_input_by_line() {
    let data =
        temp_file("bad-candidates.jsonl", b"{\"attribute\":\"The user a\",\"reason\":\"r\"}\n{\"reason\":\"r\"}\n");
    let (code, _, stderr) = discreet(&["verify", "--data", data.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 2") && stderr.contains("attribute"), "{stderr}");
    let utf8 = temp_file("bad-utf8.jsonl", b"{\"attribute\":\"The user \xff\",\"reason\":\"r\"}\n");
    let (code, _, stderr) = discreet(&["verify", "--data", utf8.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 1"), "{stderr}");
}

#[test]
fn parse_extraction_prints_candidates_or_the_reason() {
    let reply = temp_file(
        "reply.txt",
        "Here:\n```json\n[{\"attribute\":\"The user is vegan.\",\"reason\":\"r\",\"evidence\":[\"I'm vegan\"],\"confidence\":0.8}]\n```\n"
            .as_bytes(),
    );
    let (code, stdout, stderr) = discreet(&["parse-extraction", reply.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let parsed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(parsed[0]["attribute"], "The user is vegan.");

    let wrong = temp_file("wrong.txt", br#"[{"attribute":"The user","reason":"r","evidence":"x","confidence":1}]"#);
    let (code, _, stderr) = discreet(&["parse-extraction", wrong.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("E_BAD_EXTRACTION") && stderr.contains("`evidence`"), "{stderr}");

    let invalid = temp_file("invalid-utf8.txt", b"[{\"attribute\":\"The user \xc3\x28\"}]");
    let (code, _, stderr) = discreet(&["parse-extraction", invalid.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not valid UTF-8 at byte 24"), "{stderr}");
}

const RELATE: &str = r#"{"old":"The user lives in Lyon.","new":"The user relocated to Madrid for work.","expected":"updates"}
{"old":"The user plays the piano.","new":"The user also plays the violin.","expected":"unrelated"}

{"old":"The user has a golden retriever.","new":"The user owns a golden retriever dog.","relation":"same","aspect":"pets"}
{"old":"The user speaks French.","new":"The user is learning Japanese."}
"#;

#[test]
fn relate_prints_a_line_per_pair_then_a_summary_with_the_rates() {
    let data = temp_file("relate.jsonl", RELATE.as_bytes());
    let (code, stdout, stderr) = discreet(&["relate", "--data", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["relation"], "updates");
    assert_eq!(lines[2]["line"], 4, "line numbers count the blank line");
    assert_eq!(lines[2]["expected"], "same", "a data file's own `relation` is the expectation");
    assert!(lines[3].get("expected").is_none());
    for line in &lines[..4] {
        let p = &line["probabilities"];
        let sum: f64 = ["unrelated", "same", "updates"].iter().map(|k| p[k].as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-3, "{line}");
        assert!(line["review"].is_boolean() && line["score"].is_f64(), "{line}");
    }
    let summary = &lines[4];
    assert_eq!(summary["pairs"], 4);
    assert_eq!(summary["replacements_found"], 1.0);
    assert_eq!(summary["false_replacement"], 0.0);
    assert!(summary["agreement"].as_f64().unwrap() >= 2.0 / 3.0, "{summary}");
    assert_eq!(summary["model"], "relation-minilm6-v2-seed0");
}

#[test]
fn relate_reports_bad_input_by_line_and_models_without_the_head() {
    let bad = |body: &str| {
        let data = temp_file("relate-bad.jsonl", body.as_bytes());
        let (code, _, stderr) = discreet(&["relate", "--data", data.to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        stderr
    };
    assert!(bad("{\"old\":\"The user is a nurse.\"}\n").contains("line 1: missing field `new`"));
    assert!(bad("{\"old\":\"a\",\"new\":\"b\"}\n{\"old\":\"a\",\"new\":\"b\",\"expected\":\"replaces\"}\n")
        .contains("line 2"));
    assert!(bad("{\"old\":\" \",\"new\":\"b\"}\n").contains("line 1: old is empty"));
    assert!(bad("\n\n").contains("no pairs"));
    // The relevance model without its relation head: the command says so, as E_MODEL.
    let dir = std::env::temp_dir().join(format!("discreet-cli-norelation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models.join("relevance.json")).unwrap()).unwrap();
    manifest.as_object_mut().unwrap().remove("relation");
    manifest["files"].as_object_mut().unwrap().remove("relation");
    std::fs::write(dir.join("relevance.json"), manifest.to_string()).unwrap();
    for f in ["relevance-encoder.int8.onnx", "relevance-head.int8.onnx", "tokenizer.json", "sensitive-head.int8.onnx"] {
        let _ = std::fs::remove_file(dir.join(f));
        std::os::unix::fs::symlink(models.join(f).canonicalize().unwrap(), dir.join(f)).unwrap();
    }
    let data = temp_file("relate-one.jsonl", b"{\"old\":\"The user is a nurse.\",\"new\":\"The user is a doctor.\"}\n");
    let (code, _, stderr) = discreet(&["relate", "--data", data.to_str().unwrap(), "--models", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no relation head") && stderr.contains("E_MODEL"), "{stderr}");
}
