//! Replays the fuzz corpus (fuzz/corpus/<target>/*) through the functions the
//! cargo-fuzz targets call, on stable, in every `make test`.

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) {
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
