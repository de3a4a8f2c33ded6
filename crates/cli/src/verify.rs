//! `discreet verify` and `discreet parse-extraction`: stage 1 over files.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use discreet::eval::binary_metrics;
use discreet::extract::{parse_extraction, Candidate};
use discreet::model::{RelevanceModel, VerifierModel};
use discreet::verify::{Context, Verifier};
use discreet::Verdict;
use serde::Deserialize;
use serde_json::json;

/// One input line: a candidate, and optionally a human's stage-1 label.
#[derive(Deserialize)]
struct Line {
    attribute: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    label: Option<Label>,
    /// Authored data's kind (`supported` or a problem kind): the summary then reports per kind.
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Label {
    Ok,
    Unsure,
    Bad,
}

fn read_lines(path: &str) -> Result<Vec<(usize, Line)>, String> {
    let mut out = Vec::new();
    for (n, v) in crate::jsonl::values(path)? {
        // Study exports hold every stage; only `attribute` lines are candidates.
        if v.get("stage").is_some_and(|s| s != "attribute") {
            continue;
        }
        out.push((n, serde_json::from_value(v).map_err(|e| format!("{path}: line {n}: {e}"))?));
    }
    if out.is_empty() {
        return Err(format!("{path}: no lines to verify"));
    }
    Ok(out)
}

fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// Prints one JSON line per input, then a summary line. Each line is
/// verified on its own: without the conversation, the evidence rules cannot run.
pub fn run(data: &str, models: &Path) -> Result<String, String> {
    let lines = read_lines(data)?;
    let encoder = RelevanceModel::from_dir(models).map_err(|e| e.to_string())?;
    let model = VerifierModel::from_dir(models, &encoder).map_err(|e| e.to_string())?;
    let verifier = Verifier::new(&encoder, &model);
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let (mut human_bad, mut flagged) = (Vec::new(), Vec::new());
    // kind -> [lines, flagged, flagged with that very kind named]
    let mut by_kind: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let started = Instant::now();
    for (n, line) in &lines {
        let candidate = Candidate {
            attribute: line.attribute.clone(),
            reason: line.reason.clone(),
            evidence: line.evidence.clone(),
            confidence: 1.0,
        };
        let v = verifier.verify(&[candidate], &Context::default()).map_err(|e| e.to_string())?.remove(0);
        // The names apps and the JS API see, from the same serde renames.
        let verdict = name(&v.verdict);
        *counts.entry(verdict.clone()).or_default() += 1;
        if let Some(rule) = v.rule {
            *by_rule.entry(name(&rule)).or_default() += 1;
        }
        if let Some(kind) = &line.kind {
            let k = by_kind.entry(kind.clone()).or_default();
            let is_flagged = v.verdict != Verdict::Accepted;
            k[0] += 1;
            k[1] += usize::from(is_flagged);
            k[2] += usize::from(is_flagged && v.kind.is_some_and(|named| name(&named) == *kind));
        }
        if let Some(label) = line.label.filter(|l| *l != Label::Unsure) {
            human_bad.push(label == Label::Bad);
            flagged.push(v.verdict != Verdict::Accepted);
        }
        out.push(
            json!({"line": n, "attribute": line.attribute, "score": v.score, "verdict": verdict,
                   "rule": v.rule, "kind": v.kind, "explanation": v.explanation})
            .to_string(),
        );
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0 / lines.len() as f64;
    let mut summary = json!({
        "summary": true, "n": lines.len(), "accepted": counts.get("accepted").copied().unwrap_or(0),
        "review": counts.get("review").copied().unwrap_or(0), "rejected": counts.get("rejected").copied().unwrap_or(0),
        "by_rule": by_rule, "model": model.version(), "thresholds": model.thresholds(), "ms_per_item": ms,
    });
    if !by_kind.is_empty() {
        summary["by_kind"] = by_kind
            .iter()
            .map(|(kind, [n, f, named])| {
                let share = |x: usize| x as f64 / *n as f64;
                let figures = if kind == "supported" {
                    json!({"n": n, "accepted": share(n - f)})
                } else {
                    json!({"n": n, "flagged": share(*f), "kind_named": share(*named)})
                };
                (kind.clone(), figures)
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if !human_bad.is_empty() {
        // Agreement with human ok/bad labels, "problematic" as the positive class
        // (the paper's framing); anything not accepted counts as flagged.
        summary["flag_vs_human"] = serde_json::to_value(binary_metrics(&human_bad, &flagged)).unwrap_or_default();
    }
    out.push(summary.to_string());
    Ok(out.join("\n"))
}

pub fn parse_file(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| format!("{path}: not valid UTF-8 at byte {} [E_BAD_EXTRACTION]", e.valid_up_to()))?;
    let candidates = parse_extraction(text).map_err(|e| format!("{path}: {e} [{}]", e.code()))?;
    serde_json::to_string_pretty(&candidates).map_err(|e| e.to_string())
}
