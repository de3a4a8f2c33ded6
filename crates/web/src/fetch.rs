//! Model files from URLs: streamed with progress, verified against the
//! manifest, and kept in the Cache API so a reload does not download again.
//! Works on the main thread and in workers.
//!
//! Where the files are is a [`Source`]: a folder URL, or an object from each
//! file name the manifests use to its URL (what a bundler makes of the
//! package's `new URL("./models/...", import.meta.url)`: hashed asset names)
//! or to its bytes (Node reads the bundled files from disk).

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use discreet::error::{Error, Result};
use discreet::model::FileEntry;

const CACHE_NAME: &str = "discreet-models";

/// Where `load` finds the manifest and the files it names.
pub enum Source {
    /// A folder URL ending in `/`: each file is `folder + name`.
    Folder(String),
    /// `{ [file name]: url string | Uint8Array }`.
    Files(JsValue),
}

/// One file of a [`Source`].
enum Location {
    Url(String),
    Bytes(Vec<u8>),
}

impl Source {
    pub fn from_js(value: &JsValue) -> Result<Source> {
        if value.is_string() {
            return super::args::base_url(value).map(Source::Folder);
        }
        if value.is_object() && !js_sys::Array::is_array(value) {
            return Ok(Source::Files(value.clone()));
        }
        Err(Error::invalid("source must be a folder URL or an object from file names to URLs or bytes"))
    }

    fn locate(&self, name: &str) -> Result<Location> {
        let files = match self {
            Source::Folder(base) => return Ok(Location::Url(format!("{base}{name}"))),
            Source::Files(files) => files,
        };
        let value = Reflect::get(files, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        if let Some(url) = value.as_string() {
            Ok(Location::Url(url))
        } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
            Ok(Location::Bytes(bytes.to_vec()))
        } else if value.is_undefined() || value.is_null() {
            Err(Error::Model(format!("{name}: the manifest names it, but no URL or bytes were given for it")))
        } else {
            Err(Error::invalid(format!("files[\"{name}\"] must be a URL string or a Uint8Array")))
        }
    }
}

fn js_err(what: &str, e: JsValue) -> Error {
    let msg = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string());
    Error::Model(format!("{what}: {}", msg.unwrap_or_else(|| format!("{e:?}"))))
}

async fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> std::result::Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    let array: js_sys::Array = args.iter().copied().collect();
    let promise: Promise = f.apply(target, &array)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// The Cache API's `discreet-models` cache, and the writes one `load` started in it.
pub struct Cache {
    cache: JsValue,
    writes: Vec<Promise>,
}

/// `caches.open(...)`, or None where the Cache API is missing (e.g. an insecure origin).
pub async fn open_cache() -> Option<Cache> {
    let caches = Reflect::get(&js_sys::global(), &JsValue::from_str("caches")).ok()?;
    if caches.is_undefined() {
        return None;
    }
    let cache = call(&caches, "open", &[&JsValue::from_str(CACHE_NAME)]).await.ok()?;
    Some(Cache { cache, writes: Vec::new() })
}

impl Cache {
    /// Starts caching a download from a clone of its response, so the browser writes it while
    /// it streams in instead of after (a 23 MB put of finished bytes takes ~140 ms in Chromium).
    fn put_streaming(&self, key: &str, response: &JsValue) -> Option<Promise> {
        let clone = Reflect::get(response, &"clone".into()).ok()?.dyn_into::<Function>().ok()?.call0(response).ok()?;
        let put = Reflect::get(&self.cache, &"put".into()).ok()?.dyn_into::<Function>().ok()?;
        put.call2(&self.cache, &JsValue::from_str(key), &clone).ok()?.dyn_into::<Promise>().ok()
    }

    /// Drops an entry once its write finished: a download that failed verification is never kept.
    async fn discard(&self, key: &str, write: Option<Promise>) {
        if let Some(write) = write {
            let _ = JsFuture::from(write).await;
        }
        let _ = call(&self.cache, "delete", &[&JsValue::from_str(key)]).await;
    }

    /// Waits for the writes of verified downloads, so `load` resolves with the files cached (a
    /// reload right after finds them). Caching is best effort: a full quota only costs a
    /// download next time.
    pub async fn settle(self) {
        for write in self.writes {
            let _ = JsFuture::from(write).await;
        }
    }
}

/// The app's progress callbacks for one `load`: `onProgress` (Discreet's first
/// shape: running totals over all files) and `progress_callback` (the
/// Transformers.js shape apps already render: per-file events plus totals).
#[derive(Default)]
pub struct Callbacks {
    pub on_progress: Option<Function>,
    pub progress_callback: Option<Function>,
}

pub struct Progress {
    callbacks: Callbacks,
    /// The model, as Transformers.js's `name` (the manifest's version).
    name: String,
    pub loaded: f64,
    pub total: f64,
    file_loaded: f64,
    file_total: f64,
}

fn event(fields: &[(&str, JsValue)]) -> Object {
    let event = Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&event, &JsValue::from_str(key), value);
    }
    event
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (100.0 * part / whole).min(100.0)
    } else {
        100.0
    }
}

impl Progress {
    pub fn new(callbacks: Callbacks, name: &str, total: f64) -> Self {
        Progress { callbacks, name: name.to_string(), loaded: 0.0, total, file_loaded: 0.0, file_total: 0.0 }
    }

    /// A throwing progress callback is the app's bug; it must not abort the load.
    fn info(&self, fields: &[(&str, JsValue)]) {
        if let Some(cb) = &self.callbacks.progress_callback {
            let _ = cb.call1(&JsValue::NULL, &event(fields));
        }
    }

    fn status(&self, status: &str, file: &str) {
        self.info(&[("status", status.into()), ("name", self.name.as_str().into()), ("file", file.into())]);
    }

    /// A file starts (`initiate`, once per file).
    pub fn start(&mut self, file: &str, bytes: u64) {
        self.file_loaded = 0.0;
        self.file_total = bytes as f64;
        self.status("initiate", file);
    }

    /// Its bytes come from the network (not the cache or the caller).
    fn downloading(&self, file: &str) {
        self.status("download", file);
    }

    fn advance(&mut self, file: &str, bytes: f64) {
        self.loaded += bytes;
        self.file_loaded += bytes;
        if let Some(cb) = &self.callbacks.on_progress {
            let e = event(&[("file", file.into()), ("loaded", self.loaded.into()), ("total", self.total.into())]);
            let _ = cb.call1(&JsValue::NULL, &e);
        }
        self.info(&[
            ("status", "progress".into()),
            ("name", self.name.as_str().into()),
            ("file", file.into()),
            ("progress", percent(self.file_loaded, self.file_total).into()),
            ("loaded", self.file_loaded.into()),
            ("total", self.file_total.into()),
            ("totalLoaded", self.loaded.into()),
            ("totalBytes", self.total.into()),
            ("totalProgress", percent(self.loaded, self.total).into()),
        ]);
    }

    /// Takes back a failed attempt's bytes before the file is read again.
    fn rewind(&mut self, to_total: f64) {
        self.loaded = to_total;
        self.file_loaded = 0.0;
    }

    pub fn done(&self, file: &str) {
        self.status("done", file);
    }

    /// Every file is loaded and the model built: `task` is "relevance" or "verifier".
    pub fn ready(&self, task: &str) {
        self.info(&[
            ("status", "ready".into()),
            ("task", task.into()),
            ("model", self.name.as_str().into()),
            ("totalLoaded", self.loaded.into()),
            ("totalBytes", self.total.into()),
        ]);
    }
}

async fn read_body(
    response: &JsValue,
    file: &str,
    expected: u64,
    progress: &mut Progress,
) -> std::result::Result<Vec<u8>, JsValue> {
    let body = Reflect::get(response, &"body".into())?;
    if body.is_null() || body.is_undefined() {
        let buf = call(response, "arrayBuffer", &[]).await?;
        let bytes = Uint8Array::new(&buf).to_vec();
        progress.advance(file, bytes.len() as f64);
        return Ok(bytes);
    }
    let reader: JsValue = Reflect::get(&body, &"getReader".into())?.dyn_into::<Function>()?.call0(&body)?;
    // The manifest's size up front: growing a 23 MB buffer by doubling copies it again and again.
    // Only a hint, capped (a wrong manifest is caught by the length check and must not make a
    // huge allocation), so a failed reserve is fine.
    const MAX_HINT: u64 = 128 << 20;
    let mut bytes: Vec<u8> = Vec::new();
    let _ = bytes.try_reserve_exact(expected.min(MAX_HINT) as usize);
    loop {
        let chunk = call(&reader, "read", &[]).await?;
        if Reflect::get(&chunk, &"done".into())?.is_truthy() {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())?.dyn_into()?;
        let (start, len) = (bytes.len(), value.length() as usize);
        bytes.reserve(len);
        // SAFETY: `reserve` made room for `len` more bytes, which the copy initializes before `set_len`.
        unsafe {
            value.raw_copy_to_ptr(bytes.as_mut_ptr().add(start));
            bytes.set_len(start + len);
        }
        progress.advance(file, f64::from(value.length()));
    }
    Ok(bytes)
}

async fn fetch_response(url: &str) -> Result<JsValue> {
    let response = call(&js_sys::global(), "fetch", &[&JsValue::from_str(url)]).await.map_err(|e| js_err(url, e))?;
    let ok = Reflect::get(&response, &"ok".into()).map(|v| v.is_truthy()).unwrap_or(false);
    if !ok {
        let status = Reflect::get(&response, &"status".into()).ok().and_then(|s| s.as_f64()).unwrap_or(0.0);
        return Err(Error::Model(format!("{url}: HTTP {status}")));
    }
    Ok(response)
}

/// A small file (a manifest) in full, without caching: it says which big files are current.
pub async fn fetch_small(source: &Source, name: &str) -> Result<Vec<u8>> {
    let url = match source.locate(name)? {
        Location::Bytes(bytes) => return Ok(bytes),
        Location::Url(url) => url,
    };
    let response = fetch_response(&url).await?;
    let mut silent = Progress::new(Callbacks::default(), name, 0.0);
    read_body(&response, name, 0, &mut silent).await.map_err(|e| js_err(&url, e))
}

/// One model file, from the cache when a verified copy is there, else from
/// the network (then cached). A file that fails verification is never used
/// or cached; a bad cached copy is dropped and fetched again.
pub async fn fetch_file(
    source: &Source,
    entry: &FileEntry,
    cache: Option<&mut Cache>,
    progress: &mut Progress,
) -> Result<Vec<u8>> {
    let url = match source.locate(&entry.path)? {
        Location::Bytes(bytes) => {
            check(entry, &bytes).await?;
            progress.start(&entry.path, entry.bytes);
            progress.advance(&entry.path, bytes.len() as f64);
            progress.done(&entry.path);
            return Ok(bytes);
        }
        Location::Url(url) => url,
    };
    // The checksum in the key: a new model version never meets an old cached file.
    let key = format!("{url}?sha256={}", entry.sha256);
    progress.start(&entry.path, entry.bytes);
    if let Some(Cache { cache, .. }) = cache.as_deref() {
        if let Ok(hit) = call(cache, "match", &[&JsValue::from_str(&key)]).await {
            if !hit.is_undefined() {
                let before = progress.loaded;
                if let Ok(bytes) = read_body(&hit, &entry.path, entry.bytes, progress).await {
                    if check(entry, &bytes).await.is_ok() {
                        progress.done(&entry.path);
                        return Ok(bytes);
                    }
                }
                progress.rewind(before);
                let _ = call(cache, "delete", &[&JsValue::from_str(&key)]).await;
            }
        }
    }
    progress.downloading(&entry.path);
    let bytes = download(&url, entry, cache.map(|c| (c, key.as_str())), progress).await?;
    progress.done(&entry.path);
    Ok(bytes)
}

/// SHA-256 by WebCrypto, about ten times faster than the wasm build of
/// `sha2` on a 23 MB encoder; None where `crypto.subtle` is missing (an
/// insecure origin), and the caller hashes in wasm instead.
async fn webcrypto_sha256_hex(bytes: &[u8]) -> Option<String> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok().filter(|c| c.is_object())?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok().filter(|s| s.is_object())?;
    let data = Uint8Array::from(bytes);
    let digest = call(&subtle, "digest", &[&"SHA-256".into(), &data]).await.ok()?;
    Some(discreet::digest::hex(&Uint8Array::new(&digest).to_vec()))
}

/// Whether a file is the one the manifest names (length and SHA-256).
async fn check(entry: &FileEntry, bytes: &[u8]) -> Result<()> {
    match webcrypto_sha256_hex(bytes).await {
        Some(digest) => entry.check_digest(bytes.len(), &digest),
        None => entry.check(bytes),
    }
}

/// Downloads and verifies a file; a transfer that breaks off or arrives
/// corrupt is tried once more before it is reported as `E_MODEL`. With a cache, each attempt is
/// cached as it streams and kept only once verified.
async fn download(
    url: &str,
    entry: &FileEntry,
    mut cache: Option<(&mut Cache, &str)>,
    progress: &mut Progress,
) -> Result<Vec<u8>> {
    let before = progress.loaded;
    let mut last = Error::Model(format!("{url}: not fetched"));
    for _ in 0..2 {
        progress.rewind(before);
        let mut write = None;
        let attempt = match fetch_response(url).await {
            Ok(response) => {
                write = cache.as_ref().and_then(|(c, key)| c.put_streaming(key, &response));
                read_body(&response, &entry.path, entry.bytes, progress).await.map_err(|e| js_err(url, e))
            }
            Err(e) => Err(e),
        };
        let checked = match attempt {
            Ok(bytes) => check(entry, &bytes).await.map(|()| bytes),
            Err(e) => Err(e),
        };
        match (checked, cache.as_mut()) {
            (Ok(bytes), Some((c, _))) => {
                c.writes.extend(write);
                return Ok(bytes);
            }
            (Ok(bytes), None) => return Ok(bytes),
            (Err(e), Some((c, key))) => {
                c.discard(key, write).await;
                last = e;
            }
            (Err(e), None) => last = e,
        }
    }
    progress.rewind(before);
    Err(last)
}
