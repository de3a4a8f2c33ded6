#!/usr/bin/env bash
# The human-judgment path of the verifier's training: a study export (ok/unsure/bad per attribute) and a
# device's export of its user's review decisions (`exportJudgments`, tests/review.rs writes the fixture)
# retrain the head from scratch (no weak labels), the result loads in Rust through Discreet's runtime, and
# `discreet verify` agrees with the judgments it was trained on. Needs no torch.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/train_env.sh
fixture=tests/fixtures/judgments_stage1.jsonl
device=tests/fixtures/judgments_device.jsonl
"$venv/bin/python" models/train/verifier.py --judgments "$fixture" --judgments "$device" --no-weak --out "$out" \
  --epochs 60 --version verifier-fixture-test > "$out/train.log"
for f in relevance.json relevance-encoder.int8.onnx relevance-head.int8.onnx tokenizer.json sensitive-head.int8.onnx relation-head.int8.onnx; do
  ln -s "$PWD/models/$f" "$out/$f"
done
cargo build -q --profile ci --bin discreet
target/ci/discreet verify --models "$out" --data "$fixture" | tail -n 1 > "$out/summary.json"
python3 - "$out/summary.json" "$out/verifier.json" "$out/train.log" <<'PY'
import ast, json, sys
summary, manifest = (json.load(open(p)) for p in sys.argv[1:3])
splits = next(ast.literal_eval(l) for l in open(sys.argv[3]) if l.startswith("{'"))
assert sum(splits.values()) == 48 + 6, splits  # every study line and every device decision
assert manifest["labels"] == "human" and summary["model"] == "verifier-fixture-test", (summary, manifest)
assert summary["n"] == 48, summary["n"]  # the relevance-stage line is skipped
agreement = summary["flag_vs_human"]
# Trained on these very judgments: it must have learned them (a broken path scores ~chance).
assert agreement["n"] == 42 and agreement["accuracy"] >= 0.8, agreement
print("verifier retrained from human judgments:", json.dumps(agreement))
PY
