use wasm_bindgen::JsValue;

use discreet::error::Error;

/// A failure on its way to JS: a core error, made a JS `Error` whose `code` is its stable
/// code and whose `name` is `DiscreetError` (so apps can tell our failures from their own),
/// or a value JS threw, passed through. The exported functions return `JsResult`, so `?`
/// converts at every exit (the orphan rule rules out `From<Error> for JsValue` in this crate).
#[derive(Debug)]
pub struct Failure(JsValue);

pub type JsResult<T> = std::result::Result<T, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let err = js_sys::Error::new(&e.to_string());
        err.set_name("DiscreetError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code()));
        Failure(err.into())
    }
}

impl From<JsValue> for Failure {
    fn from(thrown: JsValue) -> Failure {
        Failure(thrown)
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> JsValue {
        f.0
    }
}

/// For promise bodies, which settle with a `JsValue` either way.
pub fn rejection(e: Error) -> JsValue {
    Failure::from(e).into()
}
