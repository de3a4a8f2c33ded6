// The package as an app gets it from npm: `npm pack` of pkg/, installed into fixture apps (Vite build and dev
// server, webpack 5, Next.js, esbuild, plain Node), each built with exactly the configuration the README
// documents, then one real turn (open, add, the bundled models, select, compose) in headless Chromium. Fixture
// dependencies come from the npm registry at the versions their lockfiles pin.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startProcess, startServer } from "../../tools/serve.mjs";
import { launch } from "../../tools/chromium.mjs";
import { mockOpenAi } from "../e2e/helpers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const pkgDir = join(root, "pkg");
const out = join(root, "test-output/packaging");
const WASM = ["discreet_bg.wasm", "discreet_relaxed_bg.wasm"];
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

let tarball;
// Every file the package must bring into an app: both wasm builds, the manifests and the files they name.
const shipped = new Map();
// The first fixture's scores: every other fixture must compute exactly the same.
let reference = null;

before(() => {
  mkdirSync(out, { recursive: true });
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", out], { cwd: pkgDir, encoding: "utf8" }));
  tarball = join(out, packed.filename);
  console.log(`npm pack: ${packed.filename}, ${packed.entryCount} files, ${(packed.size / 1e6).toFixed(1)} MB packed, ` +
    `${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked`);
  const models = ["relevance.json", "verifier.json"].flatMap((m) =>
    [m, ...Object.values(JSON.parse(readFileSync(join(pkgDir, "models", m), "utf8")).files).map((f) => f.path)]);
  for (const file of [...WASM, ...models.map((m) => `models/${m}`)]) {
    const bytes = readFileSync(join(pkgDir, file));
    shipped.set(file, { sha: sha256(bytes), base64: bytes.length < 16384 ? bytes.toString("base64") : null });
  }
});

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${e.stdout}\n${e.stderr}`);
  }
}

// npm ci from the committed lockfile (skipped while node_modules matches it), then the packed tarball.
function install(name, turnTo) {
  const dir = isAbsolute(name) ? name : join(here, name);
  const stamp = join(dir, "node_modules/.package-lock.json");
  if (!existsSync(stamp) || statSync(join(dir, "package-lock.json")).mtimeMs > statSync(stamp).mtimeMs) {
    run("npm", ["ci", "--no-audit", "--no-fund"], dir);
  }
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", tarball], dir);
  if (turnTo) copyFileSync(join(here, "turn.js"), join(dir, turnTo));
  return dir;
}

function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

// Both wasm builds and every model file are in the build output: as files (under any name the bundler gave
// them), or, for small ones, inlined as base64 data URLs.
function assertShipped(dir) {
  const all = files(dir);
  const hashes = new Set(all.map((f) => sha256(readFileSync(f))));
  const text = all.filter((f) => /\.(m?js|html)$/.test(f)).map((f) => readFileSync(f, "utf8")).join("\n");
  const missing = [...shipped].filter(([, s]) => !hashes.has(s.sha) && !(s.base64 && text.includes(s.base64)));
  assert.deepEqual(missing.map(([file]) => file), [], `not in ${dir}`);
}

// A server the fixture's own tool runs (vite dev, next start), until `stop()`.
async function serve(dir, args) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = await startProcess(process.execPath, [...args, String(port)], { cwd: dir, url, timeoutMs: 120_000 });
  return { ...server, url };
}

// Opens `url` in a fresh headless Chromium and waits for the fixture page's turn.
async function turnIn(url) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    const wasmRequests = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => { if (/\.wasm(\?|$)/.test(r.url())) wasmRequests.push(r.url()); });
    await page.goto(url);
    await page.waitForFunction(() => globalThis.turnResult || globalThis.turnError, null, { timeout: 180_000 });
    const { turnResult, turnError } = await page.evaluate(() => ({ turnResult: globalThis.turnResult, turnError: globalThis.turnError }));
    assert.equal(turnError, undefined, JSON.stringify(turnError));
    assert.deepEqual(errors, []);
    // The page and the worker each load the one build init() picked.
    assert.equal(new Set(wasmRequests).size, 1, `wasm requests: ${wasmRequests}`);
    return { ...turnResult, wasmRequest: wasmRequests[0] };
  } finally {
    await browser.close();
  }
}

function checkTurn(name, r) {
  assert.equal(r.wasm, "discreet_relaxed_bg.wasm", "Chromium has relaxed SIMD");
  assert.deepEqual(r.listed, ["The user is vegetarian.", "The user cooks dinner for a family of five.",
    "The user drives a red truck.", "The user is learning the cello."]);
  assert.deepEqual(r.verdicts.length, 1);
  assert.deepEqual(r.messages.at(-1), { role: "user", content: "Plan a week of dinners for my household." });
  for (const t of r.listed) assert.equal(r.messages[0].content.includes(t), r.selected.includes(t), t);
  assert.ok(r.forcedSystem.includes(JSON.stringify(r.best)), "the selected attribute is in the payload");
  assert.equal(r.disclosures, 2);
  checkScores(name, r);
  const best = r.listed[r.scores.indexOf(Math.max(...r.scores))];
  assert.equal(r.best, best);
  assert.deepEqual(r.worker, { version: r.version, best, score: Math.max(...r.scores) }, "the worker selects as the page does");
  console.log(`${name}: ok, ${r.wasm} from ${new URL(r.wasmRequest).pathname}, selected ${JSON.stringify(r.selected)}`);
}

function checkScores(name, r) {
  assert.equal(r.scores.length, 4);
  assert.ok(r.scores.every((s) => s >= 0 && s <= 1), String(r.scores));
  reference ??= { name, scores: r.scores };
  assert.deepEqual(r.scores, reference.scores, `${name} scores differ from ${reference.name}'s`);
}

async function staticTurn(name, dir) {
  const { server, url } = await startServer({ port: 0, quiet: true, mounts: [["/", dir]] });
  try {
    return await turnIn(url);
  } finally {
    server.close();
  }
}

test("plain Node ESM: init() and the bundled models from disk, no import-time side effects", () => {
  const dir = install("node", "turn.js");
  const r = JSON.parse(run(process.execPath, ["index.mjs"], dir));
  assert.match(r.resolved, /\/discreet\.node\.js$/);
  assert.deepEqual(r.touched, [], "importing the package touched browser globals");
  assert.equal(r.wasm, "discreet_bg.wasm", "Node 20 has no relaxed SIMD");
  assert.equal(r.open, "E_STORAGE");
  assert.equal(r.verdicts.length, 1);
  checkScores("node", r);
  console.log(`node: ok, ${r.wasm}, scores ${JSON.stringify(r.scores)}`);
});

test("Vite: vite build, served as static files", async () => {
  const dir = install("vite", "src/turn.js");
  run(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], dir);
  assertShipped(join(dir, "dist"));
  checkTurn("vite build", await staticTurn("vite", join(dir, "dist")));
});

test("Vite: the dev server with optimizeDeps.exclude", async () => {
  const dir = install("vite", "src/turn.js");
  const server = await serve(dir, ["node_modules/vite/bin/vite.js", "--host", "127.0.0.1", "--strictPort", "--port"]);
  try {
    checkTurn("vite dev", await turnIn(server.url));
  } finally {
    await server.stop();
  }
});

test("webpack 5: no configuration", async () => {
  const dir = install("webpack", "src/turn.js");
  run(process.execPath, ["node_modules/webpack-cli/bin/cli.js"], dir);
  assertShipped(join(dir, "dist"));
  checkTurn("webpack", await staticTurn("webpack", dir));
});

test("esbuild: --format=esm and the documented copy of the package's assets", async () => {
  const dir = install("esbuild", "src/turn.js");
  run("npm", ["run", "--silent", "build"], dir);
  assertShipped(join(dir, "dist"));
  checkTurn("esbuild", await staticTurn("esbuild", dir));
});

test("Next.js: a client component, next build + next start", async () => {
  const dir = install("next", "app/turn.js");
  run(process.execPath, ["node_modules/next/dist/bin/next", "build"], dir);
  assertShipped(join(dir, ".next/static"));
  const server = await serve(dir, ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p"]);
  try {
    checkTurn("next", await turnIn(server.url));
  } finally {
    await server.stop();
  }
});

// The block of attributes in a prompt the model received, as the texts it quotes (null when there is none).
function quotedIn(prompt) {
  const block = prompt.filter((m) => m.role === "system").map((m) => m.content).find((c) => c.includes("<user_attributes>"));
  if (!block) return null;
  const body = block.slice(block.indexOf("<user_attributes>\n") + 18, block.indexOf("\n</user_attributes>"));
  return body.split("\n").map((line) => JSON.parse(line));
}

test("AI SDK: the middleware (ai@7 and ai@6), a tool loop, and the useChat hand-off to a server", async () => {
  const dir = install("ai-sdk");
  run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "."], dir);
  run(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], dir);
  assertShipped(join(dir, "dist"));
  const server = await serve(dir, ["server.mjs"]);
  let r;
  try {
    r = await turnIn(server.url);
  } finally {
    await server.stop();
  }
  const FACTS = ["The user is vegetarian.", "The user cooks dinner for a family of five.",
    "The user drives a red truck.", "The user is learning the cello."];
  const PROMPT = "Plan a week of dinners for my household.";
  const INSTRUCTIONS = "You are a helpful cooking assistant.";
  // Each user turn: one disclosure, and every prompt the model received quotes exactly its attributes and
  // mentions no other stored attribute anywhere.
  for (const name of ["generateV4", "streamV4", "toolLoopV4", "retryV4", "generateV3", "streamV3", "handoff"]) {
    const { prompts, disclosures } = r[name];
    assert.equal(disclosures.length, 1, `${name}: one disclosure per user turn`);
    assert.equal(disclosures[0].length, 2, name);
    assert.equal(prompts.length, ["toolLoopV4", "retryV4"].includes(name) ? 2 : 1, name);
    for (const prompt of prompts) {
      assert.deepEqual(quotedIn(prompt), disclosures[0], name);
      const all = JSON.stringify(prompt);
      for (const fact of FACTS.filter((f) => !disclosures[0].includes(f))) assert.ok(!all.includes(fact), `${name} leaked ${fact}`);
      const user = prompt.filter((m) => m.role === "user");
      assert.deepEqual(user.at(-1).content, [{ type: "text", text: PROMPT }], name);
    }
  }
  const systems = (name) => r[name].prompts[0].filter((m) => m.role === "system").map((m) => m.content);
  assert.equal(systems("generateV4")[0], INSTRUCTIONS, "placement end: after the app's instructions");
  assert.equal(systems("streamV4")[1], INSTRUCTIONS, "placement start: before them");
  assert.equal(systems("generateV3")[0], INSTRUCTIONS);
  assert.equal(systems("handoff")[0].startsWith(`${INSTRUCTIONS}\n\nFacts the user chose`), true, "the server's instructions come first");
  assert.deepEqual(r.toolLoopV4.prompts[1].map((m) => m.role), ["system", "user", "assistant", "tool"], "the second step keeps the turn's block");
  assert.deepEqual(r.nothingSelected.disclosures, [[]]);
  assert.ok(r.nothingSelected.prompts[0].every((m) => m.role !== "system"), "nothing selected: no system content added");
  // The hand-off body carries the selection as data and nothing else about the user.
  assert.deepEqual(Object.keys(r.handoffBody).sort(), ["discreet", "id", "messages", "trigger"]);
  assert.deepEqual(r.handoffBody.discreet, { format: "selection",
    attributes: r.handoff.disclosures[0].map((text, i) => ({ id: String(i), text })) });
  assert.ok(!JSON.stringify(r.handoffBody).includes("attr_"), "no stored attribute id reaches the server");
  assert.deepEqual(r.badOptions, ["E_INVALID_INPUT", "E_INVALID_INPUT", "E_INVALID_INPUT"]);
  console.log(`ai-sdk: ok, disclosed ${JSON.stringify(r.generateV4.disclosures[0])}`);
});

test("examples/vite-ai-sdk: built with the packed package, one turn against a local OpenAI-compatible endpoint", async () => {
  const dir = install(join(root, "examples/vite-ai-sdk"));
  run(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], dir);
  assertShipped(join(dir, "dist"));
  const mock = await mockOpenAi(() => "Here is a plan.");
  const { server, url } = await startServer({ port: 0, quiet: true, mounts: [["/", join(dir, "dist")]] });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => globalThis.exampleReady, null, { timeout: 180_000 });
    for (const fact of ["The user is vegetarian.", "The user plays the tuba."]) {
      await page.fill("#fact", fact);
      await page.click("#add");
      await page.waitForSelector("#status:has-text('stored')");
      await page.evaluate(() => { document.getElementById("status").textContent = ""; });
    }
    await page.fill("#base-url", mock.url);
    await page.fill("#model", "mock-model");
    await page.click("#chat button:not([type=button])");
    await page.waitForFunction(() => document.getElementById("answer").textContent !== "");
    assert.equal(await page.textContent("#answer"), "Here is a plan.");
    const disclosed = await page.$$eval("#disclosed li", (lis) => lis.map((li) => li.textContent));
    assert.equal(mock.requests.length, 1);
    const [{ path, body }] = mock.requests;
    assert.equal(path, "/v1/chat/completions");
    assert.equal(body.model, "mock-model");
    assert.equal(body.messages[0].content, "You are a helpful assistant.");
    assert.deepEqual(body.messages.at(-1), { role: "user", content: "Plan a week of dinners for me." });
    const sent = quotedIn(body.messages) ?? [];
    assert.deepEqual(sent, disclosed[0] === "nothing about you" ? [] : disclosed, "the request quotes exactly what the page lists");
    for (const fact of ["The user is vegetarian.", "The user plays the tuba."].filter((f) => !sent.includes(f))) {
      assert.ok(!JSON.stringify(body).includes(fact), `leaked ${fact}`);
    }
    assert.deepEqual(errors, []);
    console.log(`examples/vite-ai-sdk: ok, sent ${JSON.stringify(sent)}`);
  } finally {
    await browser.close();
    server.close();
    mock.server.close();
  }
});

test("examples/next-use-chat: useChat in the browser, the selection rendered by the route handler", async () => {
  const dir = install(join(root, "examples/next-use-chat"));
  run(process.execPath, ["node_modules/next/dist/bin/next", "build"], dir);
  const mock = await mockOpenAi(() => "Here is a plan.");
  Object.assign(process.env, { OPENAI_BASE_URL: mock.url, OPENAI_MODEL: "mock-model" });
  const server = await serve(dir, ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p"]);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector("#status:has-text('ready')", { timeout: 180_000 });
    await page.click("#add");
    await page.waitForFunction(() => document.getElementById("fact").value === "");
    await page.click("#send");
    await page.waitForSelector("#messages li.assistant:has-text('Here is a plan.')", { timeout: 60_000 });
    const disclosed = await page.$$eval("#disclosed li", (lis) => lis.map((li) => li.textContent));
    assert.equal(await page.getAttribute("#disclosed", "data-turns"), "1");
    assert.equal(mock.requests.length, 1);
    const [{ body }] = mock.requests;
    assert.equal(body.model, "mock-model");
    assert.ok(body.messages[0].content.startsWith("You are a helpful assistant."), body.messages[0].content);
    assert.deepEqual(quotedIn(body.messages) ?? [], disclosed, "the model received exactly what left the device");
    assert.deepEqual(body.messages.at(-1), { role: "user", content: "Plan a week of dinners for me." });
    assert.deepEqual(errors, []);
    console.log(`examples/next-use-chat: ok, sent ${JSON.stringify(disclosed)}`);
  } finally {
    await browser.close();
    await server.stop();
    mock.server.close();
    delete process.env.OPENAI_BASE_URL;
    delete process.env.OPENAI_MODEL;
  }
});
