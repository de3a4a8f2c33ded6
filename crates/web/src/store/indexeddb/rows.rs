//! The records as IndexedDB holds them, in the clear or sealed.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::super::sealer::Sealed;
use discreet::attribute::Attribute;
use discreet::disclosure::Disclosure;
use discreet::review::ReviewJudgment;
use discreet::sensitive::PrivacySettings;
use discreet::vector_cache::CachedVector;

/// The record as stored: the normalized text sits beside the attribute so the
/// unique index can enforce dedupe even between two tabs.
#[derive(Serialize, Deserialize)]
pub(super) struct Row {
    pub(super) id: String,
    pub(super) norm: String,
    pub(super) attribute: Attribute,
}

#[derive(Serialize, Deserialize)]
pub(super) struct SettingsRow {
    pub(super) id: String,
    pub(super) settings: PrivacySettings,
}

impl Row {
    pub(super) fn new(a: &Attribute) -> Self {
        Row { id: a.id.clone(), norm: a.normalized(), attribute: a.clone() }
    }
}

/// An attribute of an encrypted profile: `norm` is a keyed hash, the rest sealed.
#[derive(Serialize, Deserialize)]
pub(super) struct SealedRow {
    pub(super) id: String,
    pub(super) norm: String,
    pub(super) sealed: Sealed,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum StoredRow {
    Plain(Row),
    Sealed(SealedRow),
}

/// A disclosure or vector, in the clear or sealed.
#[derive(Serialize, Deserialize)]
pub(super) struct SealedRecord {
    pub(super) id: String,
    pub(super) sealed: Sealed,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Stored<T> {
    Plain(T),
    Sealed(SealedRecord),
}

pub(super) trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for Disclosure {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for ReviewJudgment {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for CachedVector {
    fn key(&self) -> &str {
        &self.id
    }
}

/// Whether the plain rows read now hold exactly `attributes` (any sealed row means another tab sealed).
pub(super) fn same_rows(now: &[StoredRow], attributes: &[Attribute]) -> bool {
    let by_id: HashMap<&str, &Attribute> = attributes.iter().map(|a| (a.id.as_str(), a)).collect();
    now.len() == attributes.len()
        && now.iter().all(|row| matches!(row, StoredRow::Plain(r) if by_id.get(r.id.as_str()) == Some(&&r.attribute)))
}

pub(super) fn same_keys<T: Keyed>(now: &[Stored<T>], before: &[T]) -> bool {
    let ids: HashSet<&str> = before.iter().map(Keyed::key).collect();
    now.len() == before.len()
        && now.iter().all(|s| {
            ids.contains(match s {
                Stored::Plain(v) => v.key(),
                Stored::Sealed(r) => r.id.as_str(),
            })
        })
}
