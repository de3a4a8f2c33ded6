// The package's browser behaviour in one page, for each engine (tests/engines/engines.test.mjs): init,
// the store (add, list, a refused add, reopen), the bundled models, select, compose and the worker. It loads
// pkg/ as plain files, so `init()` and `RelevanceModel.load()` resolve the package's own relative URLs.
import init, { Discreet, RelevanceModel, wasmFile } from "/pkg/discreet.js";
import { DiscreetWorker } from "/pkg/client.js";

const PROMPT = "Plan a week of dinners for my household.";
const TEXTS = ["The user is vegetarian.", "The user cooks dinner for a family of five.", "The user drives a red truck.",
  "The user is learning the cello.", "The user works night shifts as a nurse."];
const codeOf = (p) => p.then(() => null, (e) => e?.code ?? String(e));

async function suite() {
  await init();
  const user = `engines-${Date.now()}`;
  const d = await Discreet.open({ user });
  for (const text of TEXTS) await d.add({ text });
  const refused = await codeOf(d.add({ text: "" }));
  d.close();
  const reopened = await Discreet.open({ user });
  const listed = (await reopened.list()).map((a) => a.text);
  const model = await RelevanceModel.load();
  reopened.useModel(model);
  const scores = Array.from(model.scoreTexts(PROMPT, TEXTS));
  const selection = await reopened.select(PROMPT, { maxAttributes: 2, threshold: 0 });
  const composed = await reopened.compose(PROMPT, selection);
  const disclosures = (await reopened.disclosures()).length;
  reopened.close();

  const w = DiscreetWorker.start();
  const info = await w.loadModel();
  const remote = await w.open({ user: `${user}-worker` });
  for (const text of TEXTS) await remote.add({ text });
  const workerSelection = await remote.select(PROMPT, { maxAttributes: 2, threshold: 0 });
  const workerComposed = await remote.compose(PROMPT, workerSelection);
  w.terminate();
  const workerAfterTerminate = await codeOf(remote.list());

  return {
    wasm: wasmFile(), version: model.version, workerVersion: info.version, refused, listed, scores,
    selected: selection.map((s) => [s.attribute.text, s.score]), system: composed.payload.messages[0].content, disclosures,
    workerSelected: workerSelection.map((s) => [s.attribute.text, s.score]),
    workerSystem: workerComposed.payload.messages[0].content, workerAfterTerminate,
  };
}

suite().then(
  (r) => { window.suiteResult = JSON.stringify({ ok: r }); },
  (e) => { window.suiteResult = JSON.stringify({ error: `${e?.code ?? ""} ${e?.message ?? e}`, stack: String(e?.stack) }); },
);
