// The package in three engines: Chromium, Firefox ESR and WebKitGTK (Safari's engine), each driven over W3C
// WebDriver with a fresh profile, running tests/engines/suite.js against pkg/ served as plain files. The builds
// differ by engine (relaxed SIMD or not); the scores must not, to the last bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../tools/serve.mjs";
import { openSession } from "./webdriver.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const TEXTS = ["The user is vegetarian.", "The user cooks dinner for a family of five.", "The user drives a red truck.",
  "The user is learning the cello.", "The user works night shifts as a nurse."];
const results = {};

async function runSuite(engine) {
  const { server, url } = await startServer({ port: 0, quiet: true, mounts: [["/pkg/", join(here, "../../pkg")], ["/", here]] });
  const session = await openSession(engine);
  try {
    await session.navigate(url);
    const raw = await session.executeAsync(`const done = arguments[arguments.length - 1];
      const poll = () => (window.suiteResult ? done(window.suiteResult) : setTimeout(poll, 50));
      poll();`);
    const { ok, error, stack } = JSON.parse(raw);
    assert.equal(error, undefined, `${engine}: ${error}\n${stack}`);
    return ok;
  } finally {
    await session.close();
    server.close();
  }
}

for (const engine of ["chromium", "firefox", "webkit"]) {
  test(`${engine}: init, store, bundled models, select, compose, worker`, { timeout: 300_000 }, async () => {
    const r = await runSuite(engine);
    assert.equal(r.refused, "E_INVALID_INPUT");
    assert.deepEqual(r.listed, TEXTS, "the store survives a reopen");
    assert.equal(r.scores.length, TEXTS.length);
    const ranked = TEXTS.map((t, i) => [t, r.scores[i]]).sort((a, b) => b[1] - a[1]).slice(0, 2);
    assert.deepEqual(r.selected, ranked, "select takes the two best scores");
    for (const t of TEXTS) assert.equal(r.system.includes(t), ranked.some(([s]) => s === t), t);
    assert.equal(r.disclosures, 1);
    assert.equal(r.workerVersion, r.version);
    assert.deepEqual(r.workerSelected, r.selected, "the worker selects exactly as the main thread");
    assert.equal(r.workerSystem, r.system);
    assert.equal(r.workerAfterTerminate, "E_WORKER");
    results[engine] = r;
    console.log(`${engine}: ${r.wasm}, scores ${JSON.stringify(r.scores)}`);
    const [first] = Object.entries(results);
    assert.deepEqual(r.scores, first[1].scores, `${engine}'s scores differ from ${first[0]}'s`);
  });
}
