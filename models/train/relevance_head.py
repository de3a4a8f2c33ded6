"""Head-only retrain of the relevance model from a study's judgments: the SHIPPED int8 encoder
stays frozen (so cached attribute vectors on users' devices stay valid), a new pair head is
trained on its vectors with numpy, and a models folder is written that Discreet loads as is.

    python relevance_head.py --judgments study.jsonl --out /tmp/m          # + the shared and authored data
    python relevance_head.py --judgments study.jsonl --only-judgments --out /tmp/m
    python relevance_head.py --teacher work/teacher-seed0.json --out /tmp/m   # also distil the teacher's pools

The study page's export mixes stages; its `relevance` lines (one per participant and pair) are
reduced to the majority per (user, prompt, attribute). The threshold is set as the shipped one
is: the score above which pairs are selected at the human rate, read from 5-fold out-of-fold
scores (never from the rows a head was trained on). Needs numpy, onnx, onnxruntime, tokenizers.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from facts import load_facts
from study_export import relevance_judgments
from verifier import DATA, DIM, MODELS, Embedder, class_weights, predict, sha256, train_head

ATTR_MAX_TOKENS = 48
PROMPT_MAX_TOKENS = 128


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def export(params, out: Path) -> Path:
    """The shipped head's interface: prompt [1, d], attributes [N, d] -> scores [N]. The first
    layer is split by feature block so the one prompt vector broadcasts instead of being copied."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    w1 = params["w1"]
    blocks = {name: w1[i * DIM:(i + 1) * DIM] for i, name in enumerate(("wu", "wv", "wuv", "wd"))}
    nodes = [
        helper.make_node("Mul", ["prompt", "attributes"], ["uv"]),
        helper.make_node("Sub", ["prompt", "attributes"], ["diff"]),
        helper.make_node("Abs", ["diff"], ["absdiff"]),
        helper.make_node("MatMul", ["prompt", "wu"], ["hu"]),
        helper.make_node("MatMul", ["attributes", "wv"], ["hv"]),
        helper.make_node("MatMul", ["uv", "wuv"], ["huv"]),
        helper.make_node("MatMul", ["absdiff", "wd"], ["hd"]),
        helper.make_node("Add", ["hv", "hu"], ["h0"]), helper.make_node("Add", ["h0", "huv"], ["h1"]),
        helper.make_node("Add", ["h1", "hd"], ["h2"]), helper.make_node("Add", ["h2", "b1"], ["h3"]),
        helper.make_node("Relu", ["h3"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["l0"]), helper.make_node("Add", ["l0", "b2"], ["l1"]),
        helper.make_node("Sigmoid", ["l1"], ["p"]),
        helper.make_node("Reshape", ["p", "flat"], ["scores"]),
    ]
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in blocks.items()]
    inits += [numpy_helper.from_array(params[k].astype(np.float32), k) for k in ("b1", "w2", "b2")]
    inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"))
    graph = helper.make_graph(
        nodes, "relevance_head",
        [helper.make_tensor_value_info("prompt", TensorProto.FLOAT, [1, DIM]),
         helper.make_tensor_value_info("attributes", TensorProto.FLOAT, ["N", DIM])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    f32 = out / "relevance-head.f32.onnx"
    onnx.save(model, f32)
    int8 = out / "relevance-head.int8.onnx"
    quantize_dynamic(str(f32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    f32.unlink()
    return int8


def out_of_fold(x, y, w, labeled, human, epochs, seed, folds=5):
    """Scores of the human-labelled rows, each from a head that did not see it (pool rows, the
    teacher's scores, are always trained on: they carry no human label to leak)."""
    rng = np.random.default_rng(seed)
    fold = np.full(len(x), -1)
    idx = np.flatnonzero(labeled)
    fold[idx] = rng.permutation(len(idx)) % folds
    scores = np.zeros(len(x), np.float32)
    for k in range(folds):
        held = fold == k
        params = train_head(x[~held], y[~held], w[~held], epochs, seed + k)
        scores[held] = predict(params, x[held])
    return scores[human]


def teacher_pool(path: Path) -> list[dict]:
    """The teacher's scores on the unlabeled pools (teacher.py): soft targets to distil."""
    t = json.loads(path.read_text())
    pool = [{"prompt": r["prompt"], "attribute": r["attribute"], "target": 1 / (1 + np.exp(-r["logit"]))} for r in t["pool"]]
    pool += [{"prompt": r["prompt"], "attribute": r["attribute"],
              "target": r["label"] if r["label"] is not None else 1 / (1 + np.exp(-r["logit"]))}
             for r in t.get("facts_pool", [])]
    return pool


class CachedEmbedder(Embedder):
    """Embeddings kept in a file between runs, keyed by the encoder's SHA-256."""

    def __init__(self, models: Path, cache: Path | None):
        super().__init__(models)
        self.cache_file = cache
        if cache and cache.exists():
            saved = np.load(cache, allow_pickle=True)
            if str(saved["sha"]) == self.encoder_sha256:
                self.cache.update(saved["cache"].item())

    def save(self):
        if self.cache_file:
            np.savez(self.cache_file, sha=self.encoder_sha256, cache=np.array(self.cache, dtype=object))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judgments", type=Path, action="append", default=[], help="study export JSONL (repeatable)")
    ap.add_argument("--only-judgments", action="store_true",
                    help="train on the judgments alone (else also shared train + pilot and the authored facts' train split)")
    ap.add_argument("--teacher", type=Path, default=None, help="teacher.py's output: distil its scores on the unlabeled pools")
    ap.add_argument("--pool-weight", type=float, default=1.0, help="total weight of the pool relative to the labelled pairs")
    ap.add_argument("--facts-weight", type=float, default=1.0, help="weight of an authored fact pair relative to a human one")
    ap.add_argument("--models", type=Path, default=MODELS, help="the shipped models folder (encoder, tokenizer, manifest)")
    ap.add_argument("--out", type=Path, required=True, help="the new models folder (the other files are copied)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--version", default=None)
    ap.add_argument("--cache", type=Path, default=None, help="keep embeddings in this .npz between runs")
    args = ap.parse_args()
    if args.out.resolve() == args.models.resolve():
        raise SystemExit("--out must differ from --models: the shipped folder is the fallback")
    args.out.mkdir(parents=True, exist_ok=True)

    judged = relevance_judgments(args.judgments)
    if args.judgments and not judged:
        raise SystemExit("no relevance judgments in the given files")
    if args.only_judgments and not judged:
        raise SystemExit("--only-judgments needs --judgments")
    rows = [dict(r, target=float(r["relevant"]), source="human") for r in judged]
    if not args.only_judgments:
        rows += [dict(r, target=float(r["relevant"]), source="human")
                 for f in ("train.jsonl", "pilot.jsonl") for r in read_jsonl(DATA / f)]
        rows += [dict(r, target=float(r["relevant"]), source="facts") for r in load_facts("train")]
    if args.teacher:
        rows += [dict(r, source="pool") for r in teacher_pool(args.teacher)]
    source = np.array([r["source"] for r in rows])
    labeled, human = source != "pool", source == "human"
    embed = CachedEmbedder(args.models, args.cache)
    u = np.stack([embed(r["prompt"], PROMPT_MAX_TOKENS) for r in rows]).astype(np.float32)
    v = np.stack([embed(r["attribute"], ATTR_MAX_TOKENS) for r in rows]).astype(np.float32)
    embed.save()
    x = np.concatenate([u, v, u * v, np.abs(u - v)], axis=1)
    y = np.array([r["target"] for r in rows], np.float32)
    w = np.zeros(len(rows), np.float32)
    w[labeled] = class_weights(y[labeled])
    w[source == "facts"] *= args.facts_weight
    if (~labeled).any():
        w[~labeled] = args.pool_weight * w[labeled].sum() / (~labeled).sum()
    human_rate = float(y[human].mean())
    oof = out_of_fold(x, y, w, labeled, human, args.epochs, args.seed) if human.sum() >= 20 else None
    params = train_head(x, y, w, args.epochs, args.seed)
    threshold = float(np.quantile(oof if oof is not None else predict(params, x[human]), 1 - human_rate))

    for name in ("relevance.json", "relevance-encoder.int8.onnx", "tokenizer.json", "sensitive-head.int8.onnx",
                 "relation-head.int8.onnx"):
        if (args.models / name).exists():
            shutil.copyfile(args.models / name, args.out / name)
    head = export(params, args.out)
    manifest = json.loads((args.models / "relevance.json").read_text())
    manifest["version"] = args.version or f"{manifest['version']}+head-{len(rows)}"
    manifest["threshold"] = threshold
    manifest["files"]["head"] = {"path": head.name, "bytes": head.stat().st_size, "sha256": sha256(head)}
    counts = {s: int((source == s).sum()) for s in ("human", "facts", "pool")}
    manifest["head_retrain"] = {"pairs": len(rows), "judgment_pairs": len(judged), **{f"{k}_pairs": n for k, n in counts.items()},
                                "human_rate": human_rate, "epochs": args.epochs, "seed": args.seed,
                                "facts_weight": args.facts_weight, "pool_weight": args.pool_weight if args.teacher else None,
                                "threshold_from": "5-fold out-of-fold scores of the human-labelled pairs at their rate"
                                if oof is not None else "training scores"}
    manifest.pop("dev", None)  # the shipped model's dev figures do not describe this head
    manifest.pop("dev_facts", None)
    (args.out / "relevance.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(manifest["head_retrain"] | {"version": manifest["version"], "threshold": threshold}))


if __name__ == "__main__":
    main()
