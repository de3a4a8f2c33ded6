use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args;
use super::errors::to_js;
use super::types::{ModelBytesArg, Str, StrArray};
use crate::attribute::MAX_TEXT_CHARS;
use crate::error::Error;
use crate::model::{ModelFiles, RelevanceModel as CoreModel};

/// Longest prompt accepted, in UTF-16 units; the model reads its first 128 tokens.
const MAX_PROMPT_CHARS: u32 = 100_000;
const MAX_ATTRIBUTES_PER_CALL: usize = 10_000;

/// Copies `files[name]`, which must be a `Uint8Array`.
fn bytes(files: &JsValue, name: &str) -> Result<Vec<u8>, Error> {
    let value = js_sys::Reflect::get(files, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .ok_or_else(|| Error::invalid(format!("files.{name} must be a Uint8Array")))
}

/// The relevance model in the browser: scores how much each attribute should
/// change the answer to a prompt. Inference is synchronous; run it in a worker
/// to keep the page responsive.
#[wasm_bindgen]
pub struct RelevanceModel {
    inner: Rc<CoreModel>,
}

impl RelevanceModel {
    /// Shared with the `Discreet` instances that use it.
    pub(crate) fn shared(&self) -> Rc<CoreModel> {
        self.inner.clone()
    }
}

#[wasm_bindgen]
impl RelevanceModel {
    /// Builds the model from the bytes of `relevance.json` and the files it names.
    /// Truncated, corrupt or mismatched files throw a `DiscreetError` with code `E_MODEL`.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(files: ModelBytesArg) -> Result<RelevanceModel, JsValue> {
        let value: JsValue = files.into();
        if !value.is_object() {
            return Err(to_js(&Error::invalid("files must be an object of Uint8Arrays")));
        }
        let read = |name| bytes(&value, name).map_err(|e| to_js(&e));
        let (manifest, encoder, head, tokenizer) =
            (read("manifest")?, read("encoder")?, read("head")?, read("tokenizer")?);
        let inner = CoreModel::from_bytes(ModelFiles {
            manifest: &manifest,
            encoder: &encoder,
            head: &head,
            tokenizer: &tokenizer,
        })
        .map_err(|e| to_js(&e))?;
        Ok(RelevanceModel { inner: Rc::new(inner) })
    }

    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version().to_string()
    }

    /// The calibrated threshold: attributes scoring at least this are selected.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> f32 {
        self.inner.threshold()
    }

    /// Probability, per attribute, that it should change the answer to `prompt`.
    #[wasm_bindgen(js_name = scoreTexts)]
    pub fn score_texts(&self, prompt: Str, attributes: StrArray) -> Result<Vec<f32>, JsValue> {
        let prompt = args::string("prompt", &prompt.into(), MAX_PROMPT_CHARS).map_err(|e| to_js(&e))?;
        let list: JsValue = attributes.into();
        let Some(list) = list.dyn_ref::<js_sys::Array>() else {
            return Err(to_js(&Error::invalid("attributes must be an array of strings")));
        };
        if list.length() as usize > MAX_ATTRIBUTES_PER_CALL {
            return Err(to_js(&Error::invalid(format!("at most {MAX_ATTRIBUTES_PER_CALL} attributes per call"))));
        }
        let texts = list
            .iter()
            .map(|v| args::string("attributes entry", &v, 4 * MAX_TEXT_CHARS as u32))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| to_js(&e))?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.inner.score_texts(&prompt, &refs).map_err(|e| to_js(&e))
    }
}
