//! The on-device relevance model: tokenizer + int8 MiniLM encoder (`crate::onnx`) +
//! a small pair head. Loaded from bytes, so the browser can fetch the files
//! and native code can read them from disk; the same code runs in both.

mod encoder;
mod manifest;
mod tokenize;
mod verifier;

pub use manifest::{FileEntry, Manifest, RelationSpec, RelationThresholds, SensitiveSpec};
pub use verifier::{Assessment, Claim, Thresholds, VerifierManifest, VerifierModel};

use crate::attribute::Sensitivity;
use crate::error::{Error, Result};
use crate::relate::{self, Probabilities, Related, Relation, LEXICAL_FEATURES};
use encoder::{Classifier, Encoder, Head, Pairing};
pub use tokenize::TextTokenizer;

/// The model files, as bytes.
pub struct ModelFiles<'a> {
    pub manifest: &'a [u8],
    pub encoder: &'a [u8],
    pub head: &'a [u8],
    pub tokenizer: &'a [u8],
    /// Required when the manifest names a `sensitive` file.
    pub sensitive: Option<&'a [u8]>,
    /// Required when the manifest names a `relation` file.
    pub relation: Option<&'a [u8]>,
}

pub struct RelevanceModel {
    manifest: Manifest,
    tokenizer: TextTokenizer,
    encoder: Encoder,
    head: Head,
    sensitive: Option<Classifier>,
    relation: Option<Head>,
}

pub(crate) fn model_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Model(format!("{what}: {e}"))
}

impl RelevanceModel {
    pub fn from_bytes(files: ModelFiles<'_>) -> Result<Self> {
        let manifest = Manifest::parse(files.manifest)?;
        for (name, bytes) in named_files(&manifest, &files)? {
            manifest.check(name, bytes)?;
        }
        Self::build(manifest, files)
    }

    /// `from_bytes` for files the caller has already checked against this
    /// manifest with `FileEntry::check_digest` (the browser loader hashes with
    /// WebCrypto as files arrive, so hashing again here would only cost time).
    pub fn from_checked_bytes(files: ModelFiles<'_>) -> Result<Self> {
        let manifest = Manifest::parse(files.manifest)?;
        for (name, bytes) in named_files(&manifest, &files)? {
            let entry = manifest.file(name)?;
            if bytes.len() as u64 != entry.bytes {
                return Err(Error::Model(format!("{}: not the file the manifest names", entry.path)));
            }
        }
        Self::build(manifest, files)
    }

    fn build(manifest: Manifest, files: ModelFiles<'_>) -> Result<Self> {
        let sensitive = match &manifest.sensitive {
            Some(spec) => {
                Some(Classifier::from_bytes(sensitive_bytes(&files)?, manifest.dimension, spec.categories.len())?)
            }
            None => None,
        };
        let relation = match &manifest.relation {
            Some(spec) => Some(Head::with_extra_input(
                optional_bytes(files.relation, "relation")?,
                manifest.dimension,
                Pairing::RowWise,
                spec.lexical,
            )?),
            None => None,
        };
        Ok(RelevanceModel {
            sensitive,
            relation,
            tokenizer: TextTokenizer::from_bytes(files.tokenizer)?,
            encoder: Encoder::from_bytes(files.encoder, manifest.dimension)?,
            head: Head::from_bytes(files.head, manifest.dimension, Pairing::OneToMany)?,
            manifest,
        })
    }

    /// Reads `relevance.json` and the files it names from a folder.
    pub fn from_dir(dir: &std::path::Path) -> Result<Self> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| Error::Model(format!("{}: {e}", dir.join(name).display())))
        };
        let manifest_bytes = read("relevance.json")?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        let encoder = read(&manifest.file("encoder")?.path)?;
        let head = read(&manifest.file("head")?.path)?;
        let tokenizer = read(&manifest.file("tokenizer")?.path)?;
        let sensitive = match manifest.sensitive {
            Some(_) => Some(read(&manifest.file("sensitive")?.path)?),
            None => None,
        };
        let relation = match manifest.relation {
            Some(_) => Some(read(&manifest.file("relation")?.path)?),
            None => None,
        };
        Self::from_bytes(ModelFiles {
            manifest: &manifest_bytes,
            encoder: &encoder,
            head: &head,
            tokenizer: &tokenizer,
            sensitive: sensitive.as_deref(),
            relation: relation.as_deref(),
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The model version attribute vectors are cached under.
    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    /// Identifies the encoder, so a head trained on its vectors can insist on it.
    pub fn encoder_sha256(&self) -> &str {
        self.manifest.files.get("encoder").map_or("", |f| f.sha256.as_str())
    }

    pub fn threshold(&self) -> f32 {
        self.manifest.threshold
    }

    /// Any text, cut to `max_tokens` tokens.
    pub fn embed(&self, text: &str, max_tokens: usize) -> Result<Vec<f32>> {
        let ids = self.tokenizer.ids(text, max_tokens)?;
        self.encoder.embed(&ids)
    }

    pub fn embed_attribute(&self, text: &str) -> Result<Vec<f32>> {
        self.embed(text, self.manifest.attribute_max_tokens)
    }

    pub fn embed_prompt(&self, text: &str) -> Result<Vec<f32>> {
        self.embed(text, self.manifest.prompt_max_tokens)
    }

    /// Probability that each attribute should change the answer to the prompt.
    pub fn score(&self, prompt: &[f32], attributes: &[&[f32]]) -> Result<Vec<f32>> {
        self.head.score(&[prompt], attributes)
    }

    /// The sensitive category the model sees in each attribute vector:
    /// its most likely category other than "none" when that reaches the
    /// calibrated threshold, else `None`. All `None` without a sensitive head.
    pub fn sensitive_categories(&self, vectors: &[&[f32]]) -> Result<Vec<Sensitivity>> {
        let (Some(head), Some(spec)) = (&self.sensitive, &self.manifest.sensitive) else {
            return Ok(vec![Sensitivity::None; vectors.len()]);
        };
        let rows = head.probabilities(vectors)?;
        Ok(rows
            .iter()
            .map(|p| {
                spec.categories
                    .iter()
                    .zip(p)
                    .filter(|(c, _)| **c != Sensitivity::None)
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .filter(|(_, &prob)| prob >= spec.threshold)
                    .map_or(Sensitivity::None, |(c, _)| *c)
            })
            .collect())
    }

    /// Class probabilities, in the manifest's category order (for evaluation).
    pub fn sensitive_probabilities(&self, vectors: &[&[f32]]) -> Result<Vec<Vec<f32>>> {
        match &self.sensitive {
            Some(head) => head.probabilities(vectors),
            None => Err(Error::Model("this model has no sensitive-category head".into())),
        }
    }

    /// Whether `relate` works: the manifest names a relation head.
    pub fn has_relation(&self) -> bool {
        self.relation.is_some()
    }

    /// `E_MODEL` unless the model has a relation head.
    pub fn require_relation(&self) -> Result<()> {
        self.relation_head().map(drop)
    }

    fn relation_head(&self) -> Result<(&Head, &RelationSpec)> {
        match (&self.relation, &self.manifest.relation) {
            (Some(head), Some(spec)) => Ok((head, spec)),
            _ => Err(Error::Model("this model has no relation head (relevance.json names no relation)".into())),
        }
    }

    /// How each new attribute relates to the old one beside it: both as attribute vectors, with
    /// `relate::lexical` of their texts. `E_MODEL` without a relation head.
    pub fn relate(&self, old: &[&[f32]], new: &[&[f32]], lexical: &[[f32; LEXICAL_FEATURES]]) -> Result<Vec<Related>> {
        let (head, spec) = self.relation_head()?;
        if old.len() != new.len() || lexical.len() != new.len() {
            return Err(Error::invalid("relate needs as many old vectors, new vectors and feature rows"));
        }
        let rows: Vec<&[f32]> = lexical.iter().map(|l| l.as_slice()).collect();
        let flat = head.outputs(old, new, &rows)?.into_iter().next().unwrap_or_default();
        let k = spec.relations.len();
        if flat.len() != k * new.len() {
            return Err(Error::Model(format!("relation head returned {} values for {} pairs", flat.len(), new.len())));
        }
        let index = |r: Relation| spec.relations.iter().position(|x| *x == r).expect("checked by the manifest");
        Ok(flat
            .chunks(k)
            .map(|p| {
                let probabilities = Probabilities {
                    unrelated: p[index(Relation::Unrelated)],
                    same: p[index(Relation::Same)],
                    updates: p[index(Relation::Updates)],
                };
                Related::decide(probabilities, spec.thresholds)
            })
            .collect())
    }

    /// `relate` for texts: encodes both sides of each pair.
    pub fn relate_texts(&self, pairs: &[(&str, &str)]) -> Result<Vec<Related>> {
        let embed = |t: &str| self.embed_attribute(t);
        let old = pairs.iter().map(|(o, _)| embed(o)).collect::<Result<Vec<_>>>()?;
        let new = pairs.iter().map(|(_, n)| embed(n)).collect::<Result<Vec<_>>>()?;
        let lexical: Vec<_> = pairs.iter().map(|(o, n)| relate::lexical(o, n)).collect();
        let old: Vec<&[f32]> = old.iter().map(Vec::as_slice).collect();
        let new: Vec<&[f32]> = new.iter().map(Vec::as_slice).collect();
        self.relate(&old, &new, &lexical)
    }

    /// Convenience for one-off use and evaluation: encodes both sides.
    pub fn score_texts(&self, prompt: &str, attributes: &[&str]) -> Result<Vec<f32>> {
        let p = self.embed_prompt(prompt)?;
        let vectors = attributes.iter().map(|a| self.embed_attribute(a)).collect::<Result<Vec<_>>>()?;
        self.score(&p, &vectors.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }
}

fn optional_bytes<'a>(bytes: Option<&'a [u8]>, name: &str) -> Result<&'a [u8]> {
    bytes.ok_or_else(|| Error::Model(format!("relevance.json names a {name} head, but its file is missing")))
}

fn sensitive_bytes<'a>(files: &ModelFiles<'a>) -> Result<&'a [u8]> {
    optional_bytes(files.sensitive, "sensitive")
}

/// Every file the manifest names, with the bytes given for it.
fn named_files<'a>(manifest: &Manifest, files: &ModelFiles<'a>) -> Result<Vec<(&'static str, &'a [u8])>> {
    let mut named = vec![("encoder", files.encoder), ("head", files.head), ("tokenizer", files.tokenizer)];
    if manifest.sensitive.is_some() {
        named.push(("sensitive", sensitive_bytes(files)?));
    }
    if manifest.relation.is_some() {
        named.push(("relation", optional_bytes(files.relation, "relation")?));
    }
    Ok(named)
}

pub(crate) fn run_error(e: crate::onnx::Error) -> Error {
    Error::Model(format!("inference: {e}"))
}
