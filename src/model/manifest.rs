use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attribute::Sensitivity;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::relate::{Relation, LEXICAL_FEATURES};

/// `models/relevance.json`, written by `models/train/export.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: String,
    /// Calibrated so the model selects at the human rate (see the model card).
    pub threshold: f32,
    pub attribute_max_tokens: usize,
    pub prompt_max_tokens: usize,
    pub dimension: usize,
    pub files: BTreeMap<String, FileEntry>,
    #[serde(default)]
    pub dev: serde_json::Value,
    /// The sensitive-category head (file `sensitive`), written by `models/train/sensitive.py`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<SensitiveSpec>,
    /// The relation head (file `relation`), written by `models/train/relation.py`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<RelationSpec>,
}

/// How to read the relation head's outputs and decide on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationSpec {
    pub version: String,
    /// The relation of each output, in order; each of the three once.
    pub relations: Vec<Relation>,
    /// Width of the lexical input (`relate::lexical`); another width is another feature set.
    pub lexical: usize,
    pub thresholds: RelationThresholds,
    pub encoder_sha256: String,
    #[serde(default)]
    pub dev: serde_json::Value,
}

/// `updates` at or above `updates`; held for the user's review down to `review`; else `same`
/// when its probability reaches `same` (see the model card).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationThresholds {
    pub updates: f32,
    pub review: f32,
    pub same: f32,
}

/// How to read the sensitive-category head's outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitiveSpec {
    pub version: String,
    /// The category of each output, in order; "none" among them.
    pub categories: Vec<Sensitivity>,
    /// A category is tagged when its probability reaches this (see the model card).
    pub threshold: f32,
    /// The encoder whose vectors the head was trained on: a retrained encoder
    /// (a rewritten `files.encoder`) needs a retrained head.
    pub encoder_sha256: String,
    #[serde(default)]
    pub dev: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| Error::Model(format!("relevance.json: {e}")))?;
        if !(m.threshold.is_finite() && (0.0..=1.0).contains(&m.threshold)) {
            return Err(Error::Model(format!("relevance.json: threshold {} is not a probability", m.threshold)));
        }
        if m.dimension == 0 || m.attribute_max_tokens < 3 || m.prompt_max_tokens < 3 {
            return Err(Error::Model("relevance.json: dimension and token limits must be positive".into()));
        }
        if let Some(spec) = &m.sensitive {
            if !(spec.threshold > 0.0 && spec.threshold <= 1.0) {
                return Err(Error::Model(format!(
                    "relevance.json: sensitive threshold {} is not a probability",
                    spec.threshold
                )));
            }
            if spec.categories.len() < 2 || !spec.categories.contains(&Sensitivity::None) {
                return Err(Error::Model(
                    "relevance.json: sensitive categories must include \"none\" and one more".into(),
                ));
            }
            m.file("sensitive")?;
            if spec.encoder_sha256 != m.file("encoder")?.sha256 {
                return Err(Error::Model(format!(
                    "relevance.json: sensitive head {} was trained on another encoder; rerun models/train/sensitive.py",
                    spec.version
                )));
            }
        }
        if let Some(spec) = &m.relation {
            let t = spec.thresholds;
            let probability = |x: f32| x.is_finite() && (0.0..=1.0).contains(&x);
            if !(probability(t.updates) && probability(t.review) && probability(t.same) && t.review <= t.updates) {
                return Err(Error::Model(format!(
                    "relevance.json: relation thresholds must be probabilities with review <= updates, got {t:?}"
                )));
            }
            let mut relations = spec.relations.clone();
            relations.sort_by_key(|r| *r as u8);
            if relations != Relation::ALL {
                return Err(Error::Model(
                    "relevance.json: relations must name unrelated, same and updates once each".into(),
                ));
            }
            if spec.lexical != LEXICAL_FEATURES {
                return Err(Error::Model(format!(
                    "relevance.json: the relation head reads {} lexical features, this build computes {LEXICAL_FEATURES}",
                    spec.lexical
                )));
            }
            m.file("relation")?;
            if spec.encoder_sha256 != m.file("encoder")?.sha256 {
                return Err(Error::Model(format!(
                    "relevance.json: relation head {} was trained on another encoder; rerun models/train/relation.py",
                    spec.version
                )));
            }
        }
        Ok(m)
    }

    pub fn file(&self, name: &str) -> Result<&FileEntry> {
        self.files.get(name).ok_or_else(|| Error::Model(format!("relevance.json names no {name} file")))
    }

    /// A truncated download or a file from another model version is refused
    /// before it reaches the ONNX parser.
    pub fn check(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.file(name)?.check(bytes)
    }
}

impl FileEntry {
    pub fn check(&self, bytes: &[u8]) -> Result<()> {
        self.check_digest(bytes.len(), &sha256_hex(bytes))
    }

    /// `check` with the digest computed elsewhere (the browser's WebCrypto
    /// hashes 23 MB several times faster than SHA-256 compiled to wasm).
    pub fn check_digest(&self, len: usize, sha256: &str) -> Result<()> {
        if len as u64 != self.bytes {
            return Err(Error::Model(format!(
                "{}: {} bytes, expected {} (truncated or wrong file)",
                self.path, len, self.bytes
            )));
        }
        if sha256 != self.sha256 {
            return Err(Error::Model(format!("{}: checksum mismatch (corrupt or wrong file)", self.path)));
        }
        Ok(())
    }
}
