#!/usr/bin/env bash
# One command for the relevance model: teacher -> scores -> student -> ONNX +
# int8 + manifest + test fixture. CPU only; about 20 minutes on 2 cores.
#   models/train/train-relevance.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")"
seed=${1:-0}
[ -x .venv/bin/python ] || ./setup.sh
mkdir -p work
.venv/bin/python teacher.py --seed "$seed" 2>&1 | tee "work/teacher-seed$seed.log"
.venv/bin/python student.py --seed "$seed" --teacher "work/teacher-seed$seed.json" 2>&1 | tee "work/student-seed$seed.log"
.venv/bin/python export.py --student "work/student-seed$seed.pt" 2>&1 | tee "work/export-seed$seed.log"
