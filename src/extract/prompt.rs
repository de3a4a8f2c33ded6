use super::{ChatMessage, Role};
use crate::error::{Error, Result};

pub const MAX_MESSAGES: usize = 500;
/// The conversation shown to the extractor; longer ones should be split by the app.
pub const MAX_CONVERSATION_CHARS: usize = 200_000;

/// The instructions encode the paper's failure kinds as things not to do,
/// because each is what humans rejected most often in extracted attributes.
const SYSTEM: &str = r#"You extract durable facts about a user from their conversation with an assistant.

Return ONLY a JSON array (it may be empty). Each element is an object with exactly these fields:
  "attribute":  one standalone sentence in the third person that starts with "The user", about the user themself
  "reason":     one sentence on why the conversation supports it
  "evidence":   an array of exact quotes copied from the user's own messages (not the assistant's)
  "confidence": a number from 0 to 1

Rules:
- Only state what the user's own words support; quote them in "evidence". No quote, no attribute.
- Do not overgeneralize: one request is not a lasting trait ("asked for a vegan recipe" does not make the user vegan).
- The content of a task is not a fact about the user: writing a story about a nurse does not make the user a nurse.
- Each attribute must make sense on its own: no "this", "it" or "the above" that points into the conversation.
- Nothing about other people unless it is also a fact about the user.
- Prefer few, solid attributes over many weak ones."#;

/// The messages to send to the app's chat model (OpenAI shape): our
/// instructions as the system message, the conversation as the user message.
pub fn extraction_prompt(conversation: &[ChatMessage]) -> Result<Vec<ChatMessage>> {
    if conversation.is_empty() {
        return Err(Error::invalid("the conversation has no messages"));
    }
    if conversation.len() > MAX_MESSAGES {
        return Err(Error::invalid(format!("at most {MAX_MESSAGES} messages per extraction")));
    }
    if !conversation.iter().any(|m| m.role == Role::User && !m.content.trim().is_empty()) {
        return Err(Error::invalid("the conversation has no message from the user"));
    }
    let chars: usize = conversation.iter().map(|m| m.content.chars().count()).sum();
    if chars > MAX_CONVERSATION_CHARS {
        return Err(Error::invalid(format!(
            "the conversation has {chars} characters; the limit is {MAX_CONVERSATION_CHARS}: split it"
        )));
    }
    let mut transcript = String::from("Conversation:\n");
    for m in conversation.iter().filter(|m| m.role != Role::System) {
        let who = if m.role == Role::User { "USER" } else { "ASSISTANT" };
        transcript.push_str(&format!("\n[{who}]\n{}\n", m.content.trim()));
    }
    transcript.push_str("\nReturn the JSON array now.");
    Ok(vec![ChatMessage::new(Role::System, SYSTEM), ChatMessage::new(Role::User, transcript)])
}

/// Whether `messages` is a prompt `extraction_prompt` built: its system message, word for word.
/// A chat backend (the demo's offline stand-in, an app's router) uses it to answer extraction
/// requests differently from chat turns without copying the instructions.
pub fn is_extraction_prompt(messages: &[ChatMessage]) -> bool {
    messages.len() == 2 && messages[0].role == Role::System && messages[0].content == SYSTEM
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_prompts_are_recognized_and_chat_turns_are_not() {
        let conv = [ChatMessage::new(Role::User, "I'm vegan, any dinner ideas?")];
        assert!(is_extraction_prompt(&extraction_prompt(&conv).unwrap()));
        assert!(!is_extraction_prompt(&conv));
        let mut edited = extraction_prompt(&conv).unwrap();
        edited[0].content.push('!');
        assert!(!is_extraction_prompt(&edited));
        assert!(!is_extraction_prompt(&[]));
    }

    #[test]
    fn prompt_holds_the_conversation_and_the_format() {
        let conv = [
            ChatMessage::new(Role::User, "I'm vegan, any dinner ideas?"),
            ChatMessage::new(Role::Assistant, "Try a lentil curry."),
        ];
        let p = extraction_prompt(&conv).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].role, Role::System);
        assert!(p[0].content.contains("\"evidence\""));
        assert!(p[1].content.contains("[USER]\nI'm vegan, any dinner ideas?"));
        assert!(p[1].content.contains("[ASSISTANT]\nTry a lentil curry."));
    }

    #[test]
    fn empty_or_huge_conversations_are_refused() {
        assert!(extraction_prompt(&[]).is_err());
        assert!(extraction_prompt(&[ChatMessage::new(Role::Assistant, "hi")]).is_err());
        let huge = ChatMessage::new(Role::User, "x".repeat(MAX_CONVERSATION_CHARS + 1));
        assert_eq!(extraction_prompt(&[huge]).unwrap_err().code(), "E_INVALID_INPUT");
    }
}
