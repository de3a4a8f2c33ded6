//! The model half of sensitive tagging, natively through Discreet's runtime: it reproduces
//! ONNX Runtime, catches what the term list misses on held-out sentences, and
//! keeps paraphrased sensitive facts on the device in select and ingest.

use std::path::PathBuf;

use discreet::model::RelevanceModel;
use discreet::select::SelectOptions;
use discreet::sensitive::classify;
use discreet::{MemoryStore, NewAttribute, Profile, Sensitivity, Store, SystemEnv};
use futures_executor::block_on;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model() -> RelevanceModel {
    RelevanceModel::from_dir(&root().join("models")).unwrap()
}

fn probabilities(model: &RelevanceModel, texts: &[&str]) -> Vec<Vec<f32>> {
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| model.embed_attribute(t).unwrap()).collect();
    model.sensitive_probabilities(&vectors.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap()
}

fn tags(model: &RelevanceModel, texts: &[&str]) -> Vec<Sensitivity> {
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| model.embed_attribute(t).unwrap()).collect();
    model.sensitive_categories(&vectors.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap()
}

#[test]
fn runtime_reproduces_the_onnx_runtime_probabilities() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/fixtures/sensitive_texts.json")).unwrap())
            .unwrap();
    let model = model();
    assert_eq!(model.manifest().sensitive.as_ref().unwrap().version, fixture["model_version"].as_str().unwrap());
    let texts: Vec<&str> = fixture["texts"].as_array().unwrap().iter().map(|t| t["text"].as_str().unwrap()).collect();
    let tolerance = fixture["tolerance"].as_f64().unwrap() as f32;
    // Per value up to 2.5x the tolerance, on average within half of it: int8
    // requantization lets engines part on a few inputs (tests/onnx_runtime.rs).
    let (mut sum, mut count) = (0f32, 0);
    for (row, t) in probabilities(&model, &texts).iter().zip(fixture["texts"].as_array().unwrap()) {
        for (got, want) in row.iter().zip(t["probabilities"].as_array().unwrap()) {
            let d = (got - want.as_f64().unwrap() as f32).abs();
            (sum, count) = (sum + d, count + 1);
            assert!(d <= 2.5 * tolerance, "{}: {row:?} vs {}", t["text"], t["probabilities"]);
        }
    }
    let mean = sum / count as f32;
    eprintln!("sensitive head vs ONNX Runtime: mean |diff| {mean} over {count} probabilities");
    assert!(mean <= tolerance / 2.0, "mean |diff| {mean}");
}

/// The training script's dev split of the authored sentences: a quarter of the groups, by hash.
fn authored_dev() -> Vec<(String, Sensitivity)> {
    let text = std::fs::read_to_string(root().join("models/train/data/sensitive_authored.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| {
            let digest = Sha256::digest(format!("0:{}", r["group"].as_str().unwrap()).as_bytes());
            // The last byte of the digest decides the big number's value mod 4.
            digest[31] % 4 == 0
        })
        .map(|r| {
            let category = serde_json::from_value(r["category"].clone()).unwrap();
            (r["text"].as_str().unwrap().to_string(), category)
        })
        .collect()
}

#[test]
fn the_model_catches_most_held_out_paraphrases_the_term_list_misses() {
    let model = model();
    let dev = authored_dev();
    let texts: Vec<&str> = dev.iter().map(|(t, _)| t.as_str()).collect();
    let model_tags = tags(&model, &texts);
    let combined: Vec<Sensitivity> = texts
        .iter()
        .zip(&model_tags)
        .map(|(t, m)| if classify(t) != Sensitivity::None { classify(t) } else { *m })
        .collect();
    let sensitive: Vec<usize> = (0..dev.len()).filter(|&i| dev[i].1 != Sensitivity::None).collect();
    let none: Vec<usize> = (0..dev.len()).filter(|&i| dev[i].1 == Sensitivity::None).collect();
    let rate = |tagged: &dyn Fn(usize) -> bool, over: &[usize]| {
        over.iter().filter(|&&i| tagged(i)).count() as f64 / over.len() as f64
    };
    let terms_recall = rate(&|i| classify(texts[i]) != Sensitivity::None, &sensitive);
    let recall = rate(&|i| combined[i] != Sensitivity::None, &sensitive);
    let right_category = rate(&|i| combined[i] == dev[i].1, &sensitive);
    let false_tags = rate(&|i| combined[i] != Sensitivity::None, &none);
    eprintln!(
        "authored dev: n {} ({} sensitive); recall terms {terms_recall:.3}, terms+model {recall:.3} \
         (right category {right_category:.3}); false tags on none {false_tags:.3}",
        dev.len(),
        sensitive.len()
    );
    assert!(sensitive.len() >= 60 && none.len() >= 50, "the split changed: {} / {}", sensitive.len(), none.len());
    // Training recorded 0.798 / 0.171 (relevance.json): a broken head or threshold falls far below.
    assert!(recall >= 0.7 && recall >= terms_recall + 0.4, "recall {recall} (terms alone {terms_recall})");
    assert!(false_tags <= 0.25, "false tags on none {false_tags}");
}

#[test]
fn paraphrased_sensitive_facts_stay_on_the_device() {
    block_on(async {
        let model = model();
        let p = Profile::new(MemoryStore::new(), SystemEnv::default());
        // No term of the list in either sentence; neither is in the training data.
        let insulin = "The user injects insulin before breakfast and dinner.";
        let rent = "The user could not pay last month's rent and is borrowing from friends.";
        for t in [insulin, rent, "The user plays the cello.", "The user cooks for a family of five."] {
            assert_eq!(classify(t), Sensitivity::None, "{t}");
            p.add(NewAttribute::text(t)).await.unwrap();
        }
        let all = SelectOptions { max_attributes: 10, threshold: Some(0.0) };
        let picked = p.select(&model, "Plan my meals and budget for next week.", all, false).await.unwrap();
        let texts: Vec<&str> = picked.iter().map(|s| s.attribute.text.as_str()).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(!texts.contains(&insulin) && !texts.contains(&rent), "{texts:?}");
        // The tags were stored, so the manager shows them and compose refuses them.
        let stored = p.list().await.unwrap();
        let tag_of = |t: &str| stored.iter().find(|a| a.text == t).unwrap().sensitivity;
        assert_eq!(tag_of(insulin), Sensitivity::Health);
        assert_eq!(tag_of(rent), Sensitivity::Finance);
        let id = stored.iter().find(|a| a.text == insulin).unwrap().id.clone();
        let format = &discreet::compose::PayloadFormat::Text.into();
        assert_eq!(p.compose("Plan my meals.", &[id], format).await.unwrap_err().code(), "E_INVALID_INPUT");

        p.set_allowed_sensitive(vec![Sensitivity::Health]).await.unwrap();
        let picked = p.select(&model, "Plan my meals and budget for next week.", all, false).await.unwrap();
        assert_eq!(picked.len(), 3, "allowing health lets the insulin fact be offered again");
        assert_eq!(p.store().vectors().await.unwrap().len(), 4);
    });
}

#[test]
fn ingest_tags_with_the_model_and_fills_the_vector_cache() {
    use discreet::extract::{ChatMessage, Role};
    use discreet::model::VerifierModel;
    block_on(async {
        let model = model();
        let verifier = VerifierModel::from_dir(&root().join("models"), &model).unwrap();
        let p = Profile::new(MemoryStore::new(), SystemEnv::default());
        let conversation = vec![ChatMessage::new(
            Role::User,
            "I inject insulin before breakfast and dinner, so plan my meals around that. I also play the cello.",
        )];
        let reply = r#"[
 {"attribute": "The user injects insulin before breakfast and dinner.", "reason": "They say they inject insulin before breakfast and dinner.",
  "evidence": ["I inject insulin before breakfast and dinner"], "confidence": 0.9},
 {"attribute": "The user plays the cello.", "reason": "They say they play the cello.", "evidence": ["I also play the cello"], "confidence": 0.9}
]"#;
        let report = p.ingest(&model, &verifier, &conversation, &Default::default(), reply).await.unwrap();
        let tag_of = |t: &str| report.stored.iter().find(|a| a.text.contains(t)).map(|a| a.sensitivity);
        assert_eq!(tag_of("insulin"), Some(Sensitivity::Health), "{report:#?}");
        assert_eq!(tag_of("cello"), Some(Sensitivity::None), "{report:#?}");
        assert_eq!(
            p.store().vectors().await.unwrap().len(),
            report.stored.len(),
            "ingest cached the vectors it computed"
        );
        // The cached vectors are the verifier's encodings, reused: each is what `select` would compute.
        for cached in p.store().vectors().await.unwrap() {
            assert_eq!(cached.vector, model.embed_attribute(&cached.text).unwrap(), "{}", cached.text);
        }
    });
}
