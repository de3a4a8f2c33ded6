// Store benchmark: the figures `make bench` prints. Each run uses a fresh
// profile so earlier runs do not skew it.
import init, { Discreet } from "./pkg/discreet.js";

const params = new URLSearchParams(location.search);
const N = Number(params.get("n") ?? 200);
const ROUNDS = Number(params.get("rounds") ?? 30);

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x) => Math.round(x * 100) / 100;

async function timed(f) {
  const t = performance.now();
  const v = await f();
  return [performance.now() - t, v];
}

async function main() {
  const t0 = performance.now();
  const wasmUrl = new URL("./pkg/discreet_bg.wasm", location.href);
  const wasm = await (await fetch(wasmUrl)).arrayBuffer();
  await init({ module_or_path: wasm });
  const user = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const d = await Discreet.open({ user });
  const coldStart = performance.now() - t0;

  const addTimes = [];
  for (let i = 0; i < N; i++) {
    const [ms] = await timed(() => d.add({ text: `The user has hobby number ${i}, which they practise weekly.`, reason: "bench" }));
    addTimes.push(ms);
  }
  const listTimes = [];
  for (let i = 0; i < ROUNDS; i++) listTimes.push((await timed(() => d.list()))[0]);
  const [exportMs, json] = await timed(() => d.exportJson());
  const [importMs] = await timed(() => d.importJson(json, { mode: "replace" }));
  const gz = await new Response(new Blob([wasm]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  await d.clear();
  d.close();
  return {
    attributes: N,
    add_p50_ms: round(percentile(addTimes, 50)),
    add_p95_ms: round(percentile(addTimes, 95)),
    [`list_p50_ms_${N}`]: round(percentile(listTimes, 50)),
    [`export_ms_${N}`]: round(exportMs),
    [`import_replace_ms_${N}`]: round(importMs),
    cold_start_ms: round(coldStart),
    wasm_bytes: wasm.byteLength,
    wasm_gzip_bytes: gz.byteLength,
    user_agent: navigator.userAgent,
  };
}

main().then(
  (r) => { window.benchResult = r; document.getElementById("result").textContent = JSON.stringify(r, null, 2); },
  (e) => { window.benchError = `${e.code ?? ""} ${e.message}`; document.getElementById("result").textContent = window.benchError; },
);
