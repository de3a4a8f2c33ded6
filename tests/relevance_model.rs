//! The committed relevance model through Discreet's runtime, natively: it must reproduce the
//! scores ONNX Runtime gave at export (tests/fixtures/relevance_pairs.json), and
//! refuse broken model files with E_MODEL instead of crashing.

use std::path::PathBuf;

use discreet::model::{ModelFiles, RelevanceModel};
use discreet::select::{SelectOptions, Selector};
use serde_json::Value;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/relevance_pairs.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Files {
    manifest: Vec<u8>,
    encoder: Vec<u8>,
    head: Vec<u8>,
    tokenizer: Vec<u8>,
    sensitive: Vec<u8>,
    relation: Vec<u8>,
}

impl Files {
    fn read() -> Files {
        let dir = models_dir();
        let m: Value = serde_json::from_slice(&std::fs::read(dir.join("relevance.json")).unwrap()).unwrap();
        let file = |name: &str| std::fs::read(dir.join(m["files"][name]["path"].as_str().unwrap())).unwrap();
        Files {
            manifest: std::fs::read(dir.join("relevance.json")).unwrap(),
            encoder: file("encoder"),
            head: file("head"),
            tokenizer: file("tokenizer"),
            sensitive: file("sensitive"),
            relation: file("relation"),
        }
    }

    fn load(&self) -> discreet::Result<RelevanceModel> {
        RelevanceModel::from_bytes(ModelFiles {
            manifest: &self.manifest,
            encoder: &self.encoder,
            head: &self.head,
            tokenizer: &self.tokenizer,
            sensitive: Some(&self.sensitive),
            relation: Some(&self.relation),
        })
    }
}

#[test]
fn runtime_reproduces_the_onnx_runtime_scores() {
    let model = RelevanceModel::from_dir(&models_dir()).unwrap();
    let fx = fixture();
    assert_eq!(model.version(), fx["model_version"].as_str().unwrap());
    let tolerance = fx["tolerance"].as_f64().unwrap();
    let mut worst: f64 = 0.0;
    for pair in fx["pairs"].as_array().unwrap() {
        let got =
            model.score_texts(pair["prompt"].as_str().unwrap(), &[pair["attribute"].as_str().unwrap()]).unwrap()[0];
        worst = worst.max((f64::from(got) - pair["score"].as_f64().unwrap()).abs());
    }
    assert!(worst <= tolerance, "largest difference from ONNX Runtime: {worst} > {tolerance}");

    let example = &fx["embedding_example"];
    let want: Vec<f64> = example["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let got = model.embed_attribute(example["text"].as_str().unwrap()).unwrap();
    let dot: f64 = got.iter().zip(&want).map(|(a, b)| f64::from(*a) * b).sum();
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let cosine = dot / (norm(&mut got.iter().map(|&x| f64::from(x))) * norm(&mut want.iter().copied()));
    // This text is one where int8 requantization parts the engines most (0.995;
    // the distribution over 100 texts is checked in tests/onnx_runtime.rs).
    assert!(cosine > 0.99, "embedding cosine to ONNX Runtime {cosine}");
}

#[test]
fn selector_ranks_budgets_and_thresholds() {
    let model = RelevanceModel::from_dir(&models_dir()).unwrap();
    let texts = [
        "The user is vegetarian.",
        "The user enjoys cooking elaborate dinners for friends.",
        "The user drives a red car.",
        "The user is learning the cello.",
    ];
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| model.embed_attribute(t).unwrap()).collect();
    let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
    let selector = Selector::new(&model);
    let prompt = "Suggest a menu for a dinner party I am hosting on Saturday.";
    let all = selector.select(prompt, &refs, SelectOptions { max_attributes: 10, threshold: Some(0.0) }).unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].score >= w[1].score));
    let two = selector.select(prompt, &refs, SelectOptions { max_attributes: 2, threshold: Some(0.0) }).unwrap();
    assert_eq!(two, all[..2]);
    let calibrated = selector.select(prompt, &refs, SelectOptions::default()).unwrap();
    assert!(calibrated.iter().all(|s| s.score >= model.threshold()));
    assert!(selector.select(prompt, &[], SelectOptions::default()).unwrap().is_empty());
    assert!(selector.select("", &refs, SelectOptions::default()).is_ok(), "an empty prompt is still a prompt");
}

#[test]
fn broken_model_files_give_e_model() {
    let files = Files::read();
    let code = |f: Files| f.load().err().map(|e| (e.code(), e.to_string()));

    let mut truncated = Files::read();
    truncated.encoder.truncate(files.encoder.len() / 2);
    let (c, msg) = code(truncated).unwrap();
    assert_eq!(c, "E_MODEL");
    assert!(msg.contains("truncated"), "{msg}");

    let mut flipped = Files::read();
    let mid = flipped.head.len() / 2;
    flipped.head[mid] ^= 0xff;
    assert!(code(flipped).unwrap().1.contains("checksum"));

    let mut garbage_manifest = Files::read();
    garbage_manifest.manifest = b"{ not json".to_vec();
    assert_eq!(code(garbage_manifest).unwrap().0, "E_MODEL");

    // A manifest that vouches for garbage: the ONNX parser must refuse it, not crash.
    let mut garbage = Files::read();
    garbage.encoder = vec![0x42; 4096];
    let mut m: Value = serde_json::from_slice(&garbage.manifest).unwrap();
    m["files"]["encoder"]["bytes"] = 4096.into();
    m["files"]["encoder"]["sha256"] = sha256_hex(&garbage.encoder).into();
    garbage.manifest = serde_json::to_vec(&m).unwrap();
    assert_eq!(code(garbage).unwrap().0, "E_MODEL");

    // The tokenizer in place of the encoder: valid bytes of the wrong kind.
    let mut swapped = Files::read();
    swapped.encoder = swapped.tokenizer.clone();
    let mut m: Value = serde_json::from_slice(&swapped.manifest).unwrap();
    m["files"]["encoder"] = m["files"]["tokenizer"].clone();
    swapped.manifest = serde_json::to_vec(&m).unwrap();
    assert_eq!(code(swapped).unwrap().0, "E_MODEL");

    let missing = RelevanceModel::from_dir(std::path::Path::new("/nonexistent/models")).err().unwrap();
    assert_eq!(missing.code(), "E_MODEL");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The browser loader hashes with WebCrypto and hands over checked bytes; the
/// digest comparison and the length guard must still refuse the wrong file.
#[test]
fn digests_computed_elsewhere_are_checked_the_same_way() {
    let files = Files::read();
    let manifest = discreet::model::Manifest::parse(&files.manifest).unwrap();
    let encoder = manifest.file("encoder").unwrap();
    encoder.check_digest(files.encoder.len(), &sha256_hex(&files.encoder)).unwrap();
    let wrong = encoder.check_digest(files.encoder.len(), &sha256_hex(b"other")).unwrap_err();
    assert!(wrong.to_string().contains("checksum"), "{wrong}");
    assert!(encoder.check_digest(10, &encoder.sha256).unwrap_err().to_string().contains("truncated"));

    let mut short = Files::read();
    short.tokenizer.truncate(100);
    let checked = |f: &Files| {
        RelevanceModel::from_checked_bytes(ModelFiles {
            manifest: &f.manifest,
            encoder: &f.encoder,
            head: &f.head,
            tokenizer: &f.tokenizer,
            sensitive: Some(&f.sensitive),
            relation: Some(&f.relation),
        })
    };
    assert_eq!(checked(&short).err().unwrap().code(), "E_MODEL");
    let model = checked(&files).unwrap();
    let reference = files.load().unwrap();
    let prompt = "Plan a week of vegetarian dinners.";
    let attributes = ["The user is vegetarian.", "The user plays chess."];
    assert_eq!(model.score_texts(prompt, &attributes).unwrap(), reference.score_texts(prompt, &attributes).unwrap());
}

#[test]
fn a_named_sensitive_head_must_be_present_and_intact() {
    let files = Files::read();
    let with = |sensitive: Option<&[u8]>| {
        RelevanceModel::from_bytes(ModelFiles {
            manifest: &files.manifest,
            encoder: &files.encoder,
            head: &files.head,
            tokenizer: &files.tokenizer,
            sensitive,
            relation: Some(&files.relation),
        })
        .err()
        .map(|e| (e.code(), e.to_string()))
    };
    let (code, msg) = with(None).unwrap();
    assert_eq!(code, "E_MODEL");
    assert!(msg.contains("sensitive"), "{msg}");
    let mut flipped = files.sensitive.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    assert!(with(Some(&flipped)).unwrap().1.contains("checksum"));
    assert_eq!(with(Some(&files.head)).unwrap().0, "E_MODEL");

    // A head trained on another encoder's vectors is refused, not silently mis-tagging.
    let mut m: Value = serde_json::from_slice(&files.manifest).unwrap();
    m["sensitive"]["encoder_sha256"] = "0".repeat(64).into();
    let stale = Files { manifest: serde_json::to_vec(&m).unwrap(), ..Files::read() };
    let (code, msg) = stale.load().err().map(|e| (e.code(), e.to_string())).unwrap();
    assert_eq!(code, "E_MODEL");
    assert!(msg.contains("another encoder"), "{msg}");
}
