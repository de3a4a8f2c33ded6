// One chat turn through the installed package, as the README writes it. tests/packaging/packaging.test.mjs
// copies this file into each fixture app (src/turn.js, app/turn.js) before building it; the browser
// fixtures call `show()`, the Node fixture `modelChecks()`.
import init, { Discreet, RelevanceModel, VerifierModel, parseExtraction, wasmFile } from "discreet";
import { DiscreetWorker } from "discreet/worker";

export const PROMPT = "Plan a week of dinners for my household.";
export const ATTRIBUTES = ["The user is vegetarian.", "The user cooks dinner for a family of five.",
  "The user drives a red truck.", "The user is learning the cello."];
const REPLY = JSON.stringify([{ attribute: "The user keeps a strict vegetarian diet.",
  reason: "They state that they keep a strict vegetarian diet.", evidence: ["I keep a strict vegetarian diet"], confidence: 0.9 }]);

// What needs no IndexedDB: the bundled models, scored and verified.
export async function modelChecks() {
  await init();
  const model = await RelevanceModel.load();
  const verifier = await VerifierModel.load(model);
  return {
    wasm: wasmFile(),
    version: model.version,
    scores: Array.from(model.scoreTexts(PROMPT, ATTRIBUTES)),
    verdicts: verifier.verify(parseExtraction(REPLY)).map((v) => v.verdict),
  };
}

export async function turn() {
  const checks = await modelChecks();
  const d = await Discreet.open({ user: `fixture-${Date.now()}` });
  for (const text of ATTRIBUTES) await d.add({ text });
  d.useModel(await RelevanceModel.load());
  const selection = await d.select(PROMPT);
  const { payload } = await d.compose(PROMPT, selection, { format: "openai" });
  // The best attribute whatever the calibrated threshold, so that one always leaves in a payload.
  const [best] = await d.select(PROMPT, { maxAttributes: 1, threshold: 0 });
  const forced = await d.compose(PROMPT, [best], { format: "openai" });
  const listed = (await d.list()).map((a) => a.text);
  const disclosures = (await d.disclosures()).length;
  d.close();
  return { ...checks, listed, selected: selection.map((s) => s.attribute.text), messages: payload.messages,
    best: best.attribute.text, forcedSystem: forced.payload.messages[0].content, disclosures, worker: await workerTurn() };
}

// The same store and selection in the package's Web Worker, which the bundler must have bundled with its assets.
async function workerTurn() {
  const w = DiscreetWorker.start();
  try {
    const { version } = await w.loadModel();
    const d = await w.open({ user: `fixture-worker-${Date.now()}` });
    for (const text of ATTRIBUTES) await d.add({ text });
    const [best] = await d.select(PROMPT, { maxAttributes: 1, threshold: 0 });
    return { version, best: best.attribute.text, score: best.score };
  } finally {
    w.terminate();
  }
}

// The page's outcome, for the test to read.
export function show() {
  turn().then(
    (result) => { globalThis.turnResult = result; },
    (e) => { globalThis.turnError = { message: String(e?.message ?? e), code: e?.code ?? null }; },
  );
}
