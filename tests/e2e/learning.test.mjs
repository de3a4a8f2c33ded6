// The demo learns what a person plainly says, offline: each self-statement typed into the chat goes
// through the stand-in extraction, the real verifier and the real store, and ends up accepted or
// held for review, never rejected; task requests (fiction, translation, role-play) teach nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { modelsReady, openProfile, screenshot, withDemo } from "./helpers.mjs";

// [what the user types, the attributes it must teach]
const STATEMENTS = [
  ["I'm vegetarian and I work night shifts as a nurse.", ["The user is vegetarian.", "The user works night shifts as a nurse."]],
  ["I have two kids, can you suggest a weekend activity?", ["The user has two kids."]],
  ["I live in Porto. What should I see this weekend?", ["The user lives in Porto."]],
  ["I'm allergic to peanuts, so what snacks are safe on a flight?", ["The user is allergic to peanuts."]],
  ["I speak Spanish. How different is Portuguese?", ["The user speaks Spanish."]],
  ["I'm learning Japanese, any tips for kanji?", ["The user is learning Japanese."]],
  ["I play the cello in a community orchestra.", ["The user plays the cello in a community orchestra."]],
  ["I have type 2 diabetes. Is oatmeal a good breakfast?", ["The user has type 2 diabetes."]],
  ["I work at a small bakery and I'm always tired by noon.", ["The user works at a small bakery."]],
  ["I'm a retired teacher looking for a hobby.", ["The user is a retired teacher."]],
  ["I love hiking in the mountains.", ["The user enjoys hiking in the mountains."]],
  ["I keep kosher. Which cheeses can I serve with dinner?", ["The user keeps kosher."]],
  ["My native language is Polish.", ["The user's native language is Polish."]],
];
const TASKS = [
  "Write a limerick about a lighthouse keeper.",
  "Translate 'I am a doctor and I live in Madrid' into German.",
  "Pretend you are a pirate captain and I'm your first mate.",
  "Write a story where I am a nurse in Paris.",
];

async function say(page, prompt, n) {
  await page.fill("#prompt", prompt);
  await page.click("#chat-form button");
  await page.waitForFunction((k) => document.querySelectorAll("#messages li.note").length >= k, n, { timeout: 60_000 });
  return page.$eval("#messages li.note:last-of-type", (li) => li.textContent);
}

test("plain self-statements are learned (accepted or held for review), task requests teach nothing", () =>
  withDemo(async (page, url, errors) => {
    await page.goto(url);
    await modelsReady(page);
    const user = `learning-${Date.now()}`;
    await openProfile(page, user);
    assert.equal(await page.isChecked("#learn"), true, "learning is on by default");
    // Notes already on the page (the empty-profile hint) are not turn notes.
    let notes = await page.$$eval("#messages li.note", (lis) => lis.length);

    const missed = [];
    for (const [prompt, expected] of STATEMENTS) {
      const note = await say(page, prompt, ++notes);
      for (const attribute of expected) {
        if (!note.includes(attribute)) missed.push(`${prompt} -> ${attribute}: ${note}`);
      }
      assert.ok(!/rejected:/.test(note), `nothing a person plainly says is rejected: ${note}`);
    }
    assert.deepEqual(missed, [], "every self-statement teaches its attribute");
    const stored = await page.$$eval("#list li", (lis) => lis.map((li) => ({
      text: li.querySelector(".text").textContent, verdict: li.querySelector(".verdict").textContent })));
    for (const attribute of STATEMENTS.flatMap(([, e]) => e)) {
      const row = stored.find((s) => s.text === attribute);
      assert.ok(row, `stored: ${attribute}`);
      assert.match(row.verdict, /^(accepted|review) /, `${attribute}: ${row.verdict}`);
    }
    const before = stored.length;
    for (const prompt of TASKS) {
      const note = await say(page, prompt, ++notes);
      assert.equal(note, "nothing to learn from this turn", `${prompt}: ${note}`);
    }
    assert.equal(await page.$$eval("#list li", (lis) => lis.length), before, "task requests store nothing");
    await screenshot(page, "learning");
    assert.deepEqual(errors, []);
  }));
