// Privacy, end to end: with 30 stored attributes and a real OpenAI-compatible endpoint (a local
// mock), every chat request carries exactly the attributes the page says left the device, and no
// request of any kind carries any other stored attribute.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mockOpenAi, modelsReady, openProfile, root, screenshot, withDemo } from "./helpers.mjs";

// 30 real attributes of one study user (the demo's sample data).
const PROFILE = readFileSync(join(root, "www/demo-data/profiles.jsonl"), "utf8").split("\n").filter(Boolean)
  .map((l) => JSON.parse(l)).find((p) => p.user === "u02");
// One is a health fact: tagged on import, it must never leave while "health" is off.
const SENSITIVE = "The user was diagnosed with depression and takes medication.";
const TEXTS = [...PROFILE.attributes.slice(0, 29).map((a) => a.attribute), SENSITIVE];
const PROMPTS = ["Plan a week of vegetarian dinners for me.", "Write a short poem about autumn.",
  "How do I speed up my Rust build?", "Give me ideas for a birthday present for my sister."];

const exportFile = () => JSON.stringify({
  format: "discreet.attributes", version: 1, exportedAt: 0,
  attributes: TEXTS.map((text, i) => ({ id: `attr_seed${i}`, text, reason: "seeded for the privacy test", evidence: [], source: null,
    createdAt: i, updatedAt: i, verdict: "accepted", verifierScore: 0.9, sensitivity: "none", userEdited: false })),
});

const isExtraction = (body) => body.messages[0]?.content.startsWith("You extract durable facts");
const sentTexts = (body) => TEXTS.filter((t) => body.messages.some((m) => m.content.includes(t)));

test("every request body carries exactly the selected attributes and none of the others", async () => {
  const mock = await mockOpenAi((body) => (isExtraction(body) ? "[]" : "A real model would answer here."));
  try {
    await withDemo(async (page, url, errors) => {
      await page.goto(`${url}?privacy`);
      await modelsReady(page);
      const user = `privacy-${Date.now()}`;
      await openProfile(page, user);
      await page.setInputFiles("#import", { name: "seed.json", mimeType: "application/json", buffer: Buffer.from(exportFile()) });
      await page.waitForFunction(() => document.getElementById("count").textContent === "(30)");
      await page.waitForSelector("#list li:has-text('depression') .sensitive:has-text('health')");
      assert.equal(await page.isChecked("#sensitive-switches input[value=health]"), false);

      // Offline first: no key, no network.
      await page.fill("#prompt", PROMPTS[0]);
      await page.click("#chat-form button");
      await page.waitForSelector("#turns li.turn");
      assert.equal(mock.requests.length, 0, "the offline backend sends nothing");

      await page.click("#backend summary");
      await page.check("input[name=backend][value=openai]");
      await page.fill("#api-url", mock.url);
      await page.fill("#api-model", "mock-model");
      await page.fill("#api-key", "sk-test-not-remembered");
      const panels = [];
      for (const [i, prompt] of PROMPTS.entries()) {
        await page.fill("#prompt", prompt);
        await page.click("#chat-form button");
        await page.waitForSelector(`#turns li.turn:nth-child(1):has-text(${JSON.stringify(prompt)})`);
        await page.waitForFunction((n) => document.querySelectorAll("#messages li.assistant").length === n, i + 2);
        panels.push(await page.$$eval("#turns li.turn:nth-child(1) .sent li:not(.none)", (lis) => lis.map((li) => li.textContent.replace(/ \(\d\.\d\d\)$/, ""))));
      }
      assert.equal(await page.textContent("#error"), "");
      const chats = mock.requests.filter((r) => !isExtraction(r.body));
      const extractions = mock.requests.filter((r) => isExtraction(r.body));
      assert.equal(chats.length, PROMPTS.length);
      assert.equal(extractions.length, PROMPTS.length, "learning is on: one extraction request per turn");
      for (const [i, r] of chats.entries()) {
        assert.equal(r.path, "/v1/chat/completions");
        assert.equal(r.authorization, "Bearer sk-test-not-remembered");
        assert.equal(r.body.model, "mock-model");
        assert.equal(r.body.messages.at(-1).content, PROMPTS[i]);
        assert.deepEqual(sentTexts(r.body).sort(), [...panels[i]].sort(), `turn ${i + 1}: the request carries exactly what the panel shows`);
        assert.ok(panels[i].length <= 5, "at most the default budget");
        const system = r.body.messages.filter((m) => m.role === "system");
        assert.equal(system.length, panels[i].length ? 1 : 0);
      }
      for (const r of extractions) assert.deepEqual(sentTexts(r.body), [], "extraction requests carry no stored attribute");
      assert.ok(panels.filter((p) => p.length > 0).length >= 2, `attributes were selected in most turns: ${JSON.stringify(panels)}`);
      const everSent = new Set(panels.flat());
      assert.ok(!everSent.has(SENSITIVE), "the health attribute never left the device");
      assert.ok(mock.requests.every((r) => !r.raw.includes("depression")));
      assert.ok(everSent.size < TEXTS.length, "most attributes never left the device");
      // The disclosure log on the device agrees with what the server saw.
      const log = await page.evaluate(async (user) => {
        const { Discreet } = await import("/pkg/discreet.js");
        const d = await Discreet.open({ user });
        const l = await d.disclosures();
        d.close();
        return l.map((x) => x.attributeTexts);
      }, await page.inputValue("#user"));
      assert.deepEqual(log.slice(1).map((t) => [...t].sort()), panels.map((p) => [...p].sort()));
      assert.equal(await page.evaluate(() => localStorage.getItem("discreet-demo-backend")), null, "the key is not stored unless asked");
      await page.click("#turns li.turn:nth-child(1) details summary");
      await screenshot(page, "chat");
      assert.deepEqual(errors, []);
    });
  } finally {
    mock.server.close();
  }
});

test("the Responses API switch sends instructions + input with the same guarantees", async () => {
  const isExtractionR = (body) => (body.instructions ?? "").startsWith("You extract durable facts");
  const mock = await mockOpenAi((body) => (isExtractionR(body) ? "[]" : "A real model would answer here."));
  try {
    await withDemo(async (page, url, errors) => {
      await page.goto(`${url}?privacy-responses`);
      await modelsReady(page);
      await openProfile(page, `privacy-r-${Date.now()}`);
      await page.setInputFiles("#import", { name: "seed.json", mimeType: "application/json", buffer: Buffer.from(exportFile()) });
      await page.waitForFunction(() => document.getElementById("count").textContent === "(30)");
      await page.click("#backend summary");
      await page.check("input[name=backend][value=openai]");
      await page.fill("#api-url", mock.url);
      await page.fill("#api-model", "mock-model");
      await page.selectOption("#api-kind", "responses");
      const prompt = PROMPTS[0];
      await page.fill("#prompt", prompt);
      await page.click("#chat-form button");
      await page.waitForFunction(() => document.querySelectorAll("#messages li.assistant").length === 1);
      for (let t = 0; mock.requests.length < 2 && t < 600; t++) await new Promise((r) => setTimeout(r, 100)); // the extraction call
      const panel = await page.$$eval("#turns li.turn:nth-child(1) .sent li:not(.none)", (lis) => lis.map((li) => li.textContent.replace(/ \(\d\.\d\d\)$/, "")));
      assert.equal(await page.textContent("#error"), "");
      const [chat, ...rest] = mock.requests.filter((r) => !isExtractionR(r.body));
      assert.equal(rest.length, 0);
      assert.equal(chat.path, "/v1/responses");
      assert.equal(chat.body.model, "mock-model");
      assert.deepEqual(chat.body.input.at(-1), { role: "user", content: prompt });
      assert.ok(!("messages" in chat.body));
      const carried = TEXTS.filter((t) => chat.raw.includes(JSON.stringify(t).slice(1, -1)));
      assert.deepEqual(carried.sort(), [...panel].sort(), "the request carries exactly what the panel shows");
      assert.equal("instructions" in chat.body, panel.length > 0);
      const extraction = mock.requests.find((r) => isExtractionR(r.body));
      assert.equal(extraction.path, "/v1/responses", "extraction goes through the same API");
      assert.ok(extraction.body.input.every((m) => m.role !== "system"));
      assert.ok(mock.requests.every((r) => !r.raw.includes("depression")));
      assert.deepEqual(errors, []);
    });
  } finally {
    mock.server.close();
  }
});
