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
  // Refuses (closed store, no verifier, bad messages) before the llm sees the conversation.
  const prompt = await target.ingestPrompt(messages);
  const reply = await llm(prompt);
  if (typeof reply !== "string") {
    throw discreetError("unusable extraction reply: the llm callback's reply must be a string", "E_BAD_EXTRACTION");
  }
  return target.ingestReply(messages, reply, options);
}
