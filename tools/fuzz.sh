#!/usr/bin/env bash
# Runs every cargo-fuzz target (optimized, with overflow checks and debug assertions, under ASan) for FUZZ_SECONDS (default 45) each, seeded by fuzz/corpus/<target>.
# libFuzzer writes what it grows into a scratch folder, so the committed corpus changes only by
# hand. A crash, a timeout (> 10 s for one input) or an allocation over the limits below fails
# the run; the input stays in fuzz/artifacts/<target>/ and is printed as base64 for the CI log.
# Prints one line per target (executions, new corpus inputs) and a JSON summary at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-45}
if ! cargo +nightly --version >/dev/null 2>&1 || ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain or cargo-fuzz (tools/setup.sh --fuzz installs both); the corpus replay in test-native still runs" >&2
  exit 1
fi
cargo +nightly fuzz build 2>&1 | tail -n 3
failed=()
summary=()
for target in $(cargo +nightly fuzz list); do
  scratch=$(mktemp -d)
  log=$(mktemp)
  mkdir -p "fuzz/artifacts/$target"
  # rss/malloc limits: a hostile input must not make the code reserve gigabytes (libFuzzer
  # reports it as a crash); the largest legitimate allocation is the encoder's 47 MB table.
  if cargo +nightly fuzz run "$target" "$scratch" "fuzz/corpus/$target" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -print_final_stats=1 >"$log" 2>&1; then
    status=ok
  else
    status=failed
    failed+=("$target")
    tail -n 40 "$log"
    for f in "fuzz/artifacts/$target"/*; do
      [ -f "$f" ] && echo "saved input $f (base64): $(base64 -w0 "$f" | head -c 4000)"
    done
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -n 1)
  rss=$(awk '/stat::peak_rss_mb/ {print $NF}' "$log" | tail -n 1)
  found=$(find "$scratch" -type f | wc -l)
  echo "fuzz $target: $status, ${execs:-0} executions in ${secs} s, corpus grew to $found inputs, peak RSS ${rss:-?} MB"
  summary+=("\"$target\":{\"status\":\"$status\",\"executions\":${execs:-0},\"seconds\":$secs,\"corpus\":$found,\"peak_rss_mb\":${rss:-null}}")
  rm -rf "$scratch" "$log"
done
(IFS=,; echo "{\"fuzz\":{${summary[*]}}}")
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed; inputs saved under fuzz/artifacts/" >&2
  exit 1
fi
