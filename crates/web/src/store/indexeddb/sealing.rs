//! Sealing: an encrypted profile's keys, and every record sealed on the way in and
//! opened on the way out (see `super::super::sealer`).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::idb::{all_in, commit, context, key_record, map_err, replace_in};
use super::rows::{same_keys, same_rows, Keyed, Row, SealedRecord, SealedRow, Stored, StoredRow};
use super::*;

impl IndexedDbStore {
    pub(super) async fn stored_keys(&self) -> Result<Option<Sealer>> {
        let tx = self.db.transaction(SETTINGS).build().map_err(map_err)?;
        let record = key_record(&tx).await?;
        record.map(|r| Sealer::from_key_record(&r)).transpose()
    }

    /// Loads the profile's keys if it has some; with `encrypt`, creates them
    /// and seals what is stored, in one transaction.
    pub(super) async fn init_sealer(&mut self, encrypt: bool) -> Result<()> {
        if let Some(sealer) = self.stored_keys().await? {
            self.sealer = Some(sealer);
            return Ok(());
        }
        if !encrypt {
            return Ok(());
        }
        // Sealing is async (WebCrypto), so it happens before the write transaction opens; another
        // tab may write in between. The transaction re-reads what it replaces and starts over if
        // anything changed, so no write of that tab is lost.
        for _ in 0..SEAL_ATTEMPTS {
            self.sealer = None;
            let attributes = self.list().await?;
            let disclosures: Vec<Disclosure> = self.read_all(DISCLOSURES).await?;
            let vectors: Vec<CachedVector> = self.read_all(VECTORS).await?;
            let judgments: Vec<ReviewJudgment> = self.read_all(JUDGMENTS).await?;
            let sealer = Sealer::generate().await?;
            let keys = sealer.key_record();
            self.sealer = Some(sealer);
            let rows = self.encode_rows(&attributes).await?;
            let sealed_disclosures = self.encode_all(DISCLOSURES, &disclosures).await?;
            let sealed_vectors = self.encode_all(VECTORS, &vectors).await?;
            let sealed_judgments = self.encode_all(JUDGMENTS, &judgments).await?;

            self.check_open()?;
            let tx = self
                .db
                .transaction([ATTRIBUTES, DISCLOSURES, VECTORS, JUDGMENTS, SETTINGS])
                .with_mode(TransactionMode::Readwrite)
                .build()
                .map_err(map_err)?;
            // Another tab may have encrypted this profile since we looked: its keys win.
            if key_record(&tx).await?.is_some() {
                drop(tx);
                self.sealer = self.stored_keys().await?;
                return Ok(());
            }
            let unchanged = same_rows(&all_in::<StoredRow>(&tx, ATTRIBUTES).await?, &attributes)
                && same_keys(&all_in::<Stored<Disclosure>>(&tx, DISCLOSURES).await?, &disclosures)
                && same_keys(&all_in::<Stored<CachedVector>>(&tx, VECTORS).await?, &vectors)
                && same_keys(&all_in::<Stored<ReviewJudgment>>(&tx, JUDGMENTS).await?, &judgments);
            if !unchanged {
                drop(tx);
                continue;
            }
            let settings = tx.object_store(SETTINGS).map_err(map_err)?;
            settings.put(keys).primitive().map_err(map_err)?.await.map_err(map_err)?;
            self.new_generation(&tx, Change::Writes).await?;
            replace_in(&tx, ATTRIBUTES, &rows).await?;
            replace_in(&tx, DISCLOSURES, &sealed_disclosures).await?;
            replace_in(&tx, VECTORS, &sealed_vectors).await?;
            replace_in(&tx, JUDGMENTS, &sealed_judgments).await?;
            return commit(tx).await;
        }
        self.sealer = None;
        Err(Error::Storage(format!(
            "the profile kept changing in another tab while it was being encrypted ({SEAL_ATTEMPTS} tries); retry"
        )))
    }

    /// Encryption is async (WebCrypto), and an IndexedDB transaction closes
    /// when its task waits on anything else: so records are sealed before a
    /// write transaction opens and opened after a read one is done.
    pub(super) async fn encode_row(&self, a: &Attribute) -> Result<StoredRow> {
        match &self.sealer {
            None => Ok(StoredRow::Plain(Row::new(a))),
            Some(sealer) => Ok(StoredRow::Sealed(SealedRow {
                id: a.id.clone(),
                norm: sealer.index_key(&a.normalized()).await?,
                sealed: sealer.seal(&context(ATTRIBUTES, &a.id), a).await?,
            })),
        }
    }

    pub(super) async fn encode_rows(&self, attributes: &[Attribute]) -> Result<Vec<StoredRow>> {
        let mut rows = Vec::with_capacity(attributes.len());
        for a in attributes {
            rows.push(self.encode_row(a).await?);
        }
        Ok(rows)
    }

    pub(super) async fn decode_found(&self, row: Option<StoredRow>) -> Result<Option<Attribute>> {
        match row {
            Some(row) => Ok(Some(self.decode_row(row).await?)),
            None => Ok(None),
        }
    }

    /// Rows written before history existed read with `observedAt` filled in.
    pub(super) async fn decode_row(&self, row: StoredRow) -> Result<Attribute> {
        let attribute: Attribute = match (row, &self.sealer) {
            (StoredRow::Plain(r), _) => r.attribute,
            (StoredRow::Sealed(r), Some(sealer)) => sealer.open(&context(ATTRIBUTES, &r.id), &r.sealed).await?,
            (StoredRow::Sealed(r), None) => {
                return Err(Error::Storage(format!("{}: encrypted, but the profile has no key", r.id)))
            }
        };
        Ok(attribute.upgraded())
    }

    pub(super) async fn encode_all<T: Serialize + Clone + Keyed>(
        &self,
        name: &str,
        records: &[T],
    ) -> Result<Vec<Stored<T>>> {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            out.push(match &self.sealer {
                None => Stored::Plain(r.clone()),
                Some(sealer) => Stored::Sealed(SealedRecord {
                    id: r.key().to_string(),
                    sealed: sealer.seal(&context(name, r.key()), r).await?,
                }),
            });
        }
        Ok(out)
    }

    pub(super) async fn decode_all<T: DeserializeOwned>(&self, name: &str, stored: Vec<Stored<T>>) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(stored.len());
        for s in stored {
            out.push(match (s, &self.sealer) {
                (Stored::Plain(v), _) => v,
                (Stored::Sealed(r), Some(sealer)) => sealer.open(&context(name, &r.id), &r.sealed).await?,
                (Stored::Sealed(r), None) => {
                    return Err(Error::Storage(format!("{name}/{}: encrypted, but the profile has no key", r.id)))
                }
            });
        }
        Ok(out)
    }
}
