//! Computing the attribute vectors ahead of the first `select`, in steps the caller can watch:
//! a profile imported with 10,000 attributes otherwise spends its first select encoding all of
//! them. Several workers can share the work (`Share`), each writing what it computed.

use serde::{Deserialize, Serialize};

use crate::attribute::Attribute;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::model::RelevanceModel;
use crate::profile::{best_effort, Profile};
use crate::store::Store;
use crate::vector_cache;

/// Vectors computed between two writes (and progress reports, ~0.6 s apart here): each write is an
/// IndexedDB transaction that workers sharing the fill queue on, so fewer is faster (10,000
/// attributes in two workers: 17-18 s in chunks of 32, 15.5 s of 128, 14 s of 256).
pub const PREPARE_CHUNK: usize = 256;

/// Part `index` of `of` equal parts of the attributes, chosen by a hash of the id, so workers
/// that list the profile at slightly different moments still split it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub index: u32,
    pub of: u32,
}

impl Default for Share {
    fn default() -> Self {
        Share { index: 0, of: 1 }
    }
}

impl Share {
    pub fn check(self) -> Result<Self> {
        if self.of == 0 || self.of > 64 || self.index >= self.of {
            return Err(Error::invalid(format!("share {} of {} is not one of 1..=64 parts", self.index, self.of)));
        }
        Ok(self)
    }

    fn holds(self, id: &str) -> bool {
        // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
        let hash = id.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        hash % self.of == self.index
    }
}

/// Where `prepareVectors` is: vectors computed and stored so far, of `total` missing ones in its share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct VectorProgress {
    pub done: u32,
    pub total: u32,
}

impl<S: Store, E: Env> Profile<S, E> {
    /// Computes and stores the vector of every attribute `select` could offer (current, not
    /// rejected, in an allowed category) that has none for this model and text, `PREPARE_CHUNK`
    /// at a time, calling `progress` after each stored chunk. Only the attributes of `share`.
    /// A full disk stops nothing: `select` computes what could not be stored.
    pub async fn prepare_vectors(
        &self,
        model: &RelevanceModel,
        share: Share,
        mut progress: impl FnMut(VectorProgress),
    ) -> Result<VectorProgress> {
        let share = share.check()?;
        let (all, _) = self.offerable(true).await?;
        let eligible: Vec<&Attribute> = all.iter().filter(|a| share.holds(&a.id)).collect();
        let cached = self.store.vectors().await?;
        let missing = vector_cache::missing(&eligible, &cached, model.version());
        drop(cached);
        let mut at = VectorProgress { done: 0, total: missing.len() as u32 };
        progress(at);
        for chunk in missing.chunks(PREPARE_CHUNK) {
            let (_, fresh) = vector_cache::resolve(chunk, Vec::new(), model.version(), |t| model.embed_attribute(t))?;
            best_effort(self.store.put_vectors(&fresh).await)?;
            at.done += chunk.len() as u32;
            progress(at);
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::Share;

    #[test]
    fn shares_split_every_id_once() {
        let ids: Vec<String> = (0..1000).map(|i| format!("attr_{i:05}")).collect();
        for of in [1, 2, 3, 8] {
            let counts: Vec<usize> =
                (0..of).map(|index| ids.iter().filter(|id| Share { index, of }.holds(id)).count()).collect();
            assert_eq!(counts.iter().sum::<usize>(), ids.len(), "{of} parts");
            assert!(counts.iter().all(|&c| c > ids.len() / of as usize / 2), "{of} parts, roughly even: {counts:?}");
        }
        for bad in [Share { index: 0, of: 0 }, Share { index: 2, of: 2 }, Share { index: 0, of: 65 }] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
