// The study page: judge in the three stages, reload and resume, export JSONL that the training
// script and `discreet eval relevance` read as they are.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { root, screenshot, withDemo } from "./helpers.mjs";

const shown = (page) => page.waitForFunction(() => !document.getElementById("session").hidden);
const judged = (page, n) => page.waitForFunction((n) => document.getElementById("done-count").textContent === `${n} judged`, n);

test("study flow: judge, reload, resume, export; the export parses and the CLI reads it", () =>
  withDemo(async (page, url, errors) => {
    await page.goto(`${url}study.html`);
    await page.setInputFiles("#study-file", { name: "bad.json", mimeType: "application/json", buffer: Buffer.from('{"study": "x", "users": []}') });
    await page.waitForSelector("#error:has-text('E_STUDY')");
    const participant = `p-${Date.now()}`;
    await page.fill("#participant", participant);
    await page.click("#sample");
    await page.waitForSelector("#start:not([disabled])");
    await page.click("#start");
    await shown(page);

    // Stage 1 by keyboard: ok, bad (with a note), unsure.
    await page.keyboard.press("1");
    await judged(page, 1);
    await page.keyboard.press("n");
    await page.keyboard.type("too broad for one request");
    await page.keyboard.press("Escape");
    await page.keyboard.press("3");
    await judged(page, 2);
    await page.keyboard.press("2");
    await judged(page, 3);
    await screenshot(page, "study");

    await page.reload();
    await shown(page);
    assert.equal(await page.textContent("#position"), "Item 4 of 18", "a reload resumes where the participant was");
    await judged(page, 3);
    for (let i = 4; i <= 8; i++) { await page.keyboard.press("1"); await judged(page, i); }
    assert.equal(await page.getAttribute("#item", "data-stage"), "relevance");
    for (let i = 9; i <= 16; i++) { await page.keyboard.press(i % 3 === 0 ? "y" : "n"); await judged(page, i); }
    assert.equal(await page.getAttribute("#item", "data-stage"), "response");
    const firstShown = await page.textContent("#item .r1");
    await page.keyboard.press("4");
    await judged(page, 17);
    await page.click("#answers button:has-text('2')");
    await judged(page, 18);
    await screenshot(page, "study-response");
    await page.keyboard.press("ArrowLeft");
    await page.waitForSelector("#position:has-text('Item 17 of 18')");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const path = await download.path();
    const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 18);
    const stages = lines.map((l) => l.stage);
    assert.deepEqual([8, 8, 2], ["attribute", "relevance", "response"].map((s) => stages.filter((x) => x === s).length));
    assert.deepEqual(lines.slice(0, 3).map((l) => l.label), ["ok", "bad", "unsure"]);
    assert.equal(lines[1].note, "too broad for one request");
    for (const l of lines) assert.equal(l.participant, participant);
    const rel = lines.filter((l) => l.stage === "relevance");
    assert.ok(rel.every((l) => typeof l.prompt === "string" && typeof l.attribute === "string" && typeof l.relevant === "boolean"));
    const resp = lines.filter((l) => l.stage === "response");
    assert.equal(resp[0].rating, 4);
    assert.ok(resp[0].order.includes("personalized") && resp[0].order.includes("generic"), "the shown order is recorded");
    assert.equal(resp[0].personalized_preference, resp[0].order[1] === "personalized" ? 4 : 2);
    assert.ok(firstShown.startsWith("1. "));

    // `discreet eval relevance` reads the export directly (it skips the other stages' lines).
    const out = execFileSync("cargo", ["run", "-q", "--profile", "ci", "--bin", "discreet", "--", "eval", "relevance", "--data", path],
      { cwd: root, encoding: "utf8" });
    const metrics = JSON.parse(out.trim().split("\n").at(-1));
    assert.equal(metrics.n, 8);
    assert.equal(metrics.human_rate, 3 / 8); // items 9, 12 and 15 were judged relevant
    assert.deepEqual(errors, []);
  }));
