//! The request shapes of the chat SDKs a payload is for.

use serde::{Deserialize, Serialize};

/// The shape of the chat SDK the payload is for. Every shape carries the same
/// attribute block, and nothing about the user when nothing was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum PayloadFormat {
    /// OpenAI Chat Completions `messages` (system or developer, then user).
    #[default]
    Openai,
    /// OpenAI Responses API: `instructions` + `input`.
    OpenaiResponses,
    /// Anthropic Messages: a top-level `system` + `messages` without a system role.
    Anthropic,
    /// Vercel AI SDK `generateText`/`streamText`: `instructions` + `messages`.
    AiSdk,
    /// One plain-text block to prepend to the prompt, for models without a system role.
    Text,
    /// The selected attributes as data (`{ id, text }`), for an app whose server
    /// renders them (`render_selection`): the `useChat` hand-off.
    Selection,
}

impl PayloadFormat {
    pub const ALL: [PayloadFormat; 6] = [
        PayloadFormat::Openai,
        PayloadFormat::OpenaiResponses,
        PayloadFormat::Anthropic,
        PayloadFormat::AiSdk,
        PayloadFormat::Text,
        PayloadFormat::Selection,
    ];
}

/// The role of Chat Completions' instruction message. `system` is the default
/// because many OpenAI-compatible servers answer `developer` with a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SystemRole {
    #[default]
    System,
    Developer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// One selected attribute as the `selection` format carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SharedAttribute {
    pub id: String,
    pub text: String,
}

/// The request fields for the format's SDK, spread into its call
/// (`{ format, attributeIds, ...request } = payload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "kebab-case")]
pub enum Request {
    Openai {
        messages: Vec<Message>,
    },
    OpenaiResponses {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instructions: Option<String>,
        input: Vec<Message>,
    },
    Anthropic {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        system: Option<String>,
        messages: Vec<Message>,
    },
    AiSdk {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instructions: Option<String>,
        messages: Vec<Message>,
    },
    Text {
        text: String,
    },
    Selection {
        attributes: Vec<SharedAttribute>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    #[serde(flatten)]
    pub request: Request,
    /// The ids of the attributes the payload discloses, in the order stated.
    pub attribute_ids: Vec<String>,
}

/// The payload's TypeScript type is the union of the formats' shapes (shapes.d.ts), which names
/// each format's fields more exactly than `Request` can.
#[cfg(feature = "typescript")]
impl ts_rs::TS for Payload {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "Payload".into()
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        Self::name(cfg)
    }
}

impl Payload {
    pub fn format(&self) -> PayloadFormat {
        match self.request {
            Request::Openai { .. } => PayloadFormat::Openai,
            Request::OpenaiResponses { .. } => PayloadFormat::OpenaiResponses,
            Request::Anthropic { .. } => PayloadFormat::Anthropic,
            Request::AiSdk { .. } => PayloadFormat::AiSdk,
            Request::Text { .. } => PayloadFormat::Text,
            Request::Selection { .. } => PayloadFormat::Selection,
        }
    }

    /// The instruction text wherever the format puts it (the system message,
    /// `instructions`, `system`, or the text before the prompt).
    pub fn instructions(&self) -> Option<&str> {
        match &self.request {
            Request::Openai { messages } => messages.iter().find(|m| m.role != "user").map(|m| m.content.as_str()),
            Request::OpenaiResponses { instructions, .. } | Request::AiSdk { instructions, .. } => {
                instructions.as_deref()
            }
            Request::Anthropic { system, .. } => system.as_deref(),
            Request::Text { text } => Some(text.as_str()),
            Request::Selection { .. } => None,
        }
    }
}
