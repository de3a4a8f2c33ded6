//! The verifier's model: a small pair head over the relevance model's encoder
//! (shared, so the verifier adds ~0.4 MB, not another 23 MB encoder).
//! `verifier.json` names the encoder it was trained on; any other is refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::encoder::{Head, Pairing};
use super::{FileEntry, RelevanceModel};
use crate::error::{Error, Result};

/// Scores at or above `accept` are accepted, below `reject` rejected, and the
/// band between is held for the user to review.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub accept: f32,
    pub reject: f32,
}

/// `models/verifier.json`, written by `models/train/verifier.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifierManifest {
    pub version: String,
    /// SHA-256 of the encoder file whose vectors the head was trained on.
    pub encoder_sha256: String,
    pub attribute_max_tokens: usize,
    pub evidence_max_tokens: usize,
    pub dimension: usize,
    pub thresholds: Thresholds,
    pub files: BTreeMap<String, FileEntry>,
    #[serde(default)]
    pub validation: serde_json::Value,
}

impl VerifierManifest {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let m: VerifierManifest =
            serde_json::from_slice(bytes).map_err(|e| Error::Model(format!("verifier.json: {e}")))?;
        let t = m.thresholds;
        let probability = |x: f32| x.is_finite() && (0.0..=1.0).contains(&x);
        if !(probability(t.accept) && probability(t.reject) && t.reject <= t.accept) {
            return Err(Error::Model(format!(
                "verifier.json: thresholds must be probabilities with reject <= accept, got {t:?}"
            )));
        }
        if m.dimension == 0 || m.attribute_max_tokens < 3 || m.evidence_max_tokens < 3 {
            return Err(Error::Model("verifier.json: dimension and token limits must be positive".into()));
        }
        Ok(m)
    }

    pub fn head(&self) -> Result<&FileEntry> {
        self.files.get("head").ok_or_else(|| Error::Model("verifier.json names no head file".into()))
    }
}

pub struct VerifierModel {
    manifest: VerifierManifest,
    head: Head,
}

impl VerifierModel {
    /// `encoder` is the relevance model whose encoder this head must share.
    pub fn from_bytes(manifest: &[u8], head: &[u8], encoder: &RelevanceModel) -> Result<Self> {
        let manifest = VerifierManifest::parse(manifest)?;
        manifest.head()?.check(head)?;
        if manifest.encoder_sha256 != encoder.encoder_sha256() || manifest.dimension != encoder.manifest().dimension {
            return Err(Error::Model(format!(
                "verifier {} was trained on another encoder than relevance model {}",
                manifest.version,
                encoder.version()
            )));
        }
        let head = Head::from_bytes(head, manifest.dimension, Pairing::RowWise)?;
        Ok(VerifierModel { manifest, head })
    }

    /// Reads `verifier.json` and its head from a folder.
    pub fn from_dir(dir: &std::path::Path, encoder: &RelevanceModel) -> Result<Self> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| Error::Model(format!("{}: {e}", dir.join(name).display())))
        };
        let manifest_bytes = read("verifier.json")?;
        let head = read(&VerifierManifest::parse(&manifest_bytes)?.head()?.path)?;
        Self::from_bytes(&manifest_bytes, &head, encoder)
    }

    pub fn manifest(&self) -> &VerifierManifest {
        &self.manifest
    }

    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    pub fn thresholds(&self) -> Thresholds {
        self.manifest.thresholds
    }

    /// Probability that a human would accept each (attribute, support) pair,
    /// where support is the extractor's reason and quoted evidence.
    pub fn score(&self, encoder: &RelevanceModel, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
        let m = &self.manifest;
        let mut attributes = Vec::with_capacity(pairs.len());
        let mut supports = Vec::with_capacity(pairs.len());
        for (attribute, support) in pairs {
            attributes.push(encoder.embed(attribute, m.attribute_max_tokens)?);
            supports.push(encoder.embed(support, m.evidence_max_tokens)?);
        }
        let left: Vec<&[f32]> = attributes.iter().map(Vec::as_slice).collect();
        let right: Vec<&[f32]> = supports.iter().map(Vec::as_slice).collect();
        self.head.score(&left, &right)
    }
}
