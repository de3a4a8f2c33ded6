# Sourced by the tests/train_*.sh scripts: the numpy + ONNX venv (no torch) and a scratch folder $out.
venv=${DISCREET_VERIFIER_VENV:-models/train/.venv-verifier}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r models/train/requirements-verifier.txt
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
