//! The browser binding: the only place that knows about wasm-bindgen and JS.
//! Everything here converts arguments, calls the core (`discreet`) and converts
//! results; and the IndexedDB store. Compiled for wasm32 only: natively the crate is empty.
#![cfg(target_arch = "wasm32")]

mod args;
mod discreet;
mod errors;
mod extract;
mod fetch;
mod handoff;
mod host;
mod relevance;
pub mod store;
mod study;
mod types;
mod verifier;

use std::sync::atomic::{AtomicU32, Ordering};

pub use discreet::Discreet;
pub use relevance::RelevanceModel;
pub use verifier::VerifierModel;

static PANICS: AtomicU32 = AtomicU32::new(0);

/// How many panics reached the hook in this instance. Bad input must be
/// answered with a coded error, so tests assert this stays 0.
pub fn panic_count() -> u32 {
    PANICS.load(Ordering::SeqCst)
}

#[wasm_bindgen::prelude::wasm_bindgen(start)]
fn start() {
    install_panic_hook();
}

/// Counts panics, then reports them on the console. Runs at module start;
/// public so tests can put it back after a harness replaced it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        console_error_panic_hook::hook(info);
    }));
}
