// Chat backends for the demo. Each names the `compose` format it sends (`format`), builds its request from
// exactly the payload Discreet composed plus the earlier turns (`request`), and sends it (`send`): what a
// backend sends is what leaves the device. `chat(messages)` serves extraction (OpenAI-shaped messages).
import { isExtractionPrompt } from "../pkg/discreet.js";
import { standInExtraction } from "./standin.js";

/** Chat Completions: the history goes before the user's message, after the system message. */
function chatRequest(model, payload, history) {
  const messages = [...payload.messages];
  messages.splice(messages.length - 1, 0, ...history);
  return { ...(model && { model }), messages };
}

/** No network at all: answers with a canned reply; extraction uses the labelled stand-in. */
export function offlineBackend() {
  const backend = {
    name: "offline",
    format: "openai",
    request: (payload, history) => chatRequest(null, payload, history),
    async send({ messages }) {
      const shared = messages[0]?.role === "system" ? "some of your attributes" : "no attributes";
      return `(Offline demo: no model was called.) A real model would have received your message and ${shared}; ` +
        "the exact payload is in the \"Shared with the model\" panel.";
    },
    async chat(messages) {
      if (isExtractionPrompt(messages)) return standInExtraction(messages);
      return backend.send({ messages });
    },
  };
  return backend;
}

async function post(url, apiKey, body) {
  const headers = { "content-type": "application/json" };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res.json();
}

/**
 * Any OpenAI-compatible endpoint: `api: "chat"` POSTs {baseUrl}/chat/completions, `api: "responses"`
 * {baseUrl}/responses (instructions + input; sent every turn, as `previous_response_id` does not carry them).
 */
export function openAiBackend({ baseUrl, model, apiKey, api = "chat" }) {
  const base = baseUrl.replace(/\/+$/, "");
  if (api === "responses") {
    const url = `${base}/responses`;
    const backend = {
      name: "openai-responses",
      format: "openai-responses",
      request(payload, history) {
        const { format, attributeIds, ...request } = payload;
        return { model, ...request, input: [...history, ...request.input] };
      },
      async send(body) {
        const data = await post(url, apiKey, body);
        const text = (data?.output ?? []).filter((o) => o?.type === "message")
          .flatMap((o) => o.content ?? []).filter((c) => c?.type === "output_text").map((c) => c.text).join("");
        if (!text) throw new Error(`${url}: the reply has no output_text`);
        return text;
      },
      chat(messages) {
        const instructions = messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n");
        const input = messages.filter((m) => m.role !== "system").map(({ role, content }) => ({ role, content }));
        return backend.send({ model, ...(instructions && { instructions }), input });
      },
    };
    return backend;
  }
  const url = `${base}/chat/completions`;
  const backend = {
    name: "openai",
    format: "openai",
    request: (payload, history) => chatRequest(model, payload, history),
    async send(body) {
      const data = await post(url, apiKey, body);
      const content = data?.choices?.[0]?.message?.content;
      if (typeof content !== "string") throw new Error(`${url}: the reply has no choices[0].message.content`);
      return content;
    },
    chat: (messages) => backend.send({ model, messages: messages.map(({ role, content }) => ({ role, content })) }),
  };
  return backend;
}

const SETTINGS_KEY = "discreet-demo-backend";

/** Backend settings: the key stays in page memory unless the user ticks "remember". */
export function loadSettings() {
  try {
    return JSON.parse(localStorage.getItem(SETTINGS_KEY)) ?? null;
  } catch {
    return null;
  }
}

export function saveSettings(settings, remember) {
  if (remember) localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  else localStorage.removeItem(SETTINGS_KEY);
}
