//! The profile rules over the native MemoryStore; the browser suite runs the
//! same operations over IndexedDB.

mod common;

use std::cell::Cell;

use common::TestEnv;
use discreet::{Env, ImportMode, MemoryStore, NewAttribute, Profile};
use futures_executor::block_on;

fn profile() -> Profile<MemoryStore, TestEnv> {
    Profile::new(MemoryStore::new(), TestEnv::default())
}

/// A second device: its ids never collide with `profile()`'s.
fn other_profile() -> Profile<MemoryStore, TestEnv> {
    Profile::new(MemoryStore::new(), TestEnv { tick: Cell::new(1_000_000), ..TestEnv::default() })
}

#[test]
fn add_dedupes_exact_and_normalized_duplicates() {
    block_on(async {
        let p = profile();
        let first = p.add(NewAttribute::text("The user is a nurse.")).await.unwrap();
        assert!(first.added);
        for dup in ["The user is a nurse.", "  the USER is a   nurse ", "The user is a nurse!"] {
            let again = p.add(NewAttribute::text(dup)).await.unwrap();
            assert!(!again.added, "{dup:?} was stored twice");
            assert_eq!(again.attribute.id, first.attribute.id);
        }
        assert_eq!(p.list().await.unwrap().len(), 1);
    });
}

#[test]
fn update_marks_user_edited_and_refuses_to_create_duplicates() {
    block_on(async {
        let p = profile();
        let a = p.add(NewAttribute::text("The user is a nurse.")).await.unwrap().attribute;
        let b = p.add(NewAttribute::text("The user cycles to work.")).await.unwrap().attribute;
        let edited = p.update_text(&a.id, "The user is an ICU nurse.").await.unwrap();
        assert!(edited.user_edited);
        assert!(edited.updated_at > a.updated_at);
        assert_eq!(p.get(&a.id).await.unwrap().text, "The user is an ICU nurse.");
        let err = p.update_text(&b.id, "the user is an icu nurse").await.unwrap_err();
        assert_eq!(err.code(), "E_DUPLICATE");
        assert_eq!(p.update_text("missing", "x").await.unwrap_err().code(), "E_NOT_FOUND");
        assert_eq!(p.update_text(&a.id, "   ").await.unwrap_err().code(), "E_INVALID_INPUT");
        // Re-saving the same text (different case) on the same attribute is fine.
        p.update_text(&a.id, "The user is an ICU NURSE.").await.unwrap();
    });
}

#[test]
fn remove_and_clear() {
    block_on(async {
        let p = profile();
        let a = p.add(NewAttribute::text("The user is a nurse.")).await.unwrap().attribute;
        p.add(NewAttribute::text("The user cycles.")).await.unwrap();
        assert!(p.remove(&a.id).await.unwrap());
        assert!(!p.remove(&a.id).await.unwrap());
        assert_eq!(p.get(&a.id).await.unwrap_err().code(), "E_NOT_FOUND");
        p.clear().await.unwrap();
        assert!(p.list().await.unwrap().is_empty());
    });
}

#[test]
fn export_then_import_into_another_profile_round_trips() {
    block_on(async {
        let p = profile();
        for t in ["The user is a nurse.", "The user cycles.", "The user cooks vegan food."] {
            p.add(NewAttribute::text(t)).await.unwrap();
        }
        let json = p.export_json().await.unwrap();
        let q = other_profile();
        let report = q.import_json(&json, ImportMode::Merge).await.unwrap();
        assert_eq!((report.added, report.replaced, report.skipped), (3, 0, 0));
        assert_eq!(q.list().await.unwrap(), p.list().await.unwrap());
    });
}

#[test]
fn merge_replaces_by_id_and_skips_texts_stored_under_another_id() {
    block_on(async {
        let p = profile();
        let nurse = p.add(NewAttribute::text("The user is a nurse.")).await.unwrap().attribute;
        let json = p.export_json().await.unwrap();
        p.update_text(&nurse.id, "The user is a retired nurse.").await.unwrap();
        let report = p.import_json(&json, ImportMode::Merge).await.unwrap();
        assert_eq!((report.added, report.replaced, report.skipped), (0, 1, 0));
        assert_eq!(p.get(&nurse.id).await.unwrap().text, "The user is a nurse.");

        let q = other_profile();
        q.add(NewAttribute::text("the user is a NURSE")).await.unwrap();
        let report = q.import_json(&json, ImportMode::Merge).await.unwrap();
        assert_eq!((report.added, report.replaced, report.skipped), (0, 0, 1));
        assert_eq!(q.list().await.unwrap().len(), 1);
    });
}

#[test]
fn replace_mode_leaves_exactly_the_file() {
    block_on(async {
        let p = profile();
        p.add(NewAttribute::text("The user is a nurse.")).await.unwrap();
        let json = p.export_json().await.unwrap();
        let q = other_profile();
        q.add(NewAttribute::text("The user plays chess.")).await.unwrap();
        q.import_json(&json, ImportMode::Replace).await.unwrap();
        let texts: Vec<String> = q.list().await.unwrap().into_iter().map(|a| a.text).collect();
        assert_eq!(texts, ["The user is a nurse."]);
    });
}

#[test]
fn bad_import_changes_nothing() {
    block_on(async {
        let p = profile();
        p.add(NewAttribute::text("The user is a nurse.")).await.unwrap();
        let before = p.export_json().await.unwrap();
        let broken = before.replace("\"The user is a nurse.\"", "\"\"");
        for bad in [broken.as_str(), "{not json", "{\"format\":\"discreet.attributes\",\"version\":1}"] {
            for mode in [ImportMode::Merge, ImportMode::Replace] {
                assert_eq!(p.import_json(bad, mode).await.unwrap_err().code(), "E_INVALID_INPUT");
            }
        }
        let after: serde_json::Value = serde_json::from_str(&p.export_json().await.unwrap()).unwrap();
        let before: serde_json::Value = serde_json::from_str(&before).unwrap();
        assert_eq!(after["attributes"], before["attributes"]);
    });
}

#[test]
fn disclosures_record_what_was_sent() {
    block_on(async {
        let p = profile();
        let a = p.add(NewAttribute::text("The user is vegetarian.")).await.unwrap().attribute;
        let d = p.record_disclosure("Suggest a dinner", std::slice::from_ref(&a)).await.unwrap();
        assert_eq!(d.attribute_ids, vec![a.id.clone()]);
        assert_eq!(d.attribute_texts, vec![a.text.clone()]);
        assert_eq!(d.prompt_hash.len(), 64);
        assert!(!d.prompt_hash.contains("dinner"));
        assert_eq!(p.disclosures().await.unwrap(), vec![d]);
    });
}

/// A clock set back between two steps (NTP, the user's settings): stored times stay exportable.
struct BackwardsEnv {
    now: Cell<f64>,
}

impl Env for BackwardsEnv {
    fn now_ms(&self) -> f64 {
        self.now.set(self.now.get() - 1000.5);
        self.now.get()
    }
    fn random_u64(&self) -> u64 {
        self.now.get().to_bits()
    }
}

#[test]
fn a_clock_set_back_never_makes_an_edit_older_than_its_creation() {
    block_on(async {
        let p = Profile::new(MemoryStore::new(), BackwardsEnv { now: Cell::new(1_733_011_200_000.0) });
        let a = p.add(NewAttribute::text("The user is a nurse.")).await.unwrap().attribute;
        assert_eq!(a.created_at.fract(), 0.0);
        let edited = p.update_text(&a.id, "The user is an ICU nurse.").await.unwrap();
        assert_eq!(edited.updated_at, edited.created_at);
        let json = p.export_json().await.unwrap();
        let q = profile();
        assert_eq!(q.import_json(&json, ImportMode::Replace).await.unwrap().added, 1);
        assert_eq!(q.list().await.unwrap(), p.list().await.unwrap());
    });
}

/// Firefox and Safari coarsen `Date.now()`: several adds land in one millisecond, and randomness
/// alone would shuffle them. The list keeps them in the order they were added.
struct CoarseEnv {
    random: Cell<u64>,
}

impl Env for CoarseEnv {
    fn now_ms(&self) -> f64 {
        1_733_011_200_000.0
    }
    fn random_u64(&self) -> u64 {
        self.random.set(self.random.get().wrapping_sub(0x9e37_79b9_7f4a_7c15));
        self.random.get()
    }
}

#[test]
fn adds_in_one_millisecond_list_in_the_order_they_were_made() {
    block_on(async {
        let p = Profile::new(MemoryStore::new(), CoarseEnv { random: Cell::new(u64::MAX) });
        let texts: Vec<String> = (0..40).map(|i| format!("The user owns {i} plants.")).collect();
        for t in &texts {
            p.add(NewAttribute::text(t)).await.unwrap();
        }
        let listed: Vec<String> = p.list().await.unwrap().into_iter().map(|a| a.text).collect();
        assert_eq!(listed, texts);
    });
}
