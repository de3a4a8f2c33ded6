//! Entry points shared by the cargo-fuzz targets (fuzz/) and the corpus
//! replay test, so both exercise exactly the same code.

/// Bytes as a chat model's reply: invalid UTF-8 is refused before parsing, as the CLI does.
pub fn parse_extraction_bytes(data: &[u8]) {
    if let Ok(reply) = std::str::from_utf8(data) {
        if let Ok(candidates) = crate::extract::parse_extraction(reply) {
            assert!(candidates.len() <= crate::extract::MAX_CANDIDATES);
            assert!(candidates.iter().all(|c| (0.0..=1.0).contains(&c.confidence) && !c.attribute.is_empty()));
        }
    }
}

/// Bytes as an import file: what parses must export and parse back unchanged.
pub fn import_file_bytes(data: &[u8]) {
    if let Ok(file) = std::str::from_utf8(data) {
        if let Ok(attributes) = crate::exchange::parse(file) {
            let again = crate::exchange::to_json(attributes.clone(), 0.0).expect("a parsed file exports");
            assert_eq!(crate::exchange::parse(&again).expect("an export parses"), attributes);
        }
    }
}
