use tokenizers::Tokenizer;

use super::model_error;
use crate::error::Result;

/// MiniLM's WordPiece tokenizer, one text at a time, never padded.
pub struct TextTokenizer {
    inner: Tokenizer,
}

impl TextTokenizer {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut inner = Tokenizer::from_bytes(bytes).map_err(|e| model_error("tokenizer.json", e))?;
        inner.with_padding(None);
        Ok(TextTokenizer { inner })
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Token ids with [CLS] and [SEP], cut to `max_tokens` in all.
    pub fn ids(&self, text: &str, max_tokens: usize) -> Result<Vec<i64>> {
        let encoding = self.inner.encode(text, true).map_err(|e| model_error("tokenize", e))?;
        let ids: Vec<i64> = encoding.get_ids().iter().map(|&i| i64::from(i)).collect();
        match ids.last() {
            // Keep [CLS] + the first tokens + [SEP], as the training tokenizer's truncation does.
            Some(&sep) if ids.len() > max_tokens => {
                let mut cut = ids[..max_tokens - 1].to_vec();
                cut.push(sep);
                Ok(cut)
            }
            _ => Ok(ids),
        }
    }
}
