use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::args;
use super::errors::{rejection, JsResult};
use super::extract::conversation;
use super::host::BrowserEnv;
use super::relevance::RelevanceModel;
use super::types::*;
use super::verifier::{VerifierModel, VerifierParts};
use crate::store::indexeddb::IndexedDbStore;
use discreet::arguments::{selection_ids, ImportArgs, IngestArgs, OpenArgs, SelectArgs, TurnArgs, MAX_SELECTION};
use discreet::attribute::{NewAttribute, Sensitivity, MAX_TEXT_CHARS};
use discreet::compose::ComposeOptions;
use discreet::error::{Error, Result};
use discreet::exchange::MAX_IMPORT_BYTES;
use discreet::extract::{extraction_prompt, MAX_REPLY_BYTES};
use discreet::model::RelevanceModel as CoreModel;
use discreet::prepare::{Share, VectorProgress};
use discreet::profile::Profile;
use discreet::review::ReviewDecision;

type BrowserProfile = Profile<IndexedDbStore, BrowserEnv>;

/// A user's on-device profile. Every method is async and rejects with a
/// `DiscreetError` carrying a stable `code`.
#[wasm_bindgen]
pub struct Discreet {
    user: String,
    profile: RefCell<Option<Rc<BrowserProfile>>>,
    model: RefCell<Option<Rc<CoreModel>>>,
    verifier: RefCell<Option<VerifierParts>>,
}

/// Runs `work` and settles a promise with its serialized result or its coded error.
fn settle<T, F>(work: F) -> js_sys::Promise
where
    T: Serialize,
    F: Future<Output = Result<T>> + 'static,
{
    future_to_promise(async move { work.await.and_then(|v| args::to_js(&v)).map_err(rejection) })
}

fn no_verifier() -> Error {
    Error::Model("no verifier: call useVerifier(verifier) first (through the worker: loadVerifier)".into())
}

fn typed<T: JsCast>(p: js_sys::Promise) -> T {
    p.unchecked_into()
}

#[wasm_bindgen]
impl Discreet {
    /// Opens (creating or migrating) the database of `options.user`.
    pub async fn open(options: OpenOptionsArg) -> JsResult<Discreet> {
        let options: OpenArgs = args::record("options", options.into())?;
        let store = IndexedDbStore::open(&options.user, options.encrypt).await?;
        Ok(Discreet {
            user: options.user,
            profile: RefCell::new(Some(Rc::new(Profile::new(store, BrowserEnv)))),
            model: RefCell::new(None),
            verifier: RefCell::new(None),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn user(&self) -> String {
        self.user.clone()
    }

    /// Whether this profile is stored encrypted.
    #[wasm_bindgen(getter)]
    pub fn encrypted(&self) -> bool {
        self.profile.borrow().as_ref().is_some_and(|p| p.store().is_encrypted())
    }

    fn profile(&self) -> Result<Rc<BrowserProfile>> {
        self.profile.borrow().clone().ok_or(Error::Closed)
    }

    fn model(&self) -> Result<Rc<CoreModel>> {
        self.model.borrow().clone().ok_or_else(|| Error::Model("no relevance model: call useModel(model) first".into()))
    }

    /// Sets the relevance model `select` uses. Cached attribute vectors are
    /// keyed by its version: a new version recomputes them as needed.
    #[wasm_bindgen(js_name = useModel)]
    pub fn use_model(&self, model: &RelevanceModel) {
        *self.model.borrow_mut() = Some(model.shared());
    }

    /// Sets the verifier `ingest` uses.
    #[wasm_bindgen(js_name = useVerifier)]
    pub fn use_verifier(&self, verifier: &VerifierModel) {
        *self.verifier.borrow_mut() = Some(verifier.parts());
    }

    /// What `ingest` (JS, over this and `ingestReply`) sends to the app's chat model: the
    /// extraction prompt for `messages`, once the profile is open, a verifier is set and
    /// `options` (those `ingestReply` will get) read, so a conversation never reaches the chat
    /// model for an ingest that cannot store anything.
    #[wasm_bindgen(js_name = ingestPrompt)]
    pub fn ingest_prompt(&self, messages: ChatMessagesArg, options: Option<IngestOptionsArg>) -> PromiseChatMessages {
        let conversation = conversation(messages.into());
        let options = args::optional_record::<IngestArgs>("options", options.map_or(JsValue::UNDEFINED, Into::into));
        let (profile, verifier) = (self.profile().map(drop), self.verifier.borrow().is_some());
        typed(settle(async move {
            profile?;
            if !verifier {
                return Err(no_verifier());
            }
            options?.check()?;
            extraction_prompt(&conversation?)
        }))
    }

    /// Stage 1 for the chat model's reply to `extractionPrompt(messages)` (or `ingestPrompt`):
    /// parses it, verifies each candidate, and stores the accepted and review ones in one
    /// transaction. Resolves to what was accepted, held for review and rejected, each with
    /// score and reason. An unusable reply rejects with `E_BAD_EXTRACTION` and stores nothing.
    #[wasm_bindgen(js_name = ingestReply)]
    pub fn ingest_reply(
        &self,
        messages: ChatMessagesArg,
        reply: Str,
        options: Option<IngestOptionsArg>,
    ) -> PromiseIngestReport {
        let conversation = conversation(messages.into());
        // The chat model's output, as in `ingest`: a reply that cannot be read is an unusable extraction.
        let reply = args::string("reply", &reply.into(), MAX_REPLY_BYTES as u32)
            .map_err(|e| Error::BadExtraction(e.to_string()));
        let options = args::optional_record::<IngestArgs>("options", options.map_or(JsValue::UNDEFINED, Into::into));
        let (profile, verifier) = (self.profile(), self.verifier.borrow().clone());
        typed(settle(async move {
            let verifier = verifier.ok_or_else(no_verifier)?;
            let (conversation, reply, options, profile) = (conversation?, reply?, options?, profile?);
            profile.ingest(&verifier.encoder, &verifier.model, &conversation, &options, &reply).await
        }))
    }

    /// Computes and stores the attribute vectors the first `select` would otherwise compute
    /// (10,000 attributes: seconds of encoding), calling `options.onProgress({ done, total })`
    /// after each stored chunk. `options.share` (`{ index, of }`) takes one part of the work, for
    /// several workers filling one profile (`DiscreetWorker`'s `prepareVectors` does that).
    /// Resolves to the last progress. Run it in a worker: each chunk blocks the thread it runs on.
    #[wasm_bindgen(js_name = prepareVectors)]
    pub fn prepare_vectors(&self, options: Option<PrepareOptionsArg>) -> PromiseVectorProgress {
        let options = prepare_options(options.map_or(JsValue::UNDEFINED, Into::into));
        let (profile, model) = (self.profile(), self.model());
        typed(settle(async move {
            let ((on_progress, share), model, profile) = (options?, model?, profile?);
            let report = |p: VectorProgress| {
                if let (Some(f), Ok(event)) = (&on_progress, args::to_js(&p)) {
                    // The app's callback threw: the work goes on, as a load does.
                    let _ = f.call1(&JsValue::NULL, &event);
                }
            };
            profile.prepare_vectors(&model, share, report).await
        }))
    }

    /// The attributes that should change the answer to `prompt`, best first:
    /// above the calibrated threshold, at most `maxAttributes` (default 5).
    /// Attributes awaiting review are candidates only with `includeReview`;
    /// rejected ones never.
    pub fn select(&self, prompt: Str, options: Option<SelectOptionsArg>) -> PromiseSelections {
        let prompt = args::prompt(&prompt.into());
        let options = args::optional_record::<SelectArgs>("options", options.map_or(JsValue::UNDEFINED, Into::into));
        let (profile, model) = (self.profile(), self.model());
        typed(settle(async move {
            let options = options?;
            let core = options.options()?;
            let model = model?;
            profile?.select(&model, &prompt?, core, options.include_review).await
        }))
    }

    /// The payload for the app's remote chat model in the shape of its SDK
    /// (`options.format`): the user's message and, if anything was selected,
    /// system text stating exactly those attributes as quoted data. Logs a
    /// disclosure record.
    pub fn compose(
        &self,
        prompt: Str,
        selection: SelectionArrayArg,
        options: Option<ComposeOptionsArg>,
    ) -> PromiseComposed {
        let prompt = args::prompt(&prompt.into());
        let ids = args::array("selection", selection.into(), MAX_SELECTION as u32).and_then(selection_ids);
        let options =
            args::optional_record::<ComposeOptions>("options", options.map_or(JsValue::UNDEFINED, Into::into));
        let profile = self.profile();
        typed(settle(async move { profile?.compose(&prompt?, &ids?, &options?).await }))
    }

    /// One chat turn in one call: `select` then `compose` (`options` takes both's fields) from one
    /// read of the profile and one prompt encoding, logging one disclosure. Resolves to what is sent,
    /// the payload, and every other stored attribute with the reason it stayed on the device.
    #[wasm_bindgen(js_name = prepareTurn)]
    pub fn prepare_turn(&self, prompt: Str, options: Option<TurnOptionsArg>) -> PromiseTurn {
        let prompt = args::prompt(&prompt.into());
        let options = args::optional_record::<TurnArgs>("options", options.map_or(JsValue::UNDEFINED, Into::into))
            .and_then(TurnArgs::split);
        let (profile, model) = (self.profile(), self.model());
        typed(settle(async move {
            let (select, compose) = options?;
            let (model, profile, prompt) = (model?, profile?, prompt?);
            profile.prepare_turn(&model, &prompt, select.options()?, select.include_review, &compose).await
        }))
    }

    /// Stores an attribute unless an equal one is stored already.
    pub fn add(&self, attribute: NewAttributeArg) -> PromiseAdded {
        let input = args::record::<NewAttribute>("attribute", attribute.into());
        let profile = self.profile();
        typed(settle(async move { profile?.add(input?).await }))
    }

    pub fn get(&self, id: Str) -> PromiseAttribute {
        let id = args::id(&id.into());
        let profile = self.profile();
        typed(settle(async move { profile?.get(&id?).await }))
    }

    /// All attributes, oldest first.
    pub fn list(&self) -> PromiseAttributes {
        let profile = self.profile();
        typed(settle(async move { profile?.list().await }))
    }

    /// Replaces the text of an attribute; it is then marked `userEdited`.
    pub fn update(&self, id: Str, text: Str) -> PromiseAttribute {
        let id = args::id(&id.into());
        // Room for white space that cleaning removes; the core enforces the real cap.
        let text = args::string("text", &text.into(), 4 * MAX_TEXT_CHARS as u32);
        let profile = self.profile();
        typed(settle(async move { profile?.update_text(&id?, &text?).await }))
    }

    /// Resolves to whether an attribute was deleted.
    pub fn remove(&self, id: Str) -> PromiseBool {
        let id = args::id(&id.into());
        let profile = self.profile();
        typed(settle(async move { profile?.remove(&id?).await }))
    }

    /// The replacement chain attribute `id` belongs to, oldest first: what it replaced (now
    /// history, `supersededBy` set), itself, and what replaced it.
    pub fn history(&self, id: Str) -> PromiseAttributes {
        let id = args::id(&id.into());
        let profile = self.profile();
        typed(settle(async move { profile?.history(&id?).await }))
    }

    /// The stored attributes closest to `text` (at most 5), closest first, each with how `text`
    /// relates to it (`same`, `updates`, `unrelated`): what `ingest` would merge it into or let
    /// it replace, for an app that asks before storing a fact the user typed. Needs `useModel`
    /// with a relation head (`E_MODEL`).
    pub fn related(&self, text: Str) -> PromiseRelatives {
        let text = args::string("text", &text.into(), 4 * MAX_TEXT_CHARS as u32);
        let (profile, model) = (self.profile(), self.model());
        typed(settle(async move {
            let (text, model) = (text?, model?);
            profile?.related(&model, &text).await
        }))
    }

    /// Makes the replaced attribute `id` current again; what replaced it stays stored.
    /// `E_INVALID_INPUT` when it was not replaced.
    #[wasm_bindgen(js_name = undoReplacement)]
    pub fn undo_replacement(&self, id: Str) -> PromiseAttribute {
        let id = args::id(&id.into());
        let profile = self.profile();
        typed(settle(async move { profile?.undo_replacement(&id?).await }))
    }

    /// Sets when attribute `id` stops holding (milliseconds since the epoch), or clears it with
    /// `null`: an expired attribute stays stored but is never selected or sent.
    #[wasm_bindgen(js_name = setExpiry)]
    pub fn set_expiry(&self, id: Str, expires_at: Option<f64>) -> PromiseAttribute {
        let id = args::id(&id.into());
        let profile = self.profile();
        typed(settle(async move { profile?.set_expiry(&id?, expires_at).await }))
    }

    /// Deletes every attribute, and the review judgments, which quote them.
    pub fn clear(&self) -> PromiseVoid {
        let profile = self.profile();
        typed(settle(async move { profile?.clear().await }))
    }

    /// The whole profile as JSON, in plain text: only call it when the user asks.
    #[wasm_bindgen(js_name = exportJson)]
    pub fn export_json(&self) -> PromiseString {
        let profile = self.profile();
        typed(settle(async move { profile?.export_json().await }))
    }

    /// Imports an export file. The file is validated whole first: a bad file changes nothing.
    #[wasm_bindgen(js_name = importJson)]
    pub fn import_json(&self, json: Str, options: Option<ImportOptionsArg>) -> PromiseImportReport {
        let json = args::string("json", &json.into(), MAX_IMPORT_BYTES as u32);
        let options = args::optional_record::<ImportArgs>("options", options.map_or(JsValue::UNDEFINED, Into::into));
        let profile = self.profile();
        typed(settle(async move { profile?.import_json(&json?, options?.mode).await }))
    }

    /// The user's privacy settings.
    pub fn settings(&self) -> PromisePrivacySettings {
        let profile = self.profile();
        typed(settle(async move { profile?.settings().await }))
    }

    /// Which sensitive categories (`health`, `religion`, `sexuality`, `ethnicity`,
    /// `politics`, `finance`, `location`, `other`) may leave the device; the
    /// rest are never selected nor composed. Replaces the earlier choice.
    #[wasm_bindgen(js_name = setAllowedSensitive)]
    pub fn set_allowed_sensitive(&self, categories: SensitivityArrayArg) -> PromisePrivacySettings {
        let categories = args::list_capped::<Sensitivity>("categories", categories.into(), 16);
        let profile = self.profile();
        typed(settle(async move { profile?.set_allowed_sensitive(categories?).await }))
    }

    /// What left the device, oldest first.
    pub fn disclosures(&self) -> PromiseDisclosures {
        let profile = self.profile();
        typed(settle(async move { profile?.disclosures().await }))
    }

    /// The user's decision on an attribute (`accept`, `edit` with `text`, `delete`; `kind` says
    /// what was wrong). Applied like `update`/`remove`, and, for an attribute the verifier
    /// judged, recorded on the device as a stage-1 judgment (`judgments`, `exportJudgments`).
    pub fn review(&self, id: Str, decision: ReviewDecisionArg) -> PromiseReviewed {
        let id = args::id(&id.into());
        let decision = args::record::<ReviewDecision>("decision", decision.into());
        let profile = self.profile();
        typed(settle(async move { profile?.review(&id?, &decision?).await }))
    }

    /// The recorded review decisions, oldest first.
    pub fn judgments(&self) -> PromiseJudgments {
        let profile = self.profile();
        typed(settle(async move { profile?.judgments().await }))
    }

    /// The review decisions as the study page's JSONL (`stage: "attribute"`, labels ok / unsure /
    /// bad), which `models/train/verifier.py --judgments` retrains from. Only when the user asks.
    #[wasm_bindgen(js_name = exportJudgments)]
    pub fn export_judgments(&self) -> PromiseString {
        let (profile, user) = (self.profile(), self.user.clone());
        typed(settle(async move { profile?.export_judgments(&user).await }))
    }

    /// Deletes the recorded review decisions (the attributes stay).
    #[wasm_bindgen(js_name = clearJudgments)]
    pub fn clear_judgments(&self) -> PromiseVoid {
        let profile = self.profile();
        typed(settle(async move { profile?.clear_judgments().await }))
    }

    /// Closes the database; later calls reject with `E_CLOSED`.
    pub fn close(&self) {
        self.model.borrow_mut().take();
        self.verifier.borrow_mut().take();
        if let Some(profile) = self.profile.borrow_mut().take() {
            profile.store().close();
        }
    }
}

/// `{ onProgress?, share? }`; anything else is refused.
fn prepare_options(options: JsValue) -> Result<(Option<js_sys::Function>, Share)> {
    if options.is_undefined() || options.is_null() {
        return Ok((None, Share::default()));
    }
    if !options.is_object() || js_sys::Array::is_array(&options) {
        return Err(Error::invalid("options must be an object"));
    }
    let get = |k: &str| js_sys::Reflect::get(&options, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !["onProgress", "share"].contains(&key.as_str()) {
            return Err(Error::invalid(format!("options: unknown field `{key}`, expected `onProgress` or `share`")));
        }
    }
    let on_progress = match get("onProgress") {
        v if v.is_undefined() || v.is_null() => None,
        v => Some(
            v.dyn_into::<js_sys::Function>().map_err(|_| Error::invalid("options.onProgress must be a function"))?,
        ),
    };
    let share = match get("share") {
        v if v.is_undefined() || v.is_null() => Share::default(),
        v => args::record::<Share>("options.share", v)?.check()?,
    };
    Ok((on_progress, share))
}
