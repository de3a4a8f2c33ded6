//! Stage 1, extraction: the prompt Discreet gives the app's chat model to
//! propose attributes from a conversation, and a strict parser of its reply.
//! Nothing parsed here is stored until the verifier has seen it.

mod parse;
mod prompt;

pub use parse::{parse_extraction, MAX_CANDIDATES, MAX_REPLY_BYTES};
pub use prompt::{extraction_prompt, is_extraction_prompt, MAX_CONVERSATION_CHARS, MAX_MESSAGES};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message, in the OpenAI shape most chat apps already hold (other
/// fields the app keeps on its messages are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    /// Recorded in `source.messageIds` of attributes whose evidence it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub id: Option<String>,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage { role, content: content.into(), id: None }
    }
}

/// An attribute the chat model proposed, with its support, as `parseExtraction` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// One third-person sentence about the user.
    pub attribute: String,
    /// Why the extractor thinks it holds.
    pub reason: String,
    /// Quotes of the user's own words.
    pub evidence: Vec<String>,
    /// The extractor's own confidence, 0..1.
    pub confidence: f64,
}
