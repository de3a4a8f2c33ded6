"""Trains the sensitive-category model: a small softmax head over the SHIPPED int8 relevance encoder.

Discreet tags an attribute with a sensitive category (health, religion, sexuality, ethnicity, politics,
finance, location) by a term list (src/sensitive.json) and by this model. The list is auditable but
misses paraphrases ("The user takes insulin before every meal"); the model catches what it misses.
The device tags with the list's category when a term matches, else with the model's top category
when its probability reaches the calibrated threshold.

    python sensitive.py                        # -> models/sensitive-head.int8.onnx, updates relevance.json

Data (models/train/data/, see its README): sensitive_authored.jsonl (720 sentences written for this
project, 60 per category + 300 none of which 100 are hard negatives) and sensitive_profile_labels.jsonl
(the 747 real extracted attributes of relevance/profiles.jsonl, each labelled with a category).
Splits: authored by `group` hash (a quarter is dev); real attributes by user (`split`: the users of
relevance/dev.jsonl are dev), so the script needs nothing outside this repository. Dev is only reported. The threshold comes from 5-fold out-of-fold
predictions on train: the lowest one at which the model tags at most 2% of the real and everyday
"none" attributes the term list leaves alone (a wrong tag only withholds an attribute; a missed one can leak). The 132 "everyday-" sentences
(food, family, sport, hobbies, work) were added after a first model tagged "The user is vegetarian."
as religion: the first 300 "none" sentences had too few everyday food and routine attributes.

Needs only numpy, onnx, onnxruntime and tokenizers (requirements-verifier.txt).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from verifier import ATTR_MAX_TOKENS, DIM, MODELS, REPO, Embedder, sha256, train_mlp

HERE = Path(__file__).resolve().parent
# The model's classes: none, then every category the term list covers (src/sensitive.json; `other` has no
# terms and is never predicted).
_TERM_FILE = json.loads((REPO / "src" / "sensitive.json").read_text())
CATEGORIES = ["none"] + [c for c in _TERM_FILE["categories"] if c in _TERM_FILE["terms"]]
HIDDEN = 64
MAX_FALSE_TAG = 0.02


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def term_list() -> list[tuple[str, list[str]]]:
    """The term list of src/sensitive.json (which src/sensitive.rs compiles in), in its order of categories."""
    return [(c, _TERM_FILE["terms"][c]) for c in CATEGORIES[1:]]


def words(text: str) -> list[str]:
    """src/sensitive.rs `words`: letters, digits, - and ' (typographic apostrophes count as ');
    a final 's dropped. (Rust's is_alphanumeric also keeps combining marks; Python splits there.)"""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
    ws = "".join(c if c.isalnum() or c in "-'" else " " for c in text).split()
    return [w[:-2] if w.endswith("'s") else w for w in ws]


def term_category(text: str, terms) -> str:
    ws = words(text)

    def hit(term: str) -> bool:
        parts = term.split(" ")
        match = lambda w, p: w.startswith(p[:-1]) if p.endswith("*") else w == p  # noqa: E731
        return any(all(match(w, p) for w, p in zip(ws[i:i + len(parts)], parts))
                   for i in range(len(ws) - len(parts) + 1))

    return next((c for c, ts in terms if any(hit(t) for t in ts)), "none")


def train_head(x, y, epochs: int, seed: int, lr=2e-3, l2=1e-3, batch=32):
    """384 -> 64 -> 8 softmax MLP, class-balanced cross-entropy, Adam."""
    k = len(CATEGORIES)
    counts = np.bincount(y, minlength=k).astype(np.float32)
    cw = (len(y) / (k * np.maximum(counts, 1))).astype(np.float32)

    def logit_grad(logits, idx):
        yb, wb = y[idx], cw[y[idx]]
        g = softmax(logits)
        g[np.arange(len(yb)), yb] -= 1
        return g * (wb / wb.sum())[:, None]

    return train_mlp(x, HIDDEN, k, logit_grad, epochs, seed, lr, l2, batch)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predict(params, x):
    return softmax(np.maximum(x @ params["w1"] + params["b1"], 0) @ params["w2"] + params["b2"])


def decide(probs, term_cats, threshold):
    """The device's rule: the term list first, else the model's top sensitive category at >= threshold."""
    out = []
    for p, tc in zip(probs, term_cats):
        if tc != "none":
            out.append(tc)
            continue
        best = int(np.argmax(p[1:])) + 1
        out.append(CATEGORIES[best] if p[best] >= threshold else "none")
    return out


def metrics(pred, gold) -> dict:
    sens = [i for i, g in enumerate(gold) if g != "none"]
    none = [i for i, g in enumerate(gold) if g == "none"]
    tagged = [i for i, p in enumerate(pred) if p != "none"]
    return {
        "n": len(gold), "sensitive": len(sens),
        # A sensitive attribute tagged with any category is withheld: that is what protects the user.
        "recall_any_category": round(sum(pred[i] != "none" for i in sens) / max(len(sens), 1), 3),
        "recall_right_category": round(sum(pred[i] == gold[i] for i in sens) / max(len(sens), 1), 3),
        "precision_any": round(sum(gold[i] != "none" for i in tagged) / max(len(tagged), 1), 3),
        "false_tag_rate_on_none": round(sum(pred[i] != "none" for i in none) / max(len(none), 1), 3),
    }


def export(params, out: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    f32 = out / "sensitive-head.f32.onnx"
    nodes = [
        helper.make_node("MatMul", ["attributes", "w1"], ["h0"]), helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["l0"]), helper.make_node("Add", ["l0", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    inits = [numpy_helper.from_array(params[k].astype(np.float32), k) for k in ("w1", "b1", "w2", "b2")]
    graph = helper.make_graph(
        nodes, "sensitive_head",
        [helper.make_tensor_value_info("attributes", TensorProto.FLOAT, ["N", DIM])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(CATEGORIES)])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, f32)
    int8 = out / "sensitive-head.int8.onnx"
    quantize_dynamic(str(f32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    f32.unlink()
    return int8


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--models", type=Path, default=MODELS, help="where relevance.json and its encoder are")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fixture", type=Path, default=None, help="write Rust-vs-ONNX agreement texts here")
    args = ap.parse_args()

    terms = term_list()
    authored = read_jsonl(args.data / "sensitive_authored.jsonl")
    real = read_jsonl(args.data / "sensitive_profile_labels.jsonl")
    is_dev_group = lambda g: int(hashlib.sha256(f"{args.seed}:{g}".encode()).hexdigest(), 16) % 4 == 0  # noqa: E731
    rows = ([{"text": r["text"], "category": r["category"], "set": "authored", "dev": is_dev_group(r["group"]),
              "fold_key": r["group"]} for r in authored]
            + [{"text": r["attribute"], "category": r["category"], "set": "real", "dev": r["split"] == "dev",
                "fold_key": r["user"]} for r in real])
    train = [r for r in rows if not r["dev"]]
    dev = [r for r in rows if r["dev"]]
    print({"train": len(train), "dev": len(dev)}, flush=True)

    embed = Embedder(args.models)
    vec = lambda rs: np.stack([embed(r["text"], ATTR_MAX_TOKENS) for r in rs]).astype(np.float32)  # noqa: E731
    label = lambda rs: np.array([CATEGORIES.index(r["category"]) for r in rs])  # noqa: E731
    xt, yt = vec(train), label(train)

    # Out-of-fold probabilities on train (folds by group / user) choose the threshold.
    fold = np.array([int(hashlib.sha256(r["fold_key"].encode()).hexdigest(), 16) % 5 for r in train])
    oof = np.zeros((len(train), len(CATEGORIES)), np.float32)
    for f in range(5):
        params = train_head(xt[fold != f], yt[fold != f], args.epochs, args.seed + f)
        oof[fold == f] = predict(params, xt[fold == f])
    terms_train = [term_category(r["text"], terms) for r in train]
    # The model's own false tags: real and everyday "none" attributes the term list leaves alone.
    real_none = [i for i, r in enumerate(train)
                 if (r["set"] == "real" or r["fold_key"].startswith("everyday-"))
                 and r["category"] == "none" and terms_train[i] == "none"]
    threshold = 1.0
    for t in np.arange(0.30, 1.0, 0.01):
        pred = decide(oof[real_none], ["none"] * len(real_none), t)
        if sum(p != "none" for p in pred) / len(real_none) <= MAX_FALSE_TAG:
            threshold = float(round(t, 2))
            break
    print(f"threshold {threshold}", flush=True)

    params = train_head(xt, yt, args.epochs, args.seed)
    int8 = export(params, args.models)
    session = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    onnx_probs = lambda x: session.run(None, {"attributes": x})[0]  # noqa: E731
    print(f"int8 ONNX vs numpy f32 on train: max |diff| {np.abs(onnx_probs(xt) - predict(params, xt)).max():.4f}")

    report = {}
    for name, subset in [("dev_authored", [r for r in dev if r["set"] == "authored"]),
                         ("dev_real", [r for r in dev if r["set"] == "real"]),
                         ("dev_everyday_none", [r for r in dev if r["fold_key"].startswith("everyday-")]),
                         ("train_real_out_of_fold", [r for r in train if r["set"] == "real"])]:
        gold = [r["category"] for r in subset]
        term_cats = [term_category(r["text"], terms) for r in subset]
        probs = oof[[train.index(r) for r in subset]] if name.endswith("out_of_fold") else onnx_probs(vec(subset))
        report[name] = {"terms_only": metrics(term_cats, gold),
                        "terms_and_model": metrics(decide(probs, term_cats, threshold), gold)}
    print(json.dumps(report, indent=1))

    manifest_path = args.models / "relevance.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["sensitive"] = {"path": int8.name, "bytes": int8.stat().st_size, "sha256": sha256(int8)}
    manifest["sensitive"] = {
        "version": f"sensitive-minilm6-v1-seed{args.seed}",
        "encoder_sha256": embed.encoder_sha256,
        "categories": CATEGORIES,
        "threshold": threshold,
        "dev": report,
        "seed": args.seed,
        "epochs": args.epochs,
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    if args.fixture:
        picks = [r["text"] for r in dev if r["set"] == "authored"][::12]
        probs = onnx_probs(vec([{"text": t} for t in picks]))
        args.fixture.write_text(json.dumps({
            "model_version": manifest["sensitive"]["version"], "tolerance": 0.02,
            "note": "probabilities from ONNX Runtime on the committed int8 files; Rust (crates/onnx) must match",
            "texts": [{"text": t, "probabilities": [round(float(v), 5) for v in p]} for t, p in zip(picks, probs)],
        }, indent=1) + "\n")


if __name__ == "__main__":
    main()
