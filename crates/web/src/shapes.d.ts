// The shapes that have no Rust type of their own: errors as JS sees them, model bytes, the payload
// shapes (each format's fields, more exactly than the core's `Request` can name them; checked
// against `compose` by tests/typescript_drift.rs) and the loading options. The records the core
// serializes are generated into records.d.ts.

export interface DiscreetError extends Error {
  name: "DiscreetError";
  code: ErrorCode;
}

/** The relevance model's files, as fetched: `relevance.json` and the files it names. */
export interface ModelBytes {
  manifest: Uint8Array;
  encoder: Uint8Array;
  head: Uint8Array;
  tokenizer: Uint8Array;
  /** The sensitive-category head; required when the manifest names one. */
  sensitive?: Uint8Array;
  /** The relation head (how a new attribute relates to a stored one); required when the manifest names one. */
  relation?: Uint8Array;
}

/** The verifier's files, as fetched: `verifier.json` and its head. */
export interface VerifierBytes {
  manifest: Uint8Array;
  head: Uint8Array;
}

/** The user's turn, in every format that has messages. */
export interface UserMessage {
  role: "user";
  content: string;
}

/** Chat Completions' instruction message: role "system", or "developer" with `systemRole: "developer"`. */
export type InstructionMessage = { role: "system"; content: string } | { role: "developer"; content: string };

/** OpenAI Chat Completions: `client.chat.completions.create({ model, messages })`. */
export interface OpenaiPayload {
  format: "openai";
  /** The instruction message only when there is system text, then the user's message. */
  messages: Array<InstructionMessage | UserMessage>;
  /** The attributes this payload discloses. */
  attributeIds: string[];
}

/** OpenAI Responses API: `client.responses.create({ model, instructions, input })`. */
export interface OpenaiResponsesPayload {
  format: "openai-responses";
  /** Absent when nothing was selected and the app gave no instructions. Not carried over by `previous_response_id`: send it every turn. */
  instructions?: string;
  input: UserMessage[];
  attributeIds: string[];
}

/** Anthropic Messages: `client.messages.create({ model, max_tokens, system, messages })`. */
export interface AnthropicPayload {
  format: "anthropic";
  system?: string;
  /** Only the user's message: Anthropic has no system role inside `messages`. */
  messages: UserMessage[];
  attributeIds: string[];
}

/** Vercel AI SDK: `generateText({ model, instructions, messages })`. */
export interface AiSdkPayload {
  format: "ai-sdk";
  instructions?: string;
  messages: UserMessage[];
  attributeIds: string[];
}

/** For models without a system role: the whole text to send. */
export interface TextPayload {
  format: "text";
  text: string;
  attributeIds: string[];
}

/** The selected attributes as data, for a server that renders them (`renderSelection`). */
export interface SelectionPayload {
  format: "selection";
  attributes: SharedAttribute[];
  attributeIds: string[];
}

/** Spread everything but `format` and `attributeIds` into the SDK's call. */
export type Payload = OpenaiPayload | OpenaiResponsesPayload | AnthropicPayload | AiSdkPayload | TextPayload | SelectionPayload;

export interface LoadProgress {
  /** The file being transferred. */
  file: string;
  /** Bytes of all model files loaded so far (from the network or the cache). */
  loaded: number;
  /** Bytes of all model files, from the manifest. */
  total: number;
}

/** Where `load` finds model files. Omitted: the models bundled with the package (in Node, read from disk).
 * A string or `URL`: a folder holding the manifest (`relevance.json` or `verifier.json`) and the files it names.
 * An object: each file name the manifests use (`"relevance.json"`, `"relevance-encoder.int8.onnx"`, ...) mapped to
 * its URL (e.g. what a bundler made of it) or its bytes. Every file is checked against the manifest's SHA-256. */
export type ModelSource = string | URL | ModelFiles;

/** File name (as the manifests spell it) -> its URL or bytes. */
export type ModelFiles = { [file: string]: string | URL | Uint8Array | ArrayBuffer };

/** Transformers.js's progress events (`progress_callback`), so apps can reuse their download UI.
 * Per file: "initiate", "download" (only when it comes from the network, not the cache), "progress", "done";
 * then one "ready" for the model. `loaded`/`total`/`progress` are the file's; `total*` cover every file. A file read
 * again (a broken transfer, a bad cached copy) takes its bytes back, so `totalLoaded` can step back once. When
 * `VerifierModel.load()` also loads the relevance model, that load's events, with its own totals and "ready", come first. */
export type ProgressInfo =
  | { status: "initiate" | "download" | "done"; name: string; file: string }
  | { status: "progress"; name: string; file: string; progress: number; loaded: number; total: number;
      totalLoaded: number; totalBytes: number; totalProgress: number }
  | { status: "ready"; task: "relevance" | "verifier"; model: string; totalLoaded: number; totalBytes: number };

/** `prepareVectors`' options. */
export interface PrepareOptions {
  /** Called with `{ done: 0, total }` first, then after each stored chunk of vectors. */
  onProgress?: (progress: VectorProgress) => void;
  /** Part `index` of `of` (by a hash of the attribute id), for several workers filling one profile. */
  share?: Share;
}

export interface LoadOptions {
  /** Discreet's first progress shape: running totals over all files (kept; `progress_callback` has more). */
  onProgress?: (progress: LoadProgress) => void;
  /** Events in the Transformers.js shape. */
  progress_callback?: (info: ProgressInfo) => void;
  /** Keep verified files in the Cache API (default true). */
  cache?: boolean;
}
