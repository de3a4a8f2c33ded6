use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args;
use super::errors::JsResult;
use super::types::{CandidatesArg, ChatMessagesArg, Str};
use discreet::error::Result;
use discreet::extract::{self, ChatMessage, MAX_MESSAGES, MAX_REPLY_BYTES};

/// Reads a conversation (`{ role, content, id? }[]`), refusing oversize ones before copying.
pub(crate) fn conversation(value: JsValue) -> Result<Vec<ChatMessage>> {
    args::list_capped("messages", value, MAX_MESSAGES as u32)
}

/// The messages to send to the app's chat model so it proposes attributes
/// about the user from `messages` (OpenAI chat shape in and out).
#[wasm_bindgen(js_name = extractionPrompt)]
pub fn extraction_prompt(messages: ChatMessagesArg) -> JsResult<ChatMessagesArg> {
    let run = || args::to_js(&extract::extraction_prompt(&conversation(messages.into())?)?);
    Ok(run()?.unchecked_into())
}

/// The candidates in the chat model's reply to the extraction prompt.
/// Throws `E_BAD_EXTRACTION` (with the reason) when the reply is not the
/// asked-for JSON; an empty array means there was nothing to extract.
#[wasm_bindgen(js_name = parseExtraction)]
pub fn parse_extraction(reply: Str) -> JsResult<CandidatesArg> {
    let run = || {
        let reply = args::string("reply", &reply.into(), MAX_REPLY_BYTES as u32)?;
        args::to_js(&extract::parse_extraction(&reply)?)
    };
    Ok(run()?.unchecked_into())
}

/// Whether `messages` is a prompt `extractionPrompt` built (its system message, word for
/// word), so a chat backend can route extraction requests without copying the instructions.
/// Anything that is not such a prompt, whatever its shape, is `false`.
#[wasm_bindgen(js_name = isExtractionPrompt)]
pub fn is_extraction_prompt(#[wasm_bindgen(unchecked_param_type = "unknown")] messages: JsValue) -> bool {
    conversation(messages).is_ok_and(|m| extract::is_extraction_prompt(&m))
}
