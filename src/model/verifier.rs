//! The verifier's model: a small pair head over the relevance model's encoder
//! (shared, so the verifier adds ~0.4 MB, not another 23 MB encoder).
//! `verifier.json` names the encoder it was trained on; any other is refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::encoder::{Head, Pairing};
use super::{FileEntry, RelevanceModel};
use crate::error::{Error, Result};
use crate::verify::{support_text, Lexicon, ProblemKind};

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
    /// The order of the head's second output (probabilities over problem kinds); empty for a
    /// head with one output. A name Discreet does not know fails the parse.
    #[serde(default)]
    pub kinds: Vec<ProblemKind>,
    /// Word lists of the head's third input (lexical features); absent for a two-input head.
    #[serde(default)]
    pub lexicon: Option<Lexicon>,
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
        if let Some(l) = &m.lexicon {
            // Features scale every input of the head: a non-finite scale would make every score NaN.
            if !(l.scale.is_finite() && l.scale > 0.0) {
                return Err(Error::Model(format!("verifier.json: lexicon scale must be positive, got {}", l.scale)));
            }
        }
        let distinct: std::collections::HashSet<_> = m.kinds.iter().collect();
        if distinct.len() != m.kinds.len() {
            return Err(Error::Model("verifier.json: kinds must be distinct".into()));
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

/// What the verifier weighs: a claim, the extractor's reason, the user's quoted words.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub attribute: &'a str,
    pub reason: &'a str,
    pub evidence: &'a [String],
}

/// The head's verdict on one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Probability that a human would accept the attribute given its support.
    pub score: f32,
    /// The problem kind the head finds most likely, for heads that name kinds.
    pub kind: Option<ProblemKind>,
    /// The attribute's embedding, when it is the one `select` caches (same token cut): whoever
    /// stores the attribute (sensitive tag, vector cache) takes it instead of encoding again.
    pub attribute_vector: Option<Vec<f32>>,
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
        let extra = manifest.lexicon.as_ref().map_or(0, Lexicon::width);
        let head = Head::with_extra_input(head, manifest.dimension, Pairing::RowWise, extra)?;
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

    /// Probability that a human would accept each (attribute, reason) pair that has no quotes.
    pub fn score(&self, encoder: &RelevanceModel, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
        let claims: Vec<Claim> =
            pairs.iter().map(|&(attribute, reason)| Claim { attribute, reason, evidence: &[] }).collect();
        Ok(self.assess(encoder, &claims)?.into_iter().map(|a| a.score).collect())
    }

    /// The lexical features the head reads for a claim (empty for a two-input head).
    pub fn lexical_features(&self, claim: &Claim) -> Vec<f32> {
        self.manifest.lexicon.as_ref().map_or(Vec::new(), |l| l.features(claim.attribute, claim.reason, claim.evidence))
    }

    /// Scores and, where the head has a kind output, the most likely problem kind of each claim.
    pub fn assess(&self, encoder: &RelevanceModel, claims: &[Claim]) -> Result<Vec<Assessment>> {
        let m = &self.manifest;
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let mut attributes = Vec::with_capacity(claims.len());
        let mut supports = Vec::with_capacity(claims.len());
        let mut lexical = Vec::with_capacity(claims.len());
        for claim in claims {
            attributes.push(encoder.embed(claim.attribute, m.attribute_max_tokens)?);
            supports.push(encoder.embed(&support_text(claim.reason, claim.evidence), m.evidence_max_tokens)?);
            lexical.push(self.lexical_features(claim));
        }
        let left: Vec<&[f32]> = attributes.iter().map(Vec::as_slice).collect();
        let right: Vec<&[f32]> = supports.iter().map(Vec::as_slice).collect();
        let extra: Vec<&[f32]> = lexical.iter().map(Vec::as_slice).collect();
        let mut outputs = self.head.outputs(&left, &right, &extra)?.into_iter();
        let scores = outputs.next().unwrap_or_default();
        if scores.len() != claims.len() {
            return Err(Error::Model(format!(
                "verifier head returned {} scores for {} pairs",
                scores.len(),
                claims.len()
            )));
        }
        let k = m.kinds.len();
        let probabilities = match (k, outputs.next()) {
            (0, _) => None,
            (k, Some(p)) if p.len() == k * claims.len() => Some(p),
            (k, p) => {
                return Err(Error::Model(format!(
                    "verifier.json names {k} kinds, the head returned {} values for {} pairs",
                    p.map_or(0, |p| p.len()),
                    claims.len()
                )))
            }
        };
        let cached_cut = m.attribute_max_tokens == encoder.manifest().attribute_max_tokens;
        Ok(scores
            .into_iter()
            .zip(attributes)
            .enumerate()
            .map(|(i, (score, vector))| Assessment {
                score,
                attribute_vector: cached_cut.then_some(vector),
                kind: probabilities.as_ref().and_then(|p| {
                    let row = &p[i * k..(i + 1) * k];
                    let best = (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b]))?;
                    Some(m.kinds[best])
                }),
            })
            .collect())
    }
}
