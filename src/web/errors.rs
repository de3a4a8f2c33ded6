use wasm_bindgen::JsValue;

use crate::error::Error;

/// A JS `Error` whose `code` is the stable code of `e` and whose `name` is
/// `DiscreetError`, so apps can tell our failures from their own. Being a
/// `From`, `?` converts at every exit of the binding.
impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        let err = js_sys::Error::new(&e.to_string());
        err.set_name("DiscreetError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code()));
        err.into()
    }
}
