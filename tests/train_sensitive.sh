#!/usr/bin/env bash
# The sensitive-category head is reproducible: models/train/sensitive.py, run again from the
# committed data into a scratch folder, lands on the committed threshold and dev figures, and its
# head loads in Rust through Discreet's runtime. Needs no torch (numpy + ONNX, the verifier's venv).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/train_env.sh
cp models/relevance.json "$out/"
for f in relevance-encoder.int8.onnx relevance-head.int8.onnx tokenizer.json verifier.json verifier-head.int8.onnx relation-head.int8.onnx; do
  ln -s "$PWD/models/$f" "$out/$f"
done
(cd models/train && "../../$venv/bin/python" sensitive.py --models "$out" > "$out/train.log" 2>&1) || { cat "$out/train.log"; exit 1; }
python3 - models/relevance.json "$out/relevance.json" <<'PY'
import json, sys
committed, again = (json.load(open(p))["sensitive"] for p in sys.argv[1:3])
assert abs(committed["threshold"] - again["threshold"]) <= 0.03, (committed["threshold"], again["threshold"])
for split in ("dev_authored", "dev_real"):
    a, b = committed["dev"][split]["terms_and_model"], again["dev"][split]["terms_and_model"]
    for k in ("recall_any_category", "false_tag_rate_on_none"):
        assert abs(a[k] - b[k]) <= 0.05, (split, k, a[k], b[k])
print("sensitive head reproduced:", json.dumps({s: again["dev"][s]["terms_and_model"] for s in ("dev_authored", "dev_real")}))
PY
cargo build -q --profile ci --bin discreet
# The retrained head loads and scores through Discreet's runtime (the CLI refuses a model it cannot load).
target/ci/discreet eval relevance --models "$out" --data tests/fixtures/judgments_stage1.jsonl > /dev/null
