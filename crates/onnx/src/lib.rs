//! A small ONNX runtime for the graphs Discreet ships: a BERT encoder and
//! MLP heads, dynamically quantized to int8 by ONNX Runtime's quantizer.
//!
//! Why not a general engine: tract compiled to ~4.5 MB of gzipped wasm and
//! spent ~750 ms optimizing the encoder at every page load; these graphs
//! use 31 operator types (34 are implemented). Anything else is refused when the
//! model loads (`E_MODEL`), never guessed at. Native tests check the outputs
//! against tract and ONNX Runtime on the shipped models.
//!
//! One fusion at load (`plan/fuse.rs`, `pair.rs`): a pair head's first layer (features
//! `[x, y, x·y, |x − y|]`, quantized, multiplied) runs as one step that never builds the
//! features, bit-identical to the unfused graph (tested on every shipped head).

mod elementwise;
mod kernel;
mod layout;
mod nn;
mod pair;
mod plan;
mod proto;
mod quant;
mod rows;
mod tensor;

pub use kernel::kernel_agrees_with_reference;
pub use plan::Graph;
pub use rows::rows_agree_with_reference;
pub use tensor::{Data, Tensor};

/// Why a graph cannot be loaded or run: a file outside what the runtime implements, or inputs
/// the graph does not take. Never a panic: model files are untrusted input. The SDK reports it
/// as `E_MODEL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A fixed pseudo-random sequence (xorshift32) for the self-checks and tests of the kernels.
pub(crate) fn xorshift(mut state: u32) -> impl FnMut() -> u32 {
    move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> Error {
    Error(msg.into())
}
