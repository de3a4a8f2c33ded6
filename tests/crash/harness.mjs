// Crash and soak harness: one persistent Chromium profile (IndexedDB lives on disk in the browser
// process, as for a real user), pages of our origin with the package loaded, the renderer killed
// through CDP (`Page.crash`) while an operation runs, and a raw IndexedDB reader for the checks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../../tools/chromium.mjs";
import { startServer } from "../../tools/serve.mjs";

// The bench page with no work to do: a page of our origin with the package loaded.
const PACKAGE_PAGE = "bench.html?n=0&rounds=0&models=0";

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export async function withProfile(body) {
  const { server, url } = await startServer({ port: 0, quiet: true });
  const dir = mkdtempSync(join(tmpdir(), "discreet-crash-"));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    await body({ context, url });
  } finally {
    await context.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const packageLoaded = (page) => page.waitForFunction(() => window.benchResult || window.benchError);

export async function openPage(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}${PACKAGE_PAGE}`);
  await packageLoaded(page);
  return page;
}

/** Starts `op(arg)` in the page, kills the renderer `delayMs` later (null: once the op reported
 * success), and says whether the op had reported success before the kill (then its effect must survive). */
export async function crashDuring(page, op, arg, delayMs) {
  const cdp = await page.context().newCDPSession(page);
  let finished = false;
  const running = page.evaluate(op, arg).then(() => { finished = true; }, () => {});
  await (delayMs === null ? running : sleep(delayMs));
  const finishedBeforeCrash = finished;
  // The crash command never gets its reply: wait for the crash event instead.
  const crashed = new Promise((ok) => page.once("crash", ok));
  cdp.send("Page.crash").catch(() => {});
  if ((await Promise.race([crashed.then(() => true), sleep(10_000)])) !== true) throw new Error("the renderer did not crash");
  await Promise.race([running, sleep(2_000)]);
  await page.close().catch(() => {});
  return finishedBeforeCrash;
}

/** Times one uninterrupted run of `op(arg)` (ms, from here, round trip included). */
export async function timeOp(page, op, arg) {
  const started = Date.now();
  await page.evaluate(op, arg);
  return Date.now() - started;
}

/** Every record of the user's database, read past Discreet with the raw IndexedDB API, plus
 * what the checks need: the unique index's keys and the object store names. */
export function readRaw(page, user) {
  return page.evaluate(async (user) => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open(`discreet/${user}`);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const all = (store) => new Promise((ok, fail) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const normKeys = () => new Promise((ok, fail) => {
      const r = db.transaction("attributes").objectStore("attributes").index("norm").getAllKeys();
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const out = { version: db.version, stores: [...db.objectStoreNames] };
    if (out.stores.includes("attributes")) {
      out.attributes = await all("attributes");
      out.norms = await normKeys();
    }
    for (const s of ["vectors", "disclosures", "settings"]) if (out.stores.includes(s)) out[s] = await all(s);
    // Key records hold CryptoKey objects: report only which records exist.
    if (out.settings) out.settings = out.settings.map((r) => r.id);
    db.close();
    return out;
  }, user);
}

/** The consistency rules every stored profile must meet (rows decode through Discreet too). */
export function consistencyProblems(raw, listed) {
  const problems = [];
  const ids = new Set(raw.attributes.map((r) => r.id));
  if (ids.size !== raw.attributes.length) problems.push("duplicate attribute ids");
  if (raw.norms.length !== raw.attributes.length) problems.push(`norm index has ${raw.norms.length} keys for ${raw.attributes.length} rows`);
  if (new Set(raw.norms).size !== raw.norms.length) problems.push("duplicate normalized texts");
  const orphans = (raw.vectors ?? []).filter((v) => !ids.has(v.id));
  if (orphans.length) problems.push(`${orphans.length} cached vectors without an attribute`);
  if (listed.length !== raw.attributes.length) problems.push(`list() returned ${listed.length} of ${raw.attributes.length} rows`);
  return problems;
}
