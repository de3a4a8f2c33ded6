// The user's review in the demo's manager: keeping a held attribute, deleting one with a reason and
// correcting one are each recorded on the device as a stage-1 judgment, survive a reload, and download
// as the study's JSONL (the lines `models/train/verifier.py --judgments` reads); "Delete all" removes them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { modelsReady, openProfile, screenshot, withDemo } from "./helpers.mjs";

const count = (page) => page.textContent("#judgment-count");

test("review decisions in the manager become exportable stage-1 judgments", () =>
  withDemo(async (page, url, errors) => {
    await page.goto(url);
    await modelsReady(page);
    const user = `review-${Date.now()}`;
    await openProfile(page, user);
    await page.click("#seed");
    await page.waitForSelector("#status:has-text('sample profile')");
    await page.waitForSelector("#judgment-count:has-text('0 review decisions')");

    // Keep the first attribute the verifier held for review (the sample profile has some).
    const held = page.locator("#list li:has(button.keep)").first();
    const heldText = await held.locator(".text").textContent();
    await held.locator("button.keep").click();
    await page.waitForSelector("#judgment-count:has-text('1 review decisions')");
    const keptVerdict = await page.locator(`#list li:has-text(${JSON.stringify(heldText)}) .verdict`).textContent();
    assert.match(keptVerdict, /^accepted/, "kept: accepted now");

    // Delete one the verifier scored, saying what was wrong.
    // The kept one is the user's now: no second judgment is offered for it.
    assert.equal(await page.locator(`#list li:has-text(${JSON.stringify(heldText)}) select.why`).count(), 0);
    const judged = page.locator("#list li:has(select.why)");
    const doomed = judged.first();
    const doomedText = await doomed.locator(".text").textContent();
    await doomed.locator("select.why").selectOption("overgeneralization");
    await doomed.locator("button.delete").click();
    await page.waitForSelector("#judgment-count:has-text('2 review decisions')");
    assert.ok(!(await page.$$eval("#list li .text", (els) => els.map((e) => e.textContent))).includes(doomedText));

    // Correct another one.
    const fixed = judged.first();
    const fixedText = await fixed.locator(".text").textContent();
    page.once("dialog", (d) => d.accept("The user likes a good story."));
    await fixed.locator("button.edit").click();
    await page.waitForSelector("#judgment-count:has-text('3 review decisions')");
    await screenshot(page, "review-decisions");

    await page.reload();
    await modelsReady(page);
    await openProfile(page, user);
    await page.waitForSelector("#judgment-count:has-text('3 review decisions')");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-judgments")]);
    const lines = readFileSync(await download.path(), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    // A line names a kind only when the user gave one (src/study.rs leaves an empty one out).
    assert.deepEqual(lines.map((l) => [l.attribute, l.label, l.kind]),
      [[heldText, "ok", undefined], [doomedText, "bad", "overgeneralization"], [fixedText, "unsure", undefined]]);
    assert.ok(!("kind" in lines[0]) && !("kind" in lines[2]));
    for (const l of lines) {
      assert.equal(l.stage, "attribute");
      assert.equal(l.user, user);
      // No quoted words (these came from the seed profile, not a conversation): no `evidence` field.
      assert.ok(typeof l.reason === "string" && (l.evidence === undefined || Array.isArray(l.evidence)), JSON.stringify(l));
    }
    assert.equal(lines[2].note, "edited to: The user likes a good story.");

    page.once("dialog", (d) => d.accept());
    await page.click("#clear");
    await page.waitForSelector("#judgment-count:has-text('0 review decisions')");
    assert.deepEqual(errors, []);
  }));
