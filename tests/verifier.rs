//! The committed verifier through Discreet's runtime: it reproduces ONNX Runtime's scores
//! (tests/fixtures/verifier_pairs.json), refuses broken or mismatched files
//! with E_MODEL, and `ingest` stores only what parse -> verify lets through.

use discreet::arguments::IngestArgs;
use std::path::PathBuf;

use discreet::extract::{extraction_prompt, ChatMessage, Role};
use discreet::model::{Claim, RelevanceModel, VerifierModel};
use discreet::{MemoryStore, NewAttribute, Profile, Store, SystemEnv, Verdict};
use futures_executor::block_on;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn models() -> (RelevanceModel, VerifierModel) {
    let encoder = RelevanceModel::from_dir(&dir()).unwrap();
    let verifier = VerifierModel::from_dir(&dir(), &encoder).unwrap();
    (encoder, verifier)
}

#[test]
fn runtime_matches_onnx_runtime_on_the_fixture() {
    let (encoder, verifier) = models();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verifier_pairs.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(fixture["model_version"], verifier.version());
    let tolerance = fixture["tolerance"].as_f64().unwrap() as f32;
    let pairs = fixture["pairs"].as_array().unwrap();
    // Claims go in as `verify` passes them (reason and quotes apart): the support text and the
    // lexical features are built on this side, and the fixture's came from the Python side.
    let quotes: Vec<Vec<String>> =
        pairs.iter().map(|p| serde_json::from_value(p["evidence"].clone()).unwrap()).collect();
    assert!(quotes.iter().any(|q| !q.is_empty()), "some pairs carry quotes");
    let claims: Vec<Claim> = pairs
        .iter()
        .zip(&quotes)
        .map(|(p, q)| Claim {
            attribute: p["attribute"].as_str().unwrap(),
            reason: p["reason"].as_str().unwrap(),
            evidence: q,
        })
        .collect();
    for (p, c) in pairs.iter().zip(&claims) {
        let python: Vec<f32> = serde_json::from_value(p["lexical"].clone()).unwrap();
        let rust = verifier.lexical_features(c);
        assert_eq!(rust.len(), python.len());
        assert!(rust.iter().zip(&python).all(|(a, b)| (a - b).abs() < 1e-5), "{}: {rust:?} vs {python:?}", c.attribute);
    }
    assert!(pairs.iter().any(|p| p["lexical"].as_array().unwrap()[..9].iter().any(|v| v.as_f64().unwrap() > 0.0)));
    let assessed = verifier.assess(&encoder, &claims).unwrap();
    let scores: Vec<f32> = assessed.iter().map(|a| a.score).collect();
    // The kind output: the kind ONNX Runtime found most likely, wherever it was clear.
    let kinds = &verifier.manifest().kinds;
    assert_eq!(kinds.len(), 4);
    for (p, a) in pairs.iter().zip(&assessed) {
        let probs: Vec<f32> = serde_json::from_value(p["kinds"].clone()).unwrap();
        let mut sorted = probs.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        if sorted[0] - sorted[1] > 0.1 {
            let best = probs.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
            assert_eq!(a.kind, Some(kinds[best]), "{}", p["attribute"]);
        }
    }
    // Per pair up to 2.5x the tolerance, on average within half of it: int8
    // requantization lets engines part on a few inputs (tests/onnx_runtime.rs).
    let diffs: Vec<f32> =
        pairs.iter().zip(&scores).map(|(p, s)| (s - p["score"].as_f64().unwrap() as f32).abs()).collect();
    let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
    eprintln!("verifier vs ONNX Runtime: mean |diff| {mean}, max {}", diffs.iter().fold(0f32, |a, &b| a.max(b)));
    for (p, d) in pairs.iter().zip(&diffs) {
        assert!(*d <= 2.5 * tolerance, "{}: off by {d}", p["attribute"]);
    }
    assert!(mean <= tolerance / 2.0, "mean |diff| {mean}");
    // The fixture spans the range, so agreement is not just "everything is 0".
    let (lo, hi) = scores.iter().fold((1f32, 0f32), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    assert!(lo < 0.2 && hi > 0.8, "{lo}..{hi}");
}

#[test]
fn broken_or_mismatched_files_are_e_model() {
    let encoder = RelevanceModel::from_dir(&dir()).unwrap();
    let manifest = std::fs::read(dir().join("verifier.json")).unwrap();
    let head = std::fs::read(dir().join("verifier-head.int8.onnx")).unwrap();
    assert!(VerifierModel::from_bytes(&manifest, &head, &encoder).is_ok());
    let code = |m: &[u8], h: &[u8]| VerifierModel::from_bytes(m, h, &encoder).err().map(|e| e.code());

    assert_eq!(code(&manifest, &head[..head.len() / 2]), Some("E_MODEL"));
    let mut flipped = head.clone();
    flipped[1000] ^= 0x40;
    assert_eq!(code(&manifest, &flipped), Some("E_MODEL"));
    assert_eq!(code(b"{not json", &head), Some("E_MODEL"));

    let edit = |f: &dyn Fn(&mut Value)| {
        let mut m: Value = serde_json::from_slice(&manifest).unwrap();
        f(&mut m);
        serde_json::to_vec(&m).unwrap()
    };
    let other_encoder = edit(&|m| m["encoder_sha256"] = "00".repeat(32).into());
    let err = VerifierModel::from_bytes(&other_encoder, &head, &encoder).err().unwrap();
    assert!(err.to_string().contains("another encoder"), "{err}");
    let crossed = edit(&|m| {
        m["thresholds"]["accept"] = 0.2.into();
        m["thresholds"]["reject"] = 0.8.into();
    });
    assert_eq!(code(&crossed, &head), Some("E_MODEL"));
    // Kind names come from the manifest: an unknown one is refused, and a count that does not
    // match the head's output fails the run instead of naming the wrong kind.
    let unknown_kind = edit(&|m| m["kinds"][0] = "bad_vibes".into());
    assert_eq!(code(&unknown_kind, &head), Some("E_MODEL"));
    let twice = edit(&|m| m["kinds"][1] = "overgeneralization".into());
    assert_eq!(code(&twice, &head), Some("E_MODEL"));
    for scale in [serde_json::json!(0.0), serde_json::json!(-3.0), serde_json::json!("3")] {
        let bad_scale = edit(&|m| m["lexicon"]["scale"] = scale.clone());
        assert_eq!(code(&bad_scale, &head), Some("E_MODEL"), "{scale}");
    }
    // A lexicon the head was not trained with (another width) fails when run, as E_MODEL.
    let wider = edit(&|m| {
        let extra = serde_json::json!({"group": "extra", "phrases": ["x"]});
        m["lexicon"]["quotes"].as_array_mut().unwrap().push(extra)
    });
    let model = VerifierModel::from_bytes(&wider, &head, &encoder).unwrap();
    let claim = Claim { attribute: "The user is a nurse.", reason: "They said so.", evidence: &[] };
    assert_eq!(model.assess(&encoder, &[claim]).unwrap_err().code(), "E_MODEL");
    let fewer = edit(&|m| m["kinds"] = serde_json::json!(["overgeneralization", "task_context"]));
    let model = VerifierModel::from_bytes(&fewer, &head, &encoder).unwrap();
    let claim = Claim { attribute: "The user is a nurse.", reason: "They said so.", evidence: &[] };
    let err = model.assess(&encoder, &[claim]).unwrap_err();
    assert_eq!(err.code(), "E_MODEL", "{err}");
    // Garbage the manifest vouches for still fails in the ONNX parser, not with a panic.
    let garbage = vec![7u8; 4096];
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(&garbage).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let vouched = edit(&|m| {
        m["files"]["head"]["bytes"] = 4096.into();
        m["files"]["head"]["sha256"] = digest.clone().into();
    });
    assert_eq!(code(&vouched, &garbage), Some("E_MODEL"));
}

fn conversation() -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(Role::User, "I'm training for my first marathon in April. Can you plan my long runs?"),
        ChatMessage::new(Role::Assistant, "Sure. Here is a 16-week plan."),
        ChatMessage::new(Role::User, "Thanks! I also keep a strict vegetarian diet, so suggest meals without meat."),
    ]
}

const REPLY: &str = r#"Here you go:
```json
[
 {"attribute": "The user is training for a marathon.", "reason": "They say they are training for their first marathon in April.",
  "evidence": ["I'm training for my first marathon in April"], "confidence": 0.95},
 {"attribute": "The user keeps a strict vegetarian diet.", "reason": "They state that they keep a strict vegetarian diet.",
  "evidence": ["I also keep a strict vegetarian diet"], "confidence": 0.95},
 {"attribute": "The user owns a dog.", "reason": "They mention walking their dog.", "evidence": ["I walk my dog daily"], "confidence": 0.6},
 {"attribute": "The user likes it.", "reason": "They thank the assistant.", "evidence": ["Thanks!"], "confidence": 0.5},
 {"attribute": "The user already runs daily.", "reason": "They asked for a plan.", "evidence": [], "confidence": 0.4}
]
```"#;

#[test]
fn ingest_stores_only_verified_candidates() {
    block_on(async {
        let (encoder, verifier) = models();
        let p = Profile::new(MemoryStore::new(), SystemEnv::default());
        p.add(NewAttribute::text("The user keeps a strict vegetarian diet")).await.unwrap();
        assert_eq!(extraction_prompt(&conversation()).unwrap().len(), 2);

        let conv1 = IngestArgs { conversation_id: Some("conv-1".into()), ..Default::default() };
        let report = p.ingest(&encoder, &verifier, &conversation(), &conv1, REPLY).await.unwrap();
        let rules: Vec<_> = report.rejected.iter().filter_map(|v| v.rule).collect();
        use discreet::verify::Rule::*;
        assert_eq!(rules, [Duplicate, EvidenceNotFound, NotStandalone, NoEvidence], "{report:#?}");
        assert_eq!(report.accepted.len() + report.review.len(), 1);
        let stored = &report.stored[0];
        assert_eq!(stored.text, "The user is training for a marathon.");
        assert!(matches!(stored.verdict, Verdict::Accepted | Verdict::Review));
        assert!(stored.verifier_score.unwrap() > 0.0);
        assert_eq!(stored.source.as_ref().unwrap().conversation_id, "conv-1");
        assert_eq!(p.store().list().await.unwrap().len(), 2);

        // A reply that cannot be parsed stores nothing.
        let bad = p
            .ingest(&encoder, &verifier, &conversation(), &IngestArgs::default(), "```json\n[{\"attribute\": 1}]\n```")
            .await;
        assert_eq!(bad.unwrap_err().code(), "E_BAD_EXTRACTION");
        assert_eq!(p.store().list().await.unwrap().len(), 2);
    });
}

#[test]
fn supported_claims_score_above_mismatched_ones() {
    let (encoder, verifier) = models();
    let pairs = [
        ("The user is vegan.", "They say they have been vegan for years and ask for vegan recipes."),
        ("The user is vegan.", "They ask how to configure a firewall on their home router."),
        ("The user works as a nurse.", "They mention their night shifts at the hospital ward as a nurse."),
        ("The user works as a nurse.", "They request a poem about autumn leaves."),
    ];
    let s = verifier.score(&encoder, &pairs).unwrap();
    assert!(s[0] > s[1] && s[2] > s[3], "{s:?}");
}
