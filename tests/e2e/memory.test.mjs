// Memory that stays true, end to end: the user says they live in Lyon, later that they relocated to
// Madrid. The chat notes the update with an undo; the manager shows Lyon as history; from then on no
// request body carries the Lyon fact; undo makes it current again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mockOpenAi, modelsReady, openProfile, screenshot, withDemo } from "./helpers.mjs";

const LYON = "The user lives in Lyon.";
const MADRID = "The user relocated to Madrid for work.";
const isExtraction = (body) => body.messages[0]?.content.startsWith("You extract durable facts");
const transcript = (body) => body.messages.at(-1).content;

// The app's chat model, as a real one would answer the extraction prompt: one fact per statement.
function answer(body) {
  if (!isExtraction(body)) return "A real model would answer here.";
  const last = transcript(body).split("[USER]\n").at(-1);
  const fact = (attribute, said) => [{ attribute, reason: "The user says so.", evidence: [said], confidence: 0.95 }];
  if (last.includes("I live in Lyon")) return JSON.stringify(fact(LYON, "I live in Lyon"));
  if (last.includes("I relocated to Madrid for work")) return JSON.stringify(fact(MADRID, "I relocated to Madrid for work"));
  return "[]";
}

async function say(page, prompt, n) {
  await page.fill("#prompt", prompt);
  await page.click("#chat-form button");
  await page.waitForFunction((k) => document.querySelectorAll("#messages li.note").length >= k, n, { timeout: 60_000 });
  return page.$eval("#messages li.note:last-of-type", (li) => li.textContent);
}

const listed = (page, text) => page.$eval(`#list li:has(.text:text-is(${JSON.stringify(text)}))`, (li) => ({
  superseded: li.classList.contains("superseded"), history: li.querySelector(".history").textContent }));

test("an update retires the old fact from every request, shows its history, and undo restores it", async () => {
  const mock = await mockOpenAi(answer);
  try {
    await withDemo(async (page, url, errors) => {
      await page.goto(url);
      await modelsReady(page);
      await openProfile(page, `memory-${Date.now()}`);
      // Where the user lives is sensitive: allowed here, so only history can keep Lyon back.
      await page.check("#sensitive-switches input[value=location]");
      await page.waitForSelector("#status:has-text('sharing settings saved')");
      await page.click("#backend summary");
      await page.check("input[name=backend][value=openai]");
      await page.fill("#api-url", mock.url);
      await page.fill("#api-model", "mock-model");
      let notes = await page.$$eval("#messages li.note", (lis) => lis.length);

      const first = await say(page, "I live in Lyon. Where should I go for dinner near home tonight?", ++notes);
      assert.match(first, /learned: The user lives in Lyon\./, first);
      const lyonId = await page.$eval(`#list li:has(.text:text-is(${JSON.stringify(LYON)}))`, (li) => li.dataset.id);

      const second = await say(page, "I relocated to Madrid for work. Which neighbourhood should I look at for a flat?", ++notes);
      assert.match(second, /updated: The user lives in Lyon\. -> The user relocated to Madrid for work\./, second);
      assert.ok(await page.$(`#messages li.note:last-of-type button.undo[data-replaced="${lyonId}"]`), "the note offers undo");
      const old = await listed(page, LYON);
      assert.ok(old.superseded, "Lyon is history in the manager");
      assert.match(old.history, /replaced by "The user relocated to Madrid for work\."/, old.history);
      assert.match((await listed(page, MADRID)).history, /replaces "The user lives in Lyon\."/);
      await screenshot(page, "memory-updated");

      const since = mock.requests.length;
      for (const prompt of ["Where should I go for dinner near home tonight?", "What is the weather like where I live?"]) {
        await say(page, prompt, ++notes);
      }
      const after = mock.requests.slice(since);
      assert.ok(after.length >= 4, "chat and extraction requests went out");
      assert.deepEqual(after.filter((r) => r.raw.includes(LYON)).map((r) => r.raw), [], "no request carries the replaced fact");
      // The turn panel gives the core's reason: history, not a low score.
      const lyonReason = () => page.$eval("#turns li.turn:nth-child(1)", (li, text) =>
        [...li.querySelectorAll(".kept li")].find((k) => k.textContent.startsWith(text))?.dataset.reason ?? "sent", LYON);
      assert.equal(await lyonReason(), "superseded");

      await page.click(`#messages button.undo[data-replaced="${lyonId}"]`);
      await page.waitForSelector("#status:has-text('restored: The user lives in Lyon.')");
      assert.equal((await listed(page, LYON)).superseded, false, "undo makes Lyon current again");
      await say(page, "Where should I go for dinner near home tonight?", ++notes);
      assert.notEqual(await lyonReason(), "superseded", "once restored, Lyon is a candidate again");
      await screenshot(page, "memory-undone");
      assert.equal(await page.textContent("#error"), "");
      assert.deepEqual(errors, []);
    });
  } finally {
    mock.server.close();
  }
});
