use std::cell::RefCell;
use std::collections::BTreeMap;

use super::Store;
use crate::attribute::Attribute;
use crate::disclosure::Disclosure;
use crate::error::Result;
use crate::review::ReviewJudgment;
use crate::sensitive::PrivacySettings;
use crate::vector_cache::CachedVector;

/// In-process store for native use (CLI, evaluation, tests). Ordered by id so
/// listings are deterministic, like IndexedDB's key order.
#[derive(Debug, Default)]
pub struct MemoryStore {
    attributes: RefCell<BTreeMap<String, Attribute>>,
    disclosures: RefCell<Vec<Disclosure>>,
    vectors: RefCell<BTreeMap<String, CachedVector>>,
    settings: RefCell<PrivacySettings>,
    judgments: RefCell<Vec<ReviewJudgment>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    async fn get(&self, id: &str) -> Result<Option<Attribute>> {
        Ok(self.attributes.borrow().get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<Attribute>> {
        Ok(self.attributes.borrow().values().cloned().collect())
    }

    async fn find_normalized(&self, norm: &str) -> Result<Option<Attribute>> {
        Ok(self.attributes.borrow().values().find(|a| a.normalized() == norm).cloned())
    }

    async fn put(&self, attribute: &Attribute) -> Result<()> {
        self.attributes.borrow_mut().insert(attribute.id.clone(), attribute.clone());
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<bool> {
        self.vectors.borrow_mut().remove(id);
        Ok(self.attributes.borrow_mut().remove(id).is_some())
    }

    async fn clear(&self) -> Result<()> {
        self.write_all(true, &[]).await
    }

    async fn write_all(&self, clear_first: bool, attributes: &[Attribute]) -> Result<()> {
        let mut map = self.attributes.borrow_mut();
        if clear_first {
            map.clear();
            self.vectors.borrow_mut().clear();
        }
        for a in attributes {
            map.insert(a.id.clone(), a.clone());
        }
        Ok(())
    }

    async fn vectors(&self) -> Result<Vec<CachedVector>> {
        Ok(self.vectors.borrow().values().cloned().collect())
    }

    async fn put_vectors(&self, vectors: &[CachedVector]) -> Result<()> {
        let mut map = self.vectors.borrow_mut();
        for v in vectors {
            map.insert(v.id.clone(), v.clone());
        }
        Ok(())
    }

    async fn add_disclosure(&self, disclosure: &Disclosure) -> Result<()> {
        self.disclosures.borrow_mut().push(disclosure.clone());
        Ok(())
    }

    async fn disclosures(&self) -> Result<Vec<Disclosure>> {
        Ok(self.disclosures.borrow().clone())
    }

    async fn settings(&self) -> Result<PrivacySettings> {
        Ok(self.settings.borrow().clone())
    }

    async fn put_settings(&self, settings: &PrivacySettings) -> Result<()> {
        *self.settings.borrow_mut() = settings.clone();
        Ok(())
    }

    async fn add_judgment(&self, judgment: &ReviewJudgment) -> Result<()> {
        self.judgments.borrow_mut().push(judgment.clone());
        Ok(())
    }

    async fn judgments(&self) -> Result<Vec<ReviewJudgment>> {
        Ok(self.judgments.borrow().clone())
    }

    async fn clear_judgments(&self) -> Result<()> {
        self.judgments.borrow_mut().clear();
        Ok(())
    }
}
