// `discreet/ai-sdk`: Discreet inside the Vercel AI SDK (ai@7 and ai@6). The attribute text itself is
// always written by the wasm core (compose / renderSelection), so every path quotes it the same way.
import { wrapLanguageModel } from "ai";
import init, { renderSelection } from "discreet";

function coded(code, message) {
  return Object.assign(new Error(message), { name: "DiscreetError", code });
}

// The relevance model reads the first 128 tokens; a pasted book must not make select refuse the turn.
const MAX_QUERY_CHARS = 20_000;
// Turns remembered for the later steps of a tool loop (several chats may interleave in one page).
const REMEMBERED_TURNS = 32;
// The SDK retries a failed model call with the same prompt; within this time that is the same turn, not a new
// one. Later, the same text is a new turn (an app that sends only the last message): selected and logged again.
const RETRY_WINDOW_MS = 60_000;

function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.filter((p) => p?.type === "text" && typeof p.text === "string").map((p) => p.text).join("\n");
}

// The conversation up to the user's message, by role and text: file parts would make a huge key.
function turnKey(prompt, at) {
  return JSON.stringify(prompt.slice(0, at + 1).filter((m) => m.role !== "system").map((m) => [m.role, textOf(m.content)]));
}

function lastUserIndex(prompt) {
  for (let i = prompt.length - 1; i >= 0; i--) if (prompt[i]?.role === "user") return i;
  return -1;
}

function checkStore(discreet, who) {
  if (!discreet || typeof discreet.select !== "function" || typeof discreet.compose !== "function") {
    throw coded("E_INVALID_INPUT", `${who}: \`discreet\` must be an open Discreet store or a DiscreetWorker's store`);
  }
}

function checkQuery(query, who) {
  if (query !== undefined && typeof query !== "function") {
    throw coded("E_INVALID_INPUT", `${who}: \`query\` must be a function returning the text to select for`);
  }
}

async function queryText(query, args, fallback) {
  const text = query ? await query(args) : fallback;
  if (typeof text !== "string") throw coded("E_INVALID_INPUT", "the `query` function must return a string");
  return text.slice(0, MAX_QUERY_CHARS);
}

/**
 * A language-model middleware that personalizes each user turn on the device: selects for the last user
 * message, composes (which logs the disclosure) and adds the attribute block as system content. The later
 * steps of a tool loop reuse the turn's block: one selection and one disclosure per user turn.
 */
export function discreetMiddleware({ discreet, query, placement = "end", select, specificationVersion = "v4" } = {}) {
  checkStore(discreet, "discreetMiddleware");
  checkQuery(query, "discreetMiddleware");
  if (placement !== "start" && placement !== "end") {
    throw coded("E_INVALID_INPUT", `discreetMiddleware: placement must be "start" or "end", not ${JSON.stringify(placement)}`);
  }
  if (specificationVersion !== "v3" && specificationVersion !== "v4") {
    throw coded("E_INVALID_INPUT", `discreetMiddleware: specificationVersion must be "v3" (ai@6) or "v4" (ai@7)`);
  }
  const turns = new Map();

  async function blockFor(params) {
    const prompt = params.prompt;
    const at = lastUserIndex(prompt);
    if (at < 0) return null;
    const key = turnKey(prompt, at);
    // A later step of the turn (tool results follow the user's message), or a retry of its first call.
    const continuing = at < prompt.length - 1;
    const known = turns.get(key);
    if (known && (continuing || Date.now() - known.at < RETRY_WINDOW_MS)) {
      turns.delete(key);
      turns.set(key, known);
      return known.block;
    }
    const text = await queryText(query, { params, prompt }, textOf(prompt[at].content));
    const block = (async () => {
      if (!text.trim()) return null;
      const selection = await discreet.select(text, select);
      const { payload } = await discreet.compose(text, selection, { format: "ai-sdk" });
      return payload.instructions ?? null;
    })();
    // Remembered while it runs, so a concurrent retry waits for it instead of logging a second disclosure.
    turns.delete(key);
    turns.set(key, { block, at: Date.now() });
    if (turns.size > REMEMBERED_TURNS) turns.delete(turns.keys().next().value);
    try {
      return await block;
    } catch (e) {
      turns.delete(key);
      throw e;
    }
  }

  return {
    specificationVersion,
    async transformParams({ params }) {
      const block = await blockFor(params);
      if (!block) return params;
      const prompt = [...params.prompt];
      let end = 0;
      while (prompt[end]?.role === "system") end++;
      prompt.splice(placement === "start" ? 0 : end, 0, { role: "system", content: block });
      return { ...params, prompt };
    },
  };
}

/** `wrapLanguageModel({ model, middleware: discreetMiddleware(options) })`, for the installed `ai`. */
export function withDiscreet(model, options) {
  const specificationVersion = model?.specificationVersion === "v3" ? "v3" : "v4";
  return wrapLanguageModel({ model, middleware: discreetMiddleware({ specificationVersion, ...options }) });
}

/**
 * For `useChat`'s transport (`new DefaultChatTransport({ prepareSendMessagesRequest })`): selects and composes
 * on the device for the last user message, and sends the selection as data in `body.discreet`; the server
 * renders it with `discreetInstructions`. The rest of the body is what the transport sends by default. Every request
 * is a turn (also useChat's automatic resend after a client-side tool): selected and logged each time.
 */
export function discreetRequest({ discreet, query, select } = {}) {
  checkStore(discreet, "discreetRequest");
  checkQuery(query, "discreetRequest");
  return async (options) => {
    const { id, messages = [], body, trigger, messageId } = options;
    const last = [...messages].reverse().find((m) => m?.role === "user");
    const text = await queryText(query, options, textOf(Array.isArray(last?.parts) ? last.parts : []));
    let attributes = [];
    if (text.trim()) {
      const picked = await discreet.select(text, select);
      ({ attributes } = (await discreet.compose(text, picked, { format: "selection" })).payload);
    }
    // Without `attributeIds`: the stored ids would let the server link the user's conversations.
    return { body: { ...body, id, messages, trigger, messageId, discreet: { format: "selection", attributes } } };
  };
}

/**
 * On the server: the system text for a request that `discreetRequest` prepared. `instructions` (the app's own)
 * come first; the result is undefined when there is neither. A malformed selection is `E_INVALID_INPUT`.
 */
export async function discreetInstructions(selection, instructions) {
  await init();
  if (selection === undefined || selection === null) return instructions || undefined;
  return renderSelection(selection, instructions ?? null).instructions;
}
