//! Conversion of JS arguments into the core's argument rules (`discreet::arguments`). Nothing from JS
//! is trusted to have the declared type: every mismatch becomes `E_INVALID_INPUT`, never a panic or
//! a trap. What is checked here is only what must be checked before copying out of JS.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use discreet::arguments;
use discreet::error::{Error, Result};

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
    string("id", value, discreet::attribute::MAX_ID_CHARS as u32)
}

/// A folder URL, always ending in `/` so file names can be appended.
pub fn base_url(value: &JsValue) -> Result<String> {
    let mut base = string("source (a folder URL)", value, 4096)?;
    if !base.ends_with('/') {
        base.push('/');
    }
    Ok(base)
}

/// The JSON tree of a JS value. It goes through `serde_json::Value` because serde-wasm-bindgen reads
/// only the fields a struct names, which would let a misspelt option pass silently; serde_json
/// enforces `deny_unknown_fields`. `undefined` and `null` both become null.
pub fn tree(what: &str, value: JsValue) -> Result<serde_json::Value> {
    if value.is_undefined() || value.is_null() {
        return Ok(serde_json::Value::Null);
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::invalid(format!("{what}: {e}")))
}

fn is_record(value: &JsValue) -> bool {
    value.is_object() && !js_sys::Array::is_array(value)
}

pub fn record<T: DeserializeOwned>(what: &str, value: JsValue) -> Result<T> {
    if !is_record(&value) {
        return Err(Error::invalid(format!("{what} must be an object")));
    }
    arguments::record(what, tree(what, value)?)
}

pub fn optional_record<T: DeserializeOwned + Default>(what: &str, value: JsValue) -> Result<T> {
    if !value.is_undefined() && !value.is_null() && !is_record(&value) {
        return Err(Error::invalid(format!("{what} must be an object")));
    }
    arguments::optional_record(what, tree(what, value)?)
}

/// A JS array, refused by length before anything is copied.
pub fn array(what: &str, value: JsValue, max: u32) -> Result<serde_json::Value> {
    if !js_sys::Array::is_array(&value) {
        return Err(Error::invalid(format!("{what} must be an array")));
    }
    let n = value.unchecked_ref::<js_sys::Array>().length();
    if n > max {
        return Err(Error::invalid(format!("{what} has {n} entries; the limit is {max}")));
    }
    tree(what, value)
}

/// `array`, read as entries of `T` (extra fields allowed where `T` allows them).
pub fn list_capped<T: DeserializeOwned>(what: &str, value: JsValue, max: u32) -> Result<Vec<T>> {
    arguments::list(what, array(what, value, max)?, max as usize)
}

pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::Storage(format!("cannot convert result for JS: {e}")))
}
