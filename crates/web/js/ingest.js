// `ingest(messages, llm, options)`, for `Discreet` (patched into its class by tools/finish-pkg.mjs) and the
// worker client alike: the app's chat model is called here, in JS, so no callback ever runs inside a Rust
// future and the same code serves the page and the worker. `target` has `ingestPrompt` and `ingestReply`.
function discreetError(message, code) {
  const e = new Error(message);
  e.name = "DiscreetError";
  e.code = code;
  return e;
}

export async function ingestThrough(target, messages, llm, options) {
  if (typeof llm !== "function") {
    throw discreetError("invalid input: llm must be a function (promptMessages) => Promise<string>", "E_INVALID_INPUT");
  }
  // The conversation as the llm sees it: an app that appends to its array meanwhile changes nothing here.
  const said = Array.isArray(messages) ? messages.map((m) => (m !== null && typeof m === "object" ? { ...m } : m)) : messages;
  // Refuses (closed store, no verifier, bad messages or options) before the llm sees the conversation.
  const prompt = await target.ingestPrompt(said, options);
  const reply = await llm(prompt);
  if (typeof reply !== "string") {
    throw discreetError("unusable extraction reply: the llm callback's reply must be a string", "E_BAD_EXTRACTION");
  }
  return target.ingestReply(said, reply, options);
}
