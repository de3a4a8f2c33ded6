//! Discreet: on-device LLM personalization. The core is pure Rust and
//! target-independent: the int8 runtime is `discreet-onnx` (crates/onnx), the browser binding
//! and the IndexedDB store `discreet-web` (crates/web), the CLI `discreet-cli` (crates/cli).

pub mod arguments;
pub mod attribute;
pub mod compose;
pub mod digest;
pub mod disclosure;
pub mod env;
pub mod error;
pub mod eval;
pub mod exchange;
pub mod extract;
pub mod fuzzing;
pub mod history;
pub mod ingest;
pub mod judgments;
pub mod model;
pub use discreet_onnx as onnx;
pub mod prepare;
pub mod profile;
pub mod relate;
pub mod review;
pub mod select;
pub mod sensitive;
pub mod store;
pub mod study;
pub mod turn;
pub mod vector_cache;
mod vector_codec;
pub mod verify;

pub use attribute::{Attribute, NewAttribute, Sensitivity, Source, Verdict};
pub use disclosure::Disclosure;
pub use env::{Env, SystemEnv};
pub use error::{Error, Result};
pub use exchange::{ImportMode, ImportReport};
pub use profile::{Added, Profile};
pub use store::{MemoryStore, Store};
