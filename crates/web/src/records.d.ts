/** Stable error codes: every rejection from Discreet is a `DiscreetError` carrying one. */
export type ErrorCode =
  | "E_INVALID_INPUT"
  | "E_NOT_FOUND"
  | "E_DUPLICATE"
  | "E_STORAGE"
  | "E_QUOTA"
  | "E_BLOCKED"
  | "E_CLOSED"
  | "E_MODEL"
  | "E_BAD_EXTRACTION";

export interface DiscreetError extends Error {
  name: "DiscreetError";
  code: ErrorCode;
}

export type Verdict = "unverified" | "accepted" | "review" | "rejected";

export type Sensitivity =
  | "none"
  | "health"
  | "religion"
  | "sexuality"
  | "ethnicity"
  | "politics"
  | "finance"
  | "location"
  | "other";

export interface OpenOptions {
  /** Each user gets a database of their own; profiles never mix. */
  user: string;
  /** Store this profile encrypted (AES-GCM, non-extractable key kept in IndexedDB). Once on, stays on. */
  encrypt?: boolean;
}

export interface Source {
  conversationId: string;
  messageIds?: string[];
}

export interface NewAttribute {
  /** One third-person sentence about the user, at most 500 characters. */
  text: string;
  reason?: string | null;
  /** Quotes of the user's own words. */
  evidence?: string[];
  source?: Source | null;
  verdict?: Verdict;
  /** Probability from the verifier, within 0..1. */
  verifierScore?: number | null;
  sensitivity?: Sensitivity;
}

export interface Attribute {
  id: string;
  text: string;
  reason: string | null;
  evidence: string[];
  source: Source | null;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  updatedAt: number;
  verdict: Verdict;
  verifierScore: number | null;
  sensitivity: Sensitivity;
  userEdited: boolean;
}

export interface Added {
  attribute: Attribute;
  /** false when an equal attribute (ignoring case, spacing, final punctuation) was already stored. */
  added: boolean;
}

export type ImportMode = "merge" | "replace";

export interface ImportOptions {
  /** "merge" (default) keeps stored attributes; "replace" leaves exactly the file's. */
  mode?: ImportMode;
}

export interface ImportReport {
  added: number;
  replaced: number;
  skipped: number;
}

export interface Disclosure {
  id: string;
  at: number;
  /** SHA-256 (hex) of the prompt the attributes were sent with. */
  promptHash: string;
  attributeIds: string[];
  attributeTexts: string[];
}

/** What the user decided about an attribute the verifier kept (see `Discreet.review`). */
export type ReviewAction = "accept" | "edit" | "delete";

/** The study's stage-1 labels: accepted as written `ok`, corrected `unsure` (or `bad` with a kind), deleted `bad`. */
export type ReviewLabel = "ok" | "unsure" | "bad";

export interface ReviewDecision {
  action: ReviewAction;
  /** The corrected text: for `edit` only. */
  text?: string | null;
  /** Why it was wrong as extracted, when the user says: not for `accept`. */
  kind?: ProblemKind | null;
}

/** One review decision, recorded on the device as a stage-1 judgment. */
export interface ReviewJudgment {
  id: string;
  at: number;
  attributeId: string;
  /** The text the verifier judged, as it was before an edit. */
  attribute: string;
  reason: string | null;
  evidence: string[];
  /** The verifier's verdict and score at the time. */
  verdict: Verdict;
  verifierScore: number | null;
  action: ReviewAction;
  label: ReviewLabel;
  kind: ProblemKind | null;
  editedText: string | null;
}

/** What `review` did: the attribute as it is now (null once deleted) and the judgment recorded (null when
 * the decision does not judge the verifier's work: added by hand, edited or already reviewed by the user;
 * or when the judgment could not be stored: the decision itself was applied). */
export interface Reviewed {
  attribute: Attribute | null;
  judgment: ReviewJudgment | null;
}

/** The relevance model's files, as fetched: `relevance.json` and the files it names. */
export interface ModelBytes {
  manifest: Uint8Array;
  encoder: Uint8Array;
  head: Uint8Array;
  tokenizer: Uint8Array;
  /** The sensitive-category head; required when the manifest names one. */
  sensitive?: Uint8Array;
}

export interface SelectOptions {
  /** At most this many attributes (default 5). */
  maxAttributes?: number;
  /** Also consider attributes whose verdict is "review" (default false). */
  includeReview?: boolean;
  /** Override the model's calibrated threshold, within 0..1. */
  threshold?: number;
}

export interface Selection {
  attribute: Attribute;
  /** Probability that the attribute should change the answer. */
  score: number;
}

/** The chat SDK a payload is shaped for. */
export type PayloadFormat = "openai" | "openai-responses" | "anthropic" | "ai-sdk" | "text" | "selection";

export interface ComposeOptions {
  /** Default "openai" (Chat Completions). */
  format?: PayloadFormat;
  /** "openai" only: the role of the instruction message (default "system"; many OpenAI-compatible servers refuse "developer"). */
  systemRole?: "system" | "developer";
  /** The app's own system text (up to 20,000 characters); the attribute block follows it. Not for "selection". */
  instructions?: string;
}

export interface Message {
  role: string;
  content: string;
}

/** The user's turn, in every format that has messages. */
export interface UserMessage {
  role: "user";
  content: string;
}

/** Chat Completions' instruction message: role "system", or "developer" with `systemRole: "developer"`. */
export type InstructionMessage = { role: "system"; content: string } | { role: "developer"; content: string };

/** One selected attribute in a "selection" payload. */
export interface SharedAttribute {
  id: string;
  text: string;
}

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

/** What `renderSelection` makes of a "selection" payload. */
export interface Rendered {
  /** The app's instructions, then the attribute block; absent when both are. */
  instructions?: string;
  attributeIds: string[];
  /** Sent but not rendered: text that reads as an instruction, or past the size cap. */
  withheld: Withheld[];
}

export interface Withheld {
  attributeId: string;
  reason: string;
}

export interface Composed<P extends Payload = Payload> {
  payload: P;
  /** The record of this disclosure, already stored on the device. */
  disclosure: Disclosure;
  /** Chosen but not sent: text that reads as an instruction to the model, or past the payload's size cap. */
  withheld: Withheld[];
}

/** `prepareTurn`'s options: `select`'s and `compose`'s in one object. */
export interface TurnOptions extends SelectOptions, ComposeOptions {}

/** Why a stored attribute was not sent for this prompt. */
export type Exclusion = "rejected" | "awaiting-review" | "sensitive" | "below-threshold" | "over-budget" | "withheld";

export interface Excluded {
  attribute: Attribute;
  reason: Exclusion;
  /** The relevance score, for the attributes that were scored (below-threshold, over-budget, withheld). */
  score?: number;
  /** The reason in words, for a panel or a log. */
  explanation: string;
}

/** One chat turn: what `select` then `compose` return, from one read of the profile and one prompt encoding. */
export interface Turn<P extends Payload = Payload> {
  /** What the payload carries, best first. */
  selected: Selection[];
  /** Every other stored attribute, in the profile's order, with why it stayed on the device. */
  excluded: Excluded[];
  payload: P;
  /** Chosen but not sent (also in `excluded`, reason "withheld"). */
  withheld: Withheld[];
  /** The record of this disclosure, already stored on the device (also when nothing was sent). */
  disclosure: Disclosure;
}

/** The user's privacy choices, stored with the profile. */
export interface PrivacySettings {
  /** Sensitive categories allowed to leave the device (none by default). */
  allowedSensitive: Sensitivity[];
}

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

export interface LoadOptions {
  /** Discreet's first progress shape: running totals over all files (kept; `progress_callback` has more). */
  onProgress?: (progress: LoadProgress) => void;
  /** Events in the Transformers.js shape. */
  progress_callback?: (info: ProgressInfo) => void;
  /** Keep verified files in the Cache API (default true). */
  cache?: boolean;
}

export type Role = "system" | "user" | "assistant";

/** A chat message in the OpenAI shape; other fields on your message objects are ignored. */
export interface ChatMessage {
  role: Role;
  content: string;
  /** Recorded in `source.messageIds` of attributes whose evidence it holds. */
  id?: string;
}

/** An attribute the chat model proposed, as `parseExtraction` returns it. */
export interface Candidate {
  attribute: string;
  reason: string;
  /** Quotes of the user's own words. */
  evidence: string[];
  /** The extractor's own confidence, 0..1. */
  confidence: number;
}

/** Why an exact rule rejected a candidate (stable names). */
export type Rule =
  | "empty"
  | "not_third_person"
  | "not_about_user"
  | "not_standalone"
  | "duplicate"
  | "no_evidence"
  | "evidence_not_found"
  | "instruction";

export interface Verification {
  candidate: Candidate;
  verdict: Verdict;
  /** The verifier's probability that a human would accept it; null when a rule decided. */
  score: number | null;
  rule: Rule | null;
  /** For what is not accepted: the study's kind of problem it most looks like; null otherwise. */
  kind: ProblemKind | null;
  /** Why, in words (names the kind when there is one). */
  explanation: string;
}

/** The study's kinds of problematic attribute (stable names). */
export type ProblemKind = "overgeneralization" | "task_context" | "missing_evidence" | "not_standalone";

export interface VerifyContext {
  /** The user's own messages: evidence quotes must occur in them. */
  userMessages?: string[];
  /** Texts already stored: equal candidates are duplicates. */
  stored?: string[];
}

/** The verifier's files, as fetched: `verifier.json` and its head. */
export interface VerifierBytes {
  manifest: Uint8Array;
  head: Uint8Array;
}

export interface IngestOptions {
  /** Recorded as the source of each stored attribute. */
  conversationId?: string;
}

export interface IngestReport {
  accepted: Verification[];
  /** Stored with verdict "review": `select` skips them unless `includeReview`. */
  review: Verification[];
  /** Not stored. */
  rejected: Verification[];
  /** The records written (the accepted and review ones, in candidate order). */
  stored: Attribute[];
}
