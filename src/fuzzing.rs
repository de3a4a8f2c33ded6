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

/// Bytes as a model file, then run: a hostile file must fail as `E_MODEL` (a `Result`), never
/// panic, hang or allocate without bound. The first byte picks each input's element type (bit i:
/// input i is i64 token ids, else f32), the second its width, so seeds can reach a real run.
pub fn onnx_model_bytes(data: &[u8]) {
    use crate::onnx::{Data, Graph, Tensor};
    let [kinds, width, model @ ..] = data else { return };
    let Ok(graph) = Graph::load(model) else { return };
    let width = usize::from(*width).max(1) * 2;
    let inputs: Vec<Tensor> = (0..graph.input_names().count())
        .map(|i| {
            let data = if kinds >> (i % 8) & 1 == 1 {
                Data::I64((0..width as i64).map(|k| 101 + k).collect())
            } else {
                Data::F32((0..width).map(|k| (k as f32 * 0.37).sin()).collect())
            };
            Tensor::new(vec![1, width], data).expect("the shape matches its data")
        })
        .collect();
    // A failure is a typed `onnx::Error` (the SDK's E_MODEL); it must say why.
    if let Err(e) = graph.run(inputs) {
        assert!(!e.0.trim().is_empty(), "an error without a reason");
    }
}

/// Bytes as `relevance.json` and as `verifier.json`: a manifest that parses holds usable limits.
pub fn manifests_bytes(data: &[u8]) {
    if let Ok(m) = crate::model::Manifest::parse(data) {
        assert!((0.0..=1.0).contains(&m.threshold) && m.dimension > 0);
        let _ = m.file("encoder").and_then(|f| f.check_digest(0, ""));
    }
    if let Ok(m) = crate::model::VerifierManifest::parse(data) {
        assert!(m.thresholds.reject <= m.thresholds.accept && m.dimension > 0);
    }
}

/// Bytes as a study export (JSONL): a read either fails with a line number or returns judgments
/// with a prompt and an attribute.
pub fn study_file_bytes(data: &[u8]) {
    match crate::judgments::read_relevance(data) {
        Ok(all) => assert!(all.iter().all(|j| !j.prompt.trim().is_empty() && !j.attribute.trim().is_empty())),
        Err(e) => assert_eq!(e.code(), "E_INVALID_INPUT"),
    }
}

/// Bytes as a stored vector: what decodes encodes back to the same bits.
pub fn vector_codec_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(v) = crate::vector_codec::decode(text) {
        let again = crate::vector_codec::decode(&crate::vector_codec::encode(&v)).expect("an encoding decodes");
        assert!(v.iter().zip(&again).all(|(a, b)| a.to_bits() == b.to_bits()) && v.len() == again.len());
    }
}

/// Bytes as text to embed (lossy UTF-8, as a JS string's replacement characters would be): ids
/// stay within the limit and inside the vocabulary.
pub fn tokenize_bytes(tokenizer: &crate::model::TextTokenizer, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let max = 3 + data.first().map_or(0, |&b| usize::from(b) % 126);
    let ids = tokenizer.ids(&text, max).expect("any text tokenizes");
    assert!(ids.len() >= 2 && ids.len() <= max, "{} ids for a limit of {max}", ids.len());
    assert!(ids.iter().all(|&id| (0..tokenizer.vocab_size() as i64).contains(&id)));
}

/// Readers of the binding's JS arguments, in the order the first input byte picks them (mod the
/// count); `fuzz/seeds.py` writes one seed per reader with the same numbering.
pub const JS_ARG_READERS: [&str; 14] = [
    "open",
    "select",
    "compose-selection",
    "compose-options",
    "add",
    "import",
    "ingest",
    "set-allowed-sensitive",
    "messages",
    "candidates",
    "verify-context",
    "render-selection",
    "prompt",
    "prepare-turn",
];

/// Bytes as one JS argument (first byte: which reader; the rest: the JSON tree that
/// serde-wasm-bindgen would hand it): a read either fails with `E_INVALID_INPUT` or gives a value
/// within the limits the rest of the core relies on.
pub fn js_args_bytes(data: &[u8]) {
    if let Some(Err(e)) = js_args_read(data) {
        assert_eq!(e.code(), "E_INVALID_INPUT", "{e}");
    }
}

/// What `js_args_bytes` checks: `None` when the bytes are not a reader's pick and a JSON tree.
pub fn js_args_read(data: &[u8]) -> Option<crate::error::Result<()>> {
    use crate::arguments::*;
    use serde_json::Value;
    let [pick, json @ ..] = data else { return None };
    let tree = serde_json::from_slice::<Value>(json).ok()?;
    Some(match usize::from(*pick) % JS_ARG_READERS.len() {
        0 => record::<OpenArgs>("options", tree).map(drop),
        1 => optional_record::<SelectArgs>("options", tree).and_then(|a| a.options()).map(|o| {
            assert!(o.threshold.is_none_or(|t| (0.0..=1.0).contains(&t)));
        }),
        2 => selection_ids(tree).map(drop),
        3 => optional_record::<crate::compose::ComposeOptions>("options", tree).and_then(|o| o.check()),
        4 => record::<crate::attribute::NewAttribute>("attribute", tree)
            .and_then(|n| n.into_attribute("attr-fuzz".into(), 0.0))
            .map(|a| assert!(!a.text.is_empty() && a.text.chars().count() <= crate::attribute::MAX_TEXT_CHARS)),
        5 => optional_record::<ImportArgs>("options", tree).map(drop),
        6 => optional_record::<IngestArgs>("options", tree).map(drop),
        7 => list::<crate::attribute::Sensitivity>("categories", tree, 16).map(|c| assert!(c.len() <= 16)),
        8 => list::<crate::extract::ChatMessage>("messages", tree, crate::extract::MAX_MESSAGES)
            .and_then(|m| crate::extract::extraction_prompt(&m))
            .map(|p| assert!(!p.is_empty())),
        9 => list::<crate::extract::Candidate>("candidates", tree, crate::extract::MAX_CANDIDATES).map(drop),
        10 => optional_record::<VerifyArgs>("context", tree).map(|a| drop(a.context())),
        11 => {
            // `[selection, instructions]` reaches both arguments; anything else is a selection alone.
            let (selection, instructions) = match tree {
                Value::Array(mut pair) if pair.len() == 2 => {
                    let instructions = pair.pop().unwrap_or(Value::Null);
                    (pair.pop().unwrap_or(Value::Null), instructions)
                }
                other => (other, Value::Null),
            };
            render_handoff(selection, instructions)
                .map(|r| assert!(r.attribute_ids.len() <= crate::compose::MAX_SHARED_ATTRIBUTES))
        }
        12 => text("prompt", tree, 100_000).map(drop),
        13 => optional_record::<TurnArgs>("options", tree)
            .and_then(TurnArgs::split)
            .and_then(|(s, _)| s.options())
            .map(drop),
        _ => unreachable!("the pick is taken modulo the number of readers"),
    })
}
