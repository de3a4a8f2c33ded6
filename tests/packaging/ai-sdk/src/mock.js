// Mock models that record the prompt each call receives: what a provider would have sent over the network.
import { APICallError, simulateReadableStream } from "ai";

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const stop = { unified: "stop", raw: undefined };

// `replies` are the doGenerate results in order ("tool:NAME" asks for a tool call, "busy" fails with a
// retryable 503); the last one repeats.
export function recordingModel(MockModel, replies = ["ok"]) {
  const prompts = [];
  const reply = () => replies[Math.min(prompts.length - 1, replies.length - 1)];
  const model = new MockModel({
    doGenerate: async ({ prompt }) => {
      prompts.push(prompt);
      const r = reply();
      if (r === "busy") {
        throw new APICallError({ message: "busy", url: "mock://", requestBodyValues: {}, statusCode: 503, isRetryable: true });
      }
      if (r.startsWith("tool:")) {
        return { content: [{ type: "tool-call", toolCallId: `call-${prompts.length}`, toolName: r.slice(5), input: "{}" }],
          finishReason: { unified: "tool-calls", raw: undefined }, usage, warnings: [] };
      }
      return { content: [{ type: "text", text: r }], finishReason: stop, usage, warnings: [] };
    },
    doStream: async ({ prompt }) => {
      prompts.push(prompt);
      return { stream: simulateReadableStream({ chunks: [
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: reply() }, { type: "text-end", id: "t" },
        { type: "finish", finishReason: stop, usage },
      ] }) };
    },
  });
  return { model, prompts };
}
