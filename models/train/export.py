"""Exports a trained student to what Discreet ships, and checks it:

- models/relevance-encoder.int8.onnx  token ids -> normalized embedding (dynamic int8, per channel)
- models/relevance-head.int8.onnx     (prompt [1, 384], attributes [N, 384]) -> probability [N]
- models/tokenizer.json               MiniLM WordPiece, padding off
- models/relevance.json               manifest: version, threshold, token limits, file hashes
- tests/fixtures/relevance_pairs.json fixed pairs with the scores ONNX Runtime gives, for the Rust tests

The threshold is calibrated, not tuned on F1: it is the score above which dev pairs are
selected at the human rate of train + pilot (19%), so the model selects as often as humans do.

    python export.py --student work/student-seed0.pt
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil

import numpy as np
import onnxruntime as ort
import torch

import common
from student import DIM, Head, calibrated_threshold, new_encoder

FIXTURE = common.REPO / "tests" / "fixtures" / "relevance_pairs.json"


class HeadOnnx(torch.nn.Module):
    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, prompt, attributes):
        n = attributes.shape[0]
        return torch.sigmoid(self.head.pair_logits(prompt.expand(n, DIM), attributes))


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_tokenizer(dst):
    tok = json.loads((common.encoder_path() / "tokenizer.json").read_text())
    tok["padding"] = None  # one text per run: padding would only add work
    tok["truncation"] = {"direction": "Right", "max_length": common.PROMPT_MAX_TOKENS, "strategy": "LongestFirst", "stride": 0}
    dst.write_text(json.dumps(tok, ensure_ascii=False))


class OrtModels:
    def __init__(self, encoder_path, head_path):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        self.encoder = ort.InferenceSession(str(encoder_path), opts, providers=["CPUExecutionProvider"])
        self.head = ort.InferenceSession(str(head_path), opts, providers=["CPUExecutionProvider"])
        self.tok = common.tokenizer()

    def embed(self, text, max_tokens):
        enc = self.tok([text], truncation=True, max_length=max_tokens, return_tensors="np")
        return self.encoder.run(None, {"input_ids": enc["input_ids"].astype(np.int64),
                                       "attention_mask": enc["attention_mask"].astype(np.int64)})[0]

    def scores(self, rows):
        cache = {}

        def emb(text, k):
            if (text, k) not in cache:
                cache[(text, k)] = self.embed(text, k)
            return cache[(text, k)]

        return np.array([self.head.run(None, {"prompt": emb(r["prompt"], common.PROMPT_MAX_TOKENS),
                                              "attributes": emb(r["attribute"], common.ATTR_MAX_TOKENS)})[0][0]
                         for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--student", required=True)
    ap.add_argument("--version", default="relevance-minilm6-distilled-v2")
    args = ap.parse_args()
    common.threads(2)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ckpt = torch.load(args.student, map_location="cpu")
    encoder = new_encoder()
    encoder.load_state_dict(ckpt["encoder"])
    encoder.eval()
    head = Head()
    head.load_state_dict(ckpt["head"])
    head.eval()

    common.WORK.mkdir(parents=True, exist_ok=True)
    f32 = common.WORK / "relevance-encoder.f32.onnx"
    ids = torch.tensor([[101, 1996, 5310, 2003, 1037, 6821, 1012, 102]])
    torch.onnx.export(encoder, (ids, torch.ones_like(ids)), f32, input_names=["input_ids", "attention_mask"],
                      output_names=["embedding"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                    "embedding": {0: "batch"}})
    int8 = common.MODELS / "relevance-encoder.int8.onnx"
    quantize_dynamic(str(f32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    head_f32 = common.WORK / "relevance-head.f32.onnx"
    torch.onnx.export(HeadOnnx(head), (torch.zeros(1, DIM), torch.zeros(3, DIM)), head_f32,
                      input_names=["prompt", "attributes"], output_names=["scores"], opset_version=17, dynamo=False,
                      dynamic_axes={"attributes": {0: "attributes"}, "scores": {0: "attributes"}})
    head_path = common.MODELS / "relevance-head.int8.onnx"
    quantize_dynamic(str(head_f32), str(head_path), per_channel=True, weight_type=QuantType.QInt8)
    tok_path = common.MODELS / "tokenizer.json"
    write_tokenizer(tok_path)

    dev = common.load_jsonl(common.DATA / "dev.jsonl")
    labels = np.array([r["relevant"] for r in dev])
    from student import dev_scores

    torch_scores = dev_scores(encoder, head, common.tokenizer(), dev)
    f32_scores = OrtModels(f32, head_f32).scores(dev)
    int8_models = OrtModels(int8, head_path)
    int8_scores = int8_models.scores(dev)
    print(f"ONNX f32 vs torch: max |diff| {np.abs(f32_scores - torch_scores).max():.2e}")
    print(f"ONNX int8 vs torch: max |diff| {np.abs(int8_scores - torch_scores).max():.3f}, "
          f"mean {np.abs(int8_scores - torch_scores).mean():.4f}")
    assert np.abs(f32_scores - torch_scores).max() < 1e-3, "f32 export does not match torch"

    threshold = calibrated_threshold(int8_scores, ckpt["human_rate"])
    metrics = common.binary_metrics(labels, int8_scores >= threshold)
    facts_dev = common.load_facts("dev")
    facts = common.facts_metrics(facts_dev, int8_models.scores(facts_dev), threshold)
    lo, hi = common.bootstrap_f1(labels, int8_scores >= threshold)
    manifest = {
        "version": args.version,
        "threshold": threshold,
        "attribute_max_tokens": common.ATTR_MAX_TOKENS,
        "prompt_max_tokens": common.PROMPT_MAX_TOKENS,
        "dimension": DIM,
        "files": {name: {"path": p.name, "bytes": p.stat().st_size, "sha256": sha256(p)}
                  for name, p in [("encoder", int8), ("head", head_path), ("tokenizer", tok_path)]},
        "dev": {**metrics, "f1_ci95": [lo, hi]},
        "dev_facts": facts,
        "seed": ckpt["seed"],
    }
    (common.MODELS / "relevance.json").write_text(json.dumps(manifest, indent=1) + "\n")

    # Fixed pairs for the Rust tests: a spread of dev scores, low to high.
    order = np.argsort(int8_scores)
    picks = order[np.linspace(0, len(order) - 1, 16).astype(int)]
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps({
        "model_version": args.version,
        "note": "scores from ONNX Runtime on the committed int8 files; Rust (crates/onnx) must match within tolerance",
        "tolerance": 0.02,
        "pairs": [{"prompt": dev[i]["prompt"], "attribute": dev[i]["attribute"], "score": float(int8_scores[i])} for i in picks],
        "embedding_example": {"text": dev[0]["attribute"],
                              "embedding": [float(x) for x in int8_models.embed(dev[0]["attribute"], common.ATTR_MAX_TOKENS)[0]]},
    }, indent=1) + "\n")
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
