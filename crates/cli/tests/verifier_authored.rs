//! The authored stage-1 examples (models/train/data/verifier_authored.jsonl) keep the shape their
//! README promises, and the committed verifier, through `discreet verify`, meets the dev side of
//! its targets on the dev families (which it never trained on): supported >= 90% accepted,
//! overgeneralization >= 75%, task context, missing evidence and not standalone >= 80% flagged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

const KINDS: [&str; 5] = ["supported", "overgeneralization", "task_context", "missing_evidence", "not_standalone"];

/// The repository root (this test lives in crates/cli, where `discreet verify` is built).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rows() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("models/train/data/verifier_authored.jsonl")).unwrap();
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_data_has_the_documented_shape() {
    let rows = rows();
    let mut split_of: BTreeMap<String, String> = BTreeMap::new();
    let mut per_kind: BTreeMap<String, (usize, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut claims = BTreeSet::new();
    for r in &rows {
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["family", "kind", "attribute", "reason", "evidence", "label", "split"]),
            "{r}"
        );
        let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}")).to_string();
        let (family, kind, split, label) = (s("family"), s("kind"), s("split"), s("label"));
        assert!(KINDS.contains(&kind.as_str()), "{r}");
        assert!(family.starts_with(&format!("{kind}-")), "{r}");
        assert_eq!(label, if kind == "supported" { "ok" } else { "bad" }, "{r}");
        assert!(split == "train" || split == "dev", "{r}");
        assert!(s("attribute").starts_with("The user") && !s("reason").trim().is_empty(), "{r}");
        assert!(r["evidence"].as_array().unwrap().iter().all(Value::is_string), "{r}");
        assert_eq!(split_of.entry(family.clone()).or_insert(split.clone()), &split, "a whole family is in one split");
        assert!(claims.insert((s("attribute").to_lowercase(), s("reason").to_lowercase())), "written once: {r}");
        let e = per_kind.entry(kind).or_default();
        e.0 += 1;
        if split == "dev" { &mut e.2 } else { &mut e.1 }.insert(family);
    }
    assert_eq!(per_kind.len(), KINDS.len());
    for (kind, (n, train, dev)) in &per_kind {
        assert!(*n >= 150, "{kind}: {n} examples");
        // About a quarter of each kind's families are dev, so dev tests unseen patterns of every kind.
        assert!(
            dev.len() * 5 >= train.len() + dev.len() && dev.len() * 3 <= train.len() + dev.len(),
            "{kind}: {dev:?}"
        );
    }
}

#[test]
fn the_committed_verifier_meets_the_dev_targets_per_kind() {
    let dir = std::env::temp_dir().join(format!("discreet-authored-dev-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("dev.jsonl");
    let lines: Vec<String> = rows().into_iter().filter(|r| r["split"] == "dev").map(|r| r.to_string()).collect();
    std::fs::write(&data, lines.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_discreet"))
        .args(["verify", "--data", data.to_str().unwrap(), "--models"])
        .arg(root().join("models"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let by_kind = &summary["by_kind"];
    eprintln!("authored dev: {by_kind}");
    assert!(by_kind["supported"]["accepted"].as_f64().unwrap() >= 0.9, "{by_kind}");
    assert!(by_kind["overgeneralization"]["flagged"].as_f64().unwrap() >= 0.75, "{by_kind}");
    for kind in ["task_context", "missing_evidence", "not_standalone"] {
        assert!(by_kind[kind]["flagged"].as_f64().unwrap() >= 0.8, "{kind}: {by_kind}");
    }
    // What is flagged says why: at least half of each problem kind is flagged and named as itself.
    let named: Vec<f64> = KINDS[1..].iter().map(|k| by_kind[*k]["kind_named"].as_f64().unwrap()).collect();
    assert!(named.iter().all(|&n| n >= 0.5), "{by_kind}");
    // Every line printed names a kind exactly when it is not accepted.
    for line in stdout.lines().filter(|l| !l.contains("\"summary\"")) {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["rule"].is_null() {
            assert_eq!(v["kind"].is_null(), v["verdict"] == "accepted", "{v}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
