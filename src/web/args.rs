//! Conversion of JS arguments. Nothing from JS is trusted to have the declared
//! type: every mismatch becomes `E_INVALID_INPUT`, never a panic or a trap.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Result};

/// Reads a JS string, refusing it before copying when it is longer than
/// `max_chars` UTF-16 units, so a huge string cannot exhaust wasm memory.
pub fn string(what: &str, value: &JsValue, max_chars: u32) -> Result<String> {
    let Some(s) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(Error::invalid(format!("{what} must be a string")));
    };
    if s.length() > max_chars {
        return Err(Error::invalid(format!("{what} is {} characters long; the limit is {max_chars}", s.length())));
    }
    Ok(String::from(s))
}

/// Longest prompt accepted, in UTF-16 units; the model reads only its first 128 tokens.
const MAX_PROMPT_CHARS: u32 = 100_000;

pub fn prompt(value: &JsValue) -> Result<String> {
    string("prompt", value, MAX_PROMPT_CHARS)
}

pub fn id(value: &JsValue) -> Result<String> {
    string("id", value, crate::attribute::MAX_ID_CHARS as u32)
}

/// A folder URL, always ending in `/` so file names can be appended.
pub fn base_url(value: &JsValue) -> Result<String> {
    let mut base = string("source (a folder URL)", value, 4096)?;
    if !base.ends_with('/') {
        base.push('/');
    }
    Ok(base)
}

/// Goes through `serde_json::Value` because serde-wasm-bindgen reads only the
/// fields a struct names, which would let a misspelt option pass silently;
/// serde_json enforces `deny_unknown_fields`.
pub fn record<T: DeserializeOwned>(what: &str, value: JsValue) -> Result<T> {
    if !value.is_object() || js_sys::Array::is_array(&value) {
        return Err(Error::invalid(format!("{what} must be an object")));
    }
    via_json(what, value)
}

fn via_json<T: DeserializeOwned>(what: &str, value: JsValue) -> Result<T> {
    let mut tree: serde_json::Value =
        serde_wasm_bindgen::from_value(value).map_err(|e| Error::invalid(format!("{what}: {e}")))?;
    drop_nulls(&mut tree);
    serde_json::from_value(tree).map_err(|e| Error::invalid(format!("{what}: {e}")))
}

/// JS callers write `undefined` or `null` for "not given"; both arrive as
/// null, and every optional field of ours means the same by absence.
fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A JS array whose entries are checked like `record`s (extra fields allowed:
/// callers pass back objects that Discreet returned, with their own additions).
pub fn list<T: DeserializeOwned>(what: &str, value: JsValue) -> Result<Vec<T>> {
    list_capped(what, value, u32::MAX)
}

/// `list`, refused by length before anything is copied.
pub fn list_capped<T: DeserializeOwned>(what: &str, value: JsValue, max: u32) -> Result<Vec<T>> {
    if !js_sys::Array::is_array(&value) {
        return Err(Error::invalid(format!("{what} must be an array")));
    }
    let n = value.unchecked_ref::<js_sys::Array>().length();
    if n > max {
        return Err(Error::invalid(format!("{what} has {n} entries; the limit is {max}")));
    }
    via_json(what, value)
}

pub fn optional_record<T: DeserializeOwned + Default>(what: &str, value: JsValue) -> Result<T> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    record(what, value)
}

pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::Storage(format!("cannot convert result for JS: {e}")))
}
