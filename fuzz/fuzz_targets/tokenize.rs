#![no_main]
use std::sync::OnceLock;

use discreet::model::TextTokenizer;
use libfuzzer_sys::fuzz_target;

static TOKENIZER: OnceLock<TextTokenizer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let tokenizer = TOKENIZER.get_or_init(|| {
        TextTokenizer::from_bytes(include_bytes!("../../models/tokenizer.json")).expect("the bundled tokenizer loads")
    });
    discreet::fuzzing::tokenize_bytes(tokenizer, data);
});
