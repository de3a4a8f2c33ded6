//! The server half of the `selection` hand-off: a plain function, so a server
//! can render what a browser client sent without opening a profile.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args;
use super::errors::JsResult;
use super::types::{RenderedArg, SelectionPayloadArg, Str};
use discreet::arguments::render_handoff;
use discreet::compose::{MAX_INSTRUCTIONS_CHARS, MAX_SHARED_ATTRIBUTES};

/// Renders a `selection` payload (`{ attributes: [{ id, text }] }`, as
/// `compose(..., { format: "selection" })` returns it) into the system text
/// `compose` would have written, after `instructions`, the app's own.
/// Throws `E_INVALID_INPUT` for anything else.
#[wasm_bindgen(js_name = renderSelection)]
pub fn render_selection(selection: SelectionPayloadArg, instructions: Option<Str>) -> JsResult<RenderedArg> {
    let run = || {
        // Refused by length before it is copied, like every string from JS.
        let instructions = match instructions.map(JsValue::from).filter(|v| !v.is_undefined() && !v.is_null()) {
            Some(v) => serde_json::Value::String(args::string("instructions", &v, MAX_INSTRUCTIONS_CHARS as u32)?),
            None => serde_json::Value::Null,
        };
        // Counted before anything is copied: the selection comes from a client.
        let value: JsValue = selection.into();
        for field in ["attributes", "attributeIds"] {
            if let Ok(list) = js_sys::Reflect::get(&value, &field.into()) {
                if js_sys::Array::is_array(&list) && js_sys::Array::from(&list).length() > MAX_SHARED_ATTRIBUTES as u32
                {
                    return Err(discreet::error::Error::invalid(format!(
                        "selection.{field} has more than {MAX_SHARED_ATTRIBUTES} entries"
                    )));
                }
            }
        }
        if !value.is_object() || js_sys::Array::is_array(&value) {
            return Err(discreet::error::Error::invalid("selection must be an object"));
        }
        args::to_js(&render_handoff(args::tree("selection", value)?, instructions)?)
    };
    Ok(run()?.unchecked_into())
}
