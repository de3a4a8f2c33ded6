#!/usr/bin/env bash
# One command for the relevance model and everything that reads its encoder:
# teacher -> scores -> student -> ONNX + int8 + manifest + fixture, then the verifier
# and sensitive heads (trained over the new encoder's vectors) and the encoder fixture.
# CPU only; about 45 minutes on 2 cores.
#   models/train/train-relevance.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")"
seed=${1:-0}
[ -x .venv/bin/python ] || ./setup.sh
mkdir -p work
.venv/bin/python teacher.py --seed "$seed" 2>&1 | tee "work/teacher-seed$seed.log"
.venv/bin/python student.py --seed "$seed" --teacher "work/teacher-seed$seed.json" 2>&1 | tee "work/student-seed$seed.log"
.venv/bin/python export.py --student "work/student-seed$seed.pt" 2>&1 | tee "work/export-seed$seed.log"
# The heads over the shared encoder pin its SHA-256: a new encoder needs new heads.
.venv/bin/python verifier.py --fixture ../../tests/fixtures/verifier_pairs.json 2>&1 | tee work/verifier.log
.venv/bin/python sensitive.py --fixture ../../tests/fixtures/sensitive_texts.json 2>&1 | tee work/sensitive.log
.venv/bin/python encoder_fixture.py 2>&1 | tee work/encoder-fixture.log
