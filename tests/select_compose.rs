//! The per-turn path natively: select over a MemoryStore with the committed
//! model, vector caching, then compose and the disclosure log.

use std::path::PathBuf;

use discreet::compose::PayloadFormat;
use discreet::model::RelevanceModel;
use discreet::select::SelectOptions;
use discreet::{MemoryStore, NewAttribute, Profile, Store, SystemEnv, Verdict};
use futures_executor::block_on;

fn model() -> RelevanceModel {
    RelevanceModel::from_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")).unwrap()
}

#[test]
fn select_caches_vectors_and_compose_discloses_only_the_selection() {
    block_on(async {
        let model = model();
        let p = Profile::new(MemoryStore::new(), SystemEnv::default());
        for t in ["The user is vegetarian.", "The user cooks for a family of five.", "The user plays the cello."] {
            p.add(NewAttribute::text(t)).await.unwrap();
        }
        let mut rejected = NewAttribute::text("The user hates onions.");
        rejected.verdict = Verdict::Rejected;
        p.add(rejected).await.unwrap();

        let all = SelectOptions { max_attributes: 10, threshold: Some(0.0) };
        let picked = p.select(&model, "Plan my dinners this week.", all, false).await.unwrap();
        assert_eq!(picked.len(), 3, "the rejected attribute is never a candidate");
        assert_eq!(p.store().vectors().await.unwrap().len(), 3, "vectors are cached");
        assert!(p.store().vectors().await.unwrap().iter().all(|v| v.model == model.version()));

        let cello = picked.iter().find(|s| s.attribute.text.contains("cello")).unwrap().attribute.clone();
        p.update_text(&cello.id, "The user bakes bread every weekend.").await.unwrap();
        let again = p.select(&model, "Plan my dinners this week.", all, false).await.unwrap();
        let cached = p.store().vectors().await.unwrap();
        let edited = cached.iter().find(|v| v.id == cello.id).unwrap();
        assert_eq!(edited.text, "The user bakes bread every weekend.", "the edit refreshed the cached vector");
        assert_eq!(again.len(), 3);

        let top: Vec<String> = again[..1].iter().map(|s| s.attribute.id.clone()).collect();
        let composed = p.compose("Plan my dinners this week.", &top, PayloadFormat::Openai).await.unwrap();
        let system = &composed.payload.messages[0].content;
        assert!(system.contains(&again[0].attribute.text));
        for s in &again[1..] {
            assert!(!system.contains(&s.attribute.text), "leaked {}", s.attribute.text);
        }
        assert!(!system.contains("onions"));
        assert_eq!(p.disclosures().await.unwrap(), vec![composed.disclosure]);

        p.remove(&cello.id).await.unwrap();
        assert_eq!(p.store().vectors().await.unwrap().len(), 2, "removing an attribute drops its vector");
        let missing = p.compose("x", &[cello.id.clone()], PayloadFormat::Text).await.unwrap_err();
        assert_eq!(missing.code(), "E_NOT_FOUND");
    });
}
