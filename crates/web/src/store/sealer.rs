//! Encryption at rest for the IndexedDB store (opt-in): AES-256-GCM via
//! WebCrypto, with a non-extractable key kept in the same database. Every
//! record is sealed whole; only its id and, for attributes, an HMAC of the
//! normalized text (so the unique index still dedupes) stay readable.
//!
//! What this protects: the stored values are ciphertext on disk and in any
//! copy of the database files, and no script can export the key. What it does
//! not: script running on this origin can still ask the browser to decrypt,
//! and the browser itself holds the key material.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use discreet::error::{Error, Result};

/// A sealed record as stored: the nonce and the AES-GCM output (ciphertext + tag).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sealed {
    iv: Vec<u8>,
    data: Vec<u8>,
}

pub struct Sealer {
    aes: JsValue,
    hmac: JsValue,
}

fn crypto_err(what: &str, e: JsValue) -> Error {
    let msg = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string());
    Error::Storage(format!("{what}: {}", msg.unwrap_or_else(|| format!("{e:?}"))))
}

fn crypto() -> Result<JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap_or(JsValue::UNDEFINED);
    if crypto.is_undefined() {
        return Err(Error::Storage("WebCrypto is not available here (it needs a secure context)".into()));
    }
    Ok(crypto)
}

async fn subtle(method: &str, args: &[&JsValue]) -> Result<JsValue> {
    let subtle = Reflect::get(&crypto()?, &"subtle".into()).map_err(|e| crypto_err("crypto.subtle", e))?;
    let f: Function = Reflect::get(&subtle, &method.into())
        .and_then(|f| f.dyn_into().map_err(JsValue::from))
        .map_err(|e| crypto_err(method, e))?;
    let args: Array = args.iter().copied().collect();
    let promise: Promise =
        f.apply(&subtle, &args).and_then(|p| p.dyn_into().map_err(JsValue::from)).map_err(|e| crypto_err(method, e))?;
    JsFuture::from(promise).await.map_err(|e| crypto_err(method, e))
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

fn usages(list: &[&str]) -> JsValue {
    list.iter().map(|u| JsValue::from_str(u)).collect::<Array>().into()
}

fn random_iv() -> Result<Vec<u8>> {
    let iv = Uint8Array::new_with_length(12);
    let f: Function = Reflect::get(&crypto()?, &"getRandomValues".into())
        .and_then(|f| f.dyn_into().map_err(JsValue::from))
        .map_err(|e| crypto_err("getRandomValues", e))?;
    f.call1(&crypto()?, &iv).map_err(|e| crypto_err("getRandomValues", e))?;
    Ok(iv.to_vec())
}

const KEY_ID: &str = "keys";

impl Sealer {
    /// Fresh non-extractable keys.
    pub async fn generate() -> Result<Self> {
        let aes_params = object(&[("name", "AES-GCM".into()), ("length", 256.into())]);
        let aes = subtle("generateKey", &[&aes_params, &false.into(), &usages(&["encrypt", "decrypt"])]).await?;
        let hmac_params = object(&[("name", "HMAC".into()), ("hash", "SHA-256".into())]);
        let hmac = subtle("generateKey", &[&hmac_params, &false.into(), &usages(&["sign"])]).await?;
        Ok(Sealer { aes, hmac })
    }

    /// The record the keys are stored as (CryptoKeys are structured-cloneable).
    pub fn key_record(&self) -> JsValue {
        object(&[("id", KEY_ID.into()), ("aes", self.aes.clone()), ("hmac", self.hmac.clone())])
    }

    pub fn key_record_id() -> &'static str {
        KEY_ID
    }

    pub fn from_key_record(record: &JsValue) -> Result<Self> {
        let get = |k: &str| Reflect::get(record, &k.into()).ok().filter(|v| v.is_object());
        match (get("aes"), get("hmac")) {
            (Some(aes), Some(hmac)) => Ok(Sealer { aes, hmac }),
            _ => Err(Error::Storage("the stored encryption keys are damaged".into())),
        }
    }

    /// `context` (store and id) is authenticated with the record, so a
    /// ciphertext moved to another record does not open.
    pub async fn seal<T: Serialize>(&self, context: &str, value: &T) -> Result<Sealed> {
        let plain = serde_json::to_vec(value).map_err(|e| Error::Storage(format!("cannot serialize: {e}")))?;
        let iv = random_iv()?;
        let params = object(&[
            ("name", "AES-GCM".into()),
            ("iv", Uint8Array::from(iv.as_slice()).into()),
            ("additionalData", Uint8Array::from(context.as_bytes()).into()),
        ]);
        let out = subtle("encrypt", &[&params, &self.aes, &Uint8Array::from(plain.as_slice()).into()]).await?;
        Ok(Sealed { iv, data: Uint8Array::new(&out).to_vec() })
    }

    pub async fn open<T: DeserializeOwned>(&self, context: &str, sealed: &Sealed) -> Result<T> {
        let params = object(&[
            ("name", "AES-GCM".into()),
            ("iv", Uint8Array::from(sealed.iv.as_slice()).into()),
            ("additionalData", Uint8Array::from(context.as_bytes()).into()),
        ]);
        let out =
            subtle("decrypt", &[&params, &self.aes, &Uint8Array::from(sealed.data.as_slice()).into()]).await.map_err(
                |_| Error::Storage(format!("{context}: the stored record failed authentication (damaged or tampered)")),
            )?;
        serde_json::from_slice(&Uint8Array::new(&out).to_vec())
            .map_err(|e| Error::Storage(format!("{context}: decrypted record is malformed: {e}")))
    }

    /// Keyed hash of a normalized text: equal texts still collide in the unique
    /// index, but the index reveals nothing readable.
    pub async fn index_key(&self, norm: &str) -> Result<String> {
        let out = subtle("sign", &[&"HMAC".into(), &self.hmac, &Uint8Array::from(norm.as_bytes()).into()]).await?;
        Ok(discreet::digest::hex(&Uint8Array::new(&out).to_vec()))
    }
}
