// Generated from the Rust types by crates/typescript (`make types`); do not edit.
// The shapes with no Rust type of their own (payloads, model loading) are in shapes.d.ts.

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

/** `Discreet.open(options)`. */
export type OpenOptions = {
  /** Each user gets a database of their own; profiles never mix. */
  user: string;
  /**
   * Store this profile encrypted (AES-GCM, non-extractable key kept in IndexedDB). Once on,
   * it stays on.
   */
  encrypt?: boolean;
};

/** Where an attribute was learned: which conversation, which of its messages. */
export type Source = {
  conversationId: string;
  /** The ids of the messages whose words are its evidence. */
  messageIds?: Array<string>;
};

/** What a caller supplies to add an attribute; the store fills in the rest. */
export type NewAttribute = {
  /** One third-person sentence about the user, at most 500 characters. */
  text: string;
  reason?: string | null;
  /** Quotes of the user's own words. */
  evidence?: Array<string>;
  source?: Source | null;
  verdict?: Verdict;
  /** Probability from the verifier, within 0..1. */
  verifierScore?: number | null;
  sensitivity?: Sensitivity;
  /** When the user said it, in milliseconds since the Unix epoch (default: now). */
  observedAt?: number | null;
  /** When it stops holding, in milliseconds since the Unix epoch. */
  expiresAt?: number | null;
};

export type Attribute = {
  id: string;
  text: string;
  /** The extractor's explanation of why this holds. */
  reason: string | null;
  /** Quotes of the user's own words that support it. */
  evidence: Array<string>;
  source: Source | null;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Milliseconds since the Unix epoch: the last change of text or verdict. */
  updatedAt: number;
  verdict: Verdict;
  /** The verifier's probability that a human would accept it, when it judged the text. */
  verifierScore: number | null;
  sensitivity: Sensitivity;
  /** The user changed the text by hand: it is theirs now, not the extractor's. */
  userEdited: boolean;
  /**
   * When the conversation said it (the ingest option `observedAt`, else when it was stored);
   * records from before history existed read their `createdAt`.
   */
  observedAt: number;
  /** The last time a conversation said it again (never before `observedAt`). */
  confirmedAt: number | null;
  /**
   * After this time the fact no longer holds ("is travelling in Japan this month"): it stays
   * stored but is never offered.
   */
  expiresAt: number | null;
  /**
   * The attribute that replaced this one (it may since have been deleted): this one is
   * history, kept for the user and never offered or sent.
   */
  supersededBy: string | null;
  supersededAt: number | null;
  /** Held for review because it may replace that attribute: accepting it in review replaces it. */
  mayReplace: string | null;
};

/**
 * Result of `add`: the stored attribute, and whether it is new or an
 * existing duplicate that was returned instead.
 */
export type Added = {
  attribute: Attribute;
  /**
   * false when an equal attribute (ignoring case, spacing, final punctuation) was already stored:
   * that one is `attribute`.
   */
  added: boolean;
};

export type ImportMode = "merge" | "replace";

/** `importJson(json, options)`. */
export type ImportOptions = {
  /** `merge` (default) keeps stored attributes; `replace` leaves exactly the file's. */
  mode?: ImportMode;
};

export type ImportReport = {
  /** Attributes the file added. */
  added: number;
  /** Stored attributes the file overwrote (same id). */
  replaced: number;
  /** Entries whose text a stored attribute under another id already has, left out. */
  skipped: number;
};

export type Disclosure = {
  id: string;
  /** Milliseconds since the Unix epoch. */
  at: number;
  /**
   * SHA-256 of the prompt: lets the user match a disclosure to a turn
   * without the log keeping a second copy of every prompt.
   */
  promptHash: string;
  attributeIds: Array<string>;
  /** The texts exactly as sent, since the attribute may be edited or deleted later. */
  attributeTexts: Array<string>;
};

/** What the user decided about one attribute. */
export type ReviewAction = "accept" | "edit" | "delete";

/**
 * The paper's stage-1 labels: accepted as written `ok`, corrected `unsure` (or `bad` with a
 * kind), deleted `bad`.
 */
export type ReviewLabel = "ok" | "unsure" | "bad";

/** A caller's decision: `{ action, text?, kind? }`. */
export type ReviewDecision = {
  action: ReviewAction;
  /** The corrected text, for `edit` only. */
  text?: string | null;
  /** Why the attribute was wrong as extracted, when the user says; not for `accept`. */
  kind?: ProblemKind | null;
};

/** One recorded decision: the attribute as the verifier judged it, and what the user made of it. */
export type ReviewJudgment = {
  id: string;
  /** Milliseconds since the Unix epoch. */
  at: number;
  attributeId: string;
  /** The text the verifier judged (before any edit). */
  attribute: string;
  reason: string | null;
  evidence: Array<string>;
  /** The verifier's verdict and score at the time: what the user agreed or disagreed with. */
  verdict: Verdict;
  verifierScore: number | null;
  action: ReviewAction;
  label: ReviewLabel;
  kind: ProblemKind | null;
  /** The user's correction, for an edit. */
  editedText: string | null;
};

/**
 * What `review` did: the attribute as it is now (null once deleted), and the judgment recorded
 * (null when the decision does not judge the verifier's work: the attribute was added by hand,
 * edited by the user, already reviewed, or held because it may replace another; or when the
 * judgment could not be stored, since the decision itself was applied).
 */
export type Reviewed = {
  attribute: Attribute | null;
  /**
   * The attribute it replaced, now history: accepting one held because it may replace another
   * (`mayReplace`) replaces that one.
   */
  replaced: Attribute | null;
  judgment: ReviewJudgment | null;
};

/** `select(prompt, options)`. */
export type SelectOptions = {
  /** At most this many attributes (default 5). */
  maxAttributes?: number | null;
  /** Also consider attributes whose verdict is `review` (default false). */
  includeReview?: boolean;
  /** Override the model's calibrated threshold, within 0..1. */
  threshold?: number | null;
};

/** An attribute chosen for a prompt, with its relevance score. */
export type Selection = {
  attribute: Attribute;
  /** Probability that the attribute should change the answer. */
  score: number;
};

/**
 * Part `index` of `of` equal parts of the attributes, chosen by a hash of the id, so workers
 * that list the profile at slightly different moments still split it the same way.
 */
export type Share = {
  index: number;
  of: number;
};

/** Where `prepareVectors` is: vectors computed and stored so far, of `total` missing ones in its share. */
export type VectorProgress = {
  done: number;
  total: number;
};

/**
 * The shape of the chat SDK the payload is for. Every shape carries the same
 * attribute block, and nothing about the user when nothing was selected.
 */
export type PayloadFormat = "openai" | "openai-responses" | "anthropic" | "ai-sdk" | "text" | "selection";

/**
 * The role of Chat Completions' instruction message. `system` is the default
 * because many OpenAI-compatible servers answer `developer` with a 400.
 */
export type SystemRole = "system" | "developer";

export type ComposeOptions = {
  /** Default `openai` (Chat Completions). */
  format?: PayloadFormat;
  /** `openai` only: the role of the instruction message (default `system`). */
  systemRole?: SystemRole | null;
  /**
   * The app's own system text (up to 20,000 characters); the attribute block follows it.
   * Not for `selection`.
   */
  instructions?: string | null;
};

export type Message = {
  role: string;
  content: string;
};

/** One selected attribute as the `selection` format carries it. */
export type SharedAttribute = {
  id: string;
  text: string;
};

/** What `renderSelection` (`render_selection`) makes of a `selection` payload on the server. */
export type Rendered = {
  /** The system text (the app's instructions, then the attribute block); absent when both are. */
  instructions?: string;
  attributeIds: Array<string>;
  /** Sent but not rendered: text that reads as an instruction, or past the size cap. */
  withheld: Array<Withheld>;
};

/** An attribute that was chosen but not emitted, and why. */
export type Withheld = {
  attributeId: string;
  reason: string;
};

/**
 * A payload for the remote model and the disclosure record that logs it.
 * `P` lets TypeScript callers name the payload shape their format gives.
 */
export type Composed<P = Payload> = {
  payload: P;
  /** The record of this disclosure, already stored on the device. */
  disclosure: Disclosure;
  /** Chosen but not sent: instruction-like text, or past the payload's size cap. */
  withheld: Array<Withheld>;
};

/**
 * `prepareTurn(prompt, options)`: `select`'s options and `compose`'s in one object
 * (`SelectOptions & ComposeOptions`).
 */
export type TurnOptions = {
  /** At most this many attributes (default 5). */
  maxAttributes?: number | null;
  /** Also consider attributes whose verdict is `review` (default false). */
  includeReview?: boolean;
  /** Override the model's calibrated threshold, within 0..1. */
  threshold?: number | null;
  /** Default `openai` (Chat Completions). */
  format?: PayloadFormat;
  /** `openai` only: the role of the instruction message (default `system`). */
  systemRole?: SystemRole | null;
  /** The app's own system text (up to 20,000 characters); the attribute block follows it. */
  instructions?: string | null;
};

/** Why a stored attribute was not sent for this prompt. */
export type Exclusion =
  | "rejected"
  | "awaiting-review"
  | "sensitive"
  | "below-threshold"
  | "over-budget"
  | "withheld"
  | "superseded"
  | "expired";

export type Excluded = {
  attribute: Attribute;
  reason: Exclusion;
  /**
   * The relevance score, for the attributes that were scored (`below-threshold`, `over-budget`,
   * `withheld`).
   */
  score?: number;
  /** The reason in words, for a panel or a log. */
  explanation: string;
};

/**
 * One chat turn: what `select` then `compose` return, from one read of the profile and one
 * prompt encoding. `P` lets TypeScript callers name the payload shape their format gives.
 */
export type Turn<P = Payload> = {
  /** What the payload carries, best first. */
  selected: Array<Selection>;
  /** Every other stored attribute, in the profile's order, with why it was not sent. */
  excluded: Array<Excluded>;
  payload: P;
  /** Chosen but not sent (also in `excluded`, reason `withheld`). */
  withheld: Array<Withheld>;
  /** The record of this disclosure, already stored on the device (also when nothing was sent). */
  disclosure: Disclosure;
};

/** The user's choices, stored with their profile. */
export type PrivacySettings = {
  /** Sensitive categories the user allows to leave the device; none by default. */
  allowedSensitive: Array<Sensitivity>;
};

export type Role = "system" | "user" | "assistant";

/**
 * One chat message, in the OpenAI shape most chat apps already hold (other
 * fields the app keeps on its messages are ignored).
 */
export type ChatMessage = {
  role: Role;
  content: string;
  /** Recorded in `source.messageIds` of attributes whose evidence it holds. */
  id?: string;
};

/** An attribute the chat model proposed, with its support, as `parseExtraction` returns it. */
export type Candidate = {
  /** One third-person sentence about the user. */
  attribute: string;
  /** Why the extractor thinks it holds. */
  reason: string;
  /** Quotes of the user's own words. */
  evidence: Array<string>;
  /** The extractor's own confidence, 0..1. */
  confidence: number;
};

/** Why a rule rejected a candidate. Stable names: apps and studies count them. */
export type Rule =
  | "empty"
  | "not_third_person"
  | "not_about_user"
  | "not_standalone"
  | "duplicate"
  | "no_evidence"
  | "evidence_not_found"
  | "instruction";

export type Verification = {
  candidate: Candidate;
  /** `accepted`, `review` or `rejected`. */
  verdict: Verdict;
  /** The model's probability that a human would accept it; null when a rule decided. */
  score: number | null;
  /** The rule that rejected it, if one did. */
  rule: Rule | null;
  /**
   * For what is not accepted: the study's kind of problem it most looks like, from the
   * rule that decided or the verifier's kind output.
   */
  kind: ProblemKind | null;
  /** Why, in words, for the user and for logs. */
  explanation: string;
};

/**
 * The study's kinds of problematic attribute. Stable names: apps, reports and study exports
 * use them.
 */
export type ProblemKind = "overgeneralization" | "task_context" | "missing_evidence" | "not_standalone";

/** `verify(candidates, context)`: `{ userMessages?, stored? }`, what the exact rules compare against. */
export type VerifyContext = {
  /** The user's own messages: evidence quotes must occur in them. */
  userMessages?: Array<string> | null;
  /** Texts already stored: equal candidates are duplicates. */
  stored?: Array<string>;
};

/** `ingest(messages, llm, options)`. */
export type IngestOptions = {
  /** Recorded as each stored attribute's source. */
  conversationId?: string | null;
  /**
   * When the conversation took place, in milliseconds since the Unix epoch: each stored
   * attribute's `observedAt` (default: now).
   */
  observedAt?: number | null;
};

/** What became of one candidate. */
export type OutcomeAction = "added" | "merged" | "replaces" | "held-for-review" | "rejected";

/** A stored attribute a candidate was found to relate to. */
export type RelatedAttribute = {
  id: string;
  text: string;
  /**
   * The relation head's probability of the relation acted on (`same` or `updates`); 1 when the
   * records' own history links them (a replaced fact said again replaces what had replaced it).
   */
  score: number;
};

/** A stored attribute next to a new fact, and how the relation head reads the pair. */
export type Relative = {
  attribute: Attribute;
  /** Cosine similarity of the two attribute vectors, which picks the nearest. */
  similarity: number;
  related: Related;
};

export type Outcome = {
  action: OutcomeAction;
  /** The candidate's text, as extracted. */
  text: string;
  /** The record stored or made current for it (`added`, `replaces`, `held-for-review`). */
  id?: string;
  /** The stored attribute merged into, replaced, or that may be replaced. */
  related?: RelatedAttribute;
  /** The outcome in words, for a chat note or a log. */
  explanation: string;
};

/** What `ingest` did with each candidate of an extraction reply. */
export type IngestReport = {
  /** What the verifier accepted (a candidate may still have merged or be held, see `outcomes`). */
  accepted: Array<Verification>;
  /**
   * What the verifier was unsure of: stored, but not used by `select` until the user confirms
   * (or `includeReview`).
   */
  review: Array<Verification>;
  /** Not stored. */
  rejected: Array<Verification>;
  /** The new records written, in the candidates' order. */
  stored: Array<Attribute>;
  /**
   * Stored records this reply changed: merged into (seen again), replaced (now history), or
   * current again (a replaced or expired fact said again).
   */
  updated: Array<Attribute>;
  /** One per candidate, in the reply's order: what happened to it. */
  outcomes: Array<Outcome>;
};

export type Relation = "unrelated" | "same" | "updates";

/** The head's probabilities for one pair, one per relation. */
export type Probabilities = {
  unrelated: number;
  same: number;
  updates: number;
};

/** What the device makes of a pair. */
export type Related = {
  /** `updates` only when the head is sure enough to replace the old attribute. */
  relation: Relation;
  /** The new attribute may replace the old one, but not surely enough: the user decides. */
  review: boolean;
  /** The probability of `relation` (of `updates` when held for review). */
  score: number;
  probabilities: Probabilities;
};

/** One line of a study export: a judge's answer to one item of one stage. */
export type StudyLine = { "stage": "attribute" } & AttributeLine | { "stage": "relevance" } & RelevanceLine | { "stage": "response" } & ResponseLine;

/** Stage 1: is this extracted attribute acceptable? */
export type AttributeLine = {
  /** The study's name; absent in a device's export of the user's own review. */
  study?: string;
  /** Who judged: a participant's code, or `device` for the user reviewing their own profile. */
  participant: string;
  /** Whose attribute it is. */
  user: string;
  /** Milliseconds since the Unix epoch; a device's export leaves times out. */
  at?: number;
  attribute: string;
  reason: string;
  /** The user's own words the extractor quoted. */
  evidence?: Array<string>;
  label: ReviewLabel;
  /** What was wrong with it, when the judge said. */
  kind?: ProblemKind;
  /** The verifier's verdict and score, when a device recorded what the user judged. */
  verdict?: Verdict;
  verifier_score?: number;
  note: string;
};

/** Stage 2: should this attribute change the response to the prompt in any way? */
export type RelevanceLine = {
  study: string;
  participant: string;
  user: string;
  at: number;
  prompt_id: string;
  prompt: string;
  attribute: string;
  reason: string;
  relevant: boolean;
  note: string;
};

/** The two responses a stage-3 item shows. */
export type Shown = "personalized" | "generic";

/** Stage 3: which of two responses is better, the personalized or the generic one? */
export type ResponseLine = {
  study: string;
  participant: string;
  user: string;
  at: number;
  prompt_id: string;
  prompt: string;
  /** The order the two were shown in. */
  order: [Shown, Shown];
  /** 1 = the first shown is much better ... 5 = the second is much better. */
  rating: number;
  /** The same judgment on a fixed scale: 5 = the personalized one is much better. */
  personalized_preference: number;
  note: string;
};
