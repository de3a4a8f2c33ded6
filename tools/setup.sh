#!/usr/bin/env bash
# Installs what building and testing Discreet needs, skipping what is already
# there: python3-venv, the wasm target, wasm-bindgen-cli at the version in Cargo.lock,
# with --browser the three engines and their WebDriver servers (Debian's Chromium +
# ChromeDriver, Firefox ESR + geckodriver from crates.io, WebKitGTK's WebKitWebDriver +
# MiniBrowser under Xvfb), with --fuzz a nightly toolchain and cargo-fuzz (libFuzzer needs
# nightly's sanitizer flags), and the npm dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# tests/train_verifier.sh makes a venv; Debian splits venv support out of python3.
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$want" != "$have" ]; then
  echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want"
fi

if [ "${1:-}" = "--browser" ]; then
  need=()
  for exe in /usr/bin/chromium /usr/bin/chromedriver /usr/bin/firefox-esr /usr/bin/WebKitWebDriver \
             /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser /usr/bin/xvfb-run; do
    [ -x "$exe" ] || need+=("$exe")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing browsers (missing: ${need[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver firefox-esr webkit2gtk-driver xvfb >/dev/null
  fi
  # Debian has no geckodriver; crates.io has Mozilla's (a few minutes to build).
  gecko=0.37.1
  if [ "$(geckodriver --version 2>/dev/null | awk 'NR == 1 {print $2}')" != "$gecko" ]; then
    echo "installing geckodriver $gecko"
    cargo install geckodriver --version "$gecko"
  fi
fi

if [ "${1:-}" = "--fuzz" ]; then
  if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
  fi
  fuzz=0.13.2
  if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$fuzz" ]; then
    echo "installing cargo-fuzz $fuzz"
    cargo install cargo-fuzz --version "$fuzz" --locked
  fi
  exit 0
fi

if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
