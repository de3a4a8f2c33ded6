// Crash consistency: the renderer is killed (CDP Page.crash) at spread points while an operation
// writes (import replace and merge, ingest, sealing an existing profile, a schema upgrade); after a
// reopen the profile must be exactly as before or exactly as after the operation (after, whenever
// the operation had reported success), the database must open, and the consistency rules hold.
// Prints the matrix (operation x crash point -> state) as one JSON line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { consistencyProblems, crashDuring, openPage, readRaw, timeOp, withProfile } from "./harness.mjs";

// Points as fractions of one uninterrupted run of the same operation on the same data, denser near
// the end, where the write transaction commits (validation, sealing and embedding come first);
// runs vary, so the last point waits for the operation's success, whatever its time.
const POINTS = [0, 0.25, 0.5, 0.75, 0.85, 0.9, 0.95, 1.0, 1.05, 1.15, 1.3, null];

const attribute = (id, text) => ({ id, text, reason: "written for the crash test", evidence: [], source: null,
  createdAt: 1, updatedAt: 1, verdict: "accepted", verifierScore: 0.9, sensitivity: "none", userEdited: false });
const file = (attrs) => JSON.stringify({ format: "discreet.attributes", version: 1, exportedAt: 0, attributes: attrs });
const many = (prefix, n, suffix = "") =>
  Array.from({ length: n }, (_, i) => attribute(`${prefix}${i}`, `The user keeps crash-test note ${prefix} number ${i}${suffix}.`));

const OLD = many("old", 200);
const NEW = many("new", 2000);
const MERGE = [...OLD.slice(0, 100).map((a) => ({ ...a, text: a.text.replace(".", " (edited).") })), ...many("merged", 1900)];
const SEALED_SIZE = 1000;

// The user's words, and the attribute an extractor would propose from them.
const FACTS = [
  ["I have a dog named Rex", "has a dog named Rex"],
  ["I live in Porto", "lives in Porto"],
  ["I am vegetarian", "is vegetarian"],
  ["I work as a nurse", "works as a nurse"],
  ["I play the cello", "plays the cello"],
  ["I have two daughters", "has two daughters"],
  ["I am allergic to peanuts", "is allergic to peanuts"],
  ["I drive an electric car", "drives an electric car"],
  ["I speak Portuguese and German", "speaks Portuguese and German"],
  ["I run half marathons", "runs half marathons"],
  ["I am learning Japanese", "is learning Japanese"],
  ["I grow tomatoes on my balcony", "grows tomatoes on their balcony"],
  ["I use a wheelchair", "uses a wheelchair"],
  ["I am a night-shift worker", "is a night-shift worker"],
  ["I keep kosher", "keeps kosher"],
  ["I have type 1 diabetes", "has type 1 diabetes"],
  ["I teach high-school chemistry", "teaches high-school chemistry"],
  ["I own a sailboat", "owns a sailboat"],
  ["I am training for a triathlon", "is training for a triathlon"],
  ["I have a cat called Miso", "has a cat called Miso"],
];
const CONVERSATION = [{ role: "user", content: `${FACTS.map(([said]) => said).join(". ")}. Can you help me plan my week?` }];
const REPLY = JSON.stringify(FACTS.map(([said, fact]) => ({
  attribute: `The user ${fact}.`, reason: "The user says so.", evidence: [said], confidence: 0.9,
})));

// Page-side steps (serialized into the page, so each is self-contained).
async function importOp({ user, json, mode }) {
  const { Discreet } = await import("/pkg/discreet.js");
  const d = await Discreet.open({ user });
  await d.importJson(json, { mode });
  d.close();
}
async function loadIngest({ user, json }) {
  const { Discreet, RelevanceModel, VerifierModel } = await import("/pkg/discreet.js");
  const relevance = await RelevanceModel.load("/models/");
  window.crashDiscreet = await Discreet.open({ user });
  window.crashDiscreet.useVerifier(await VerifierModel.load("/models/", relevance));
  window.crashDiscreet.useModel(relevance);
  if (json) await window.crashDiscreet.importJson(json, { mode: "replace" });
}
async function ingestOp({ conversation, reply }) {
  const report = await window.crashDiscreet.ingest(conversation, async () => reply);
  return report.stored.length;
}
async function openOp({ user, encrypt }) {
  const { Discreet } = await import("/pkg/discreet.js");
  const d = await Discreet.open({ user, encrypt });
  d.close();
}
async function listOf({ user, encrypt }) {
  const { Discreet } = await import("/pkg/discreet.js");
  const d = await Discreet.open({ user, encrypt });
  const listed = (await d.list()).map((a) => ({ id: a.id, text: a.text }));
  const encrypted = d.encrypted;
  d.close();
  return { listed, encrypted };
}
/** A profile at schema version 3 (before the settings store), holding `rows` as v3 stored them. */
async function writeV3({ user, rows }) {
  await new Promise((ok, fail) => {
    const r = indexedDB.open(`discreet/${user}`, 3);
    r.onupgradeneeded = () => {
      const db = r.result;
      db.createObjectStore("attributes", { keyPath: "id" }).createIndex("norm", "norm", { unique: true });
      db.createObjectStore("disclosures", { keyPath: "id" });
      db.createObjectStore("vectors", { keyPath: "id" });
    };
    r.onsuccess = () => {
      const tx = r.result.transaction("attributes", "readwrite");
      for (const row of rows) tx.objectStore("attributes").put(row);
      tx.oncomplete = () => { r.result.close(); ok(); };
      tx.onerror = () => fail(tx.error);
    };
    r.onerror = () => fail(r.error);
  });
}

const textsOf = (list) => new Map(list.map((a) => [a.id, a.text]));
const sameMap = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const sameTexts = (a, b) => a.length === b.length && [...a].sort().every((t, i) => t === [...b].sort()[i]);

test("a renderer killed mid-write leaves every profile as it was before or after the operation", { timeout: 900_000 }, async () => {
  const matrix = {};
  const failures = [];
  await withProfile(async ({ context, url }) => {
    let run = 0;
    const fresh = (op) => `crash-${op}-${run++}`;

    // Rows exactly as v3 stored them (id, norm, attribute), taken from a profile Discreet wrote.
    const v3Rows = await (async () => {
      const page = await openPage(context, url);
      const user = fresh("rows");
      await page.evaluate(importOp, { user, json: file(many("v3", SEALED_SIZE)), mode: "replace" });
      const raw = await readRaw(page, user);
      await page.close();
      return raw.attributes;
    })();
    const v3Texts = new Map(v3Rows.map((r) => [r.id, r.attribute.text]));

    const ops = {
      "import-replace": {
        setup: async (page, user) => page.evaluate(importOp, { user, json: file(OLD), mode: "replace" }),
        run: [importOp, (user) => ({ user, json: file(NEW), mode: "replace" })],
        state: ({ listed }) => (sameMap(textsOf(listed), textsOf(OLD)) ? "before" : sameMap(textsOf(listed), textsOf(NEW)) ? "after" : "PARTIAL"),
      },
      "import-merge": {
        setup: async (page, user) => page.evaluate(importOp, { user, json: file(OLD), mode: "replace" }),
        run: [importOp, (user) => ({ user, json: file(MERGE), mode: "merge" })],
        state: ({ listed }) => {
          const after = textsOf([...OLD.slice(100), ...MERGE]);
          return sameMap(textsOf(listed), textsOf(OLD)) ? "before" : sameMap(textsOf(listed), after) ? "after" : "PARTIAL";
        },
      },
      ingest: {
        setup: async (page, user) => page.evaluate(loadIngest, { user, json: file(OLD.slice(0, 5)) }),
        run: [ingestOp, () => ({ conversation: CONVERSATION, reply: REPLY })],
        state: ({ listed }, expected) => {
          const texts = listed.map((a) => a.text);
          const before = OLD.slice(0, 5).map((a) => a.text);
          return sameTexts(texts, before) ? "before" : sameTexts(texts, [...before, ...expected]) ? "after" : "PARTIAL";
        },
      },
      seal: {
        setup: async (page, user) => page.evaluate(importOp, { user, json: file(many("seal", SEALED_SIZE)), mode: "replace" }),
        run: [openOp, (user) => ({ user, encrypt: true })],
        encrypt: true,
        state: ({ listed, raw }) => {
          if (!sameMap(textsOf(listed), textsOf(many("seal", SEALED_SIZE)))) return "PARTIAL";
          const sealed = raw.attributes.filter((r) => r.sealed).length;
          const keys = raw.settings.includes("keys");
          if (sealed === 0 && !keys) return "before";
          return sealed === raw.attributes.length && keys ? "after" : "PARTIAL";
        },
      },
      upgrade: {
        setup: async (page, user) => page.evaluate(writeV3, { user, rows: v3Rows }),
        run: [openOp, (user) => ({ user, encrypt: false })],
        state: ({ listed, raw }) => {
          if (!sameMap(textsOf(listed), v3Texts)) return "PARTIAL";
          if (raw.version === 3 && !raw.stores.includes("settings")) return "before";
          return raw.version === 6 && raw.stores.includes("settings") && raw.stores.includes("judgments") ? "after" : "PARTIAL";
        },
      },
    };

    for (const [name, op] of Object.entries(ops)) {
      // One uninterrupted run on the same data sets the crash points (and, for ingest, what it stores).
      const page = await openPage(context, url);
      const user = fresh(name);
      await op.setup(page, user);
      const ms = await timeOp(page, op.run[0], op.run[1](user));
      const expected = name === "ingest"
        ? (await page.evaluate(listOf, { user })).listed.map((a) => a.text).filter((t) => !OLD.some((o) => o.text === t))
        : null;
      await page.close();
      process.stderr.write(`crash ${name}: one uninterrupted run takes ${ms} ms\n`);
      matrix[name] = { ms };
      for (const point of POINTS) {
        const delay = point === null ? null : Math.round(point * ms);
        const at = point === null ? "after success" : `${delay}ms`;
        const victim = await openPage(context, url);
        const u = fresh(name);
        await op.setup(victim, u);
        const finished = await crashDuring(victim, op.run[0], op.run[1](u), delay);
        const check = await openPage(context, url);
        // Read past Discreet first: reopening it upgrades (or, with encrypt, seals) the profile.
        const raw = await readRaw(check, u);
        let state;
        let problems = [];
        try {
          const { listed } = await check.evaluate(listOf, { user: u, encrypt: op.encrypt ?? false });
          state = op.state({ listed, raw }, expected);
          problems = consistencyProblems(await readRaw(check, u), listed);
        } catch (e) {
          state = `DOES NOT OPEN: ${e.message}`;
        }
        await check.close();
        process.stderr.write(`crash ${name} at ${at}: ${state}${finished ? " (done first)" : ""}\n`);
        matrix[name][at] = finished ? `${state} (done first)` : state;
        if (state !== "before" && state !== "after") failures.push(`${name} at ${at}: ${state}`);
        if (finished && state !== "after") failures.push(`${name} at ${at}: reported done, but the state is ${state}`);
        if (problems.length) failures.push(`${name} at ${at}: ${problems.join("; ")}`);
      }
    }
  });
  console.log(JSON.stringify({ crash_matrix: matrix }));
  assert.deepEqual(failures, []);
});
