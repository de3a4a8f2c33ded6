//! The server half of the `selection` hand-off: a plain function, so a server
//! can render what a browser client sent without opening a profile.

use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args;
use super::errors::to_js;
use super::types::{RenderedArg, SelectionPayloadArg, Str};
use crate::compose::{render_selection as render, SharedAttribute, MAX_INSTRUCTIONS_CHARS, MAX_SHARED_ATTRIBUTES};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SelectionInput {
    /// Present when the whole `selection` payload is passed; it must say so.
    #[serde(default)]
    format: Option<String>,
    attributes: Vec<SharedAttribute>,
    /// In `compose`'s output; the server has no use for it (the rendered ids are the attributes'), so it is
    /// accepted, not read.
    #[serde(default)]
    #[allow(dead_code)]
    attribute_ids: Option<Vec<String>>,
}

/// Renders a `selection` payload (`{ attributes: [{ id, text }] }`, as
/// `compose(..., { format: "selection" })` returns it) into the system text
/// `compose` would have written, after `instructions`, the app's own.
/// Throws `E_INVALID_INPUT` for anything else.
#[wasm_bindgen(js_name = renderSelection)]
pub fn render_selection(
    selection: SelectionPayloadArg,
    instructions: Option<Str>,
) -> std::result::Result<RenderedArg, JsValue> {
    let run = || {
        let instructions = match instructions.map(JsValue::from).filter(|v| !v.is_undefined() && !v.is_null()) {
            Some(v) => Some(args::string("instructions", &v, MAX_INSTRUCTIONS_CHARS as u32)?),
            None => None,
        };
        let value: JsValue = selection.into();
        // Counted before anything is copied: the selection comes from a client.
        for field in ["attributes", "attributeIds"] {
            if let Ok(list) = js_sys::Reflect::get(&value, &field.into()) {
                if js_sys::Array::is_array(&list) && js_sys::Array::from(&list).length() > MAX_SHARED_ATTRIBUTES as u32
                {
                    return Err(crate::error::Error::invalid(format!(
                        "selection.{field} has more than {MAX_SHARED_ATTRIBUTES} entries"
                    )));
                }
            }
        }
        let input: SelectionInput = args::record("selection", value)?;
        if let Some(format) = input.format.as_deref().filter(|f| *f != "selection") {
            return Err(crate::error::Error::invalid(format!(
                "selection.format is {format:?}; renderSelection takes the \"selection\" format"
            )));
        }
        args::to_js(&render(&input.attributes, instructions.as_deref())?)
    };
    run().map(JsCast::unchecked_into).map_err(|e| to_js(&e))
}
