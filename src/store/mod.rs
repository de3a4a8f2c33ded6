//! Persistence of attributes and disclosures. Backends only move records;
//! validation, dedupe and import rules live in `profile` so every backend
//! behaves the same. The browser's backend (IndexedDB) lives in `discreet-web`.

mod memory;

pub use memory::MemoryStore;

use crate::attribute::Attribute;
use crate::disclosure::Disclosure;
use crate::error::Result;
use crate::review::ReviewJudgment;
use crate::sensitive::PrivacySettings;
use crate::vector_cache::CachedVector;

/// Async because IndexedDB is; the futures are not `Send` (the browser is single-threaded).
#[allow(async_fn_in_trait)]
pub trait Store {
    async fn get(&self, id: &str) -> Result<Option<Attribute>>;
    async fn list(&self) -> Result<Vec<Attribute>>;
    /// The attribute whose normalized text is `norm`, if any.
    async fn find_normalized(&self, norm: &str) -> Result<Option<Attribute>>;
    /// Insert or replace by id.
    async fn put(&self, attribute: &Attribute) -> Result<()>;
    /// Whether something was deleted. Its cached vector goes with it.
    async fn delete(&self, id: &str) -> Result<bool>;
    async fn clear(&self) -> Result<()>;
    /// All-or-nothing: either every record is written (after clearing, if asked) or none.
    async fn write_all(&self, clear_first: bool, attributes: &[Attribute]) -> Result<()>;
    async fn vectors(&self) -> Result<Vec<CachedVector>>;
    async fn put_vectors(&self, vectors: &[CachedVector]) -> Result<()>;
    async fn add_disclosure(&self, disclosure: &Disclosure) -> Result<()>;
    async fn disclosures(&self) -> Result<Vec<Disclosure>>;
    /// The defaults when nothing was stored yet.
    async fn settings(&self) -> Result<PrivacySettings>;
    async fn put_settings(&self, settings: &PrivacySettings) -> Result<()>;
    /// The user's review decisions (stage-1 judgments), kept apart from the attributes (`clear`
    /// empties attributes only; `Profile::clear` empties both).
    async fn add_judgment(&self, judgment: &ReviewJudgment) -> Result<()>;
    async fn judgments(&self) -> Result<Vec<ReviewJudgment>>;
    async fn clear_judgments(&self) -> Result<()>;
}
