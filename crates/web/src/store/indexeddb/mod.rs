//! IndexedDB backend (browser only), on `indexed_db_futures`. One database per
//! user, named `discreet/<user>`, so profiles never mix.
//!
//! Schema history (each step is a migration that runs in order):
//! - v1: `attributes` (key `id`) with a unique `norm` index for dedupe.
//! - v2: `disclosures` (key `id`), the log of what left the device.
//! - v3: `vectors` (key `id`), each attribute's cached vector and the model version it is from.
//! - v4: `settings` (key `id`), the user's privacy settings (record `privacy`) and, for an
//!   encrypted profile, its keys (record `keys`).
//! - v5: `judgments` (key `id`), the user's review decisions as stage-1 judgments.
//! - v6: every attribute or vector write also replaces the `settings` record `generation`, so a
//!   connection can keep what it last read of both (`Memo`) until another write happens.
//!
//! An encrypted profile (`open(user, true)`, see `sealer`) stores every attribute, disclosure,
//! vector and judgment sealed; the first encrypted open of a plaintext profile seals what is there.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_channel::oneshot;
use std::future::IntoFuture;

use futures_util::future::{join_all, select, Either};
use indexed_db_futures::database::Database;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

mod idb;
mod rows;
mod sealing;

pub use idb::database_name;
use idb::{
    bump_generation, commit, drop_generation, generation, key_record, map_err, map_open_err, migrate, replace_in,
};
use rows::{Keyed, SettingsRow, Stored, StoredRow};

use super::sealer::Sealer;
use discreet::attribute::Attribute;
use discreet::disclosure::Disclosure;
use discreet::error::{Error, Result};
use discreet::review::ReviewJudgment;
use discreet::sensitive::PrivacySettings;
use discreet::vector_cache::CachedVector;
use discreet::Store;

pub const SCHEMA_VERSION: u32 = 6;
const ATTRIBUTES: &str = "attributes";
const NORM_INDEX: &str = "norm";
const DISCLOSURES: &str = "disclosures";
const JUDGMENTS: &str = "judgments";
const VECTORS: &str = "vectors";
const SETTINGS: &str = "settings";
const PRIVACY_KEY: &str = "privacy";
const MAX_USER_CHARS: usize = 128;
const SEAL_ATTEMPTS: usize = 5;

pub struct IndexedDbStore {
    db: Database,
    sealer: Option<Sealer>,
    /// Set when the connection was closed, by us or because another tab
    /// needs to upgrade the schema.
    closed: Rc<Cell<bool>>,
    memo: RefCell<Memo>,
    _on_version_change: Closure<dyn FnMut()>,
}

/// The attributes and vectors this connection last read in full, and the generation they were
/// read at. A select reads both every turn: over 10,000 attributes that was most of its time
/// (hundreds of ms of IndexedDB reads and decoding; for a sealed profile, one decryption per row).
#[derive(Default)]
struct Memo {
    attributes: Option<(Option<String>, Vec<Attribute>)>,
    vectors: Option<(Option<String>, Vec<CachedVector>)>,
}

impl IndexedDbStore {
    /// Opens (creating or migrating) the user's database. If another open
    /// connection blocks the upgrade, fails with `Error::Blocked` instead of
    /// waiting for it forever.
    pub async fn open(user: &str, encrypt: bool) -> Result<Self> {
        let name = database_name(user)?;
        let (blocked_tx, blocked_rx) = oneshot::channel::<()>();
        let blocked_tx = RefCell::new(Some(blocked_tx));
        let request = Database::open(name.as_str())
            .with_version(SCHEMA_VERSION)
            .with_on_blocked(move |_| {
                if let Some(tx) = blocked_tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
                Ok(())
            })
            .with_on_upgrade_needed(|event, db| migrate(event.old_version() as u32, &db))
            .build()
            .map_err(map_open_err)?;

        // The open request cannot be cancelled. If we give up on it, it still
        // succeeds once the other tab lets go, and that connection must then be
        // closed or it would block every later upgrade.
        let abandoned = Rc::new(Cell::new(false));
        let (result_tx, result_rx) = oneshot::channel();
        let abandoned_in_task = abandoned.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = request.await;
            if abandoned_in_task.get() {
                if let Ok(db) = result {
                    db.close();
                }
            } else {
                let _ = result_tx.send(result);
            }
        });

        let opened = match select(result_rx, blocked_rx).await {
            Either::Left((result, _)) => result,
            Either::Right((Ok(()), _)) => {
                abandoned.set(true);
                return Err(Error::Blocked(format!(
                    "{name} is open in another tab at an older schema version; close that tab and retry"
                )));
            }
            Either::Right((Err(_), result_rx)) => result_rx.await,
        };
        let db = opened.map_err(|_| Error::Storage("the open request was dropped".into()))?.map_err(map_open_err)?;
        let mut store = Self::watch_version_changes(db);
        store.init_sealer(encrypt).await?;
        Ok(store)
    }

    /// Whether this profile is stored encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.sealer.is_some()
    }

    /// A newer schema in another tab must not be blocked by this connection:
    /// close it and fail later calls with `E_CLOSED`.
    fn watch_version_changes(db: Database) -> Self {
        let closed = Rc::new(Cell::new(false));
        let sys: web_sys::IdbDatabase = db.as_sys().clone().unchecked_into();
        let flag = closed.clone();
        let raw = sys.clone();
        let on_version_change = Closure::<dyn FnMut()>::new(move || {
            flag.set(true);
            raw.close();
        });
        sys.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        IndexedDbStore { db, sealer: None, closed, memo: RefCell::default(), _on_version_change: on_version_change }
    }

    pub fn close(&self) {
        self.closed.set(true);
        self.db.as_sys().close();
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.get() {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }
}

impl Store for IndexedDbStore {
    async fn get(&self, id: &str) -> Result<Option<Attribute>> {
        self.check_open()?;
        let tx = self.db.transaction(ATTRIBUTES).build().map_err(map_err)?;
        let store = tx.object_store(ATTRIBUTES).map_err(map_err)?;
        let row: Option<StoredRow> = store.get(id).serde().map_err(map_err)?.await.map_err(map_err)?;
        drop(tx);
        self.decode_found(row).await
    }

    async fn list(&self) -> Result<Vec<Attribute>> {
        let (at, rows) = match self.read_unless_held(ATTRIBUTES, |m| m.attributes.as_ref()).await? {
            Fresh::Held(attributes) => return Ok(attributes),
            Fresh::Read(at, rows) => (at, rows),
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.decode_row(row).await?);
        }
        self.memo.borrow_mut().attributes = Some((at, out.clone()));
        Ok(out)
    }

    async fn find_normalized(&self, norm: &str) -> Result<Option<Attribute>> {
        self.check_open()?;
        let key = match &self.sealer {
            Some(sealer) => sealer.index_key(norm).await?,
            None => norm.to_string(),
        };
        let tx = self.db.transaction(ATTRIBUTES).build().map_err(map_err)?;
        let store = tx.object_store(ATTRIBUTES).map_err(map_err)?;
        let index = store.index(NORM_INDEX).map_err(map_err)?;
        let row: Option<StoredRow> = index.get(key).serde().map_err(map_err)?.await.map_err(map_err)?;
        drop(tx);
        self.decode_found(row).await
    }

    async fn put(&self, attribute: &Attribute) -> Result<()> {
        self.write_all(false, std::slice::from_ref(attribute)).await
    }

    async fn delete(&self, id: &str) -> Result<bool> {
        let tx = self.attribute_writer(Change::Removes).await?;
        let store = tx.object_store(ATTRIBUTES).map_err(map_err)?;
        let existed = store.count().with_query(id).await.map_err(map_err)? > 0;
        store.delete(id).await.map_err(map_err)?;
        tx.object_store(VECTORS).map_err(map_err)?.delete(id).await.map_err(map_err)?;
        commit(tx).await?;
        Ok(existed)
    }

    async fn clear(&self) -> Result<()> {
        self.write_all(true, &[]).await
    }

    async fn write_all(&self, clear_first: bool, attributes: &[Attribute]) -> Result<()> {
        let rows = self.encode_rows(attributes).await?;
        let change = if attributes.is_empty() { Change::Removes } else { Change::Writes };
        let tx = self.attribute_writer(change).await?;
        let store = tx.object_store(ATTRIBUTES).map_err(map_err)?;
        if clear_first {
            store.clear().map_err(map_err)?.await.map_err(map_err)?;
            tx.object_store(VECTORS).map_err(map_err)?.clear().map_err(map_err)?.await.map_err(map_err)?;
        }
        for row in &rows {
            store.put(row).serde().map_err(map_err)?.await.map_err(map_err)?;
        }
        // Dropping an uncommitted transaction aborts it, so an error above
        // rolls back every write made so far.
        commit(tx).await
    }

    async fn vectors(&self) -> Result<Vec<CachedVector>> {
        let (at, stored) = match self.read_unless_held(VECTORS, |m| m.vectors.as_ref()).await? {
            Fresh::Held(vectors) => return Ok(vectors),
            Fresh::Read(at, stored) => (at, stored),
        };
        let vectors: Vec<CachedVector> = self.decode_all(VECTORS, stored).await?;
        self.memo.borrow_mut().vectors = Some((at, vectors.clone()));
        Ok(vectors)
    }

    /// Only for attributes still stored, checked in the same transaction: a select in one tab
    /// must not leave a vector behind for an attribute another tab just deleted.
    async fn put_vectors(&self, vectors: &[CachedVector]) -> Result<()> {
        self.check_open()?;
        if vectors.is_empty() {
            return Ok(());
        }
        let records = self.encode_all(VECTORS, vectors).await?;
        let tx = self.attribute_writer(Change::Writes).await?;
        let attributes = tx.object_store(ATTRIBUTES).map_err(map_err)?;
        let store = tx.object_store(VECTORS).map_err(map_err)?;
        // Every request issued before any is awaited: the transaction runs them in order either
        // way, and a round trip per request was a tenth of `prepareVectors`' time.
        let counts = join_all(vectors.iter().map(|v| attributes.count().with_query(v.id.as_str()).into_future())).await;
        let mut puts = Vec::new();
        for (r, count) in records.iter().zip(counts) {
            if count.map_err(map_err)? > 0 {
                puts.push(store.put(r).serde().map_err(map_err)?.into_future());
            }
        }
        for put in join_all(puts).await {
            put.map_err(map_err)?;
        }
        commit(tx).await
    }

    async fn add_disclosure(&self, disclosure: &Disclosure) -> Result<()> {
        self.put_all(DISCLOSURES, std::slice::from_ref(disclosure)).await
    }

    async fn disclosures(&self) -> Result<Vec<Disclosure>> {
        self.read_all(DISCLOSURES).await
    }

    async fn add_judgment(&self, judgment: &ReviewJudgment) -> Result<()> {
        self.put_all(JUDGMENTS, std::slice::from_ref(judgment)).await
    }

    async fn judgments(&self) -> Result<Vec<ReviewJudgment>> {
        self.read_all(JUDGMENTS).await
    }

    async fn clear_judgments(&self) -> Result<()> {
        let tx = self.writer(&[JUDGMENTS]).await?;
        replace_in::<ReviewJudgment>(&tx, JUDGMENTS, &[]).await?;
        commit(tx).await
    }

    async fn settings(&self) -> Result<PrivacySettings> {
        self.check_open()?;
        let tx = self.db.transaction(SETTINGS).build().map_err(map_err)?;
        let store = tx.object_store(SETTINGS).map_err(map_err)?;
        let row: Option<SettingsRow> = store.get(PRIVACY_KEY).serde().map_err(map_err)?.await.map_err(map_err)?;
        Ok(row.map(|r| r.settings).unwrap_or_default())
    }

    async fn put_settings(&self, settings: &PrivacySettings) -> Result<()> {
        self.check_open()?;
        let tx = self.db.transaction(SETTINGS).with_mode(TransactionMode::Readwrite).build().map_err(map_err)?;
        let store = tx.object_store(SETTINGS).map_err(map_err)?;
        let row = SettingsRow { id: PRIVACY_KEY.into(), settings: settings.clone() };
        store.put(row).serde().map_err(map_err)?.await.map_err(map_err)?;
        commit(tx).await
    }
}

#[derive(Clone, Copy)]
pub(super) enum Change {
    Writes,
    Removes,
}

enum Fresh<T, R> {
    Held(Vec<T>),
    Read(Option<String>, Vec<R>),
}

impl IndexedDbStore {
    /// Attribute writes also touch the vector cache, in the same transaction.
    async fn attribute_writer(&self, change: Change) -> Result<Transaction<'_>> {
        let tx = self.writer(&[ATTRIBUTES, VECTORS]).await?;
        self.new_generation(&tx, change).await?;
        Ok(tx)
    }

    /// A write transaction over `stores`. A connection opened before another tab encrypted the
    /// profile has no key and would write in the clear: it is refused (`E_CLOSED`: reopen).
    async fn writer(&self, stores: &[&str]) -> Result<Transaction<'_>> {
        self.check_open()?;
        let mut all = stores.to_vec();
        all.push(SETTINGS);
        let tx = self.db.transaction(all).with_mode(TransactionMode::Readwrite).build().map_err(map_err)?;
        if self.sealer.is_none() && key_record(&tx).await?.is_some() {
            self.closed.set(true);
            return Err(Error::Closed);
        }
        Ok(tx)
    }

    /// Within a write transaction: what every connection read before stops being reusable
    /// (this one's at once, even if the write then fails: the next read simply reads again).
    /// A write that only removes drops the generation instead of replacing it: deleting needs no
    /// storage, so a full disk never stops the user from freeing space, and no memo is trusted
    /// until the next write sets a new generation.
    pub(super) async fn new_generation(&self, tx: &Transaction<'_>, change: Change) -> Result<()> {
        *self.memo.borrow_mut() = Memo::default();
        match change {
            Change::Writes => bump_generation(tx).await,
            Change::Removes => drop_generation(tx).await,
        }
    }

    /// The memo's copy if the profile's generation is still the one it was read at, else every
    /// raw record of `name` read in the same transaction as the generation they belong to.
    async fn read_unless_held<T: Clone, R: DeserializeOwned>(
        &self,
        name: &str,
        held: fn(&Memo) -> Option<&(Option<String>, Vec<T>)>,
    ) -> Result<Fresh<T, R>> {
        self.check_open()?;
        let tx = self.db.transaction([name, SETTINGS]).build().map_err(map_err)?;
        let at = generation(&tx).await?;
        if let Some((seen, values)) = held(&self.memo.borrow()) {
            // No generation (never written since v6, or last changed by a removal) proves nothing.
            if at.is_some() && *seen == at {
                return Ok(Fresh::Held(values.clone()));
            }
        }
        let rows = idb::all_in::<R>(&tx, name).await?;
        drop(tx);
        Ok(Fresh::Read(at, rows))
    }

    async fn read_raw<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>> {
        self.check_open()?;
        let tx = self.db.transaction(name).build().map_err(map_err)?;
        let store = tx.object_store(name).map_err(map_err)?;
        let rows = store.get_all::<T>().serde().map_err(map_err)?.await.map_err(map_err)?;
        rows.map(|r| r.map_err(map_err)).collect()
    }

    async fn read_all<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>> {
        let stored: Vec<Stored<T>> = self.read_raw(name).await?;
        self.decode_all(name, stored).await
    }

    /// Puts every record in one transaction: all are stored or none.
    async fn put_all<T: Serialize + Clone + Keyed>(&self, name: &str, records: &[T]) -> Result<()> {
        self.check_open()?;
        if records.is_empty() {
            return Ok(());
        }
        let records = self.encode_all(name, records).await?;
        let tx = self.writer(&[name]).await?;
        let store = tx.object_store(name).map_err(map_err)?;
        for r in &records {
            store.put(r).serde().map_err(map_err)?.await.map_err(map_err)?;
        }
        commit(tx).await
    }
}
