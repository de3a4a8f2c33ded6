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

export type PayloadFormat = "openai" | "text";

export interface ComposeOptions {
  format?: PayloadFormat;
}

export interface Message {
  role: string;
  content: string;
}

export interface Payload {
  format: PayloadFormat;
  /** For "openai": the messages to send (a system message only when attributes were selected). */
  messages: Message[];
  /** For "text": the whole text to send. */
  text: string;
  /** The attributes this payload discloses. */
  attributeIds: string[];
}

export interface Withheld {
  attributeId: string;
  reason: string;
}

export interface Composed {
  payload: Payload;
  /** The record of this disclosure, already stored on the device. */
  disclosure: Disclosure;
  /** Chosen but not sent: text that reads as an instruction to the model, or past the payload's size cap. */
  withheld: Withheld[];
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

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
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
