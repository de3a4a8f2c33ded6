//! The rules for a caller's arguments, applied to the JSON tree the wasm binding converts each JS
//! value into. They live in the core, not in `web/`, so that the same code runs natively: the unit
//! tests here and the `js_args` fuzz target call exactly what the binding calls.
//!
//! Nulls mean "not given" (JS callers write `undefined` or `null`); a misspelt field is an error,
//! not silently ignored; lists are capped. Every failure is `E_INVALID_INPUT` naming the argument.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::attribute::validate_time;
use crate::compose::{
    render_selection, ComposeOptions, PayloadFormat, Rendered, SharedAttribute, SystemRole, MAX_INSTRUCTIONS_CHARS,
    MAX_SHARED_ATTRIBUTES,
};
use crate::error::{Error, Result};
use crate::exchange::ImportMode;
use crate::select::{check_threshold, SelectOptions, DEFAULT_MAX_ATTRIBUTES};
use crate::verify::Context;

/// An object argument (`options`, `attribute`, ...).
pub fn record<T: DeserializeOwned>(what: &str, tree: Value) -> Result<T> {
    if !tree.is_object() {
        return Err(Error::invalid(format!("{what} must be an object")));
    }
    from_tree(what, tree)
}

/// An optional object argument: absent (null) means every field's default.
pub fn optional_record<T: DeserializeOwned + Default>(what: &str, tree: Value) -> Result<T> {
    if tree.is_null() {
        return Ok(T::default());
    }
    record(what, tree)
}

/// An array argument of at most `max` entries. Entries may carry fields the type does not name only
/// where the type allows it: callers pass back objects that Discreet returned, with their own additions.
pub fn list<T: DeserializeOwned>(what: &str, tree: Value, max: usize) -> Result<Vec<T>> {
    let Value::Array(items) = &tree else {
        return Err(Error::invalid(format!("{what} must be an array")));
    };
    if items.len() > max {
        return Err(Error::invalid(format!("{what} has {} entries; the limit is {max}", items.len())));
    }
    from_tree(what, tree)
}

/// A string argument of at most `max_units` UTF-16 units (the unit JS counts `length` in).
pub fn text(what: &str, tree: Value, max_units: usize) -> Result<String> {
    let Value::String(s) = tree else {
        return Err(Error::invalid(format!("{what} must be a string")));
    };
    let units = s.encode_utf16().count();
    if units > max_units {
        return Err(Error::invalid(format!("{what} is {units} characters long; the limit is {max_units}")));
    }
    Ok(s)
}

fn from_tree<T: DeserializeOwned>(what: &str, mut tree: Value) -> Result<T> {
    drop_nulls(&mut tree);
    serde_json::from_value(tree).map_err(|e| Error::invalid(format!("{what}: {e}")))
}

/// Every optional field of ours means the same by absence as by null.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// `Discreet.open(options)`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "OpenOptions"))]
#[serde(deny_unknown_fields)]
pub struct OpenArgs {
    /// Each user gets a database of their own; profiles never mix.
    pub user: String,
    /// Store this profile encrypted (AES-GCM, non-extractable key kept in IndexedDB). Once on,
    /// it stays on.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<bool>", optional))]
    pub encrypt: bool,
}

/// `select(prompt, options)`.
#[derive(Debug, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "SelectOptions"))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelectArgs {
    /// At most this many attributes (default 5).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub max_attributes: Option<usize>,
    /// Also consider attributes whose verdict is `review` (default false).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<bool>", optional))]
    pub include_review: bool,
    /// Override the model's calibrated threshold, within 0..1.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub threshold: Option<f32>,
}

impl SelectArgs {
    /// Checked here, not only when scoring, so that a bad threshold fails the same way for an empty
    /// profile as for a full one.
    pub fn options(&self) -> Result<SelectOptions> {
        self.threshold.map(check_threshold).transpose()?;
        Ok(SelectOptions {
            max_attributes: self.max_attributes.unwrap_or(DEFAULT_MAX_ATTRIBUTES),
            threshold: self.threshold,
        })
    }
}

/// `prepareTurn(prompt, options)`: `select`'s options and `compose`'s in one object
/// (`SelectOptions & ComposeOptions`).
#[derive(Debug, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "TurnOptions"))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TurnArgs {
    /// At most this many attributes (default 5).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub max_attributes: Option<usize>,
    /// Also consider attributes whose verdict is `review` (default false).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<bool>", optional))]
    pub include_review: bool,
    /// Override the model's calibrated threshold, within 0..1.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub threshold: Option<f32>,
    /// Default `openai` (Chat Completions).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<PayloadFormat>", optional))]
    pub format: PayloadFormat,
    /// `openai` only: the role of the instruction message (default `system`).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub system_role: Option<SystemRole>,
    /// The app's own system text (up to 20,000 characters); the attribute block follows it.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub instructions: Option<String>,
}

impl TurnArgs {
    /// The two halves, each checked as `select` and `compose` check them.
    pub fn split(self) -> Result<(SelectArgs, ComposeOptions)> {
        let select = SelectArgs {
            max_attributes: self.max_attributes,
            include_review: self.include_review,
            threshold: self.threshold,
        };
        select.options()?;
        let compose =
            ComposeOptions { format: self.format, system_role: self.system_role, instructions: self.instructions };
        compose.check()?;
        Ok((select, compose))
    }
}

/// `ingest(messages, llm, options)`.
#[derive(Debug, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "IngestOptions"))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IngestArgs {
    /// Recorded as each stored attribute's source.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub conversation_id: Option<String>,
    /// When the conversation took place, in milliseconds since the Unix epoch: each stored
    /// attribute's `observedAt` (default: now).
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub observed_at: Option<f64>,
}

impl IngestArgs {
    pub fn check(&self) -> Result<()> {
        validate_time("observedAt", self.observed_at)
    }
}

/// `importJson(json, options)`.
#[derive(Debug, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "ImportOptions"))]
#[serde(deny_unknown_fields)]
pub struct ImportArgs {
    /// `merge` (default) keeps stored attributes; `replace` leaves exactly the file's.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<ImportMode>", optional))]
    pub mode: ImportMode,
}

/// `verify(candidates, context)`: `{ userMessages?, stored? }`, what the exact rules compare against.
#[derive(Debug, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "VerifyContext"))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyArgs {
    /// The user's own messages: evidence quotes must occur in them.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(optional = nullable))]
    pub user_messages: Option<Vec<String>>,
    /// Texts already stored: equal candidates are duplicates.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<Vec<String>>", optional))]
    pub stored: Vec<String>,
}

impl VerifyArgs {
    pub fn context(self) -> Context {
        Context {
            user_messages: self.user_messages,
            stored: self.stored.iter().map(|t| crate::attribute::normalize(t)).collect(),
        }
    }
}

/// Most entries a selection passed to `compose` may have: far above any `maxAttributes` a turn uses,
/// low enough that a runaway array is refused before it is copied out of JS.
pub const MAX_SELECTION: usize = 10_000;

/// What `compose` needs of a selection (as `select` returned it): each entry's attribute id.
pub fn selection_ids(tree: Value) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Entry {
        attribute: IdOnly,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let entries: Vec<Entry> = list("selection", tree, MAX_SELECTION)?;
    Ok(entries.into_iter().map(|e| e.attribute.id).collect())
}

/// `renderSelection(selection, instructions)`: a whole `selection` payload or `{ attributes }`.
pub fn render_handoff(selection: Value, instructions: Value) -> Result<Rendered> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Handoff {
        /// Present when the whole `selection` payload is passed; it must say so.
        #[serde(default)]
        format: Option<String>,
        attributes: Vec<SharedAttribute>,
        /// In `compose`'s output; the server has no use for it (the rendered ids are the
        /// attributes'), so it is accepted, not read.
        #[serde(default)]
        #[allow(dead_code)]
        attribute_ids: Option<Vec<String>>,
    }
    let instructions = match instructions {
        Value::Null => None,
        v => Some(text("instructions", v, MAX_INSTRUCTIONS_CHARS)?),
    };
    // Counted before anything is read: the selection comes from a client.
    for field in ["attributes", "attributeIds"] {
        if selection.get(field).and_then(Value::as_array).is_some_and(|a| a.len() > MAX_SHARED_ATTRIBUTES) {
            return Err(Error::invalid(format!("selection.{field} has more than {MAX_SHARED_ATTRIBUTES} entries")));
        }
    }
    let input: Handoff = record("selection", selection)?;
    if let Some(format) = input.format.as_deref().filter(|f| *f != "selection") {
        return Err(Error::invalid(format!(
            "selection.format is {format:?}; renderSelection takes the \"selection\" format"
        )));
    }
    render_selection(&input.attributes, instructions.as_deref())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(r: Result<impl std::fmt::Debug>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "E_INVALID_INPUT", "{e}");
        e.to_string()
    }

    #[test]
    fn nulls_are_absence_and_unknown_fields_are_errors() {
        let a: SelectArgs =
            optional_record("options", json!({ "maxAttributes": null, "includeReview": true })).unwrap();
        assert_eq!((a.max_attributes, a.include_review), (None, true));
        let a: SelectArgs = optional_record("options", Value::Null).unwrap();
        assert_eq!(a.options().unwrap(), SelectOptions::default());
        assert!(
            message(optional_record::<SelectArgs>("options", json!({ "maxAttribute": 3 }))).contains("maxAttribute")
        );
        assert!(message(record::<OpenArgs>("options", json!([1]))).contains("must be an object"));
        assert!(message(record::<OpenArgs>("options", json!({}))).contains("user"));
    }

    #[test]
    fn select_threshold_must_be_a_probability() {
        for t in [-0.1, 1.5, 1e300] {
            let a: SelectArgs = record("options", json!({ "threshold": t })).unwrap();
            assert!(message(a.options()).contains("threshold"), "{t}");
        }
        let a: SelectArgs = record("options", json!({ "threshold": 0.0, "maxAttributes": 2 })).unwrap();
        assert_eq!(a.options().unwrap(), SelectOptions { max_attributes: 2, threshold: Some(0.0) });
        assert!(message(record::<SelectArgs>("options", json!({ "maxAttributes": -1 }))).contains("options"));
    }

    #[test]
    fn lists_and_texts_are_capped_in_js_units() {
        assert!(message(list::<String>("categories", json!(vec!["a"; 17]), 16)).contains("17 entries"));
        assert!(message(list::<String>("categories", json!({}), 16)).contains("must be an array"));
        // Four UTF-16 units, two chars: JS's `length`, which is what a JS caller reads in the limit.
        assert_eq!(text("id", json!("😀😀"), 4).unwrap(), "😀😀");
        assert!(message(text("id", json!("😀😀"), 3)).contains("4 characters"));
        assert!(message(text("id", json!(7), 3)).contains("must be a string"));
    }

    #[test]
    fn turn_options_are_selects_and_composes_in_one_object() {
        let (select, compose) =
            record::<TurnArgs>("options", json!({ "maxAttributes": 2, "format": "anthropic", "instructions": "Hi." }))
                .unwrap()
                .split()
                .unwrap();
        assert_eq!(select.options().unwrap().max_attributes, 2);
        assert_eq!((compose.format, compose.instructions.as_deref()), (PayloadFormat::Anthropic, Some("Hi.")));
        assert!(
            message(record::<TurnArgs>("options", json!({ "threshold": 2 })).unwrap().split()).contains("threshold")
        );
        let developer = json!({ "format": "text", "systemRole": "developer" });
        assert!(message(record::<TurnArgs>("options", developer).unwrap().split()).contains("systemRole"));
        assert!(message(record::<TurnArgs>("options", json!({ "max": 1 }))).contains("max"));
    }

    #[test]
    fn selection_ids_read_what_select_returned() {
        let ids = selection_ids(json!([{ "attribute": { "id": "a1", "text": "t" }, "score": 0.9 }])).unwrap();
        assert_eq!(ids, ["a1"]);
        assert!(message(selection_ids(json!([{ "attribute": {} }]))).contains("selection"));
    }

    #[test]
    fn handoff_takes_the_selection_format_only() {
        let sel = json!({ "format": "selection", "attributes": [{ "id": "0", "text": "The user is vegetarian." }], "attributeIds": ["x"] });
        let r = render_handoff(sel, json!("Be brief.")).unwrap();
        assert!(r.instructions.as_deref().unwrap().starts_with("Be brief."));
        assert!(message(render_handoff(json!({ "format": "openai", "attributes": [] }), Value::Null))
            .contains("\"openai\""));
        let many: Vec<Value> = (0..101).map(|i| json!({ "id": i.to_string(), "text": "t" })).collect();
        assert!(message(render_handoff(json!({ "attributes": many }), Value::Null)).contains("more than 100"));
        assert!(message(render_handoff(json!({ "attributes": [] }), json!(3))).contains("instructions"));
    }
}
