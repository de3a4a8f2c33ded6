// The fixture's app server: the built page, and POST /api/chat as a Next.js route handler would write it
// (streamText with the app's instructions plus what the client's selection renders to). GET /api/last
// tells the test what the model received. Port: the last argument.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertToModelMessages, streamText } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { discreetInstructions } from "discreet/ai-sdk";
import { recordingModel } from "./src/mock.js";

const dist = join(fileURLToPath(new URL(".", import.meta.url)), "dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
let last = null;

async function chat(req, res) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw);
  const { model, prompts } = recordingModel(MockLanguageModelV4, ["served"]);
  const result = streamText({
    model,
    instructions: await discreetInstructions(body.discreet, "You are a helpful cooking assistant."),
    messages: await convertToModelMessages(body.messages),
  });
  result.pipeUIMessageStreamToResponse(res);
  await result.text;
  last = { body, prompts };
}

createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  try {
    if (req.method === "POST" && path === "/api/chat") return await chat(req, res);
    if (path === "/api/last") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(last));
    const file = join(dist, path === "/" ? "index.html" : path);
    if (!file.startsWith(dist)) throw new Error("outside dist");
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(await readFile(file));
  } catch (e) {
    if (!res.headersSent) res.writeHead(path.startsWith("/api/") ? 500 : 404, { "content-type": "text/plain" });
    res.end(String(e?.stack ?? e));
  }
}).listen(Number(process.argv.at(-1)), "127.0.0.1");
