// One real profile in the browser (IndexedDB, the bundled models), then every AI SDK path:
// ai@7 through withDiscreet, ai@6 through its own wrapLanguageModel, a two-step tool loop, and the
// useChat hand-off to this fixture's server. The Node test checks what each mock model received.
import init, { Discreet, RelevanceModel } from "discreet";
import { discreetMiddleware, discreetRequest, withDiscreet } from "discreet/ai-sdk";
import { DefaultChatTransport, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import * as ai6 from "ai6";
import { MockLanguageModelV3 } from "ai6/test";
import { recordingModel } from "./mock.js";

export const PROMPT = "Plan a week of dinners for my household.";
export const FACTS = ["The user is vegetarian.", "The user cooks dinner for a family of five.",
  "The user drives a red truck.", "The user is learning the cello."];
const INSTRUCTIONS = "You are a helpful cooking assistant.";

async function step(d, fn) {
  const before = (await d.disclosures()).length;
  const prompts = await fn();
  const disclosures = (await d.disclosures()).slice(before).map((x) => x.attributeTexts);
  return { prompts, disclosures };
}

async function main() {
  await init();
  const d = await Discreet.open({ user: `ai-sdk-${Date.now()}` });
  for (const text of FACTS) await d.add({ text });
  d.useModel(await RelevanceModel.load());
  // The bundled model's threshold selects little on a fresh profile; the turn takes the top two.
  const select = { maxAttributes: 2, threshold: 0 };
  const out = {};

  out.generateV4 = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV4);
    const r = await generateText({ model: withDiscreet(model, { discreet: d, select }), instructions: INSTRUCTIONS, prompt: PROMPT });
    if (r.text !== "ok") throw new Error(`generateText: ${r.text}`);
    return prompts;
  });
  out.streamV4 = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV4);
    const r = streamText({ model: withDiscreet(model, { discreet: d, select, placement: "start" }), instructions: INSTRUCTIONS, prompt: PROMPT });
    if ((await r.text) !== "ok") throw new Error("streamText did not finish");
    return prompts;
  });
  out.toolLoopV4 = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV4, ["tool:pantry", "done"]);
    const pantry = tool({ description: "What is in the pantry", inputSchema: jsonSchema({ type: "object", properties: {} }),
      execute: async () => ({ items: ["rice", "lentils"] }) });
    const r = await generateText({ model: withDiscreet(model, { discreet: d, select }), prompt: PROMPT,
      tools: { pantry }, stopWhen: stepCountIs(3) });
    if (r.text !== "done" || r.steps.length !== 2) throw new Error(`tool loop: ${r.steps.length} steps, ${r.text}`);
    return prompts;
  });
  out.retryV4 = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV4, ["busy", "ok"]);
    const r = await generateText({ model: withDiscreet(model, { discreet: d, select }), prompt: PROMPT, maxRetries: 1 });
    if (r.text !== "ok") throw new Error(`retry: ${r.text}`);
    return prompts;
  });
  out.generateV3 = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV3);
    const wrapped = ai6.wrapLanguageModel({ model, middleware: discreetMiddleware({ discreet: d, select, specificationVersion: "v3" }) });
    const r = await ai6.generateText({ model: wrapped, system: INSTRUCTIONS, prompt: PROMPT });
    if (r.text !== "ok") throw new Error(`ai@6 generateText: ${r.text}`);
    return prompts;
  });
  out.streamV3 = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV3);
    const wrapped = ai6.wrapLanguageModel({ model, middleware: discreetMiddleware({ discreet: d, select, specificationVersion: "v3" }) });
    const r = ai6.streamText({ model: wrapped, prompt: PROMPT });
    if ((await r.text) !== "ok") throw new Error("ai@6 streamText did not finish");
    return prompts;
  });
  out.nothingSelected = await step(d, async () => {
    const { model, prompts } = recordingModel(MockLanguageModelV4);
    await generateText({ model: withDiscreet(model, { discreet: d, select: { threshold: 1 } }), prompt: PROMPT });
    return prompts;
  });
  out.handoff = await step(d, async () => {
    const transport = new DefaultChatTransport({ api: "/api/chat", prepareSendMessagesRequest: discreetRequest({ discreet: d, select }) });
    const stream = await transport.sendMessages({ chatId: "chat-1", trigger: "submit-message", messageId: undefined,
      messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: PROMPT }] }], abortSignal: undefined });
    const reader = stream.getReader();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.type === "text-delta") text += value.delta;
    }
    if (text !== "served") throw new Error(`hand-off stream: ${JSON.stringify(text)}`);
    const last = await (await fetch("/api/last")).json();
    out.handoffBody = last.body;
    return last.prompts;
  });
  const codeOf = (f) => { try { f(); return null; } catch (e) { return e.code; } };
  out.badOptions = [codeOf(() => discreetMiddleware({})), codeOf(() => discreetMiddleware({ discreet: d, placement: "middle" })),
    codeOf(() => discreetRequest({ discreet: d, query: "x" }))];
  d.close();
  return out;
}

main().then((r) => { globalThis.turnResult = r; },
  (e) => { globalThis.turnError = { message: String(e?.stack ?? e), code: e?.code ?? null }; });
