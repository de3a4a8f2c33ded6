#!/usr/bin/env bash
# Builds the npm package `discreet` into pkg/: release wasm (simd128, from
# .cargo/config.toml) and a relaxed-SIMD build, wasm-bindgen ESM glue + .d.ts,
# wasm-opt, the browser and Node entries, the bundled models, package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p discreet-web --lib --target wasm32-unknown-unknown
raw=target/wasm32-unknown-unknown/release/discreet_web.wasm
rm -rf pkg
# No default wasm URL in the glue: crates/web/js/loader.js names both builds by literal `new URL`s.
bindgen=(wasm-bindgen --target web --omit-default-module-path --out-name discreet)
"${bindgen[@]}" --out-dir pkg "$raw"

# npm's binaryen (a pinned dev dependency): Debian's wasm-opt 108 emits a
# module whose externref table Chromium refuses to load.
wasm_opt=node_modules/.bin/wasm-opt
# Features the Rust wasm32 target emits by default; wasm-opt must not strip them.
wasm_opt_flags=(-Oz --enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" "${wasm_opt_flags[@]}" pkg/discreet_bg.wasm -o pkg/discreet_bg.opt.wasm
  mv pkg/discreet_bg.opt.wasm pkg/discreet_bg.wasm
else
  echo "warning: $wasm_opt missing (run npm ci); pkg/ is not size-optimized" >&2
fi

# A second build with relaxed SIMD: the int8 matmul (crates/onnx/src/quant.rs) then uses
# i32x4.relaxed_dot_i8x16_i7x16_add (one instruction per 16 multiply-adds on AVX-VNNI / Arm dot),
# which takes the encoder from 7.7 to 6.0 ms in Chromium here. Browsers without relaxed SIMD cannot compile such a
# module, so the glue picks the file by feature detection; both builds share one JS glue.
RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" CARGO_TARGET_DIR=target/relaxed \
  cargo build --release -p discreet-web --lib --target wasm32-unknown-unknown
relaxed_out=$(mktemp -d)
trap 'rm -rf "$relaxed_out"' EXIT
"${bindgen[@]}" --out-dir "$relaxed_out" target/relaxed/wasm32-unknown-unknown/release/discreet_web.wasm
cmp "$relaxed_out/discreet.js" pkg/discreet.js || { echo "the two builds' JS glue differs" >&2; exit 1; }
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" "${wasm_opt_flags[@]}" --enable-relaxed-simd "$relaxed_out/discreet_bg.wasm" -o pkg/discreet_relaxed_bg.wasm
else
  cp "$relaxed_out/discreet_bg.wasm" pkg/discreet_relaxed_bg.wasm
fi
# The browser and Node entries, their declarations and pkg/models/ (the manifests and the files they name).
node tools/finish-pkg.mjs pkg models

# The worker entry, its typed client and the AI SDK adapter are plain JS beside the generated glue.
cp crates/web/js/worker.js crates/web/js/methods.js crates/web/js/ingest.js crates/web/js/client.js crates/web/js/client.d.ts crates/web/js/ai-sdk.js crates/web/js/ai-sdk.d.ts pkg/

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
cat > pkg/package.json <<JSON
{
  "name": "discreet",
  "version": "$version",
  "description": "On-device LLM personalization: verify, store, select and disclose user attributes in the browser",
  "license": "Apache-2.0 AND CC-BY-SA-4.0",
  "type": "module",
  "main": "discreet.js",
  "module": "discreet.js",
  "types": "discreet.d.ts",
  "engines": { "node": ">=20" },
  "exports": {
    ".": { "types": "./discreet.d.ts", "node": "./discreet.node.js", "default": "./discreet.js" },
    "./worker": { "types": "./client.d.ts", "default": "./client.js" },
    "./ai-sdk": { "types": "./ai-sdk.d.ts", "default": "./ai-sdk.js" },
    "./worker.js": "./worker.js",
    "./discreet_bg.wasm": "./discreet_bg.wasm",
    "./discreet_relaxed_bg.wasm": "./discreet_relaxed_bg.wasm",
    "./models/*": "./models/*",
    "./package.json": "./package.json"
  },
  "files": ["discreet.js", "discreet.node.js", "discreet.d.ts", "discreet_bg.wasm", "discreet_relaxed_bg.wasm",
            "discreet_bg.wasm.d.ts", "worker.js", "methods.js", "ingest.js", "client.js", "client.d.ts", "ai-sdk.js", "ai-sdk.d.ts", "models/"],
  "peerDependencies": { "ai": "^6.0.0 || ^7.0.0" },
  "peerDependenciesMeta": { "ai": { "optional": true } },
  "sideEffects": false
}
JSON
cp README.md pkg/README.md

for f in pkg/discreet_bg.wasm pkg/discreet_relaxed_bg.wasm; do
  echo "$f: $(stat -c %s "$f") bytes, $(gzip -9 -c "$f" | wc -c) gzipped"
done
