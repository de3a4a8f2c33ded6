//! Memory that stays true (issue 17): `ingest` relates each candidate to the stored attributes
//! with the committed relation head, a replaced fact becomes history that `select`, `prepareTurn`
//! and `compose` never use, and the user can read the chain, undo it, or let a fact expire.
//! Export and import carry the history; version-1 files still import.

mod common;

use std::path::PathBuf;

use common::TestEnv;
use discreet::arguments::IngestArgs;
use discreet::compose::ComposeOptions;
use discreet::extract::{ChatMessage, Role};
use discreet::ingest::{IngestReport, OutcomeAction};
use discreet::model::{RelevanceModel, VerifierModel};
use discreet::relate::Relation;
use discreet::review::{ReviewAction, ReviewDecision};
use discreet::select::SelectOptions;
use discreet::turn::Exclusion;
use discreet::{Attribute, ImportMode, MemoryStore, NewAttribute, Profile, Sensitivity, Verdict};
use futures_executor::block_on;

fn models() -> (RelevanceModel, VerifierModel) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let encoder = RelevanceModel::from_dir(&dir).unwrap();
    let verifier = VerifierModel::from_dir(&dir, &encoder).unwrap();
    (encoder, verifier)
}

type P = Profile<MemoryStore, TestEnv>;

fn profile() -> P {
    Profile::new(MemoryStore::new(), TestEnv { epoch: 1_764_000_000_000.0, ..Default::default() })
}

async fn ingest(p: &P, m: &(RelevanceModel, VerifierModel), attribute: &str, said: &str) -> IngestReport {
    ingest_all(p, m, &[(attribute, said)], 1_700_000_000_000.0).await
}

/// One reply holding each (attribute, what the user said) pair, from a conversation said at `at`.
async fn ingest_all(p: &P, m: &(RelevanceModel, VerifierModel), items: &[(&str, &str)], at: f64) -> IngestReport {
    let said: Vec<&str> = items.iter().map(|(_, s)| *s).collect();
    let conversation = [ChatMessage::new(Role::User, format!("{}. Can you help me plan my week?", said.join(". ")))];
    let items: Vec<_> = items
        .iter()
        .map(|(a, s)| serde_json::json!({ "attribute": a, "reason": "The user says so.", "evidence": [s], "confidence": 0.95 }))
        .collect();
    let reply = format!("```json\n{}\n```", serde_json::Value::Array(items));
    let options = IngestArgs { conversation_id: Some("c1".into()), observed_at: Some(at) };
    p.ingest(&m.0, &m.1, &conversation, &options, &reply).await.unwrap()
}

/// The user relocates to `city` for work, which replaces the stored attribute `old`; the new record.
async fn relocated(p: &P, m: &(RelevanceModel, VerifierModel), city: &str, old: &Attribute) -> Attribute {
    let report =
        ingest(p, m, &format!("The user relocated to {city} for work."), &format!("I relocated to {city} for work"))
            .await;
    assert_eq!(report.outcomes[0].action, OutcomeAction::Replaces, "{report:#?}");
    assert_eq!(report.outcomes[0].related.as_ref().unwrap().id, old.id, "{report:#?}");
    report.stored[0].clone()
}

async fn stored(p: &P, text: &str) -> Attribute {
    let added = p.add(NewAttribute { verdict: Verdict::Accepted, ..NewAttribute::text(text) }).await.unwrap();
    added.attribute
}

#[test]
fn a_new_value_replaces_the_old_one_which_is_never_sent_and_undo_restores_it() {
    let m = models();
    block_on(async {
        let p = profile();
        // Where the user lives is a sensitive category: allowed here, so only history withholds it.
        p.set_allowed_sensitive(vec![Sensitivity::Location]).await.unwrap();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        let piano = stored(&p, "The user plays the piano.").await;
        let report = ingest(&p, &m, "The user relocated to Madrid for work.", "I relocated to Madrid for work").await;
        let outcome = &report.outcomes[0];
        assert_eq!(outcome.action, OutcomeAction::Replaces, "{report:#?}");
        let related = outcome.related.as_ref().unwrap();
        assert_eq!((related.id.as_str(), related.text.as_str()), (lyon.id.as_str(), lyon.text.as_str()));
        assert!(
            outcome.explanation.contains("Lyon") && outcome.explanation.contains("Madrid"),
            "{}",
            outcome.explanation
        );
        let madrid = report.stored[0].clone();
        assert_eq!(madrid.observed_at, 1_700_000_000_000.0, "observedAt comes from the ingest options");
        assert_eq!(report.updated.len(), 1);

        let old = p.get(&lyon.id).await.unwrap();
        assert_eq!(old.superseded_by.as_deref(), Some(madrid.id.as_str()));
        assert!(old.superseded_at.is_some() && old.text == lyon.text, "history keeps the text and the time");
        assert_eq!(p.get(&piano.id).await.unwrap().superseded_by, None, "an unrelated fact stays");

        // Never offered, never sent.
        let options = SelectOptions { threshold: Some(0.0), max_attributes: 10 };
        let picked = p.select(&m.0, "Where should I go for dinner tonight?", options, true).await.unwrap();
        assert!(picked.iter().all(|s| s.attribute.id != lyon.id), "{picked:#?}");
        assert!(picked.iter().any(|s| s.attribute.id == madrid.id));
        let compose = ComposeOptions::default();
        let turn =
            p.prepare_turn(&m.0, "Where should I go for dinner tonight?", options, true, &compose).await.unwrap();
        assert!(!turn.payload.attribute_ids.contains(&lyon.id));
        let reason = turn.excluded.iter().find(|e| e.attribute.id == lyon.id).unwrap();
        assert_eq!(reason.reason, Exclusion::Superseded);
        let err = p.compose("Dinner?", &[lyon.id.clone()], &compose).await.unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        assert!(err.to_string().contains("replaced"), "{err}");

        let chain: Vec<String> = p.history(&madrid.id).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(chain, [lyon.id.clone(), madrid.id.clone()]);
        assert_eq!(p.history(&lyon.id).await.unwrap().len(), 2);
        assert_eq!(p.history("nope").await.unwrap_err().code(), "E_NOT_FOUND");

        let restored = p.undo_replacement(&lyon.id).await.unwrap();
        assert_eq!((restored.superseded_by, restored.superseded_at), (None, None));
        assert_eq!(p.undo_replacement(&lyon.id).await.unwrap_err().code(), "E_INVALID_INPUT", "nothing left to undo");
        let picked = p.select(&m.0, "Where should I go for dinner tonight?", options, true).await.unwrap();
        assert!(picked.iter().any(|s| s.attribute.id == lyon.id), "undo makes it current again");
        assert!(p.get(&madrid.id).await.is_ok(), "what replaced it stays");
    });
}

#[test]
fn a_paraphrase_merges_and_a_compatible_fact_is_added() {
    let m = models();
    block_on(async {
        let p = profile();
        let dog = stored(&p, "The user has a dog named Biscuit.").await;
        let piano = stored(&p, "The user plays the piano.").await;
        let report = ingest(&p, &m, "The user owns a dog called Biscuit.", "I own a dog called Biscuit").await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Merged, "{report:#?}");
        assert_eq!(report.outcomes[0].related.as_ref().unwrap().id, dog.id);
        assert!(report.stored.is_empty(), "no second record of the same fact");
        let merged = p.get(&dog.id).await.unwrap();
        // The conversation said it before it was stored by hand: first seen then, confirmed since.
        assert_eq!((merged.observed_at, merged.confirmed_at), (1_700_000_000_000.0, Some(dog.observed_at)));
        assert_eq!(merged.evidence, ["I own a dog called Biscuit"], "the new quote supports it");
        assert_eq!(merged.text, "The user owns a dog called Biscuit.", "the better-supported wording");
        assert_eq!(p.list().await.unwrap().len(), 2);

        let report = ingest(&p, &m, "The user also plays the violin.", "I also play the violin").await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Added, "{report:#?}");
        assert_eq!(p.get(&piano.id).await.unwrap().superseded_by, None, "both instruments stay true");
        assert_eq!(p.list().await.unwrap().len(), 3);
    });
}

#[test]
fn a_fact_said_again_after_it_was_replaced_or_expired_comes_back() {
    let m = models();
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        let madrid = relocated(&p, &m, "Madrid", &lyon).await;
        // Back to Lyon, said in a later conversation: the store keeps one record per text, so the old
        // one is current again.
        let report = ingest_all(&p, &m, &[("The user lives in Lyon.", "I live in Lyon")], 1_900_000_000_000.0).await;
        let outcome = &report.outcomes[0];
        assert_ne!(outcome.action, OutcomeAction::Rejected, "a replaced fact said again is no duplicate: {report:#?}");
        assert_eq!(outcome.id.as_deref(), Some(lyon.id.as_str()), "{report:#?}");
        assert!(report.stored.is_empty() && report.updated.iter().any(|a| a.id == lyon.id), "{report:#?}");
        let back = p.get(&lyon.id).await.unwrap();
        assert_eq!((back.superseded_by.as_deref(), back.superseded_at), (None, None));
        assert_eq!(back.evidence, ["I live in Lyon"], "with what was said");
        assert_eq!(p.list().await.unwrap().len(), 2);
        // The head reads "lives in Lyon" next to "relocated to Madrid" as unrelated (no change cue),
        // but Lyon's own history says Madrid holds its aspect now: Lyon replaces Madrid in turn, so
        // two places never stand side by side, and Madrid keeps its history.
        assert_eq!(outcome.action, OutcomeAction::Replaces, "{report:#?}");
        assert!(outcome.explanation.contains("said again after it was replaced"), "{}", outcome.explanation);
        let related = outcome.related.as_ref().unwrap();
        assert_eq!((related.id.as_str(), related.score), (madrid.id.as_str(), 1.0), "{report:#?}");
        assert_eq!(report.updated.len(), 2, "{report:#?}");
        let old_madrid = p.get(&madrid.id).await.unwrap();
        assert_eq!(old_madrid.superseded_by.as_deref(), Some(lyon.id.as_str()));
        assert!(!old_madrid.is_current(2_000_000_000_000.0));
        let chain: Vec<String> = p.history(&lyon.id).await.unwrap().into_iter().map(|a| a.text).collect();
        assert_eq!(chain, ["The user relocated to Madrid for work.", "The user lives in Lyon."]);
        // Undo puts Madrid back, as for any replacement.
        p.undo_replacement(&madrid.id).await.unwrap();
        assert!(p.get(&madrid.id).await.unwrap().is_current(2_000_000_000_000.0));

        let japan = stored(&p, "The user is travelling in Japan this month.").await;
        p.set_expiry(&japan.id, Some(1_000.0)).await.unwrap();
        let report =
            ingest(&p, &m, "The user is travelling in Japan this month.", "I am travelling in Japan this month").await;
        assert_eq!(report.outcomes[0].id.as_deref(), Some(japan.id.as_str()), "{report:#?}");
        let again = p.get(&japan.id).await.unwrap();
        assert_eq!(again.expires_at, None, "said again: it holds again");
        assert!(again.is_current(2_000_000_000_000.0));

        // A fact the user rejected stays rejected when the extractor proposes it again.
        let rejected = p.add(NewAttribute { verdict: Verdict::Rejected, ..NewAttribute::text("The user hates jazz.") });
        rejected.await.unwrap();
        let report = ingest(&p, &m, "The user hates jazz.", "I hate jazz").await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Rejected, "{report:#?}");
    });
}

#[test]
fn ingesting_the_same_conversation_again_never_undoes_a_replacement_or_an_expiry() {
    let m = models();
    block_on(async {
        let p = profile();
        let lyon = ingest(&p, &m, "The user lives in Lyon.", "I live in Lyon").await.stored[0].clone();
        let items = [("The user relocated to Madrid for work.", "I relocated to Madrid for work")];
        let report = ingest_all(&p, &m, &items, 1_800_000_000_000.0).await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Replaces, "{report:#?}");
        let duplicate = |report: &IngestReport| {
            report.outcomes[0].action == OutcomeAction::Rejected
                && report.outcomes[0].explanation.contains("already stored")
        };
        // An app that sends the whole chat each turn: Lyon's own quote again says nothing new.
        let report = ingest(&p, &m, "The user lives in Lyon.", "I live in Lyon").await;
        assert!(duplicate(&report), "{report:#?}");
        // New words, from a conversation older than the replacement: still history.
        let items = [("The user lives in Lyon.", "I really do live in Lyon")];
        let report = ingest_all(&p, &m, &items, 1_700_000_000_000.0).await;
        assert!(duplicate(&report), "{report:#?}");
        assert!(p.get(&lyon.id).await.unwrap().superseded_by.is_some());

        let said = "I am travelling in Japan this month";
        let japan = ingest(&p, &m, "The user is travelling in Japan this month.", said).await.stored[0].clone();
        p.set_expiry(&japan.id, Some(1_000.0)).await.unwrap();
        let report = ingest(&p, &m, "The user is travelling in Japan this month.", said).await;
        assert!(duplicate(&report), "{report:#?}");
        assert_eq!(p.get(&japan.id).await.unwrap().expires_at, Some(1_000.0), "still expired");
    });
}

#[test]
fn one_reply_relates_its_own_candidates_and_keeps_the_first_observation() {
    let m = models();
    block_on(async {
        let p = profile();
        let items = [
            ("The user has a dog named Biscuit.", "I have a dog named Biscuit"),
            ("The user owns a dog called Biscuit.", "I own a dog called Biscuit"),
        ];
        let report = ingest_all(&p, &m, &items, 1_700_000_000_000.0).await;
        let actions: Vec<_> = report.outcomes.iter().map(|o| o.action).collect();
        assert_eq!(actions, [OutcomeAction::Added, OutcomeAction::Merged], "{report:#?}");
        assert_eq!(report.stored.len(), 1, "one record of one fact: {report:#?}");
        assert!(report.updated.is_empty(), "a record new in this reply is reported as stored, once");
        let dog = &report.stored[0];
        assert_eq!(dog.evidence.len(), 2, "{dog:#?}");
        assert_eq!(p.list().await.unwrap().len(), 1);

        // An older conversation ingested late dates the fact earlier; seen again stays the later time.
        let report =
            ingest_all(&p, &m, &[("The user has a dog, Biscuit.", "my dog Biscuit")], 1_600_000_000_000.0).await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Merged, "{report:#?}");
        let dog = p.get(&dog.id).await.unwrap();
        assert_eq!((dog.observed_at, dog.confirmed_at), (1_600_000_000_000.0, Some(1_700_000_000_000.0)));
        dog.validate().unwrap();
    });
}

#[test]
fn a_sure_paraphrase_settles_one_held_for_review() {
    let m = models();
    block_on(async {
        let p = profile();
        let held =
            p.add(NewAttribute { verdict: Verdict::Review, ..NewAttribute::text("The user has a dog named Biscuit.") });
        let held = held.await.unwrap().attribute;
        let report = ingest(&p, &m, "The user owns a dog called Biscuit.", "I own a dog called Biscuit").await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Merged, "{report:#?}");
        assert_eq!(report.accepted.len(), 1, "the verifier accepted the new saying: {report:#?}");
        assert!(report.outcomes[0].explanation.contains("no longer held for review"), "{report:#?}");
        assert_eq!(p.get(&held.id).await.unwrap().verdict, Verdict::Accepted);
    });
}

#[test]
fn related_lists_the_nearest_current_attributes_with_the_relation_ingest_would_act_on() {
    let m = models();
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        for text in [
            "The user plays the piano.",
            "The user has a dog named Biscuit.",
            "The user is vegetarian.",
            "The user works as a nurse.",
            "The user speaks Portuguese.",
        ] {
            stored(&p, text).await;
        }
        let near = p.related(&m.0, "The user relocated to Madrid for work.").await.unwrap();
        assert_eq!(near.len(), 5, "{near:#?}");
        assert!(near.windows(2).all(|w| w[0].similarity >= w[1].similarity), "closest first");
        let found = near.iter().find(|r| r.attribute.id == lyon.id).expect("Lyon is among the nearest");
        assert_eq!(found.related.relation, Relation::Updates, "{found:#?}");
        assert_eq!(p.list().await.unwrap().len(), 6, "related stores nothing");

        // History is never related to: a replaced fact is no neighbour.
        let report = ingest(&p, &m, "The user relocated to Madrid for work.", "I relocated to Madrid for work").await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Replaces, "{report:#?}");
        assert_eq!(report.outcomes[0].related.as_ref().unwrap().id, lyon.id, "the place, not another aspect");
        let near = p.related(&m.0, "The user lives in Barcelona.").await.unwrap();
        assert!(near.iter().all(|r| r.attribute.id != lyon.id), "{near:#?}");
        assert_eq!(p.related(&m.0, "  ").await.unwrap_err().code(), "E_INVALID_INPUT");
    });
}

#[test]
fn the_users_own_wording_survives_a_merge() {
    let m = models();
    block_on(async {
        let p = profile();
        let dog = stored(&p, "The user has a dog named Biscuit.").await;
        p.update_text(&dog.id, "The user has a beagle named Biscuit.").await.unwrap();
        let report = ingest(&p, &m, "The user owns a beagle called Biscuit.", "I own a beagle called Biscuit").await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Merged, "{report:#?}");
        let merged = p.get(&dog.id).await.unwrap();
        assert_eq!(merged.text, "The user has a beagle named Biscuit.");
        assert_eq!(merged.evidence, ["I own a beagle called Biscuit"], "the quote still counts");
    });
}

#[test]
fn accepting_a_held_replacement_in_review_replaces_the_old_fact() {
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        // What `ingest` stores when the head is unsure: held, naming what it may replace.
        let held = p.add(NewAttribute { verdict: Verdict::Review, ..NewAttribute::text("The user is in Madrid.") });
        let held = held.await.unwrap().attribute;
        let mut record = held.clone();
        record.may_replace = Some(lyon.id.clone());
        // Scored by the verifier, yet the decision is on the replacement: no verifier judgment.
        record.verifier_score = Some(0.9);
        let file = discreet::exchange::to_json(vec![lyon.clone(), record], 0.0).unwrap();
        p.import_json(&file, ImportMode::Replace).await.unwrap();
        assert_eq!(p.get(&lyon.id).await.unwrap().superseded_by, None, "held: the old fact stays current");

        let decision = ReviewDecision { action: ReviewAction::Accept, text: None, kind: None };
        let reviewed = p.review(&held.id, &decision).await.unwrap();
        let replaced = reviewed.replaced.expect("the held replacement applies");
        assert_eq!(replaced.id, lyon.id);
        assert_eq!(p.get(&lyon.id).await.unwrap().superseded_by.as_deref(), Some(held.id.as_str()));
        let accepted = p.get(&held.id).await.unwrap();
        assert_eq!((accepted.verdict, accepted.may_replace), (Verdict::Accepted, None));
        assert!(reviewed.judgment.is_none(), "a judgment of the replacement was recorded");
    });
}

#[test]
fn a_held_replacement_whose_target_was_replaced_meanwhile_replaces_the_current_value() {
    block_on(async {
        let p = profile();
        let paris = stored(&p, "The user lives in Paris.").await;
        let madrid = stored(&p, "The user lives in Madrid.").await;
        let held = p.add(NewAttribute { verdict: Verdict::Review, ..NewAttribute::text("The user is in Lisbon.") });
        let held = held.await.unwrap().attribute;
        let mut old = paris.clone();
        old.superseded_by = Some(madrid.id.clone());
        old.superseded_at = Some(old.created_at + 1.0);
        let mut record = held.clone();
        record.may_replace = Some(paris.id.clone());
        let file = discreet::exchange::to_json(vec![old, madrid.clone(), record], 0.0).unwrap();
        p.import_json(&file, ImportMode::Replace).await.unwrap();

        let decision = ReviewDecision { action: ReviewAction::Accept, text: None, kind: None };
        let reviewed = p.review(&held.id, &decision).await.unwrap();
        assert_eq!(reviewed.replaced.map(|a| a.id), Some(madrid.id.clone()), "the place as it stands now");
        assert_eq!(p.get(&madrid.id).await.unwrap().superseded_by.as_deref(), Some(held.id.as_str()));
        assert_eq!(p.get(&paris.id).await.unwrap().superseded_by.as_deref(), Some(madrid.id.as_str()), "unchanged");
        let chain: Vec<String> = p.history(&held.id).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(chain, [paris.id.clone(), madrid.id.clone(), held.id.clone()]);
    });
}

#[test]
fn an_expired_fact_is_kept_but_never_offered() {
    let m = models();
    block_on(async {
        let p = profile();
        let japan = stored(&p, "The user is travelling in Japan this month.").await;
        let options = SelectOptions { threshold: Some(0.0), max_attributes: 10 };
        assert_eq!(p.select(&m.0, "Any food tips for tonight?", options, true).await.unwrap().len(), 1);
        let past = p.set_expiry(&japan.id, Some(1_000.0)).await.unwrap();
        assert_eq!(past.expires_at, Some(1_000.0));
        assert!(p.select(&m.0, "Any food tips for tonight?", options, true).await.unwrap().is_empty());
        let turn = p.prepare_turn(&m.0, "Food tips?", options, true, &ComposeOptions::default()).await.unwrap();
        assert_eq!(turn.excluded[0].reason, Exclusion::Expired);
        let err = p.compose("Food tips?", &[japan.id.clone()], &ComposeOptions::default()).await.unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
        assert_eq!(p.list().await.unwrap().len(), 1, "expired is not deleted");
        for bad in [-1.0, 0.5, f64::NAN, 9e15] {
            assert_eq!(p.set_expiry(&japan.id, Some(bad)).await.unwrap_err().code(), "E_INVALID_INPUT", "{bad}");
        }
        assert_eq!(p.set_expiry("nope", None).await.unwrap_err().code(), "E_NOT_FOUND");
        p.set_expiry(&japan.id, None).await.unwrap();
        assert_eq!(p.select(&m.0, "Any food tips for tonight?", options, true).await.unwrap().len(), 1);
    });
}

#[test]
fn history_survives_export_and_import_and_version_1_files_still_import() {
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        let madrid = stored(&p, "The user lives in Madrid.").await;
        let mut old = lyon.clone();
        old.superseded_by = Some(madrid.id.clone());
        old.superseded_at = Some(old.created_at + 5.0);
        old.expires_at = Some(old.created_at + 9.0);
        old.confirmed_at = Some(old.created_at + 2.0);
        p.import_json(&discreet::exchange::to_json(vec![old.clone(), madrid.clone()], 0.0).unwrap(), ImportMode::Merge)
            .await
            .unwrap();
        let json = p.export_json().await.unwrap();
        assert!(json.contains("\"version\": 2"), "{json}");
        let q = profile();
        q.import_json(&json, ImportMode::Merge).await.unwrap();
        assert_eq!(q.get(&lyon.id).await.unwrap(), old);

        let v1 = r#"{"format":"discreet.attributes","version":1,"exportedAt":0,"attributes":[{"id":"a1",
            "text":"The user is a nurse.","reason":null,"evidence":[],"source":null,"createdAt":10,"updatedAt":20,
            "verdict":"accepted","verifierScore":null,"sensitivity":"none","userEdited":false}]}"#;
        let r = profile();
        r.import_json(v1, ImportMode::Merge).await.unwrap();
        let a = r.get("a1").await.unwrap();
        assert_eq!((a.observed_at, a.confirmed_at, a.superseded_by), (10.0, None, None), "observedAt reads createdAt");
    });
}

#[test]
fn inconsistent_history_in_a_file_is_refused() {
    let base = NewAttribute::text("The user lives in Lyon.").into_attribute("a1".into(), 10.0).unwrap();
    let cases: [(&str, fn(&mut Attribute)); 6] = [
        ("go together", |a| a.superseded_by = Some("a2".into())),
        ("go together", |a| a.superseded_at = Some(11.0)),
        ("names the attribute itself", |a| {
            a.superseded_by = Some("a1".into());
            a.superseded_at = Some(11.0)
        }),
        ("names the attribute itself", |a| a.may_replace = Some("a1".into())),
        ("observedAt", |a| a.observed_at = 1.5),
        // The marker of rows from before history existed, written out, is no time.
        ("observedAt", |a| a.observed_at = -1.0),
    ];
    for (message, change) in cases {
        let mut a = base.clone();
        change(&mut a);
        let err = discreet::exchange::parse(&discreet::exchange::to_json(vec![a], 0.0).unwrap()).unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        assert!(err.to_string().contains(message), "{err} lacks {message}");
    }
}

#[test]
fn a_record_confirmed_before_it_was_observed_still_imports() {
    // The first history release merged an older conversation into a newer record this way; its
    // exports must still import, read with confirmedAt no earlier than observedAt.
    let mut a = NewAttribute::text("The user has a dog named Biscuit.").into_attribute("a1".into(), 10.0).unwrap();
    a.observed_at = 10.0;
    a.confirmed_at = Some(5.0);
    let parsed = discreet::exchange::parse(&discreet::exchange::to_json(vec![a], 0.0).unwrap()).unwrap();
    assert_eq!((parsed[0].observed_at, parsed[0].confirmed_at), (10.0, Some(10.0)));
}

#[test]
fn deleting_a_replacement_gives_back_the_fact_it_replaced() {
    let m = models();
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        let madrid = relocated(&p, &m, "Madrid", &lyon).await;
        assert!(p.remove(&madrid.id).await.unwrap());
        let back = p.get(&lyon.id).await.unwrap();
        assert_eq!((back.superseded_by.as_deref(), back.superseded_at), (None, None), "no dangling replacement");
        assert!(back.is_current(2_000_000_000_000.0));
        assert_eq!(p.history(&lyon.id).await.unwrap().len(), 1);
        assert_eq!(p.list().await.unwrap().len(), 1);
        // Deleting what replaced nothing touches nothing else.
        let piano = stored(&p, "The user plays the piano.").await;
        let before = p.get(&lyon.id).await.unwrap();
        assert!(p.remove(&piano.id).await.unwrap());
        assert_eq!(p.get(&lyon.id).await.unwrap(), before);
        assert!(!p.remove(&piano.id).await.unwrap(), "already gone");

        // The middle of a chain deleted: what it replaced stays history, of the newer value.
        let madrid = relocated(&p, &m, "Madrid", &lyon).await;
        let berlin = relocated(&p, &m, "Berlin", &madrid).await;
        assert!(p.remove(&madrid.id).await.unwrap());
        let lyon_now = p.get(&lyon.id).await.unwrap();
        assert_eq!(lyon_now.superseded_by.as_deref(), Some(berlin.id.as_str()), "one place stays current");
        assert!(lyon_now.superseded_at.is_some());
        let chain: Vec<String> = p.history(&berlin.id).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(chain, [lyon.id.clone(), berlin.id.clone()]);
    });
}

#[test]
fn a_fact_said_again_replaces_the_current_end_of_its_chain() {
    let m = models();
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        let madrid = relocated(&p, &m, "Madrid", &lyon).await;
        let berlin = relocated(&p, &m, "Berlin", &madrid).await;
        // Lyon was replaced by Madrid, which Berlin replaced since: Berlin holds the aspect now.
        let report = ingest_all(&p, &m, &[("The user lives in Lyon.", "I live in Lyon")], 1_900_000_000_000.0).await;
        assert_eq!(report.outcomes[0].action, OutcomeAction::Replaces, "{report:#?}");
        assert_eq!(report.outcomes[0].related.as_ref().unwrap().id, berlin.id, "{report:#?}");
        let current: Vec<String> =
            (p.list().await.unwrap().into_iter()).filter(|a| a.is_current(2_000_000_000_000.0)).map(|a| a.id).collect();
        assert_eq!(current, [lyon.id.clone()], "one place at a time");
    });
}

#[test]
fn a_doubtful_candidate_never_retires_a_stored_fact_it_is_held_for_review() {
    let m = models();
    block_on(async {
        let p = profile();
        let lyon = stored(&p, "The user lives in Lyon.").await;
        // A question about Madrid's weather is weak support for a move: the verifier doubts it.
        let conversation = [ChatMessage::new(Role::User, "what is the weather in Madrid this weekend?".to_string())];
        let items = serde_json::json!([{ "attribute": "The user has moved to Madrid.",
            "reason": "They asked about the weather in Madrid.", "evidence": ["what is the weather in Madrid"], "confidence": 0.6 }]);
        let reply = format!("```json\n{items}\n```");
        let options = IngestArgs { conversation_id: Some("c1".into()), observed_at: Some(1_700_000_000_000.0) };
        let report = p.ingest(&m.0, &m.1, &conversation, &options, &reply).await.unwrap();
        let outcome = &report.outcomes[0];
        assert_eq!(outcome.action, OutcomeAction::HeldForReview, "{report:#?}");
        assert_eq!(outcome.related.as_ref().unwrap().id, lyon.id, "{report:#?}");
        let held = p.get(outcome.id.as_deref().unwrap()).await.unwrap();
        assert_eq!((held.verdict, held.may_replace.as_deref()), (Verdict::Review, Some(lyon.id.as_str())));
        assert!(p.get(&lyon.id).await.unwrap().is_current(2_000_000_000_000.0), "Lyon still holds");
        // The user's "no" keeps Lyon; nothing was retired on the model's word alone.
        p.review(&held.id, &ReviewDecision { action: ReviewAction::Delete, text: None, kind: None }).await.unwrap();
        assert!(p.get(&lyon.id).await.unwrap().is_current(2_000_000_000_000.0));
        assert_eq!(p.list().await.unwrap().len(), 1);
    });
}
