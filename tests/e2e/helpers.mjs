// Shared by the end-to-end tests: the demo server, Debian's Chromium, screenshots, a mock
// OpenAI-compatible endpoint that records every request body.
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../tools/serve.mjs";
import { launch } from "../../tools/chromium.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const SHOTS = join(root, "test-output", "screenshots");

export async function withDemo(body) {
  const { server, url } = await startServer({ port: 0, quiet: true });
  const browser = await launch();
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (e) => errors.push(e.message));
    await body(page, url, errors);
  } finally {
    await browser.close();
    server.close();
  }
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** POST /v1/chat/completions; replies with `answer(body)`. CORS open, as a real endpoint's would be. */
export function mockOpenAi(answer) {
  const requests = [];
  const server = createServer((req, res) => {
    const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "content-type, authorization" };
    if (req.method === "OPTIONS") { res.writeHead(204, cors); return res.end(); }
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const body = JSON.parse(raw);
      requests.push({ path: req.url, authorization: req.headers.authorization ?? null, body, raw });
      const text = answer(body);
      if (body.stream) {
        // Chat Completions streaming (server-sent events), as AI SDK's streamText asks for.
        res.writeHead(200, { ...cors, "content-type": "text/event-stream" });
        const chunk = (delta, finish) => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 0,
          model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        return res.end(chunk({ role: "assistant", content: text }, null) + chunk({}, "stop") + "data: [DONE]\n\n");
      }
      res.writeHead(200, { ...cors, "content-type": "application/json" });
      // The Responses API's reply shape at /responses, Chat Completions' elsewhere.
      res.end(JSON.stringify(req.url.endsWith("/responses")
        ? { output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }] }
        : { choices: [{ message: { role: "assistant", content: text } }] }));
    });
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () =>
    ok({ server, requests, url: `http://127.0.0.1:${server.address().port}/v1` })));
}

export const modelsReady = (page) => page.waitForSelector("#status:has-text('models ready')", { timeout: 120_000 });

/** Opens the demo's profile `user` (the page loaded, models ready) and waits until it is open. */
export async function openProfile(page, user) {
  await page.fill("#user", user);
  await page.click("#open");
  await page.waitForSelector(`#status:has-text('${user}')`);
}
