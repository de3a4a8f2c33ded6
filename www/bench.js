// Store benchmark: the figures `make bench` prints. Each run uses a fresh
// profile so earlier runs do not skew it.
import init, { Discreet, RelevanceModel, VerifierModel, wasmFile } from "./pkg/discreet.js";

const params = new URLSearchParams(location.search);
const N = Number(params.get("n") ?? 200);
const ROUNDS = Number(params.get("rounds") ?? 30);
// Workers that share the 10,000-attribute fill (`?workers=1` for one).
const WORKERS = Number(params.get("workers") ?? 2);

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

const SUBJECTS = ["cooking", "cycling", "jazz", "chess", "gardening", "Rust programming", "hiking", "photography",
  "knitting", "astronomy", "baking bread", "marathon running", "birdwatching", "poetry", "woodworking", "climbing"];
const FRAMES = ["The user enjoys %s.", "The user is learning %s.", "The user writes about %s.", "The user teaches %s to children.",
  "The user spends weekends on %s.", "The user is a professional in %s.", "The user wants to get better at %s."];
const attributeText = (i) => FRAMES[i % FRAMES.length].replace("%s", SUBJECTS[Math.floor(i / FRAMES.length) % SUBJECTS.length]) +
  (i >= FRAMES.length * SUBJECTS.length ? ` (${i})` : "");
const PROMPTS = ["Plan a week of dinners for my family.", "Suggest a weekend trip in the mountains.",
  "Write a short poem about autumn.", "How do I speed up my Rust build?", "What gift should I buy for my sister?"];

async function selectBench(model, n) {
  const d = await Discreet.open({ user: `bench-select-${n}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  d.useModel(model);
  for (let i = 0; i < n; i++) await d.add({ text: attributeText(i) });
  const [fillMs] = await timed(() => d.select(PROMPTS[0]));
  const times = [];
  for (let i = 0; i < ROUNDS; i++) times.push((await timed(() => d.select(PROMPTS[i % PROMPTS.length])))[0]);
  await d.clear();
  d.close();
  return { fillMs, p50: percentile(times, 50), p95: percentile(times, 95) };
}

// A large profile (issue 19): 10,000 attributes imported at once; their vectors computed off the main
// thread by `prepareVectors` in two workers (each loads the model: the fill figure counts that, not the
// first worker's load an app does at startup); then the page's selects, the first reading what the workers
// stored. The wasm memory after them is the page's peak (wasm memory never shrinks).
async function bigSelectBench(model, n) {
  const user = `bench-big-${n}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const d = await Discreet.open({ user });
  d.useModel(model);
  const file = { format: "discreet.attributes", version: 1, exportedAt: 0, attributes: Array.from({ length: n }, (_, i) => ({
    id: `attr_bench${i}`, text: attributeText(i), reason: null, evidence: [], source: null, createdAt: i, updatedAt: i,
    verdict: "accepted", verifierScore: null, sensitivity: "none", userEdited: false })) };
  await d.importJson(JSON.stringify(file), { mode: "replace" });
  const { DiscreetWorker } = await import("./pkg/client.js");
  const worker = DiscreetWorker.start();
  await worker.loadModel("./models/");
  const remote = await worker.open({ user });
  let events = 0;
  const [fillMs, filled] = await timed(() => remote.prepareVectors({ workers: WORKERS, onProgress: () => { events += 1; } }));
  worker.terminate();
  if (filled.done !== n) throw new Error(`prepareVectors computed ${filled.done} of ${n} vectors`);
  const [firstMs] = await timed(() => d.select(PROMPTS[0]));
  const times = [];
  for (let i = 0; i < Math.max(ROUNDS, 30); i++) times.push((await timed(() => d.select(PROMPTS[i % PROMPTS.length])))[0]);
  await d.clear();
  d.close();
  return { fillMs, events, firstMs, p50: percentile(times, 50), p95: percentile(times, 95) };
}

// Issue 17's per-candidate cost over a 200-attribute profile (vectors already cached): `related`
// (one encoding, cosine over the profile, the relation head on the five nearest) and a whole
// one-candidate `ingestReply` (verify + relate + one write).
const CITIES = ["Madrid", "Lisbon", "Porto", "Seville", "Valencia", "Bilbao", "Lyon", "Nantes", "Turin", "Bologna"];
async function relateBench(model, verifier, n) {
  const d = await Discreet.open({ user: `bench-relate-${n}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  d.useModel(model);
  d.useVerifier(verifier);
  for (let i = 0; i < n; i++) await d.add({ text: attributeText(i), verdict: "accepted" });
  await d.related("The user lives in Paris.");
  const relate = [];
  const ingest = [];
  for (let i = 0; i < Math.max(ROUNDS, 30); i++) {
    const city = `${CITIES[i % CITIES.length]}${i >= CITIES.length ? ` ${i}` : ""}`;
    relate.push((await timed(() => d.related(`The user relocated to ${city} for work.`)))[0]);
    const said = `I moved to ${city} last month`;
    const reply = JSON.stringify([{ attribute: `The user moved to ${city}.`, reason: "They said they moved there.", evidence: [said], confidence: 0.9 }]);
    ingest.push((await timed(() => d.ingestReply([{ role: "user", content: `${said}, any tips?` }], reply)))[0]);
  }
  await d.clear();
  d.close();
  return { relate, ingest };
}

// The same 16-token input for both runtimes ([CLS] ... [SEP], MiniLM WordPiece ids).
const SIXTEEN = "please suggest three quick vegetarian dinners i could cook tonight after work at home";
const SIXTEEN_IDS = [101, 3531, 6592, 2093, 4248, 23566, 29236, 1045, 2071, 5660, 3892, 2044, 2147, 2012, 2188, 102];

// A chat prompt at the model's prompt limit: the same words repeated, cut to 128 tokens.
const LONG = Array(10).fill(SIXTEEN).join(" ");
const LONG_IDS = [101, ...Array(10).fill(SIXTEEN_IDS.slice(1, -1)).flat().slice(0, 126), 102];

// onnxruntime-web (wasm backend, one thread) on the very int8 encoder file Discreet ships.
async function ortEncoder() {
  const ort = await import("./ort/ort.wasm.min.mjs");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = new URL("./ort/", location.href).href;
  const manifest = await (await fetch("./models/relevance.json")).json();
  const bytes = new Uint8Array(await (await fetch(`./models/${manifest.files.encoder.path}`)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  return (tokenIds) => {
    const n = tokenIds.length;
    const ids = new ort.Tensor("int64", BigInt64Array.from(tokenIds.map(BigInt)), [1, n]);
    const mask = new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]);
    return session.run({ input_ids: ids, attention_mask: mask });
  };
}

// Where the cold start goes (ms from navigation, then per phase).
const phases = {};

async function modelBench(exports) {
  let modelBytes = 0;
  const model = await RelevanceModel.load("./models/", { onProgress: (p) => { modelBytes = p.total; } });
  phases.relevance_model_ms = round(performance.now() - phases.mark);
  let verifierBytes = 0;
  const verifier = await VerifierModel.load("./models/", model, { onProgress: (p) => { verifierBytes = p.total; } });
  phases.verifier_model_ms = round(performance.now() - phases.mark - phases.relevance_model_ms);
  // performance.now() counts from navigation: page load to wasm + both models ready.
  const coldStart = performance.now();
  // Discreet's encoder as it ships (tokenizer included) vs ORT on the same file, interleaved.
  const ort = params.get("ort") === "0" ? null : await ortEncoder();
  const compare = async (text, ids, runs) => {
    const ours = [];
    const theirs = [];
    // Warm: V8 compiles the hot wasm functions in the background after the first calls; runs
    // before that would be measured on the baseline tier (at 16 tokens some were, 2x slower).
    for (let i = 0; i < 20; i++) { model.scoreTexts(text, []); await ort?.(ids); }
    for (let i = 0; i < runs; i++) {
      ours.push((await timed(() => model.scoreTexts(text, [])))[0]);
      if (ort) theirs.push((await timed(() => ort(ids)))[0]);
    }
    return [ours, theirs];
  };
  const [encoder, encoderOrt] = await compare(SIXTEEN, SIXTEEN_IDS, Math.max(ROUNDS, 30));
  const [encoderLong, encoderOrtLong] = await compare(LONG, LONG_IDS, Math.max(ROUNDS, 15));
  const ratios = {
    encoder_ms_discreet: round(percentile(encoder, 50)),
    ...(ort ? { encoder_ms_ort: round(percentile(encoderOrt, 50)),
                ratio_discreet_over_ort: round(percentile(encoder, 50) / percentile(encoderOrt, 50)) } : {}),
    encoder_ms_discreet_128: round(percentile(encoderLong, 50)),
    ...(ort ? { encoder_ms_ort_128: round(percentile(encoderOrtLong, 50)),
                ratio_discreet_over_ort_128: round(percentile(encoderLong, 50) / percentile(encoderOrtLong, 50)) } : {}),
  };
  // `?only=encoder`: tools/bench.mjs reloads the page on the simd128 build for these figures alone.
  if (params.get("only") === "encoder") return ratios;
  // One candidate per call, as `ingest` meets them: rules + two encodings + the head.
  const verifyTimes = [];
  for (let i = 0; i < Math.max(ROUNDS, 30); i++) {
    const candidate = { attribute: attributeText(i), reason: `They said they spend time on ${SUBJECTS[i % SUBJECTS.length]} every week.`,
      evidence: [], confidence: 0.9 };
    verifyTimes.push((await timed(() => verifier.verify([candidate])))[0]);
  }
  const s50 = await selectBench(model, 50);
  const s200 = await selectBench(model, 200);
  const r200 = await relateBench(model, verifier, 200);
  const big = params.get("big") === "0" ? null : await bigSelectBench(model, 10_000);
  return {
    cold_start_ms: round(coldStart),
    cold_start_phases: { page_ms: phases.page_ms, wasm_ms: phases.wasm_ms,
      relevance_model_ms: phases.relevance_model_ms, verifier_model_ms: phases.verifier_model_ms },
    model_bytes: modelBytes + verifierBytes,
    ...ratios,
    verify_p50_ms: round(percentile(verifyTimes, 50)),
    verify_p95_ms: round(percentile(verifyTimes, 95)),
    select_p50_ms_50: round(s50.p50),
    select_p95_ms_50: round(s50.p95),
    select_p50_ms_200: round(s200.p50),
    select_p95_ms_200: round(s200.p95),
    vector_fill_ms_200: round(s200.fillMs),
    relate_p50_ms: round(percentile(r200.relate, 50)),
    relate_p95_ms: round(percentile(r200.relate, 95)),
    ingest_p50_ms_200: round(percentile(r200.ingest, 50)),
    ...(big ? { select_p50_ms_10000: round(big.p50), select_p95_ms_10000: round(big.p95),
                vector_fill_ms_10000: round(big.fillMs), vector_fill_workers: WORKERS, vector_fill_progress_events: big.events,
                first_select_ms_10000: round(big.firstMs), wasm_memory_bytes_10000: exports.memory.buffer.byteLength } : {}),
  };
}

async function main() {
  const withModels = params.get("models") !== "0";
  // The build init() picks here (relaxed SIMD where the browser has it), reported as wasm_file.
  const build = params.get("build") === "simd128" ? "discreet_bg.wasm" : wasmFile();
  const wasmUrl = new URL(`./pkg/${build}`, location.href);
  phases.page_ms = round(performance.now());
  // As an app loads it: streaming compilation overlaps the download.
  const exports = await init({ module_or_path: wasmUrl });
  phases.mark = performance.now();
  phases.wasm_ms = round(phases.mark - phases.page_ms);
  const models = withModels ? await modelBench(exports) : {};
  if (params.get("only") === "encoder") return { ...models, wasm_file: build, user_agent: navigator.userAgent };
  const user = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const [openMs, d] = await timed(() => Discreet.open({ user }));

  const addTimes = [];
  for (let i = 0; i < N; i++) {
    const [ms] = await timed(() => d.add({ text: `The user has hobby number ${i}, which they practise weekly.`, reason: "bench" }));
    addTimes.push(ms);
  }
  const listTimes = [];
  for (let i = 0; i < ROUNDS; i++) listTimes.push((await timed(() => d.list()))[0]);
  const [exportMs, json] = await timed(() => d.exportJson());
  const [importMs] = await timed(() => d.importJson(json, { mode: "replace" }));
  const wasm = await (await fetch(wasmUrl)).arrayBuffer();
  const gz = await new Response(new Blob([wasm]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  await d.clear();
  d.close();
  return {
    ...models,
    attributes: N,
    add_p50_ms: round(percentile(addTimes, 50)),
    add_p95_ms: round(percentile(addTimes, 95)),
    [`list_p50_ms_${N}`]: round(percentile(listTimes, 50)),
    [`export_ms_${N}`]: round(exportMs),
    [`import_replace_ms_${N}`]: round(importMs),
    open_ms: round(openMs),
    wasm_file: build,
    wasm_bytes: wasm.byteLength,
    wasm_gzip_bytes: gz.byteLength,
    user_agent: navigator.userAgent,
  };
}

main().then(
  (r) => { window.benchResult = r; document.getElementById("result").textContent = JSON.stringify(r, null, 2); },
  (e) => { window.benchError = `${e.code ?? ""} ${e.message}`; document.getElementById("result").textContent = window.benchError; },
);
