//! `discreet relate`: how each new attribute relates to an old one, over a file of pairs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use discreet::model::RelevanceModel;
use discreet::relate::{Related, Relation};
use serde::Deserialize;
use serde_json::json;

/// One input line: the stored attribute, the newly extracted one, and optionally what a human said.
#[derive(Deserialize)]
struct Line {
    old: String,
    new: String,
    #[serde(default)]
    expected: Option<Relation>,
}

fn read_lines(path: &str) -> Result<Vec<(usize, Line)>, String> {
    let mut out = Vec::new();
    for (n, value) in crate::jsonl::values(path)? {
        // Other fields (the data's own `relation`, `aspect`, ...) are the caller's; `relation` is
        // read as `expected` when `expected` is absent, so the project's data files run as they are.
        let mut parsed: Line = serde_json::from_value(value.clone()).map_err(|e| format!("{path}: line {n}: {e}"))?;
        if parsed.expected.is_none() {
            if let Some(r) = value.get("relation") {
                parsed.expected =
                    Some(serde_json::from_value(r.clone()).map_err(|e| format!("{path}: line {n}: relation: {e}"))?);
            }
        }
        for (field, text) in [("old", &parsed.old), ("new", &parsed.new)] {
            if text.trim().is_empty() {
                return Err(format!("{path}: line {n}: {field} is empty"));
            }
        }
        out.push((n, parsed));
    }
    if out.is_empty() {
        return Err(format!("{path}: no pairs to relate"));
    }
    Ok(out)
}

fn name(r: Relation) -> &'static str {
    match r {
        Relation::Unrelated => "unrelated",
        Relation::Same => "same",
        Relation::Updates => "updates",
    }
}

fn rate(hits: usize, of: usize) -> serde_json::Value {
    if of == 0 {
        serde_json::Value::Null
    } else {
        json!((hits as f64 / of as f64 * 1000.0).round() / 1000.0)
    }
}

/// One JSON line per pair (`relation`, `score`, `review`, the three probabilities), then a summary:
/// counts, and with `expected` the agreement and the rates `models/train/relation.py` reports (a
/// pair held for review counts as neither a replacement nor a merge).
pub fn run(data: &str, models: &Path) -> Result<String, String> {
    let lines = read_lines(data)?;
    let model = RelevanceModel::from_dir(models).map_err(|e| format!("{e} [{}]", e.code()))?;
    let started = Instant::now();
    let pairs: Vec<(&str, &str)> = lines.iter().map(|(_, l)| (l.old.as_str(), l.new.as_str())).collect();
    let related = model.relate_texts(&pairs).map_err(|e| format!("{e} [{}]", e.code()))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut confusion: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let (mut judged, mut agree, mut held) = (0, 0, 0);
    for ((n, line), r) in lines.iter().zip(&related) {
        let Related { relation, review, score, probabilities } = *r;
        *counts.entry(name(relation)).or_default() += 1;
        held += usize::from(review);
        let mut row = json!({ "line": n, "relation": name(relation), "score": score, "review": review,
            "probabilities": probabilities });
        if let Some(expected) = line.expected {
            // A pair held for review is neither replaced nor merged: the trainer's metrics count it apart.
            let decided = if review { "review" } else { name(relation) };
            judged += 1;
            agree += usize::from(name(expected) == decided);
            *confusion.entry((name(expected), decided)).or_default() += 1;
            row["expected"] = json!(name(expected));
        }
        out.push(row.to_string());
    }
    let count = |e: &str, d: &str| confusion.get(&(e, d)).copied().unwrap_or(0);
    let total = |e: &str| ["unrelated", "same", "updates", "review"].iter().map(|d| count(e, d)).sum::<usize>();
    let mut summary = json!({ "pairs": lines.len(), "relations": counts, "held_for_review": held,
        "model": model.manifest().relation.as_ref().map(|s| s.version.clone()), "ms_per_pair": ms / lines.len() as f64 });
    if judged > 0 {
        let not_updates = total("same") + total("unrelated");
        summary["agreement"] = rate(agree, judged);
        summary["replacements_found"] = rate(count("updates", "updates"), total("updates"));
        summary["replacements_found_or_held"] =
            rate(count("updates", "updates") + count("updates", "review"), total("updates"));
        summary["held_for_review_non_updates"] =
            rate(count("same", "review") + count("unrelated", "review"), not_updates);
        summary["paraphrases_same"] = rate(count("same", "same"), total("same"));
        summary["false_replacement"] = rate(count("same", "updates") + count("unrelated", "updates"), not_updates);
        summary["confusion"] = json!(confusion
            .iter()
            .map(|((e, d), c)| json!({ "expected": e, "decided": d, "pairs": c }))
            .collect::<Vec<_>>());
    }
    out.push(summary.to_string());
    Ok(out.join("\n"))
}
