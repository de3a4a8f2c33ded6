use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args;
use super::errors::{Failure, JsResult};
use super::fetch;
use super::types::{LoadOptionsArg, ModelBytesArg, ModelSourceArg, RelatedValue, Str, StrArray};
use discreet::attribute::{validate_text, MAX_TEXT_CHARS};
use discreet::error::Error;
use discreet::model::{Manifest, ModelFiles, RelevanceModel as CoreModel};

const MAX_ATTRIBUTES_PER_CALL: usize = 10_000;

/// `{ onProgress?, progress_callback?, cache? }`; anything else is refused.
pub(super) fn load_options(options: Option<JsValue>) -> Result<(fetch::Callbacks, bool), Error> {
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok((fetch::Callbacks::default(), true));
    };
    if !options.is_object() {
        return Err(Error::invalid("options must be an object"));
    }
    let object: &js_sys::Object = options.unchecked_ref();
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !["onProgress", "progress_callback", "cache"].contains(&key.as_str()) {
            return Err(Error::invalid(format!(
                "options: unknown field `{key}`, expected `onProgress`, `progress_callback` or `cache`"
            )));
        }
    }
    let get = |k: &str| js_sys::Reflect::get(&options, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let function = |k: &str| match get(k) {
        v if v.is_undefined() || v.is_null() => Ok(None),
        v => v
            .dyn_into::<js_sys::Function>()
            .map(Some)
            .map_err(|_| Error::invalid(format!("options.{k} must be a function"))),
    };
    let callbacks =
        fetch::Callbacks { on_progress: function("onProgress")?, progress_callback: function("progress_callback")? };
    let cache = match get("cache") {
        v if v.is_undefined() => true,
        v => v.as_bool().ok_or_else(|| Error::invalid("options.cache must be a boolean"))?,
    };
    Ok((callbacks, cache))
}

/// The `source` argument of `load`: the JS glue replaces a missing one by the bundled models.
pub(super) fn source_arg(source: Option<ModelSourceArg>) -> Result<fetch::Source, Error> {
    let value: JsValue = source.map_or(JsValue::UNDEFINED, Into::into);
    fetch::Source::from_js(&value)
}

/// Copies `files[name]`, which must be a `Uint8Array`.
pub(super) fn bytes(files: &JsValue, name: &str) -> Result<Vec<u8>, Error> {
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
    pub fn from_bytes(files: ModelBytesArg) -> JsResult<RelevanceModel> {
        let value: JsValue = files.into();
        if !value.is_object() {
            return Err(Failure::from(Error::invalid("files must be an object of Uint8Arrays")));
        }
        let read = |name| bytes(&value, name).map_err(Failure::from);
        let (manifest, encoder, head, tokenizer) =
            (read("manifest")?, read("encoder")?, read("head")?, read("tokenizer")?);
        let present = |name: &str| js_sys::Reflect::get(&value, &name.into()).is_ok_and(|v| !v.is_undefined());
        let sensitive = if present("sensitive") { Some(read("sensitive")?) } else { None };
        let relation = if present("relation") { Some(read("relation")?) } else { None };
        let inner = CoreModel::from_bytes(ModelFiles {
            manifest: &manifest,
            encoder: &encoder,
            head: &head,
            tokenizer: &tokenizer,
            sensitive: sensitive.as_deref(),
            relation: relation.as_deref(),
        })?;
        Ok(RelevanceModel { inner: Rc::new(inner) })
    }

    /// Fetches `relevance.json` and the files it names from `source`: a folder
    /// URL, or an object from each file name to its URL or bytes (with no
    /// `source`, the JS glue passes the models bundled with the package),
    /// reporting progress, and keeps verified files in the Cache API so a
    /// reload does not download them again. Fails with `E_MODEL`.
    pub async fn load(source: Option<ModelSourceArg>, options: Option<LoadOptionsArg>) -> JsResult<RelevanceModel> {
        let source = source_arg(source)?;
        let (callbacks, use_cache) = load_options(options.map(Into::into))?;
        let manifest_bytes = fetch::fetch_small(&source, "relevance.json").await?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        let mut cache = if use_cache { fetch::open_cache().await } else { None };
        let total: u64 = manifest.files.values().map(|f| f.bytes).sum();
        let mut progress = fetch::Progress::new(callbacks, &manifest.version, total as f64);
        let sensitive = manifest.sensitive.as_ref().map(|_| "sensitive");
        let relation = manifest.relation.as_ref().map(|_| "relation");
        let names = ["encoder", "head", "tokenizer"].into_iter().chain(sensitive).chain(relation);
        let built = async {
            let mut files = std::collections::BTreeMap::new();
            for name in names {
                let entry = manifest.file(name)?;
                files.insert(name, fetch::fetch_file(&source, entry, cache.as_mut(), &mut progress).await?);
            }
            // fetch_file checked every file against the manifest, and fetched each one it names.
            CoreModel::from_checked_bytes(ModelFiles {
                manifest: &manifest_bytes,
                encoder: &files["encoder"],
                head: &files["head"],
                tokenizer: &files["tokenizer"],
                sensitive: files.get("sensitive").map(Vec::as_slice),
                relation: files.get("relation").map(Vec::as_slice),
            })
        }
        .await;
        // Verified files stay cached even when another one failed: a retry downloads only that one.
        if let Some(cache) = cache {
            cache.settle().await;
        }
        let inner = built?;
        progress.ready("relevance");
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

    /// How the attribute `newer` relates to the stored `older` one: `same` (a paraphrase),
    /// `updates` (a new value of the same aspect; with `review` when not sure enough to
    /// replace) or `unrelated`. `E_MODEL` when the model has no relation head.
    pub fn relate(&self, older: Str, newer: Str) -> JsResult<RelatedValue> {
        let text =
            |name, v: Str| args::string(name, &v.into(), 4 * MAX_TEXT_CHARS as u32).and_then(|t| validate_text(&t));
        let (older, newer) = (text("older", older)?, text("newer", newer)?);
        let related = self.inner.relate_texts(&[(older.as_str(), newer.as_str())]).map_err(Failure::from)?;
        Ok(args::to_js(&related[0])?.unchecked_into())
    }

    /// Probability, per attribute, that it should change the answer to `prompt`.
    #[wasm_bindgen(js_name = scoreTexts)]
    pub fn score_texts(&self, prompt: Str, attributes: StrArray) -> JsResult<Vec<f32>> {
        let prompt = args::prompt(&prompt.into())?;
        let list: JsValue = attributes.into();
        let Some(list) = list.dyn_ref::<js_sys::Array>() else {
            return Err(Failure::from(Error::invalid("attributes must be an array of strings")));
        };
        if list.length() as usize > MAX_ATTRIBUTES_PER_CALL {
            return Err(Failure::from(Error::invalid(format!(
                "at most {MAX_ATTRIBUTES_PER_CALL} attributes per call"
            ))));
        }
        let texts = list
            .iter()
            .map(|v| args::string("attributes entry", &v, 4 * MAX_TEXT_CHARS as u32))
            .collect::<Result<Vec<String>, _>>()?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.inner.score_texts(&prompt, &refs).map_err(Failure::from)
    }
}
