// Compiled by `tsc --noEmit` against the installed package and the real SDKs' types: each format's payload,
// spread into its SDK's request type, must type-check without casts. Not run.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { DefaultChatTransport, generateText, wrapLanguageModel, type LanguageModelMiddleware } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import type { LanguageModelMiddleware as LanguageModelMiddlewareV3 } from "ai6";
import { Discreet, renderSelection, type Selection } from "discreet";
import { discreetInstructions, discreetMiddleware, discreetRequest, withDiscreet } from "discreet/ai-sdk";
import { DiscreetWorker } from "discreet/worker";

declare const d: Discreet;
declare const selection: Selection[];

export async function formats() {
  const openai = new OpenAI({ apiKey: "x" });
  {
    const { format, attributeIds, ...request } = (await d.compose("q", selection)).payload;
    const params: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: "gpt-4.1", ...request };
    await openai.chat.completions.create(params);
    const f: "openai" = format;
    const ids: string[] = attributeIds;
    void f, ids;
  }
  {
    const { format, attributeIds, ...request } = (await d.compose("q", selection, { format: "openai", systemRole: "developer" })).payload;
    await openai.chat.completions.create({ model: "gpt-4.1", ...request });
    void format, attributeIds;
  }
  {
    const { format, attributeIds, ...request } = (await d.compose("q", selection, { format: "openai-responses" })).payload;
    const params: OpenAI.Responses.ResponseCreateParamsNonStreaming = { model: "gpt-4.1", ...request };
    await openai.responses.create(params);
    void format, attributeIds;
  }
  {
    const anthropic = new Anthropic({ apiKey: "x" });
    const { format, attributeIds, ...request } = (await d.compose("q", selection, { format: "anthropic", instructions: "Be brief." })).payload;
    const params: Anthropic.MessageCreateParamsNonStreaming = { model: "claude-sonnet-4-5", max_tokens: 512, ...request };
    await anthropic.messages.create(params);
    void format, attributeIds;
  }
  {
    const { format, attributeIds, ...request } = (await d.compose("q", selection, { format: "ai-sdk" })).payload;
    await generateText({ model: new MockLanguageModelV4(), ...request });
    void format, attributeIds;
  }
  {
    const { payload } = await d.compose("q", selection, { format: "text" });
    const text: string = payload.text;
    void text;
  }
}

export function middleware(worker: DiscreetWorker) {
  const v4: LanguageModelMiddleware = discreetMiddleware({ discreet: d });
  const v3: LanguageModelMiddlewareV3 = discreetMiddleware({ discreet: d, specificationVersion: "v3" });
  const wrapped = wrapLanguageModel({ model: new MockLanguageModelV4(), middleware: v4 });
  const again = withDiscreet(new MockLanguageModelV4(), { discreet: d, placement: "start", select: { maxAttributes: 3 } });
  const transport = new DefaultChatTransport({ api: "/api/chat", prepareSendMessagesRequest: discreetRequest({ discreet: d }) });
  void v3, wrapped, again, transport;
  return worker.open({ user: "u" }).then(async (remote) => {
    const { format, attributeIds, ...request } = (await remote.compose("q", [], { format: "anthropic" })).payload;
    const params: Anthropic.MessageCreateParamsNonStreaming = { model: "claude-sonnet-4-5", max_tokens: 512, ...request };
    void format, attributeIds, params;
    return discreetMiddleware({ discreet: remote });
  });
}

export async function server(body: { discreet?: { format: "selection"; attributes: { id: string; text: string }[]; attributeIds: string[] } }) {
  const instructions: string | undefined = await discreetInstructions(body.discreet, "You are helpful.");
  const rendered = renderSelection({ attributes: [{ id: "a", text: "t" }] }, "x");
  const ids: string[] = rendered.attributeIds;
  return { instructions, ids };
}
