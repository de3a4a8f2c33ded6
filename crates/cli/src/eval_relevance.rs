//! `discreet eval relevance`: agreement of the committed model, or of an
//! LLM's recorded votes, with human judgments.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use discreet::eval::{binary_metrics, bootstrap_interval, list_figures};
use discreet::judgments::{read_relevance, RelevanceJudgment};
use discreet::model::RelevanceModel;
use serde_json::json;

pub struct Args<'a> {
    pub data: &'a str,
    pub models: &'a Path,
    pub labels_from: Option<&'a str>,
    pub threshold: Option<f32>,
    /// Where to write one JSON line per pair (its ids, score and whether it was selected).
    pub scores_out: Option<&'a str>,
}

fn read(path: &str) -> Result<Vec<RelevanceJudgment>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    read_relevance(std::io::BufReader::new(file)).map_err(|e| format!("{path}: {e}"))
}

/// Model scores, encoding each distinct prompt and attribute once.
fn model_scores(model: &RelevanceModel, pairs: &[RelevanceJudgment]) -> Result<Vec<f32>, String> {
    let mut prompts: HashMap<&str, Vec<f32>> = HashMap::new();
    let mut attributes: HashMap<&str, Vec<f32>> = HashMap::new();
    let mut scores = Vec::with_capacity(pairs.len());
    for j in pairs {
        if !prompts.contains_key(j.prompt.as_str()) {
            prompts.insert(&j.prompt, model.embed_prompt(&j.prompt).map_err(|e| e.to_string())?);
        }
        if !attributes.contains_key(j.attribute.as_str()) {
            attributes.insert(&j.attribute, model.embed_attribute(&j.attribute).map_err(|e| e.to_string())?);
        }
        let s = model
            .score(&prompts[j.prompt.as_str()], &[&attributes[j.attribute.as_str()]])
            .map_err(|e| e.to_string())?;
        scores.push(s[0]);
    }
    Ok(scores)
}

fn write_scores(
    path: &str,
    pairs: &[RelevanceJudgment],
    scores: Option<&[f32]>,
    predicted: &[bool],
) -> Result<(), String> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = std::io::BufWriter::new(file);
    for (i, j) in pairs.iter().enumerate() {
        let line = json!({
            "user": j.user, "prompt_id": j.prompt_id, "group": j.group, "kind": j.kind,
            "prompt": j.prompt, "attribute": j.attribute, "relevant": j.relevant,
            "score": scores.map(|s| s[i]), "selected": predicted[i],
        });
        writeln!(out, "{line}").map_err(|e| format!("{path}: {e}"))?;
    }
    out.flush().map_err(|e| format!("{path}: {e}"))
}

pub fn run(args: Args<'_>) -> Result<String, String> {
    let pairs = read(args.data)?;
    let labels: Vec<bool> = pairs.iter().map(|j| j.relevant).collect();
    let (predicted, scores, threshold, ms_per_pair, source) = match args.labels_from {
        Some(spec) => {
            let name =
                spec.strip_prefix("llm:").ok_or_else(|| format!("--labels-from takes llm:NAME, got {spec:?}"))?;
            let votes = pairs
                .iter()
                .enumerate()
                .map(|(i, j)| {
                    j.llm_votes
                        .get(name)
                        .copied()
                        .ok_or_else(|| format!("{}: pair {} has no vote from {name:?}", args.data, i + 1))
                })
                .collect::<Result<Vec<bool>, String>>()?;
            (votes, None, None, None, format!("llm:{name}"))
        }
        None => {
            let model = RelevanceModel::from_dir(args.models).map_err(|e| e.to_string())?;
            let threshold = args.threshold.unwrap_or_else(|| model.threshold());
            let start = Instant::now();
            let scores = model_scores(&model, &pairs)?;
            let ms = start.elapsed().as_secs_f64() * 1000.0 / pairs.len() as f64;
            eprintln!(
                "scored {} pairs with {} in {:.1} s",
                pairs.len(),
                model.version(),
                ms * pairs.len() as f64 / 1000.0
            );
            let predicted = scores.iter().map(|&s| s >= threshold).collect();
            (predicted, Some(scores), Some(threshold), Some(ms), model.version().to_string())
        }
    };
    if let Some(path) = args.scores_out {
        write_scores(path, &pairs, scores.as_deref(), &predicted)?;
    }
    let m = binary_metrics(&labels, &predicted);
    let lists = list_figures(&pairs, scores.as_deref(), &predicted);
    let f1_ci = bootstrap_interval(&labels, &predicted, 1000, |m| m.f1);
    let kappa_ci = bootstrap_interval(&labels, &predicted, 1000, |m| m.kappa);
    let rate_ci = bootstrap_interval(&labels, &predicted, 1000, |m| m.selection_rate);
    Ok(json!({
        "source": source,
        "n": m.n, "f1": m.f1, "precision": m.precision, "recall": m.recall, "kappa": m.kappa,
        "accuracy": m.accuracy, "selection_rate": m.selection_rate, "human_rate": m.human_rate,
        "threshold": threshold, "ms_per_pair": ms_per_pair,
        "f1_ci95": [f1_ci.0, f1_ci.1], "kappa_ci95": [kappa_ci.0, kappa_ci.1], "selection_rate_ci95": [rate_ci.0, rate_ci.1],
        "lists": lists,
    })
    .to_string())
}
