use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::args;
use super::errors::{rejection, Failure, JsResult};
use super::fetch;
use super::relevance::{bytes, load_options, source_arg, RelevanceModel};
use super::types::{
    CandidatesArg, LoadOptionsArg, ModelSourceArg, PromiseVerifierModel, VerificationsArg, VerifierBytesArg,
    VerifyContextArg,
};
use discreet::arguments::VerifyArgs;
use discreet::error::{Error, Result};
use discreet::extract::{Candidate, MAX_CANDIDATES};
use discreet::model::{RelevanceModel as CoreRelevance, VerifierManifest, VerifierModel as CoreVerifier};
use discreet::verify::Verifier;

/// Pieces of the verifier that `Discreet` keeps while it uses it.
#[derive(Clone)]
pub(crate) struct VerifierParts {
    pub encoder: Rc<CoreRelevance>,
    pub model: Rc<CoreVerifier>,
}

/// The stage-1 verifier in the browser: scores whether a human would accept a
/// candidate attribute, given its support. It shares the relevance model's
/// encoder, so it adds one small file.
#[wasm_bindgen]
pub struct VerifierModel {
    parts: VerifierParts,
}

impl VerifierModel {
    pub(crate) fn parts(&self) -> VerifierParts {
        self.parts.clone()
    }
}

#[wasm_bindgen]
impl VerifierModel {
    /// From the bytes of `verifier.json` and its head, over `relevance`'s encoder.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(files: VerifierBytesArg, relevance: &RelevanceModel) -> JsResult<VerifierModel> {
        let value: JsValue = files.into();
        if !value.is_object() {
            return Err(Failure::from(Error::invalid("files must be an object of Uint8Arrays")));
        }
        let (manifest, head) = (bytes(&value, "manifest")?, bytes(&value, "head")?);
        let encoder = relevance.shared();
        let model = CoreVerifier::from_bytes(&manifest, &head, &encoder)?;
        Ok(VerifierModel { parts: VerifierParts { encoder, model: Rc::new(model) } })
    }

    /// Fetches `verifier.json` and its head from `source` (as for
    /// `RelevanceModel.load`), with the same progress events and Cache API caching.
    pub fn load(
        source: Option<ModelSourceArg>,
        relevance: &RelevanceModel,
        options: Option<LoadOptionsArg>,
    ) -> PromiseVerifierModel {
        let source = source_arg(source);
        let options = load_options(options.map(Into::into));
        let encoder = relevance.shared();
        let promise = future_to_promise(async move {
            let load = async {
                let (source, (callbacks, use_cache)) = (source?, options?);
                let manifest_bytes = fetch::fetch_small(&source, "verifier.json").await?;
                let manifest = VerifierManifest::parse(&manifest_bytes)?;
                let entry = manifest.head()?.clone();
                let mut cache = if use_cache { fetch::open_cache().await } else { None };
                let mut progress = fetch::Progress::new(callbacks, &manifest.version, entry.bytes as f64);
                let head = fetch::fetch_file(&source, &entry, cache.as_mut(), &mut progress).await?;
                let model = CoreVerifier::from_bytes(&manifest_bytes, &head, &encoder)?;
                if let Some(cache) = cache {
                    cache.settle().await;
                }
                progress.ready("verifier");
                Ok::<_, Error>(VerifierModel { parts: VerifierParts { encoder, model: Rc::new(model) } })
            };
            load.await.map(JsValue::from).map_err(rejection)
        });
        wasm_bindgen::JsCast::unchecked_into(promise)
    }

    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.parts.model.version().to_string()
    }

    /// Scores at or above this are accepted.
    #[wasm_bindgen(getter, js_name = acceptThreshold)]
    pub fn accept_threshold(&self) -> f32 {
        self.parts.model.thresholds().accept
    }

    /// Scores below this are rejected; between the two, held for review.
    #[wasm_bindgen(getter, js_name = rejectThreshold)]
    pub fn reject_threshold(&self) -> f32 {
        self.parts.model.thresholds().reject
    }

    /// Verdicts for candidates (as `parseExtraction` returns them), without
    /// storing anything. With `context.userMessages`, evidence quotes must
    /// occur in them; `context.stored` texts count as duplicates.
    pub fn verify(&self, candidates: CandidatesArg, context: Option<VerifyContextArg>) -> JsResult<VerificationsArg> {
        let run = || -> Result<JsValue> {
            let candidates: Vec<Candidate> = args::list_capped("candidates", candidates.into(), MAX_CANDIDATES as u32)?;
            let context =
                args::optional_record::<VerifyArgs>("context", context.map_or(JsValue::UNDEFINED, Into::into))?
                    .context();
            let verified = Verifier::new(&self.parts.encoder, &self.parts.model).verify(&candidates, &context)?;
            args::to_js(&verified)
        };
        Ok(run()?.unchecked_into())
    }
}
