// The attribute manager as a user meets it: add, edit, delete, sample profile, export, and a
// reload that keeps everything; a bad import file shows its error code and changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { modelsReady, openProfile, screenshot, withDemo } from "./helpers.mjs";

const texts = (page) => page.$$eval("#list li .text", (els) => els.map((e) => e.textContent));

test("manager round trip survives a reload; a bad import shows the error and changes nothing", () =>
  withDemo(async (page, url, errors) => {
    await page.goto(url);
    await modelsReady(page);
    const user = `manager-${Date.now()}`;
    await openProfile(page, user);

    for (const t of ["The user volunteers at a food bank.", "The user plays the cello."]) {
      await page.fill("#text", t);
      await page.click("#add-form button[type=submit]");
      await page.waitForSelector(`#list li:has-text(${JSON.stringify(t)})`);
    }
    page.once("dialog", (d) => d.accept("The user plays the viola."));
    await page.click("#list li:has-text('cello') button.edit");
    await page.waitForSelector("#list li:has-text('viola') .meta:has-text('edited by you')");
    await page.click("#seed");
    await page.waitForSelector("#status:has-text('sample profile')");
    const seeded = await texts(page);
    assert.ok(seeded.length > 20, `sample profile loaded: ${seeded.length}`);
    const verdicts = await page.$$eval("#list li .verdict", (els) => els.map((e) => e.textContent));
    assert.ok(verdicts.some((v) => /^(accepted|review|rejected) 0\.\d\d$/.test(v)), "the verifier's verdict and score are shown");
    await page.click("#list li:has-text('food bank') button.delete");
    await page.waitForFunction(() => ![...document.querySelectorAll("#list li .text")].some((e) => e.textContent.includes("food bank")));
    const before = await texts(page);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
    assert.deepEqual(exported.attributes.map((a) => a.text).sort(), [...before].sort());

    await page.setInputFiles("#import", { name: "bad.json", mimeType: "application/json", buffer: Buffer.from('{"format": "something else"}') });
    await page.waitForSelector("#error:has-text('E_INVALID_INPUT')");
    assert.match(await page.textContent("#error"), /not a Discreet export/);
    assert.deepEqual(await texts(page), before, "a bad import changed nothing");
    await screenshot(page, "manager-import-error");

    await page.reload();
    await modelsReady(page);
    await openProfile(page, user);
    await page.waitForFunction((n) => document.querySelectorAll("#list li").length === n, before.length);
    assert.deepEqual(await texts(page), before, "everything survives a reload");
    assert.ok(before.includes("The user plays the viola."));
    await screenshot(page, "manager");

    // Importing the export into a fresh profile restores it.
    await openProfile(page, `${user}-restored`);
    await page.setInputFiles("#import", { name: "export.json", mimeType: "application/json", buffer: readFileSync(await download.path()) });
    await page.waitForSelector(`#status:has-text('imported: ${before.length} added')`);
    assert.deepEqual(await texts(page), before);
    assert.deepEqual(errors, []);
  }));
