// Two-tab soak: two pages of one profile run 2,000 mixed operations side by side (add, shared adds
// that race on dedupe, edit, delete, select + compose, merge imports, list), with random reloads
// in the middle of operations; then a full check: no attribute an operation reported stored is
// lost or changed, every logged disclosure is there, and the consistency rules hold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { consistencyProblems, openPage, packageLoaded, readRaw, sleep, withProfile } from "./harness.mjs";

const OPS = 2000;
const USER = "soak";
const SHARED = Array.from({ length: 12 }, (_, i) => `The user shares soak fact number ${i}.`);
// A deterministic generator, so a failing run can be replayed.
let seed = 20261201;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (xs) => xs[Math.floor(random() * xs.length)];

async function start() {
  const { Discreet, RelevanceModel } = await import("/pkg/discreet.js");
  window.soakModel ??= await RelevanceModel.load("/models/");
  window.soak = await Discreet.open({ user: "soak" });
  window.soak.useModel(window.soakModel);
}

async function step(op) {
  const d = window.soak;
  try {
    switch (op.kind) {
      case "add": { const r = await d.add({ text: op.text }); return { id: r.attribute.id, added: r.added, text: r.attribute.text }; }
      case "update": return { id: (await d.update(op.id, op.text)).id };
      case "remove": return { removed: await d.remove(op.id) };
      case "list": return { n: (await d.list()).length };
      case "import": return { report: await d.importJson(op.json, { mode: "merge" }) };
      case "compose": {
        const selection = await d.select(op.prompt, { maxAttributes: 3 });
        const composed = await d.compose(op.prompt, selection, { format: "text" });
        return { disclosure: composed.disclosure.id };
      }
      default: throw new Error(`unknown op ${op.kind}`);
    }
  } catch (e) {
    return { error: e.code ?? `untyped: ${e.message}` };
  }
}

test("two tabs, 2,000 mixed operations with reloads: nothing reported stored is lost", { timeout: 900_000 }, async () => {
  await withProfile(async ({ context, url }) => {
    const tabs = await Promise.all([0, 1].map(async (i) => {
      const page = await openPage(context, url);
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.evaluate(start);
      return { name: i ? "B" : "A", page, errors, own: [] };
    }));
    const known = new Map(); // id -> text, for what a finished operation reported
    const removed = new Set();
    const uncertain = new Set(); // ids whose last operation was cut off by a reload
    const maybeTexts = new Set(); // texts of adds and imports cut off by a reload
    const disclosures = [];
    const counts = { ops: 0, reloads: 0, errors: {} };
    let serial = 0;

    const plan = (tab) => {
      const r = random();
      const own = tab.own.filter((id) => !removed.has(id));
      if (r < 0.3) return { kind: "add", text: `The user notes soak item ${tab.name}-${serial++}.` };
      if (r < 0.4) return { kind: "add", text: pick(SHARED), shared: true };
      if (r < 0.55 && own.length) return { kind: "update", id: pick(own), text: `The user revised soak item ${tab.name}-${serial++}.` };
      if (r < 0.65 && own.length) return { kind: "remove", id: pick(own) };
      if (r < 0.8) return { kind: "compose", prompt: pick(["Plan my week.", "Suggest a dinner.", "Write a short note."]) };
      if (r < 0.85) {
        const attrs = Array.from({ length: 5 }, () => {
          const id = `imp_${tab.name}_${serial++}`;
          return { id, text: `The user imported soak item ${id}.`, reason: null, evidence: [], source: null,
            createdAt: 1, updatedAt: 1, verdict: "accepted", verifierScore: 0.9, sensitivity: "none", userEdited: false };
        });
        return { kind: "import", attrs, json: JSON.stringify({ format: "discreet.attributes", version: 1, exportedAt: 0, attributes: attrs }) };
      }
      return { kind: "list" };
    };

    const settle = (tab, op, result) => {
      counts.ops++;
      if (result.error) {
        counts.errors[`${op.kind}:${result.error}`] = (counts.errors[`${op.kind}:${result.error}`] ?? 0) + 1;
        return;
      }
      if (op.kind === "add") {
        if (result.added) { known.set(result.id, result.text); tab.own.push(result.id); }
        else if (!known.has(result.id) && !op.shared) known.set(result.id, result.text);
      } else if (op.kind === "update") {
        known.set(op.id, op.text); uncertain.delete(op.id);
      } else if (op.kind === "remove") {
        removed.add(op.id); known.delete(op.id); uncertain.delete(op.id);
      } else if (op.kind === "import") {
        for (const a of op.attrs) { known.set(a.id, a.text); tab.own.push(a.id); }
      } else if (op.kind === "compose") {
        disclosures.push(result.disclosure);
      }
    };

    const cutOff = (op) => {
      if (op.kind === "add") maybeTexts.add(op.text);
      if (op.kind === "import") op.attrs.forEach((a) => maybeTexts.add(a.text));
      if (op.kind === "update") { uncertain.add(op.id); maybeTexts.add(op.text); }
      if (op.kind === "remove") uncertain.add(op.id);
    };

    const runOne = async (tab) => {
      const op = plan(tab);
      if (random() < 0.02) {
        // Reload while the operation is in flight.
        const running = tab.page.evaluate(step, op).catch(() => null);
        await sleep(Math.floor(random() * 30));
        await tab.page.reload();
        await running;
        cutOff(op);
        counts.reloads++;
        await packageLoaded(tab.page);
        await tab.page.evaluate(start);
        return;
      }
      settle(tab, op, await tab.page.evaluate(step, op));
    };

    while (counts.ops + counts.reloads < OPS) await Promise.all(tabs.map(runOne));

    const check = await openPage(context, url);
    await check.evaluate(start);
    const listed = await check.evaluate(async () => (await window.soak.list()).map((a) => ({ id: a.id, text: a.text })));
    const logged = new Set(await check.evaluate(async () => (await window.soak.disclosures()).map((x) => x.id)));
    const raw = await readRaw(check, USER);
    const byId = new Map(listed.map((a) => [a.id, a.text]));
    const lost = [...known].filter(([id, text]) => !uncertain.has(id) && byId.get(id) !== text && !(maybeTexts.has(byId.get(id))));
    const resurrected = [...removed].filter((id) => !uncertain.has(id) && byId.has(id));
    const unexplained = listed.filter((a) => !known.has(a.id) && !uncertain.has(a.id) && !maybeTexts.has(a.text) && !SHARED.includes(a.text));
    const missingDisclosures = disclosures.filter((id) => !logged.has(id));
    const untyped = Object.keys(counts.errors).filter((k) => k.includes("untyped"));
    console.log(JSON.stringify({ soak: { ...counts, stored: listed.length, lost: lost.length, disclosures: disclosures.length } }));
    assert.deepEqual(lost, [], "attributes an operation reported stored are gone or changed");
    assert.deepEqual(resurrected, [], "deleted attributes came back");
    assert.deepEqual(unexplained, [], "attributes no operation wrote");
    assert.deepEqual(missingDisclosures, [], "logged disclosures are missing");
    assert.deepEqual(consistencyProblems(raw, listed), []);
    assert.deepEqual(untyped, [], "errors without a stable code");
    assert.deepEqual(tabs.flatMap((t) => t.errors), [], "uncaught page errors");
    assert.ok(counts.reloads > 10, `only ${counts.reloads} reloads`);
  });
});

test("a tab opened before another tab encrypted the profile cannot write in the clear", { timeout: 120_000 }, async () => {
  await withProfile(async ({ context, url }) => {
    const [plain, sealing] = [await openPage(context, url), await openPage(context, url)];
    await plain.evaluate(async () => {
      const { Discreet } = await import("/pkg/discreet.js");
      window.d = await Discreet.open({ user: "two-tabs" });
      await window.d.add({ text: "The user keeps bees." });
    });
    await sealing.evaluate(async () => {
      const { Discreet } = await import("/pkg/discreet.js");
      window.d = await Discreet.open({ user: "two-tabs", encrypt: true });
      await window.d.add({ text: "The user sails on weekends." });
    });
    const refused = await plain.evaluate(async () => {
      const codeOf = async (f) => { try { await f(); return null; } catch (e) { return e.code; } };
      const first = await codeOf(() => window.d.add({ text: "The user grows basil." }));
      const later = await codeOf(() => window.d.list());
      const { Discreet } = await import("/pkg/discreet.js");
      window.d = await Discreet.open({ user: "two-tabs" });
      await window.d.add({ text: "The user grows basil." });
      return { first, later, encrypted: window.d.encrypted, texts: (await window.d.list()).map((a) => a.text).sort() };
    });
    assert.deepEqual(refused, { first: "E_CLOSED", later: "E_CLOSED", encrypted: true,
      texts: ["The user grows basil.", "The user keeps bees.", "The user sails on weekends."] });
    const raw = await readRaw(plain, "two-tabs");
    assert.equal(raw.attributes.filter((r) => r.sealed).length, 3, "every row is sealed");
  });
});
