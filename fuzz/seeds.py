"""Writes the hand-made seeds of fuzz/corpus/ (deterministic; rerun after changing a format).
libFuzzer grows its own corpus from these; inputs it finds that matter are committed next to them.
Needs numpy and onnx (models/train/.venv has both):  python fuzz/seeds.py"""
import base64
import json
import struct
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(target: str, name: str, data: bytes):
    (CORPUS / target).mkdir(parents=True, exist_ok=True)
    (CORPUS / target / name).write_bytes(data)


def model(nodes, inputs, outputs, inits=(), opset=17) -> bytes:
    g = h.make_graph(nodes, "seed", inputs, outputs, [numpy_helper.from_array(a, n) for n, a in inits])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def f32(name, shape=(1, "W")):
    return h.make_tensor_value_info(name, T.FLOAT, list(shape))


def onnx_seeds():
    rng = np.random.default_rng(0)
    # Prefix: byte 0 = which inputs are i64 ids, byte 1 = width / 2 (see src/fuzzing.rs).
    f32_in, ids_in = bytes([0, 2]), bytes([1, 2])
    w = rng.standard_normal((4, 3)).astype(np.float32)
    seeds = {
        "add": model([h.make_node("Add", ["x", "c"], ["y"])], [f32("x")], [f32("y")], [("c", np.ones(4, np.float32))]),
        "matmul-relu": model([h.make_node("MatMul", ["x", "w"], ["m"]), h.make_node("Relu", ["m"], ["y"])],
                             [f32("x")], [f32("y")], [("w", w)]),
        "shape-ops": model([h.make_node("Shape", ["x"], ["s"]), h.make_node("ConstantOfShape", ["s"], ["z"]),
                            h.make_node("Expand", ["x", "s"], ["e"]), h.make_node("Concat", ["z", "e"], ["y"], axis=1)],
                           [f32("x")], [f32("y")]),
        "norm-softmax": model([h.make_node("LayerNormalization", ["x", "g", "b"], ["n"], axis=-1, epsilon=1e-5),
                               h.make_node("Softmax", ["n"], ["y"], axis=-1)],
                              [f32("x")], [f32("y")], [("g", np.ones(4, np.float32)), ("b", np.zeros(4, np.float32))]),
        "quant-matmul": model([h.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"]),
                               h.make_node("MatMulInteger", ["q", "wq", "z", "wz"], ["i"]),
                               h.make_node("Cast", ["i"], ["c"], to=T.FLOAT), h.make_node("Mul", ["c", "s"], ["y"])],
                              [f32("x")], [f32("y")],
                              [("wq", rng.integers(-127, 127, (4, 3)).astype(np.int8)), ("wz", np.zeros(3, np.int8))]),
    }
    for name, data in seeds.items():
        write("onnx_model", name, f32_in + data)
    emb = rng.standard_normal((200, 4)).astype(np.float32)
    ids = h.make_tensor_value_info("ids", T.INT64, [1, "W"])
    write("onnx_model", "gather-reduce", ids_in + model(
        [h.make_node("Gather", ["emb", "ids"], ["g"]), h.make_node("ReduceMean", ["g"], ["y"], axes=[1], keepdims=0)],
        [ids], [f32("y", (1, 4))], [("emb", emb)], opset=17))
    # The shipped sensitive head is small enough to mutate fast (prompt width 384 = 192 * 2).
    write("onnx_model", "sensitive-head", bytes([0, 192]) + (ROOT / "models" / "sensitive-head.int8.onnx").read_bytes())


def manifest_seeds():
    rel = json.loads((ROOT / "models" / "relevance.json").read_text())
    ver = json.loads((ROOT / "models" / "verifier.json").read_text())
    write("manifests", "relevance", json.dumps(rel).encode())
    write("manifests", "verifier", json.dumps(ver).encode())
    write("manifests", "relevance-bad-threshold", json.dumps(rel | {"threshold": 1.5}).encode())
    write("manifests", "relevance-no-files", json.dumps(rel | {"files": {}}).encode())
    write("manifests", "verifier-crossed", json.dumps(ver | {"thresholds": {"accept": 0.1, "reject": 0.9}}).encode())
    write("manifests", "relevance-other-encoder",
          json.dumps(rel | {"sensitive": rel["sensitive"] | {"encoder_sha256": "0" * 64}}).encode())


def study_seeds():
    line = {"user": "u1", "prompt_id": "p1", "prompt": "Plan a week of dinners.", "attribute": "The user is vegetarian.",
            "relevant": True, "llm_votes": {"model-a": True}}
    write("study_file", "one", json.dumps(line).encode() + b"\n")
    write("study_file", "stages", b"\n".join(json.dumps(x).encode() for x in [
        {"stage": "attribute", "attribute": "The user is vegetarian.", "label": "acceptable"},
        line | {"stage": "relevance"}, line | {"relevant": False, "prompt": "Fix my bike."}]))
    write("study_file", "blank-lines", b"\n\n" + json.dumps(line).encode() + b"\n\n")
    write("study_file", "bad-second-line", json.dumps(line).encode() + b"\n{oops\n")
    write("study_file", "empty-prompt", json.dumps(line | {"prompt": "  "}).encode())


def vector_seeds():
    for name, v in {"one": [1.0], "three": [0.5, -2.0, 3.25], "specials": [float("nan"), float("inf"), -0.0, 1e-45]}.items():
        write("vector_codec", name, base64.b64encode(struct.pack(f"<{len(v)}f", *v)))
    write("vector_codec", "minilm-width", base64.b64encode(np.random.default_rng(1).standard_normal(384).astype("<f4").tobytes()))
    write("vector_codec", "not-base64", b"AAAA$AAA")
    write("vector_codec", "short", b"AAA")


def tokenize_seeds():
    for name, text in {
        "plain": "\x20Plan a week of vegetarian dinners for me.",
        "accents-cjk": "\x40Caf\u00e9 na\u00efve \u6771\u4eac \u0645\u0631\u062d\u0628\u0627 \U0001F600\U0001F469\u200d\U0001F467",
        "combining": "\x7fe\u0301\u0301\u0301 Z\u0335\u0321\u0322a\u0334l\u0336g\u0337o \ufeff\u200b\u2028",
        "controls": "\x05\x00\x01\x1b[31m\r\n\t tab",
        "long-word": "\x10" + "supercalifragilistic" * 50,
    }.items():
        write("tokenize", name, text.encode("utf-8"))
    write("tokenize", "invalid-utf8", b"\x30\xff\xfe\xc3(\xe2\x82 ok")


# Same order as JS_ARG_READERS in src/fuzzing.rs: the first byte picks the reader.
JS_ARG_READERS = ["open", "select", "compose-selection", "compose-options", "add", "import", "ingest",
                  "set-allowed-sensitive", "messages", "candidates", "verify-context", "render-selection", "prompt", "prepare-turn"]


def js_args_seeds():
    seeds = {
        "open": {"user": "alice", "encrypt": True},
        "select": {"maxAttributes": 3, "includeReview": None, "threshold": 0.5},
        "compose-selection": [{"attribute": {"id": "attr-1", "text": "The user is vegetarian."}, "score": 0.9}],
        "compose-options": {"format": "openai", "systemRole": "developer", "instructions": "Be brief."},
        "add": {"text": "The user keeps kosher.", "reason": "said so", "evidence": ["I keep kosher"],
                "verdict": "accepted", "verifierScore": 0.9, "sensitivity": "religion"},
        "import": {"mode": "replace"},
        "ingest": {"conversationId": "c-1"},
        "set-allowed-sensitive": ["health", "location"],
        "messages": [{"role": "user", "content": "I'm vegetarian and I work night shifts as a nurse."},
                     {"role": "assistant", "content": "Noted."}],
        "candidates": [{"attribute": "The user is a nurse.", "reason": "said so", "confidence": 0.9, "evidence": ["I work as a nurse"]}],
        "verify-context": {"userMessages": ["I'm a nurse"], "stored": ["The user is a nurse."]},
        "render-selection": [{"format": "selection", "attributes": [{"id": "0", "text": "The user is vegetarian."}]}, "Be brief."],
        "prompt": "Plan a week of dinners for me.",
        "prepare-turn": {"maxAttributes": 3, "format": "anthropic", "instructions": "Be brief."},
    }
    for i, name in enumerate(JS_ARG_READERS):
        write("js_args", name, bytes([i]) + json.dumps(seeds[name]).encode())
    # Wrong shapes each reader must refuse with E_INVALID_INPUT.
    write("js_args", "open-array", bytes([0]) + b"[1,2]")
    write("js_args", "select-threshold-huge", bytes([1]) + b'{"threshold":1e300}')
    write("js_args", "add-empty-text", bytes([4]) + b'{"text":"   "}')
    write("js_args", "prepare-turn-role", bytes([13]) + b'{"format":"text","systemRole":"developer"}')
    write("js_args", "render-many", bytes([11]) + json.dumps({"attributes": [{"id": str(i), "text": "t"} for i in range(101)]}).encode())


if __name__ == "__main__":
    onnx_seeds()
    manifest_seeds()
    study_seeds()
    vector_seeds()
    tokenize_seeds()
    js_args_seeds()
