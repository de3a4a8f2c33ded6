# Discreet: `make demo` serves the demo, `make test` runs every test.
.PHONY: demo types test test-native fuzz test-train test-browser test-pkg test-packaging test-engines test-crash e2e bench pkg setup setup-browser clean

export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT ?= 180
PORT ?= 8080

setup:
	tools/setup.sh

setup-browser:
	tools/setup.sh --browser

pkg: setup
	tools/build-pkg.sh

demo: pkg
	PORT=$(PORT) node tools/serve.mjs

test: setup-browser test-native fuzz test-train test-browser test-pkg test-packaging test-engines test-crash e2e

# The records' TypeScript declarations, from the core's Rust types (a test checks they are current).
types:
	mkdir -p target
	cargo run -q -p discreet-typescript > target/records.d.ts
	mv target/records.d.ts crates/web/src/records.d.ts

test-native:
	cargo fmt --check
	cargo test --profile ci

# Every cargo-fuzz target for FUZZ_SECONDS each (nightly + libFuzzer; setup installs both). A crash fails
# with its input saved under fuzz/artifacts/; test-native replays fuzz/corpus/ on stable as well.
fuzz:
	tools/setup.sh --fuzz
	tools/fuzz.sh

# Retraining from human judgments (the verifier; the relevance head over the frozen encoder) and the sensitive head's reproduction (numpy + ONNX, no torch), loaded back in Rust.
test-train:
	tests/train_verifier.sh
	tests/train_sensitive.sh
	tests/train_relation.sh
	tests/train_relevance_head.sh

# The wasm build in headless Chromium against real IndexedDB.
test-browser:
	cargo test --profile ci --target wasm32-unknown-unknown -p discreet-web --test browser

# The built npm package: declarations, Node, and the optimized module in Chromium.
test-pkg: pkg
	node --test tests/js/

# `npm pack` of pkg/ installed into fixture apps (Vite build + dev server, webpack 5, Next.js, esbuild, Node):
# each builds with the README's configuration and runs one turn in headless Chromium. Needs the npm registry.
test-packaging: pkg
	node --test tests/packaging/packaging.test.mjs

# The package's browser suite in Chromium, Firefox ESR and WebKitGTK over WebDriver; identical scores in all three.
test-engines: setup-browser pkg
	node --test tests/engines/engines.test.mjs

# The renderer killed mid-write (import, ingest, sealing, schema upgrade) and a two-tab soak with reloads,
# over one persistent Chromium profile; prints the crash matrix and the soak's figures.
test-crash: setup-browser pkg
	node --test --test-concurrency=1 tests/crash/

# The demo and study pages end to end in Chromium; screenshots land in test-output/screenshots/.
e2e: pkg
	node --test --test-concurrency=1 tests/e2e/

bench: setup-browser pkg
	node tools/bench.mjs

clean:
	rm -rf target pkg node_modules
