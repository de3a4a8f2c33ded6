//! The on-device record of what left the device: filled by `compose`, shown to
//! the user, never sent anywhere.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Disclosure {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub at: f64,
    /// SHA-256 of the prompt: lets the user match a disclosure to a turn
    /// without the log keeping a second copy of every prompt.
    pub prompt_hash: String,
    pub attribute_ids: Vec<String>,
    /// The texts exactly as sent, since the attribute may be edited or deleted later.
    pub attribute_texts: Vec<String>,
}

pub fn prompt_hash(prompt: &str) -> String {
    crate::digest::sha256_hex(prompt.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn prompt_hash_is_sha256_hex() {
        assert_eq!(super::prompt_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
