//! The relation head (how a new attribute relates to a stored one) through Discreet's runtime: it
//! must reproduce ONNX Runtime's probabilities (tests/fixtures/relation_pairs.json, written by
//! models/train/relation.py), compute the trainer's lexical features, decide by the manifest's
//! thresholds, and refuse broken or mismatched files with E_MODEL.

mod common;

use std::path::PathBuf;

use discreet::model::{ModelFiles, RelationThresholds, RelevanceModel};
use discreet::relate::{lexical, Probabilities, Related, Relation};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

#[test]
fn runtime_reproduces_the_onnx_runtime_probabilities_and_the_lexical_features() {
    let model = RelevanceModel::from_dir(&root().join("models")).unwrap();
    let fx = read_json("tests/fixtures/relation_pairs.json");
    assert_eq!(model.manifest().relation.as_ref().unwrap().version, fx["model_version"].as_str().unwrap());
    let tolerance = fx["tolerance"].as_f64().unwrap() as f32;
    let pairs = fx["pairs"].as_array().unwrap();
    assert!(pairs.len() >= 20, "{} pairs", pairs.len());
    let texts: Vec<(&str, &str)> =
        pairs.iter().map(|p| (p["old"].as_str().unwrap(), p["new"].as_str().unwrap())).collect();
    let related = model.relate_texts(&texts).unwrap();
    let mut worst: f32 = 0.0;
    for ((pair, (old, new)), r) in pairs.iter().zip(&texts).zip(&related) {
        let expected: Vec<f32> = serde_json::from_value(pair["lexical"].clone()).unwrap();
        assert_eq!(lexical(old, new).to_vec(), expected, "{old} -> {new}");
        let onnx: Vec<f32> = serde_json::from_value(pair["probabilities"].clone()).unwrap();
        let p = r.probabilities;
        for (ours, theirs) in [p.unrelated, p.same, p.updates].iter().zip(&onnx) {
            worst = worst.max((ours - theirs).abs());
        }
    }
    assert!(worst <= tolerance, "max |diff| {worst} > {tolerance}");
}

#[test]
fn the_issue_s_examples_are_decided_as_a_user_would() {
    let model = RelevanceModel::from_dir(&root().join("models")).unwrap();
    let pairs = [
        ("The user lives in Lyon.", "The user relocated to Madrid for work."),
        ("The user plays the piano.", "The user also plays the violin."),
        ("The user has a golden retriever.", "The user owns a golden retriever dog."),
    ];
    let r = model.relate_texts(&pairs).unwrap();
    assert_eq!((r[0].relation, r[0].review), (Relation::Updates, false), "{:?}", r[0]);
    assert_ne!(r[1].relation, Relation::Updates, "{:?}", r[1]);
    assert!(!r[1].review, "{:?}", r[1]);
    assert_eq!(r[2].relation, Relation::Same, "{:?}", r[2]);
    assert!(model.relate_texts(&[]).unwrap().is_empty());
}

#[test]
fn a_change_of_one_aspect_replaces_nothing_about_another() {
    // What ingest meets: the five nearest stored facts are mostly about other aspects, and v1 of the
    // head replaced "is vegetarian" with "relocated to Madrid" because of the change cue alone.
    let model = RelevanceModel::from_dir(&root().join("models")).unwrap();
    let new = "The user relocated to Madrid for work.";
    // Not "works as a nurse": a move for work next to a job still reads as a possible update (0.70),
    // a limit the model card names; ingest relates to the place when one is stored (tests/history.rs).
    let olds = [
        "The user is vegetarian.",
        "The user speaks Portuguese.",
        "The user plays the piano.",
        "The user has a dog named Biscuit.",
    ];
    let pairs: Vec<(&str, &str)> = olds.iter().map(|o| (*o, new)).collect();
    for (old, r) in olds.iter().zip(model.relate_texts(&pairs).unwrap()) {
        assert_ne!(r.relation, Relation::Updates, "{old}: {r:?}");
    }
}

#[test]
fn the_decision_follows_the_thresholds() {
    let t = RelationThresholds { updates: 0.8, review: 0.4, same: 0.5 };
    let p = |unrelated, same, updates| Probabilities { unrelated, same, updates };
    let d = |p| {
        let r = Related::decide(p, t);
        (r.relation, r.review, r.score)
    };
    assert_eq!(d(p(0.1, 0.05, 0.85)), (Relation::Updates, false, 0.85));
    // Below the replacement threshold but not far: held for the user, with `same` when p(same) reaches
    // its threshold, else `unrelated`.
    assert_eq!(d(p(0.5, 0.0, 0.5)), (Relation::Unrelated, true, 0.5));
    assert_eq!(d(p(0.0, 0.55, 0.45)), (Relation::Same, true, 0.45));
    assert_eq!(d(p(0.3, 0.6, 0.1)), (Relation::Same, false, 0.6));
    assert_eq!(d(p(0.6, 0.3, 0.1)), (Relation::Unrelated, false, 0.6));
}

#[test]
fn lexical_features_read_overlap_and_cues() {
    assert_eq!(lexical("The user lives in Lyon.", "The user lives in Lyon."), [1.0, 0.0, 0.0, 0.0]);
    let moved = lexical("The user lives in Lyon.", "The user moved to Madrid.");
    assert_eq!(moved[1..], [1.0, 0.0, 0.0]);
    assert_eq!(lexical("The user plays piano.", "The user also plays the violin.")[2], 1.0);
    assert_eq!(lexical("The user works at a bank.", "The user used to work at a bakery.")[3], 1.0);
    assert_eq!(lexical("", ""), [0.0; 4]);
}

struct Files {
    manifest: Value,
    bytes: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Files {
    fn read() -> Files {
        let manifest = read_json("models/relevance.json");
        let bytes = ["encoder", "head", "tokenizer", "sensitive", "relation"]
            .iter()
            .map(|n| {
                let path = manifest["files"][*n]["path"].as_str().unwrap();
                (n.to_string(), std::fs::read(root().join("models").join(path)).unwrap())
            })
            .collect();
        Files { manifest, bytes }
    }

    fn load(&self, relation: Option<&[u8]>) -> Result<RelevanceModel, (String, String)> {
        let manifest = serde_json::to_vec(&self.manifest).unwrap();
        RelevanceModel::from_bytes(ModelFiles {
            manifest: &manifest,
            encoder: &self.bytes["encoder"],
            head: &self.bytes["head"],
            tokenizer: &self.bytes["tokenizer"],
            sensitive: Some(&self.bytes["sensitive"]),
            relation,
        })
        .map_err(|e| (e.code().to_string(), e.to_string()))
    }

    fn refused(&self, relation: Option<&[u8]>) -> String {
        let (code, msg) = self.load(relation).err().expect("refused");
        assert_eq!(code, "E_MODEL", "{msg}");
        msg
    }
}

#[test]
fn a_named_relation_head_must_be_present_intact_and_match_the_manifest() {
    let files = Files::read();
    let head = files.bytes["relation"].clone();
    assert!(files.load(Some(&head)).is_ok());
    assert!(files.refused(None).contains("relation"));
    let mut flipped = head.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    assert!(files.refused(Some(&flipped)).contains("checksum"));
    assert!(files.refused(Some(&head[..1000])).contains("truncated"));

    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut f = Files::read();
        edit(&mut f.manifest);
        f.refused(Some(&head))
    };
    assert!(edited(&|m| m["relation"]["thresholds"]["review"] = 0.99.into()).contains("review <= updates"));
    assert!(edited(&|m| m["relation"]["thresholds"]["updates"] = 1.5.into()).contains("probabilities"));
    assert!(
        edited(&|m| m["relation"]["relations"] = serde_json::json!(["same", "same", "updates"])).contains("once each")
    );
    assert!(edited(&|m| m["relation"]["lexical"] = 5.into()).contains("lexical"));
    assert!(edited(&|m| m["relation"]["encoder_sha256"] = "0".repeat(64).into()).contains("another encoder"));
    assert!(edited(&|m| drop(m["files"].as_object_mut().unwrap().remove("relation"))).contains("relation"));
    // The sensitive head's bytes under the relation head's name: not a relation head.
    let mut f = Files::read();
    let sensitive = f.bytes["sensitive"].clone();
    f.manifest["files"]["relation"]["bytes"] = sensitive.len().into();
    f.manifest["files"]["relation"]["sha256"] = discreet::digest::sha256_hex(&sensitive).into();
    f.refused(Some(&sensitive));
}

#[test]
fn a_model_without_a_relation_head_says_so() {
    let mut files = Files::read();
    files.manifest.as_object_mut().unwrap().remove("relation");
    files.manifest["files"].as_object_mut().unwrap().remove("relation");
    let model = files.load(None).unwrap();
    let err = model.relate_texts(&[("The user lives in Lyon.", "The user moved to Madrid.")]).unwrap_err();
    assert_eq!(err.code(), "E_MODEL");
    assert!(err.to_string().contains("no relation head"), "{err}");
    let p = discreet::Profile::new(discreet::MemoryStore::new(), common::TestEnv::default());
    let err = futures_executor::block_on(p.related(&model, "The user moved to Madrid.")).unwrap_err();
    assert_eq!(err.code(), "E_MODEL", "{err}");
}
