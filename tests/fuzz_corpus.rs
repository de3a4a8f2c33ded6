//! Replays the fuzz corpus (fuzz/corpus/<target>/*) through the functions the
//! cargo-fuzz targets call, on stable, in every `make test`.

use std::path::PathBuf;

fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n >= 5, "{target}: the corpus has only {n} inputs");
}

#[test]
fn parse_extraction_corpus() {
    replay("parse_extraction", discreet::fuzzing::parse_extraction_bytes);
}

#[test]
fn import_file_corpus() {
    replay("import_file", discreet::fuzzing::import_file_bytes);
}

#[test]
fn onnx_model_corpus() {
    replay("onnx_model", discreet::fuzzing::onnx_model_bytes);
}

#[test]
fn manifests_corpus() {
    replay("manifests", discreet::fuzzing::manifests_bytes);
}

#[test]
fn study_file_corpus() {
    replay("study_file", discreet::fuzzing::study_file_bytes);
}

#[test]
fn vector_codec_corpus() {
    replay("vector_codec", discreet::fuzzing::vector_codec_bytes);
}

#[test]
fn js_args_corpus() {
    replay("js_args", discreet::fuzzing::js_args_bytes);
}

/// The seeds reach what they are named for: one valid argument per reader, and the wrong shapes refused.
#[test]
fn js_args_seeds_reach_each_reader() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/js_args");
    let read = |name: &str| discreet::fuzzing::js_args_read(&std::fs::read(dir.join(name)).unwrap()).unwrap();
    for name in discreet::fuzzing::JS_ARG_READERS {
        if let Err(e) = read(name) {
            panic!("{name}: {e}");
        }
    }
    for name in ["open-array", "select-threshold-huge", "add-empty-text", "render-many", "prepare-turn-role"] {
        assert_eq!(read(name).unwrap_err().code(), "E_INVALID_INPUT", "{name}");
    }
}

#[test]
fn tokenize_corpus() {
    let bytes = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/tokenizer.json")).unwrap();
    let tokenizer = discreet::model::TextTokenizer::from_bytes(&bytes).unwrap();
    replay("tokenize", |data| discreet::fuzzing::tokenize_bytes(&tokenizer, data));
}
