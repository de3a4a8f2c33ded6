"""Writes tests/fixtures/encoder_embeddings.json: token ids of varied texts and
the embedding ONNX Runtime gives for each on the committed int8 encoder, so
Discreet's own runtime (crates/onnx) is checked against the reference engine.

Token ids are stored (not only the texts) so the check covers the runtime and
nothing else. Needs only numpy, onnxruntime and tokenizers (requirements-verifier.txt).

    python encoder_fixture.py
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "fixtures" / "encoder_embeddings.json"


def texts() -> list[str]:
    rows = [json.loads(l) for l in (REPO / "models/train/data/sensitive_authored.jsonl").open()]
    picked = [r["text"] for r in rows[::9]]
    pairs = json.loads((REPO / "tests/fixtures/relevance_pairs.json").read_text())["pairs"]
    picked += sorted({p["prompt"] for p in pairs})
    return picked


def main() -> None:
    tok = Tokenizer.from_file(str(REPO / "models/tokenizer.json"))
    tok.no_padding()
    session = ort.InferenceSession(str(REPO / "models/relevance-encoder.int8.onnx"), providers=["CPUExecutionProvider"])
    cases = []
    for text in texts():
        ids = tok.encode(text).ids[:128]
        x = np.array([ids], dtype=np.int64)
        emb = session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]
        cases.append({"text": text, "ids": ids, "embedding": [round(float(v), 6) for v in emb]})
    note = "ONNX Runtime %s on models/relevance-encoder.int8.onnx; written by models/train/encoder_fixture.py" % ort.__version__
    OUT.write_text(json.dumps({"note": note, "cases": cases}, indent=0) + "\n")
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
