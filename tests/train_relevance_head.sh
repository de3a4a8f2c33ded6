#!/usr/bin/env bash
# The relevance head's retraining from a study's judgments: the study page's export (several
# participants per pair) retrains the head alone over the frozen shipped encoder, the new folder
# loads in Rust through Discreet's runtime, and `discreet eval relevance` agrees with the
# majority it was trained on. Needs no torch (numpy + ONNX, the verifier's venv).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/train_env.sh
fixture=tests/fixtures/judgments_relevance.jsonl
(cd models/train && "../../$venv/bin/python" relevance_head.py --judgments "../../$fixture" --only-judgments \
  --out "$out" --epochs 60 --version relevance-head-fixture-test > "$out/train.log" 2>&1) || { cat "$out/train.log"; exit 1; }
# The majority per pair, as the trainer reads it, is what the model is scored against.
python3 - "$fixture" "$out/majority.jsonl" <<'PY'
import json, sys
votes = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("stage") == "relevance":
        votes.setdefault((r["user"], r["prompt"], r["attribute"]), []).append(r["relevant"])
with open(sys.argv[2], "w") as f:
    for (u, p, a), v in votes.items():
        f.write(json.dumps({"user": u, "prompt": p, "attribute": a, "relevant": 2 * sum(v) >= len(v)}) + "\n")
PY
cargo build -q --profile ci --bin discreet
target/ci/discreet eval relevance --models "$out" --data "$out/majority.jsonl" | tail -n 1 > "$out/summary.json"
python3 - "$out/summary.json" "$out/relevance.json" models/relevance.json <<'PY'
import json, sys
summary, manifest, shipped = (json.load(open(p)) for p in sys.argv[1:4])
assert summary["source"] == "relevance-head-fixture-test", summary["source"]
assert manifest["files"]["encoder"] == shipped["files"]["encoder"], "the encoder must stay the shipped one"
assert manifest["files"]["head"]["sha256"] != shipped["files"]["head"]["sha256"], "a new head was written"
retrain = manifest["head_retrain"]
assert retrain["judgment_pairs"] == summary["n"] == retrain["pairs"], (retrain, summary["n"])
# Trained on these very judgments: it must have learned them (a broken path scores ~chance),
# and the out-of-fold threshold keeps it near the human rate.
assert summary["accuracy"] >= 0.85 and summary["f1"] >= 0.7, summary
assert abs(summary["selection_rate"] - summary["human_rate"]) <= 0.15, summary
print("relevance head retrained from study judgments:",
      json.dumps({k: summary[k] for k in ("n", "f1", "kappa", "accuracy", "selection_rate", "human_rate")}))
PY
