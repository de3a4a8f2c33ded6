//! A user's profile: the operations the SDK offers over any `Store`, with the
//! rules (validation, dedupe, atomic import) in one place for every backend.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde::Serialize;

use crate::attribute::{clock_ms, normalize, validate_text, Attribute, NewAttribute, Sensitivity};
use crate::compose::{compose, ComposeOptions, Payload, Withheld};
use crate::disclosure::{prompt_hash, Disclosure};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::exchange::{self, ImportMode, ImportReport};
use crate::model::RelevanceModel;
use crate::select::{SelectOptions, Selector};
use crate::sensitive::{classify, is_allowed, PrivacySettings};
use crate::store::Store;
use crate::turn::not_current;
use crate::vector_cache;

pub struct Profile<S, E> {
    pub(crate) store: S,
    pub(crate) env: E,
    /// Texts the sensitive head found in no category, under one model version. A text it found
    /// in none stays untagged, so without this every select would run the head over the whole
    /// profile again (15-19 ms at 10,000 attributes) for the same answer.
    untagged: Mutex<(String, HashSet<String>)>,
}

/// What can be offered for a prompt: attributes with their vectors, and those the model half of
/// sensitive tagging just put in a category the user has not allowed.
pub(crate) struct Candidates<'a> {
    pub attributes: Vec<&'a Attribute>,
    pub vectors: Vec<Vec<f32>>,
    pub dropped: Vec<(&'a Attribute, Sensitivity)>,
}

/// Result of `add`: the stored attribute, and whether it is new or an
/// existing duplicate that was returned instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Added {
    pub attribute: Attribute,
    /// false when an equal attribute (ignoring case, spacing, final punctuation) was already stored:
    /// that one is `attribute`.
    pub added: bool,
}

/// An attribute chosen for a prompt, with its relevance score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    pub attribute: Attribute,
    /// Probability that the attribute should change the answer.
    pub score: f32,
}

/// A payload for the remote model and the disclosure record that logs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
/// `P` lets TypeScript callers name the payload shape their format gives.
pub struct Composed<P = Payload> {
    pub payload: P,
    /// The record of this disclosure, already stored on the device.
    pub disclosure: Disclosure,
    /// Chosen but not sent: instruction-like text, or past the payload's size cap.
    pub withheld: Vec<Withheld>,
}

impl<S: Store, E: Env> Profile<S, E> {
    pub fn new(store: S, env: E) -> Self {
        Profile { store, env, untagged: Mutex::default() }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Untagged attributes are tagged by `sensitive::classify` first.
    pub async fn add(&self, mut new: NewAttribute) -> Result<Added> {
        if new.sensitivity == Sensitivity::None {
            new.sensitivity = classify(&new.text);
        }
        let attribute = new.into_attribute(self.env.fresh_id("attr"), self.env.now_ms())?;
        let norm = attribute.normalized();
        if let Some(existing) = self.store.find_normalized(&norm).await? {
            return Ok(Added { attribute: existing, added: false });
        }
        match self.store.put(&attribute).await {
            Ok(()) => Ok(Added { attribute, added: true }),
            // Another tab stored the same text between our check and our write.
            Err(Error::Duplicate(_)) => match self.store.find_normalized(&norm).await? {
                Some(existing) => Ok(Added { attribute: existing, added: false }),
                None => Err(Error::Storage("duplicate reported but not found".into())),
            },
            Err(e) => Err(e),
        }
    }

    pub async fn get(&self, id: &str) -> Result<Attribute> {
        self.store.get(id).await?.ok_or_else(|| Error::NotFound(id.into()))
    }

    /// Oldest first, so a list shown to the user is stable as attributes are added.
    pub async fn list(&self) -> Result<Vec<Attribute>> {
        let mut all = self.store.list().await?;
        all.sort_by(|a, b| a.created_at.total_cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    pub async fn update_text(&self, id: &str, text: &str) -> Result<Attribute> {
        let text = validate_text(text)?;
        let attribute = self.edited(self.get(id).await?, text).await?;
        self.store.put(&attribute).await?;
        Ok(attribute)
    }

    /// `attribute` with the user's `text` (already through `validate_text`), checked against the
    /// other stored attributes and tagged, not yet written.
    pub(crate) async fn edited(&self, mut attribute: Attribute, text: String) -> Result<Attribute> {
        let norm = normalize(&text);
        if let Some(other) = self.store.find_normalized(&norm).await? {
            if other.id != attribute.id {
                return Err(Error::Duplicate(format!("{:?} is already stored as {}", text, other.id)));
            }
        }
        // An edit can make an attribute sensitive; it never silently clears a tag.
        let category = classify(&text);
        if category != Sensitivity::None {
            attribute.sensitivity = category;
        }
        attribute.text = text;
        attribute.user_edited = true;
        // A clock set back must not make an edit older than its creation.
        attribute.touch(clock_ms(self.env.now_ms()));
        Ok(attribute)
    }

    /// Deletes attribute `id` for real. What it had replaced holds again, as after an undo: a
    /// replacement that is gone must not keep hiding the fact it replaced. When `id` was itself
    /// replaced, what it replaced stays history of the newer one (Lyon -> Madrid -> Berlin, Madrid
    /// deleted: Lyon -> Berlin). Relinked first, so a failed delete loses nothing.
    pub async fn remove(&self, id: &str) -> Result<bool> {
        let now = clock_ms(self.env.now_ms());
        let all = self.store.list().await?;
        let successor = all.iter().find(|a| a.id == id).and_then(|a| a.superseded_by.clone());
        let restored: Vec<Attribute> = (all.into_iter())
            .filter(|a| a.superseded_by.as_deref() == Some(id))
            .map(|mut a| {
                a.superseded_by = successor.clone();
                if successor.is_none() {
                    a.superseded_at = None;
                }
                a.touch(now);
                a
            })
            .collect();
        if !restored.is_empty() {
            self.store.write_all(false, &restored).await?;
        }
        self.store.delete(id).await
    }

    /// Deletes every attribute and the review judgments, which quote them.
    pub async fn clear(&self) -> Result<()> {
        self.store.clear().await?;
        self.store.clear_judgments().await
    }

    pub async fn export_json(&self) -> Result<String> {
        exchange::to_json(self.list().await?, self.env.now_ms())
    }

    /// Validates the whole file, plans every write, then writes in one
    /// transaction: a bad file or a failed write leaves the store as it was.
    pub async fn import_json(&self, json: &str, mode: ImportMode) -> Result<ImportReport> {
        let mut incoming = exchange::parse(json)?;
        // A file from elsewhere may not have tagged what is sensitive; tagging only tightens.
        for a in incoming.iter_mut().filter(|a| a.sensitivity == Sensitivity::None) {
            a.sensitivity = classify(&a.text);
        }
        let mut report = ImportReport::default();
        if mode == ImportMode::Replace {
            report.added = incoming.len() as u32;
            self.store.write_all(true, &incoming).await?;
            return Ok(report);
        }
        let existing = self.store.list().await?;
        let by_id: HashMap<&str, &Attribute> = existing.iter().map(|a| (a.id.as_str(), a)).collect();
        let mut owner_of_norm: HashMap<String, String> =
            existing.iter().map(|a| (a.normalized(), a.id.clone())).collect();
        let mut writes = Vec::with_capacity(incoming.len());
        for a in incoming {
            let norm = a.normalized();
            if owner_of_norm.get(&norm).is_some_and(|owner| *owner != a.id) {
                report.skipped += 1;
                continue;
            }
            if let Some(old) = by_id.get(a.id.as_str()) {
                owner_of_norm.remove(&old.normalized());
                report.replaced += 1;
            } else {
                report.added += 1;
            }
            owner_of_norm.insert(norm, a.id.clone());
            writes.push(a);
        }
        self.store.write_all(false, &writes).await?;
        Ok(report)
    }

    /// The stored attributes that should change the answer to `prompt`, best
    /// first. Vectors come from the cache; missing or stale ones are computed
    /// and cached. Rejected attributes, and those in a sensitive category the user
    /// has not allowed, are never candidates.
    pub async fn select(
        &self,
        model: &RelevanceModel,
        prompt: &str,
        options: SelectOptions,
        include_review: bool,
    ) -> Result<Vec<Selection>> {
        let (all, allowed) = self.offerable(include_review).await?;
        let eligible: Vec<&Attribute> = all.iter().collect();
        let candidates = self.candidates(model, eligible, &allowed).await?;
        let refs: Vec<&[f32]> = candidates.vectors.iter().map(Vec::as_slice).collect();
        let picked = Selector::new(model).select(prompt, &refs, options)?;
        Ok(picked
            .into_iter()
            .map(|s| Selection { attribute: candidates.attributes[s.index].clone(), score: s.score })
            .collect())
    }

    /// What `select` may offer before sensitive tagging by the model: current attributes, not
    /// rejected (awaiting review only with `include_review`), in a category the user allows;
    /// with the allowed categories.
    pub(crate) async fn offerable(&self, include_review: bool) -> Result<(Vec<Attribute>, Vec<Sensitivity>)> {
        let now = clock_ms(self.env.now_ms());
        let allowed = self.store.settings().await?.allowed_sensitive;
        let mut all = self.list().await?;
        all.retain(|a| a.is_current(now) && a.verdict.is_usable(include_review) && is_allowed(a.sensitivity, &allowed));
        Ok((all, allowed))
    }

    /// The eligible attributes with their vectors (from the cache, missing or stale ones computed
    /// and cached), after the model half of sensitive tagging.
    pub(crate) async fn candidates<'a>(
        &self,
        model: &RelevanceModel,
        eligible: Vec<&'a Attribute>,
        allowed: &[Sensitivity],
    ) -> Result<Candidates<'a>> {
        let cached = self.store.vectors().await?;
        let (vectors, fresh) = vector_cache::resolve(&eligible, cached, model.version(), |t| model.embed_attribute(t))?;
        // The cache is an optimization: a full disk must not stop the chat.
        best_effort(self.store.put_vectors(&fresh).await)?;
        self.tag_by_model(model, eligible, vectors, allowed).await
    }

    /// The model half of sensitive tagging, run on every untagged candidate
    /// before it can be offered: attributes added, imported or edited by hand
    /// were tagged by the term list only. New tags are stored (the manager
    /// shows them); the newly tagged ones the user has not allowed drop out.
    async fn tag_by_model<'a>(
        &self,
        model: &RelevanceModel,
        eligible: Vec<&'a Attribute>,
        vectors: Vec<Vec<f32>>,
        allowed: &[Sensitivity],
    ) -> Result<Candidates<'a>> {
        let untagged: Vec<usize> = {
            let mut memo = self.untagged.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if memo.0 != model.version() {
                *memo = (model.version().to_string(), HashSet::new());
            }
            (0..eligible.len())
                .filter(|&i| eligible[i].sensitivity == Sensitivity::None && !memo.1.contains(&eligible[i].text))
                .collect()
        };
        let refs: Vec<&[f32]> = untagged.iter().map(|&i| vectors[i].as_slice()).collect();
        let tags = model.sensitive_categories(&refs)?;
        {
            let mut memo = self.untagged.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if memo.0 == model.version() {
                let none = untagged.iter().zip(&tags).filter(|(_, tag)| **tag == Sensitivity::None);
                memo.1.extend(none.map(|(&i, _)| eligible[i].text.clone()));
            }
        }
        let mut dropped_tag = vec![None; eligible.len()];
        for (&i, tag) in untagged.iter().zip(tags).filter(|(_, tag)| *tag != Sensitivity::None) {
            if !is_allowed(tag, allowed) {
                dropped_tag[i] = Some(tag);
            }
            // Re-read first so an edit made meanwhile (another tab) is not overwritten.
            let Some(mut current) = self.store.get(&eligible[i].id).await? else { continue };
            if current.text != eligible[i].text || current.sensitivity != Sensitivity::None {
                continue;
            }
            current.sensitivity = tag;
            // Withholding does not depend on the write: a full disk only means tagging again next turn.
            best_effort(self.store.put(&current).await)?;
        }
        let mut out = Candidates { attributes: vec![], vectors: vec![], dropped: vec![] };
        for ((a, v), tag) in eligible.into_iter().zip(vectors).zip(dropped_tag) {
            match tag {
                Some(tag) => out.dropped.push((a, tag)),
                None => {
                    out.attributes.push(a);
                    out.vectors.push(v);
                }
            }
        }
        Ok(out)
    }

    /// Builds the payload for the remote model from the chosen attribute ids
    /// and logs the disclosure. Unknown ids fail the whole call.
    pub async fn compose(&self, prompt: &str, attribute_ids: &[String], options: &ComposeOptions) -> Result<Composed> {
        options.check()?;
        let allowed = self.store.settings().await?.allowed_sensitive;
        let now = clock_ms(self.env.now_ms());
        let mut attributes = Vec::with_capacity(attribute_ids.len());
        for id in attribute_ids {
            let a = self.get(id).await?;
            if let Some((_, why)) = not_current(&a, now) {
                return Err(Error::invalid(format!("attribute {id}: {why}")));
            }
            if !is_allowed(a.sensitivity, &allowed) {
                return Err(Error::invalid(format!(
                    "attribute {id} is in the sensitive category {:?}, which the user has not allowed to leave the device",
                    a.sensitivity
                )));
            }
            attributes.push(a);
        }
        let refs: Vec<&Attribute> = attributes.iter().collect();
        let (payload, withheld) = compose(prompt, &refs, options);
        let sent: Vec<Attribute> = attributes.into_iter().filter(|a| payload.attribute_ids.contains(&a.id)).collect();
        let disclosure = self.record_disclosure(prompt, &sent).await?;
        Ok(Composed { payload, disclosure, withheld })
    }

    /// Logs what is about to leave the device for `prompt`.
    pub async fn record_disclosure(&self, prompt: &str, sent: &[Attribute]) -> Result<Disclosure> {
        let disclosure = Disclosure {
            id: self.env.fresh_id("disc"),
            at: clock_ms(self.env.now_ms()),
            prompt_hash: prompt_hash(prompt),
            attribute_ids: sent.iter().map(|a| a.id.clone()).collect(),
            attribute_texts: sent.iter().map(|a| a.text.clone()).collect(),
        };
        self.store.add_disclosure(&disclosure).await?;
        Ok(disclosure)
    }

    pub async fn settings(&self) -> Result<PrivacySettings> {
        self.store.settings().await
    }

    /// Which sensitive categories may leave the device (the user's switch).
    pub async fn set_allowed_sensitive(&self, categories: Vec<Sensitivity>) -> Result<PrivacySettings> {
        let settings = PrivacySettings::with_allowed(categories)?;
        self.store.put_settings(&settings).await?;
        Ok(settings)
    }

    /// Oldest first.
    pub async fn disclosures(&self) -> Result<Vec<Disclosure>> {
        let mut all = self.store.disclosures().await?;
        all.sort_by(|a, b| a.at.total_cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }
}

/// A write that only saves work later (cached vectors, a tag that is applied
/// anyway): a full quota is not an error, anything else is.
pub(crate) fn best_effort(write: Result<()>) -> Result<()> {
    match write {
        Ok(()) | Err(Error::Quota(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
