// Chat backends for the demo. Each has `chat(messages) -> Promise<string>`, called with
// exactly the messages Discreet composed: what a backend receives is what leaves the device.
import { standInExtraction } from "./standin.js";

const EXTRACTION_MARK = "You extract durable facts about a user";

/** No network at all: answers with a canned reply; extraction uses the labelled stand-in. */
export function offlineBackend() {
  return {
    name: "offline",
    async chat(messages) {
      if (messages[0]?.role === "system" && messages[0].content.startsWith(EXTRACTION_MARK)) {
        return standInExtraction(messages);
      }
      const shared = messages[0]?.role === "system" ? "some of your attributes" : "no attributes";
      return `(Offline demo: no model was called.) A real model would have received your message and ${shared}; ` +
        "the exact payload is in the \"Shared with the model\" panel.";
    },
  };
}

/** Any OpenAI-compatible endpoint: POST {baseUrl}/chat/completions. */
export function openAiBackend({ baseUrl, model, apiKey }) {
  const url = `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return {
    name: "openai",
    async chat(messages) {
      const headers = { "content-type": "application/json" };
      if (apiKey) headers.authorization = `Bearer ${apiKey}`;
      const body = JSON.stringify({ model, messages: messages.map(({ role, content }) => ({ role, content })) });
      const res = await fetch(url, { method: "POST", headers, body });
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      const data = await res.json();
      const content = data?.choices?.[0]?.message?.content;
      if (typeof content !== "string") throw new Error(`${url}: the reply has no choices[0].message.content`);
      return content;
    },
  };
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
