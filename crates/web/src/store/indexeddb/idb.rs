//! The wrapper's plumbing: transactions, the browser's errors as Discreet's, and the
//! schema migrations (history in `super`'s docs).

use indexed_db_futures::database::Database;
use indexed_db_futures::error::{Error as IdbError, OpenDbError};
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::Transaction;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::super::sealer::Sealer;
use super::{ATTRIBUTES, DISCLOSURES, JUDGMENTS, MAX_USER_CHARS, NORM_INDEX, SETTINGS, VECTORS};
use discreet::error::{Error, Result};

/// The stored encryption keys of the profile, if it has any, read within `tx`.
pub(super) async fn key_record(tx: &Transaction<'_>) -> Result<Option<JsValue>> {
    let store = tx.object_store(SETTINGS).map_err(map_err)?;
    let record: Option<JsValue> =
        store.get(Sealer::key_record_id()).primitive().map_err(map_err)?.await.map_err(map_err)?;
    Ok(record.filter(|r| r.is_object()))
}

/// The settings record every attribute or vector write replaces, in its own transaction: a
/// connection whose last full read saw the same value may reuse what it read (`Memo`).
const GENERATION_KEY: &str = "generation";

/// The profile's generation as read within `tx` (a transaction over `settings`); `None` until
/// the first write since schema v6.
pub(super) async fn generation(tx: &Transaction<'_>) -> Result<Option<String>> {
    let store = tx.object_store(SETTINGS).map_err(map_err)?;
    let record: Option<JsValue> = store.get(GENERATION_KEY).primitive().map_err(map_err)?.await.map_err(map_err)?;
    Ok(record.and_then(|r| js_sys::Reflect::get(&r, &"value".into()).ok()).and_then(|v| v.as_string()))
}

/// Within a write transaction over `settings`: a new generation, unique across tabs (random), so
/// every other connection's memo stops matching once this transaction commits.
pub(super) async fn bump_generation(tx: &Transaction<'_>) -> Result<()> {
    let record = js_sys::Object::new();
    let value = format!("{:016x}{:016x}", random_u64(), random_u64());
    for (k, v) in [("id", GENERATION_KEY), ("value", value.as_str())] {
        js_sys::Reflect::set(&record, &k.into(), &v.into())
            .map_err(|_| Error::Storage("could not build the generation record".into()))?;
    }
    let store = tx.object_store(SETTINGS).map_err(map_err)?;
    store.put(JsValue::from(record)).primitive().map_err(map_err)?.await.map_err(map_err)?;
    Ok(())
}

/// Within a write transaction over `settings`: no generation, which no memo matches.
pub(super) async fn drop_generation(tx: &Transaction<'_>) -> Result<()> {
    let store = tx.object_store(SETTINGS).map_err(map_err)?;
    store.delete(GENERATION_KEY).await.map_err(map_err)?;
    Ok(())
}

fn random_u64() -> u64 {
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (half() << 32) | half()
}

/// Within `tx`: empties the store `name`, then puts `records`.
pub(super) async fn replace_in<T: Serialize>(tx: &Transaction<'_>, name: &str, records: &[T]) -> Result<()> {
    let store = tx.object_store(name).map_err(map_err)?;
    store.clear().map_err(map_err)?.await.map_err(map_err)?;
    for r in records {
        store.put(r).serde().map_err(map_err)?.await.map_err(map_err)?;
    }
    Ok(())
}

/// Every record of the store `name`, read within `tx`.
pub(super) async fn all_in<T: DeserializeOwned>(tx: &Transaction<'_>, name: &str) -> Result<Vec<T>> {
    let store = tx.object_store(name).map_err(map_err)?;
    let rows = store.get_all::<T>().serde().map_err(map_err)?.await.map_err(map_err)?;
    rows.map(|r| r.map_err(map_err)).collect()
}

pub(super) fn context(store: &str, id: &str) -> String {
    format!("{store}/{id}")
}

pub fn database_name(user: &str) -> Result<String> {
    if user.trim().is_empty() {
        return Err(Error::invalid("user is empty"));
    }
    if user.chars().count() > MAX_USER_CHARS {
        return Err(Error::invalid(format!("user is longer than {MAX_USER_CHARS} characters")));
    }
    Ok(format!("discreet/{user}"))
}

pub(super) fn map_dom(e: &web_sys::DomException) -> Error {
    match e.name().as_str() {
        "ConstraintError" => Error::Duplicate(e.message()),
        "InvalidStateError" => Error::Closed,
        "QuotaExceededError" => Error::Quota(if e.message().is_empty() {
            "the browser refused the write: this site's storage is full; delete attributes or free space".into()
        } else {
            e.message()
        }),
        name => Error::Storage(format!("{name}: {}", e.message())),
    }
}

pub(super) fn map_err(e: IdbError) -> Error {
    match e {
        IdbError::DomException(d) => {
            let js: JsValue = d.into();
            map_dom(js.unchecked_ref())
        }
        other => Error::Storage(other.to_string()),
    }
}

/// Commits, reporting why the browser aborted the transaction (a full quota
/// surfaces only there) rather than the wrapper's generic "aborted".
pub(super) async fn commit(tx: Transaction<'_>) -> Result<()> {
    let raw: web_sys::IdbTransaction = tx.as_sys().clone().unchecked_into();
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(e) => Err(raw.error().map(|dom| map_dom(&dom)).unwrap_or_else(|| map_err(e))),
    }
}

pub(super) fn map_open_err(e: OpenDbError) -> Error {
    match e {
        OpenDbError::Base(e) => map_err(e),
        OpenDbError::UnsupportedEnvironment | OpenDbError::NullFactory => {
            Error::Storage("IndexedDB is not available in this environment".into())
        }
        other => Error::Storage(other.to_string()),
    }
}

pub(super) fn migrate(old_version: u32, db: &Database) -> indexed_db_futures::Result<()> {
    if old_version < 1 {
        let store = db.create_object_store(ATTRIBUTES).with_key_path("id".into()).build()?;
        store.create_index(NORM_INDEX, "norm".into()).with_unique(true).build()?;
    }
    if old_version < 2 {
        db.create_object_store(DISCLOSURES).with_key_path("id".into()).build()?;
    }
    if old_version < 3 {
        db.create_object_store(VECTORS).with_key_path("id".into()).build()?;
    }
    if old_version < 4 {
        db.create_object_store(SETTINGS).with_key_path("id".into()).build()?;
    }
    if old_version < 5 {
        db.create_object_store(JUDGMENTS).with_key_path("id".into()).build()?;
    }
    // v6 adds no store: it is the first version whose writers replace the `generation` record,
    // and the bump keeps connections of older code (which would not) from writing beside it.
    Ok(())
}
