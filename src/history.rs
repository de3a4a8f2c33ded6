//! History instead of deletion: a replaced attribute keeps its text and times and names what
//! replaced it; the user can read the chain, undo a replacement, set when a fact expires, or
//! delete for real (`Profile::remove`).

use std::collections::HashSet;

use crate::attribute::{clock_ms, validate_time, Attribute};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::store::Store;

/// Makes `old` history, replaced by the attribute `by`.
pub(crate) fn supersede(old: &mut Attribute, by: &str, now: f64) {
    old.superseded_by = Some(by.to_string());
    old.touch(now);
    old.superseded_at = Some(old.updated_at);
}

/// The chain through `id` in `all`, oldest first: what it replaced, then what replaced it.
pub fn chain(all: &[Attribute], id: &str) -> Result<Vec<Attribute>> {
    let find = |id: &str| all.iter().find(|a| a.id == id);
    let start = find(id).ok_or_else(|| Error::NotFound(id.into()))?;
    let mut seen = HashSet::from([start.id.as_str()]);
    let mut older = Vec::new();
    let mut at = start;
    // A file or another tab may have linked records into a loop: each is listed once.
    while let Some(prev) = all.iter().find(|a| a.superseded_by.as_deref() == Some(at.id.as_str())) {
        if !seen.insert(prev.id.as_str()) {
            break;
        }
        older.push(prev.clone());
        at = prev;
    }
    older.reverse();
    older.push(start.clone());
    let mut at = start;
    while let Some(next) = at.superseded_by.as_deref().and_then(find) {
        if !seen.insert(next.id.as_str()) {
            break;
        }
        older.push(next.clone());
        at = next;
    }
    Ok(older)
}

impl<S: Store, E: Env> Profile<S, E> {
    /// The replacement chain attribute `id` belongs to, oldest first (just itself when nothing
    /// replaced it and it replaced nothing).
    pub async fn history(&self, id: &str) -> Result<Vec<Attribute>> {
        chain(&self.store.list().await?, id)
    }

    /// Undoes the replacement of attribute `id`: it is current again. What replaced it stays
    /// stored (the user judged the two compatible; they may delete it).
    pub async fn undo_replacement(&self, id: &str) -> Result<Attribute> {
        let mut a = self.get(id).await?;
        if a.superseded_by.is_none() {
            return Err(Error::invalid(format!("attribute {id} was not replaced: there is nothing to undo")));
        }
        a.superseded_by = None;
        a.superseded_at = None;
        a.touch(clock_ms(self.env.now_ms()));
        self.store.put(&a).await?;
        Ok(a)
    }

    /// Sets (or, with `None`, clears) when attribute `id` stops holding.
    pub async fn set_expiry(&self, id: &str, expires_at: Option<f64>) -> Result<Attribute> {
        validate_time("expiresAt", expires_at)?;
        let mut a = self.get(id).await?;
        a.expires_at = expires_at;
        a.touch(clock_ms(self.env.now_ms()));
        self.store.put(&a).await?;
        Ok(a)
    }

    /// An attribute held because it may replace another, accepted by the user: the other one
    /// becomes history in the same write. Returns the records to write.
    /// Replaced meanwhile (a later fact of the same aspect), it is that fact's current successor the
    /// accepted one replaces: what it "may replace" is the aspect's current value.
    pub(crate) async fn accepted_replacement(&self, mut accepted: Attribute, now: f64) -> Result<Vec<Attribute>> {
        let Some(target) = accepted.may_replace.take() else { return Ok(vec![accepted]) };
        let all = self.store.list().await?;
        let current = chain(&all, &target).ok().and_then(|c| c.into_iter().last());
        match current {
            // Deleted, expired, or the chain ends in the accepted fact itself: it simply stands.
            Some(mut old) if old.id != accepted.id && old.is_current(now) => {
                supersede(&mut old, &accepted.id, now);
                Ok(vec![accepted, old])
            }
            _ => Ok(vec![accepted]),
        }
    }
}
