//! Discreet's own ONNX runtime (`discreet::onnx`) against the reference
//! engines on the model files Discreet ships: ONNX Runtime's embeddings
//! (tests/fixtures/encoder_embeddings.json) and tract (a dev-dependency kept
//! for this check), and against malformed files.

use std::path::PathBuf;

use discreet::onnx::{Graph, Tensor};
use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn model(name: &str) -> Vec<u8> {
    std::fs::read(repo("models").join(name)).unwrap()
}

/// The same graph through tract.
mod reference {
    use discreet::onnx::Data;
    use tract_onnx::prelude::*;

    pub fn run(bytes: &[u8], inputs: &[discreet::onnx::Tensor]) -> Vec<f32> {
        let mut m =
            tract_onnx::onnx().with_ignore_value_info(true).model_for_read(&mut std::io::Cursor::new(bytes)).unwrap();
        let mut values: TVec<TValue> = tvec!();
        for (i, t) in inputs.iter().enumerate() {
            let tensor = match &t.data {
                Data::I64(v) => Tensor::from_shape(&t.shape, v).unwrap(),
                Data::F32(v) => Tensor::from_shape(&t.shape, v).unwrap(),
                _ => unreachable!(),
            };
            m.set_input_fact(i, InferenceFact::dt_shape(tensor.datum_type(), &t.shape)).unwrap();
            values.push(tensor.into());
        }
        let plan = m.into_optimized().unwrap().into_runnable().unwrap();
        let out = plan.run(values).unwrap();
        // Every output, in order, flattened.
        out.iter().flat_map(|o| o.to_plain_array_view::<f32>().unwrap().iter().copied().collect::<Vec<_>>()).collect()
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (n(a) * n(b))
}

fn ids_input(ids: &[i64]) -> Vec<Tensor> {
    let n = ids.len();
    vec![Tensor::i64(vec![1, n], ids.to_vec()).unwrap(), Tensor::i64(vec![1, n], vec![1; n]).unwrap()]
}

/// Dynamic int8 requantizes every layer's activations with a scale taken
/// from their range, so a last-bit difference in a float sum can move a
/// value to the next quantization step and the difference grows through the
/// layers: engines agree closely on most inputs and less on a few. The bounds
/// hold the runtime to ONNX Runtime at least as well as tract holds.
#[test]
fn encoder_matches_onnx_runtime_as_closely_as_tract_does() {
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("tests/fixtures/encoder_embeddings.json")).unwrap())
            .unwrap();
    let bytes = model("relevance-encoder.int8.onnx");
    let graph = Graph::load(&bytes).unwrap();
    let (mut ours, mut tract) = (Vec::new(), Vec::new());
    for case in fx["cases"].as_array().unwrap() {
        let ids: Vec<i64> = case["ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        let want: Vec<f32> = case["embedding"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let got = graph.run(ids_input(&ids)).unwrap().remove(0).into_f32().unwrap();
        assert_eq!(got.len(), 384);
        ours.push(cosine(&got, &want));
        tract.push(cosine(&reference::run(&bytes, &ids_input(&ids)), &want));
    }
    let summary = |v: &mut Vec<f32>| {
        v.sort_by(f32::total_cmp);
        (v[0], v[v.len() / 20], v[v.len() / 2], v.iter().sum::<f32>() / v.len() as f32)
    };
    let (o, t) = (summary(&mut ours), summary(&mut tract));
    eprintln!("cosine to ONNX Runtime over {} texts (min, p5, median, mean): ours {o:?}, tract {t:?}", ours.len());
    assert!(o.0 > 0.99 && o.1 > 0.995 && o.2 > 0.9999, "ours {o:?}");
    assert!(o.3 >= t.3 - 0.0005, "ours {o:?} vs tract {t:?}");
}

/// Deterministic pseudo-random unit vectors.
fn vectors(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    let mut v: Vec<f32> = (0..n * d)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect();
    for row in v.chunks_mut(d) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        row.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// A head's inputs for `n` pairs: unit vectors for the 384-wide ones (one row on the left of a
/// one-to-many head), lexical feature values 0..3 for the others.
fn head_inputs(widths: &[usize], one_to_many: bool, n: usize) -> Vec<Tensor> {
    widths
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let rows = if i == 0 && one_to_many { 1 } else { n };
            let values = if w == 384 {
                vectors(rows, w, (n * 10 + i) as u64)
            } else {
                (0..rows * w).map(|k| ((k * 7 + n) % 4) as f32).collect()
            };
            Tensor::f32(vec![rows, w], values).unwrap()
        })
        .collect()
}

#[test]
fn heads_match_tract() {
    // Each head's input widths: vectors, and the verifier's lexical features (values 0..3).
    let lexical = discreet::model::VerifierManifest::parse(&model("verifier.json")).unwrap().lexicon.unwrap().width();
    let cases: [(&str, Vec<usize>, bool); 3] = [
        ("relevance-head.int8.onnx", vec![384, 384], true),
        ("verifier-head.int8.onnx", vec![384, 384, lexical], false),
        ("sensitive-head.int8.onnx", vec![384], false),
    ];
    for (file, widths, one_to_many) in cases {
        let bytes = model(file);
        let graph = Graph::load(&bytes).unwrap();
        for n in [1usize, 3, 40] {
            let ins = head_inputs(&widths, one_to_many, n);
            // Every output: the verifier's second one names problem kinds.
            let ours: Vec<f32> =
                graph.run(ins.clone()).unwrap().into_iter().flat_map(|t| t.into_f32().unwrap()).collect();
            let theirs = reference::run(&bytes, &ins);
            assert_eq!(ours.len(), theirs.len(), "{file}");
            let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 0.02, "{file} n={n}: max |diff| {worst}");
        }
    }
}

/// The pair-head fusion (`PairMatMul`) must change no bit of any output: every shipped head,
/// fused and unfused, on the same inputs (one-to-many and row-wise, several batch sizes, the
/// 10,000 rows of a large profile's select).
#[test]
fn fused_heads_give_exactly_the_unfused_outputs() {
    let lexical = discreet::model::VerifierManifest::parse(&model("verifier.json")).unwrap().lexicon.unwrap().width();
    let relation = discreet::relate::LEXICAL_FEATURES;
    let cases: [(&str, Vec<usize>, bool, bool); 4] = [
        ("relevance-head.int8.onnx", vec![384, 384], true, true),
        ("verifier-head.int8.onnx", vec![384, 384, lexical], false, false),
        ("relation-head.int8.onnx", vec![384, 384, relation], false, false),
        ("sensitive-head.int8.onnx", vec![384], false, false),
    ];
    for (file, widths, one_to_many, fused) in cases {
        let bytes = model(file);
        let (plan, reference) = (Graph::load(&bytes).unwrap(), Graph::load_unfused(&bytes).unwrap());
        assert_eq!(plan.step_count() < reference.step_count(), fused, "{file}: fused or not as expected");
        for n in [1usize, 2, 63, 64, 65, 300, 10_000] {
            let ins = head_inputs(&widths, one_to_many, n);
            let ours = plan.run(ins.clone()).unwrap();
            let theirs = reference.run(ins).unwrap();
            assert_eq!(ours, theirs, "{file} n={n}");
        }
    }
}

fn model_error(bytes: &[u8]) -> String {
    match Graph::load(bytes) {
        Err(e) => {
            let e = discreet::Error::from(e);
            assert_eq!(e.code(), "E_MODEL");
            e.to_string()
        }
        Ok(_) => panic!("loaded a broken model"),
    }
}

#[test]
fn broken_files_are_model_errors() {
    let head = model("sensitive-head.int8.onnx");
    assert!(model_error(&[]).contains("no graph"));
    model_error(b"not a model at all");
    assert!(model_error(&head[..head.len() / 2]).contains("truncated"));
    let replace = |from: &[u8], to: &[u8]| {
        let at = head.windows(from.len()).position(|w| w == from).unwrap();
        let mut b = head.clone();
        b[at..at + to.len()].copy_from_slice(to);
        b
    };
    assert!(model_error(&replace(b"Relu", b"Relx")).contains("operator Relx (opset 17) is not supported"));
    assert!(
        model_error(&replace(b"\x0a\x01h\x12", b"\x0a\x01q\x12")).contains("no earlier node produces"),
        "renamed input"
    );
}

/// Any single corrupted byte: an error or a model, never a panic, and a
/// model that loads either runs or reports an error.
#[test]
fn corrupted_bytes_never_panic() {
    let head = model("sensitive-head.int8.onnx");
    let input = Tensor::f32(vec![2, 384], vectors(2, 384, 7)).unwrap();
    let mut s = 99u64;
    for _ in 0..400 {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
        let mut b = head.clone();
        let at = (s >> 20) as usize % b.len();
        b[at] ^= 1 << ((s >> 8) % 8);
        if let Ok(g) = Graph::load(&b) {
            let _ = g.run(vec![input.clone()]);
        }
    }
}

#[test]
fn wrong_inputs_are_errors() {
    let g = Graph::load(&model("sensitive-head.int8.onnx")).unwrap();
    assert_eq!(discreet::Error::from(g.run(vec![]).unwrap_err()).code(), "E_MODEL");
    let wrong_width = Tensor::f32(vec![1, 5], vec![0.0; 5]).unwrap();
    assert_eq!(discreet::Error::from(g.run(vec![wrong_width]).unwrap_err()).code(), "E_MODEL");
    let ids = Tensor::i64(vec![1, 384], vec![0; 384]).unwrap();
    assert_eq!(discreet::Error::from(g.run(vec![ids]).unwrap_err()).code(), "E_MODEL");
    let enc = Graph::load(&model("relevance-encoder.int8.onnx")).unwrap();
    assert_eq!(
        discreet::Error::from(enc.run(ids_input(&[101, 40000, 102])).unwrap_err()).code(),
        "E_MODEL",
        "token id beyond the vocabulary"
    );
}

/// Protobuf wire encoding, enough to write hostile ONNX files by hand.
fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = varint(number << 3 | 2);
    out.extend(varint(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn model_with_initializer(dims: &[u64], raw: &[u8]) -> Vec<u8> {
    let mut tensor = Vec::new();
    for &d in dims {
        tensor.extend(varint(1 << 3));
        tensor.extend(varint(d));
    }
    tensor.extend(varint(2 << 3));
    tensor.extend(varint(1)); // float
    tensor.extend(field(8, b"w"));
    tensor.extend(field(9, raw));
    let graph = [field(5, &tensor), field(12, &field(1, b"w"))].concat();
    let opset = [varint(2 << 3), varint(17)].concat();
    [field(7, &graph), field(8, &opset)].concat()
}

#[test]
fn hostile_tensor_headers_are_model_errors() {
    let ok = model_with_initializer(&[2], &[0; 8]);
    assert_eq!(Graph::load(&ok).unwrap().run(vec![]).unwrap()[0].shape, vec![2]);
    assert!(model_error(&model_with_initializer(&[1 << 40, 1 << 40], &[0; 8])).contains("too large"));
    assert!(model_error(&model_with_initializer(&[u64::MAX / 2, 3], &[0; 8])).contains("too large"));
    assert!(model_error(&model_with_initializer(&[3], &[0; 8])).contains("raw data"));
    assert!(model_error(&model_with_initializer(&[(1 << 62) + 2], &[0; 8])).contains("raw data"), "size overflow");
}
