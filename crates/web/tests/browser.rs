//! The JS-facing API in real headless Chromium against real IndexedDB.
#![cfg(target_arch = "wasm32")]

use discreet::{Attribute, Disclosure, ImportReport};
use discreet_web::{panic_count, Discreet};
use serde::de::DeserializeOwned;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/idb_helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = createV1Database)]
    async fn create_v1_database(name: &str, rows: JsValue);
    #[wasm_bindgen(js_name = holdOpen)]
    async fn hold_open(name: &str, version: u32) -> JsValue;
    #[wasm_bindgen(js_name = closeDb)]
    fn close_db(db: &JsValue);
    #[wasm_bindgen(js_name = databaseNames)]
    async fn database_names() -> JsValue;
    #[wasm_bindgen(js_name = uniqueName)]
    fn unique_name(prefix: &str) -> String;
    #[wasm_bindgen(js_name = deleteDatabase)]
    async fn delete_database(name: &str);
    #[wasm_bindgen(js_name = dumpDatabase)]
    async fn dump_database(name: &str) -> JsValue;
    #[wasm_bindgen(js_name = tryExportKey)]
    async fn try_export_key(name: &str) -> JsValue;
}

fn js(v: serde_json::Value) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

use serde::Serialize;

async fn ok<T: DeserializeOwned>(p: impl JsCast) -> T {
    let v = JsFuture::from(p.unchecked_into::<js_sys::Promise>()).await.expect("promise rejected");
    serde_wasm_bindgen::from_value(v).expect("unexpected result shape")
}

/// Awaits a promise expected to reject; returns its error `code` after
/// checking it is a real `Error` named `DiscreetError`.
async fn code_of(p: impl JsCast) -> String {
    let err = JsFuture::from(p.unchecked_into::<js_sys::Promise>()).await.expect_err("promise resolved");
    error_code(err)
}

fn error_code(err: JsValue) -> String {
    let e = err.dyn_ref::<js_sys::Error>().expect("rejection is not an Error");
    assert_eq!(String::from(e.name()), "DiscreetError");
    js_sys::Reflect::get(&err, &"code".into()).unwrap().as_string().expect("no code")
}

async fn open(user: &str) -> Discreet {
    Discreet::open(js(json!({ "user": user })).unchecked_into()).await.expect("open failed")
}

async fn open_err(options: JsValue) -> String {
    match Discreet::open(options.clone().unchecked_into()).await {
        Ok(_) => panic!("open succeeded with {options:?}"),
        Err(e) => error_code(e.into()),
    }
}

async fn add(d: &Discreet, text: &str) -> Attribute {
    let added: serde_json::Value = ok(d.add(js(json!({ "text": text })).unchecked_into())).await;
    serde_json::from_value(added["attribute"].clone()).unwrap()
}

async fn texts(d: &Discreet) -> Vec<String> {
    let list: Vec<Attribute> = ok(d.list()).await;
    list.into_iter().map(|a| a.text).collect()
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// The simd128 kernel this suite runs on equals the scalar definition (native tests check AVX2).
#[wasm_bindgen_test]
fn the_wasm_int8_kernel_equals_the_reference() {
    discreet::onnx::kernel_agrees_with_reference().unwrap();
}

/// The simd128 quantization of rows and pair features (range and u8 values) equals the scalar definitions.
#[wasm_bindgen_test]
fn the_wasm_row_quantization_equals_the_reference() {
    discreet::onnx::rows_agree_with_reference().unwrap();
}

#[wasm_bindgen_test]
async fn every_store_operation_round_trips() {
    let d = open(&unique_name("roundtrip")).await;
    let added: serde_json::Value = ok(d.add(
        js(json!({
            "text": "The user is a night-shift nurse.",
            "reason": "Mentions twelve-hour night shifts at the hospital.",
            "evidence": ["I just got off my night shift"],
            "source": { "conversationId": "c1", "messageIds": ["m3"] },
            "verdict": "accepted",
            "verifierScore": 0.91,
            "sensitivity": "none"
        }))
        .unchecked_into(),
    ))
    .await;
    assert_eq!(added["added"], true);
    let nurse: Attribute = serde_json::from_value(added["attribute"].clone()).unwrap();
    assert_eq!(nurse.verifier_score, Some(0.91));
    assert_eq!(nurse.source.as_ref().unwrap().message_ids, vec!["m3"]);

    let dup: serde_json::Value =
        ok(d.add(js(json!({ "text": "  the user is a NIGHT-SHIFT nurse " })).unchecked_into())).await;
    assert_eq!(dup["added"], false);
    assert_eq!(dup["attribute"]["id"], nurse.id.as_str());

    add(&d, "The user cycles to work.").await;
    let got: Attribute = ok(d.get(s(&nurse.id).unchecked_into())).await;
    assert_eq!(got, nurse);
    assert_eq!(texts(&d).await, ["The user is a night-shift nurse.", "The user cycles to work."]);

    let edited: Attribute =
        ok(d.update(s(&nurse.id).unchecked_into(), s("The user is a retired nurse.").unchecked_into())).await;
    assert!(edited.user_edited);
    let stored: Attribute = ok(d.get(s(&nurse.id).unchecked_into())).await;
    assert_eq!(stored.text, "The user is a retired nurse.");

    let export: String = ok(d.export_json()).await;
    assert!(export.contains("The user is a retired nurse."));

    let removed: bool = ok(d.remove(s(&nurse.id).unchecked_into())).await;
    assert!(removed);
    let removed_again: bool = ok(d.remove(s(&nurse.id).unchecked_into())).await;
    assert!(!removed_again);
    assert_eq!(code_of(d.get(s(&nurse.id).unchecked_into())).await, "E_NOT_FOUND");

    ok::<()>(d.clear()).await;
    assert!(texts(&d).await.is_empty());

    let report: ImportReport = ok(d.import_json(s(&export).unchecked_into(), None)).await;
    assert_eq!((report.added, report.replaced, report.skipped), (2, 0, 0));
    assert_eq!(texts(&d).await, ["The user is a retired nurse.", "The user cycles to work."]);

    let replaced: ImportReport = ok(d.import_json(
        s(&export.replace("The user cycles to work.", "The user runs to work.")).unchecked_into(),
        Some(js(json!({ "mode": "replace" })).unchecked_into()),
    ))
    .await;
    assert_eq!(replaced.added, 2);
    assert_eq!(texts(&d).await, ["The user is a retired nurse.", "The user runs to work."]);

    let log: Vec<Disclosure> = ok(d.disclosures()).await;
    assert!(log.is_empty(), "nothing was disclosed yet");
    d.close();
}

#[wasm_bindgen_test]
async fn data_persists_when_the_database_is_reopened() {
    let user = unique_name("persist");
    let d = open(&user).await;
    add(&d, "The user speaks Portuguese.").await;
    d.close();
    assert_eq!(code_of(d.list()).await, "E_CLOSED");

    let again = open(&user).await;
    assert_eq!(texts(&again).await, ["The user speaks Portuguese."]);
    let names: Vec<String> = serde_wasm_bindgen::from_value(database_names().await).unwrap();
    assert!(names.contains(&format!("discreet/{user}")));
    again.close();
}

#[wasm_bindgen_test]
async fn two_users_never_see_each_other() {
    let alice = open(&unique_name("alice")).await;
    let bob = open(&unique_name("bob")).await;
    add(&alice, "The user keeps bees.").await;
    add(&bob, "The user is learning Korean.").await;
    // The same text for both users is stored for each, not deduplicated across them.
    add(&bob, "The user keeps bees.").await;
    assert_eq!(texts(&alice).await, ["The user keeps bees."]);
    assert_eq!(texts(&bob).await, ["The user is learning Korean.", "The user keeps bees."]);
    ok::<()>(alice.clear()).await;
    assert_eq!(texts(&bob).await.len(), 2);
    alice.close();
    bob.close();
}

#[wasm_bindgen_test]
async fn malformed_import_leaves_the_store_unchanged() {
    let d = open(&unique_name("badimport")).await;
    add(&d, "The user is vegetarian.").await;
    add(&d, "The user plays the cello.").await;
    let before: String = ok(d.export_json()).await;
    let before_list: Vec<Attribute> = ok(d.list()).await;

    let one_bad_record = before.replace("\"The user plays the cello.\"", "42");
    let bad_second = {
        let mut v: serde_json::Value = serde_json::from_str(&before).unwrap();
        let mut extra = v["attributes"][0].clone();
        extra["id"] = "attr_new".into();
        extra["text"] = "The user likes jazz.".into();
        extra["verifierScore"] = 3.into();
        v["attributes"].as_array_mut().unwrap().push(extra);
        v.to_string()
    };
    let bad_files = [
        "".to_string(),
        "{ not json".to_string(),
        "[]".to_string(),
        r#"{"format":"something-else","version":1,"exportedAt":0,"attributes":[]}"#.to_string(),
        before.replace("\"version\": 2", "\"version\": 99"),
        one_bad_record,
        bad_second,
    ];
    for bad in &bad_files {
        for mode in ["merge", "replace"] {
            let code =
                code_of(d.import_json(s(bad).unchecked_into(), Some(js(json!({ "mode": mode })).unchecked_into())))
                    .await;
            assert_eq!(code, "E_INVALID_INPUT", "{mode}: {bad:.80}");
        }
    }
    let after: Vec<Attribute> = ok(d.list()).await;
    assert_eq!(after, before_list);
    d.close();
}

#[wasm_bindgen_test]
async fn an_upgrade_blocked_by_another_tab_reports_e_blocked_then_recovers() {
    let user = unique_name("blocked");
    let name = format!("discreet/{user}");
    let row = json!({ "id": "attr_old", "norm": "the user sails",
        "attribute": { "id": "attr_old", "text": "The user sails.", "reason": null, "evidence": [],
                       "source": null, "createdAt": 1.0, "updatedAt": 1.0, "verdict": "accepted",
                       "verifierScore": null, "sensitivity": "none", "userEdited": false } });
    create_v1_database(&name, js(json!([row]))).await;
    let stale_tab = hold_open(&name, 1).await;

    let code = open_err(js(json!({ "user": user }))).await;
    assert_eq!(code, "E_BLOCKED");

    close_db(&stale_tab);
    let d = open(&user).await;
    assert_eq!(texts(&d).await, ["The user sails."], "v1 data survives the migration");
    d.close();
}

#[wasm_bindgen_test]
async fn migration_from_v1_keeps_attributes_and_adds_the_disclosure_log() {
    let user = unique_name("migrate");
    let row = json!({ "id": "attr_v1", "norm": "the user brews beer",
        "attribute": { "id": "attr_v1", "text": "The user brews beer.", "reason": "homebrew kit", "evidence": [],
                       "source": null, "createdAt": 5.0, "updatedAt": 5.0, "verdict": "review",
                       "verifierScore": 0.5, "sensitivity": "none", "userEdited": false } });
    create_v1_database(&format!("discreet/{user}"), js(json!([row]))).await;
    let d = open(&user).await;
    let list: Vec<Attribute> = ok(d.list()).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].reason.as_deref(), Some("homebrew kit"));
    assert_eq!(
        (list[0].observed_at, list[0].superseded_by.as_deref()),
        (5.0, None),
        "rows before history read as current"
    );
    let log: Vec<Disclosure> = ok(d.disclosures()).await;
    assert!(log.is_empty());
    let settings: serde_json::Value = ok(d.settings()).await;
    assert_eq!(settings, json!({ "allowedSensitive": [] }), "v4 adds the settings with safe defaults");
    // The unique index from v1 still dedupes.
    let dup: serde_json::Value = ok(d.add(js(json!({ "text": "the user brews beer" })).unchecked_into())).await;
    assert_eq!(dup["added"], false);
    d.close();
}

#[wasm_bindgen_test]
async fn bad_input_gets_coded_errors_and_never_reaches_the_panic_hook() {
    // The test harness installs its own hook; put the SDK's back so the count below is its own.
    discreet_web::install_panic_hook();
    for options in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(3),
        js(json!({})),
        js(json!({ "user": "" })),
        js(json!({ "user": 7 })),
        js(json!({ "user": "x".repeat(500) })),
        js(json!({ "user": "a", "extra": 1 })),
    ] {
        assert_eq!(open_err(options).await, "E_INVALID_INPUT");
    }
    let d = open(&unique_name("badinput")).await;
    let bad_attributes = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        s("The user is tall."),
        JsValue::from(1),
        js(json!({})),
        js(json!({ "text": "" })),
        js(json!({ "text": "  \n\t " })),
        js(json!({ "text": 12 })),
        js(json!({ "text": "x".repeat(1_000_000) })),
        js(json!({ "text": "ok", "verdict": "maybe" })),
        js(json!({ "text": "ok", "verifierScore": 2 })),
        js(json!({ "text": "ok", "evidence": "not a list" })),
        js(json!({ "text": "ok", "unknownField": true })),
        js(json!({ "text": "ok", "source": { "conversationId": "" } })),
    ];
    for bad in bad_attributes {
        assert_eq!(code_of(d.add(bad.unchecked_into())).await, "E_INVALID_INPUT");
    }
    for bad_id in [JsValue::UNDEFINED, JsValue::from(5), js(json!({})), s(&"i".repeat(10_000))] {
        assert_eq!(code_of(d.get(bad_id.clone().unchecked_into())).await, "E_INVALID_INPUT");
        assert_eq!(code_of(d.remove(bad_id.clone().unchecked_into())).await, "E_INVALID_INPUT");
        assert_eq!(code_of(d.update(bad_id.unchecked_into(), s("text").unchecked_into())).await, "E_INVALID_INPUT");
    }
    let a = add(&d, "The user is tall.").await;
    for bad_text in [JsValue::NULL, s(""), s(&"y".repeat(5_000_000)), JsValue::from(false)] {
        assert_eq!(code_of(d.update(s(&a.id).unchecked_into(), bad_text.unchecked_into())).await, "E_INVALID_INPUT");
    }
    // Lone surrogates and control characters are cleaned, not fatal.
    let odd: serde_json::Value =
        ok(d.add(js_sys::JSON::parse(r#"{"text":"The user \ud800 likes\u0000 tea."}"#).unwrap().unchecked_into()))
            .await;
    assert_eq!(odd["added"], true);
    let huge = js_sys::JsString::from("z").repeat(40 * 1024 * 1024);
    assert_eq!(code_of(d.import_json(huge.unchecked_into(), None)).await, "E_INVALID_INPUT");
    assert_eq!(code_of(d.import_json(JsValue::from(1).unchecked_into(), None)).await, "E_INVALID_INPUT");
    assert_eq!(
        code_of(d.import_json(s("{}").unchecked_into(), Some(js(json!({ "mode": "wipe" })).unchecked_into()))).await,
        "E_INVALID_INPUT"
    );
    assert_eq!(texts(&d).await.len(), 2, "nothing bad was stored");
    d.close();
    assert_eq!(panic_count(), 0);
}

#[wasm_bindgen_test]
async fn sensitive_tags_and_the_users_switches_persist() {
    let user = unique_name("sensitive");
    let d = open(&user).await;
    let a = add(&d, "The user attends mosque on Fridays.").await;
    assert_eq!(a.sensitivity, discreet::Sensitivity::Religion);
    let set: serde_json::Value = ok(d.set_allowed_sensitive(js(json!(["religion", "finance"])).unchecked_into())).await;
    assert_eq!(set["allowedSensitive"], json!(["religion", "finance"]));
    assert_eq!(code_of(d.set_allowed_sensitive(js(json!(["none"])).unchecked_into())).await, "E_INVALID_INPUT");
    assert_eq!(code_of(d.set_allowed_sensitive(js(json!(["gossip"])).unchecked_into())).await, "E_INVALID_INPUT");
    assert_eq!(code_of(d.set_allowed_sensitive(js(json!("religion")).unchecked_into())).await, "E_INVALID_INPUT");
    d.close();
    let d = open(&user).await;
    let kept: serde_json::Value = ok(d.settings()).await;
    assert_eq!(kept["allowedSensitive"], json!(["religion", "finance"]));
    assert_eq!(ok::<Vec<Attribute>>(d.list()).await[0].sensitivity, discreet::Sensitivity::Religion);
    d.close();
}

#[wasm_bindgen_test]
async fn two_tabs_writing_at_once_lose_nothing_and_never_duplicate() {
    let user = unique_name("two-tabs");
    // Two connections to one database, as two tabs hold them.
    let (a, b) = (open(&user).await, open(&user).await);
    let mut pending = Vec::new();
    for i in 0..40 {
        let (d, tab) = if i % 2 == 0 { (&a, "a") } else { (&b, "b") };
        let add =
            |v: serde_json::Value| JsFuture::from(d.add(js(v).unchecked_into()).unchecked_into::<js_sys::Promise>());
        pending.push(add(json!({ "text": format!("The user fact {i} from tab {tab}.") })));
        // Both tabs also add the same fact: exactly one copy may survive.
        pending.push(add(json!({ "text": "The user shares this fact." })));
    }
    for p in pending {
        p.await.expect("every concurrent add succeeds");
    }
    let from_a = texts(&a).await;
    assert_eq!(from_a, texts(&b).await, "both tabs see the same store");
    assert_eq!(from_a.len(), 41, "40 distinct facts + 1 shared one: nothing lost, nothing doubled");
    a.close();
    b.close();
}

/// A connection keeps what it last listed until a write anywhere replaces the profile's
/// generation: another tab's edit, delete, add or clear is seen on the very next list.
#[wasm_bindgen_test]
async fn a_list_kept_in_memory_never_hides_another_tabs_write() {
    let user = unique_name("memo");
    let (a, b) = (open(&user).await, open(&user).await);
    let sails = add(&a, "The user sails.").await;
    let rows = add(&a, "The user rows.").await;
    assert_eq!(texts(&a).await, ["The user sails.", "The user rows."]);
    assert_eq!(texts(&a).await, ["The user sails.", "The user rows."], "a second list, from memory, is the same");
    let _: serde_json::Value =
        ok(b.update(s(&sails.id).unchecked_into(), s("The user sails dinghies.").unchecked_into())).await;
    assert_eq!(texts(&a).await, ["The user sails dinghies.", "The user rows."], "b's edit");
    let _: bool = ok(b.remove(s(&rows.id).unchecked_into())).await;
    assert_eq!(texts(&a).await, ["The user sails dinghies."], "b's delete");
    add(&b, "The user swims.").await;
    assert_eq!(texts(&a).await, ["The user sails dinghies.", "The user swims."], "b's add");
    ok::<()>(b.clear()).await;
    assert!(texts(&a).await.is_empty(), "b's clear");
    // A write of a's own that fails changes nothing, and a's next list still reads the truth.
    add(&a, "The user cycles.").await;
    let bad = code_of(a.import_json(s("{not json").unchecked_into(), None)).await;
    assert_eq!(bad, "E_INVALID_INPUT");
    assert_eq!(texts(&b).await, ["The user cycles."]);
    assert_eq!(texts(&a).await, ["The user cycles."]);
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn a_database_deleted_by_another_tab_closes_cleanly_and_can_be_reopened() {
    let user = unique_name("deleted");
    let d = open(&user).await;
    add(&d, "The user sails.").await;
    // Another tab deletes the database: our connection must let go (not block it) and say so.
    delete_database(&format!("discreet/{user}")).await;
    assert_eq!(code_of(d.list()).await, "E_CLOSED");
    assert_eq!(code_of(d.add(js(json!({ "text": "The user rows." })).unchecked_into())).await, "E_CLOSED");
    let fresh = open(&user).await;
    assert!(texts(&fresh).await.is_empty());
    add(&fresh, "The user rows.").await;
    fresh.close();
}

async fn open_encrypted(user: &str) -> Discreet {
    Discreet::open(js(json!({ "user": user, "encrypt": true })).unchecked_into()).await.unwrap()
}

async fn dump(user: &str) -> String {
    dump_database(&format!("discreet/{user}")).await.as_string().unwrap()
}

#[wasm_bindgen_test]
async fn an_encrypted_profile_stores_no_plaintext_and_reopens_with_its_key() {
    let user = unique_name("encrypted");
    let d = open_encrypted(&user).await;
    assert!(d.encrypted());
    let added: serde_json::Value = ok(d.add(
        js(json!({ "text": "The user sails on Lake Constance.", "reason": "Rowing club newsletter" })).unchecked_into(),
    ))
    .await;
    let id = added["attribute"]["id"].as_str().unwrap().to_string();
    add(&d, "The user keeps bees.").await;
    let dup: serde_json::Value = ok(d.add(js(json!({ "text": "the user keeps BEES" })).unchecked_into())).await;
    assert_eq!(dup["added"], false, "dedupe works on the keyed hash");
    let _: serde_json::Value = ok(d.compose(
        s("Where should I sail?").unchecked_into(),
        js(json!([{ "attribute": { "id": id }, "score": 1.0 }])).unchecked_into(),
        None,
    ))
    .await;

    let raw = dump(&user).await;
    for secret in ["Lake Constance", "Rowing club", "bees", "keeps", "Where should"] {
        assert!(!raw.contains(secret), "{secret:?} is readable in the database: {raw}");
    }
    assert!(raw.contains("sealed"));
    assert_eq!(try_export_key(&format!("discreet/{user}")).await.as_string().unwrap(), "InvalidAccessError");

    let exported: String = ok(d.export_json()).await;
    assert!(exported.contains("Lake Constance"), "export is plaintext, on explicit request");
    d.close();

    // Reopened without the flag: still encrypted, everything readable.
    let again = open(&user).await;
    assert!(again.encrypted());
    assert_eq!(texts(&again).await, ["The user sails on Lake Constance.", "The user keeps bees."]);
    let log: Vec<Disclosure> = ok(again.disclosures()).await;
    assert_eq!(log[0].attribute_texts, ["The user sails on Lake Constance."]);
    again.close();
}

#[wasm_bindgen_test]
async fn turning_encryption_on_seals_what_a_plaintext_profile_holds() {
    let user = unique_name("to-encrypt");
    let d = open(&user).await;
    assert!(!d.encrypted());
    add(&d, "The user grows chillies.").await;
    assert!(dump(&user).await.contains("chillies"));
    d.close();
    let d = open_encrypted(&user).await;
    assert!(d.encrypted());
    assert_eq!(texts(&d).await, ["The user grows chillies."]);
    assert!(!dump(&user).await.contains("chillies"), "the existing record was sealed");
    d.close();
}

/// Review decisions are applied and recorded as judgments in IndexedDB: they survive a reopen,
/// are sealed in an encrypted profile (existing ones sealed when encryption is turned on), and
/// export as the study's JSONL; a bad decision is a coded error that changes nothing.
#[wasm_bindgen_test]
async fn review_decisions_persist_as_sealed_judgments_and_export_as_study_lines() {
    let user = unique_name("review");
    let d = open(&user).await;
    let held = json!({ "text": "The user keeps bees.", "reason": "They mention their hives.", "evidence": ["my hives"],
                       "verdict": "review", "verifierScore": 0.42 });
    let added: serde_json::Value = ok(d.add(js(held).unchecked_into())).await;
    let id = added["attribute"]["id"].as_str().unwrap().to_string();
    let bad = d.review(s(&id).unchecked_into(), js(json!({ "action": "edit" })).unchecked_into());
    assert_eq!(code_of(bad).await, "E_INVALID_INPUT");
    let unknown = d.review(s(&id).unchecked_into(), js(json!({ "action": "keep" })).unchecked_into());
    assert_eq!(code_of(unknown).await, "E_INVALID_INPUT");
    let reviewed: serde_json::Value =
        ok(d.review(s(&id).unchecked_into(), js(json!({ "action": "accept" })).unchecked_into())).await;
    assert_eq!(reviewed["attribute"]["verdict"], "accepted");
    assert_eq!(reviewed["judgment"]["label"], "ok");
    let raw: serde_json::Value = serde_json::from_str(&dump(&user).await).unwrap();
    assert_eq!(raw["judgments"][0]["label"], "ok", "plaintext profile: the judgment is stored in the clear");
    d.close();

    let d = open_encrypted(&user).await;
    let judgments: Vec<serde_json::Value> = ok(d.judgments()).await;
    assert_eq!(judgments.len(), 1, "the judgment survived the reopen");
    let second = add(&d, "The user sells honey.").await;
    ok::<serde_json::Value>(
        d.review(s(&second.id).unchecked_into(), js(json!({ "action": "delete" })).unchecked_into()),
    )
    .await;
    let raw: serde_json::Value = serde_json::from_str(&dump(&user).await).unwrap();
    assert!(raw["judgments"][0]["sealed"].is_object() || raw["judgments"][0]["sealed"].is_string(), "{raw}");
    assert!(!raw.to_string().contains("hives"), "sealed when encryption was turned on");
    let lines: String = ok(d.export_judgments()).await;
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!((first["stage"].as_str(), first["label"].as_str()), (Some("attribute"), Some("ok")));
    assert_eq!(lines.lines().count(), 1, "an attribute added by hand is not a judgment of the verifier");
    ok::<()>(d.clear_judgments()).await;
    let judgments: Vec<serde_json::Value> = ok(d.judgments()).await;
    assert!(judgments.is_empty());
    assert_eq!(texts(&d).await, ["The user keeps bees."]);
    d.close();
}

/// A replacement chain as `ingest` leaves it: Lyon replaced by Madrid.
fn chain_file() -> serde_json::Value {
    let record = |id: &str, text: &str, replaced_by: Option<&str>| {
        json!({ "id": id, "text": text, "reason": null, "evidence": [], "source": null, "createdAt": 10,
            "updatedAt": 20, "verdict": "accepted", "verifierScore": null, "sensitivity": "none", "userEdited": false,
            "observedAt": 5, "confirmedAt": 15, "expiresAt": null, "supersededBy": replaced_by,
            "supersededAt": replaced_by.map(|_| 20), "mayReplace": null })
    };
    json!({ "format": "discreet.attributes", "version": 2, "exportedAt": 0, "attributes": [
        record("lyon", "The user lives in Lyon.", Some("madrid")),
        record("madrid", "The user relocated to Madrid for work.", None),
    ]})
}

async fn history_ids(d: &Discreet, id: &str) -> Vec<String> {
    let chain: Vec<Attribute> = ok(d.history(s(id).unchecked_into())).await;
    chain.into_iter().map(|a| a.id).collect()
}

/// History lives in IndexedDB like the rest: it survives a reopen, sealed in an encrypted profile,
/// and undo and expiry persist.
#[wasm_bindgen_test]
async fn history_persists_through_reopen_export_and_encryption() {
    for encrypted in [false, true] {
        let user = unique_name("history");
        let d = Discreet::open(js(json!({ "user": user, "encrypt": encrypted })).unchecked_into()).await.unwrap();
        let file = chain_file().to_string();
        let _: serde_json::Value = ok(d.import_json(s(&file).unchecked_into(), None)).await;
        d.close();

        let d = open(&user).await;
        assert_eq!(history_ids(&d, "madrid").await, ["lyon", "madrid"]);
        let lyon: Attribute = ok(d.get(s("lyon").unchecked_into())).await;
        assert_eq!(
            (lyon.superseded_by.as_deref(), lyon.superseded_at, lyon.observed_at),
            (Some("madrid"), Some(20.0), 5.0)
        );
        if encrypted {
            let raw = dump(&user).await;
            assert!(!raw.contains("Lyon") && !raw.contains("relocated"), "history is sealed too: {raw}");
        }
        let sent = d.compose(
            s("Dinner?").unchecked_into(),
            js(json!([{ "attribute": { "id": "lyon" }, "score": 1.0 }])).unchecked_into(),
            None,
        );
        assert_eq!(code_of(sent).await, "E_INVALID_INPUT", "a replaced fact is never sent");
        let exported: String = ok(d.export_json()).await;
        assert!(exported.contains("\"supersededBy\": \"madrid\""), "{exported}");

        let undone: Attribute = ok(d.undo_replacement(s("lyon").unchecked_into())).await;
        assert_eq!(undone.superseded_by, None);
        assert_eq!(code_of(d.undo_replacement(s("lyon").unchecked_into())).await, "E_INVALID_INPUT");
        let _: Attribute = ok(d.set_expiry(s("madrid").unchecked_into(), Some(1_000.0))).await;
        assert_eq!(code_of(d.set_expiry(s("madrid").unchecked_into(), Some(f64::NAN))).await, "E_INVALID_INPUT");
        assert_eq!(code_of(d.history(s("nope").unchecked_into())).await, "E_NOT_FOUND");
        d.close();

        let d = open(&user).await;
        assert_eq!(history_ids(&d, "lyon").await, ["lyon"], "undo persisted");
        let madrid: Attribute = ok(d.get(s("madrid").unchecked_into())).await;
        assert_eq!(madrid.expires_at, Some(1_000.0));
        // A copy of the export brings the chain back into a fresh profile.
        let other = open(&unique_name("history-copy")).await;
        let _: serde_json::Value = ok(other.import_json(s(&exported).unchecked_into(), None)).await;
        assert_eq!(history_ids(&other, "lyon").await, ["lyon", "madrid"]);
        d.close();
        other.close();
    }
}
