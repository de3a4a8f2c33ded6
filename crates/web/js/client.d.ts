import type { VectorProgress, Added, Attribute, ChatMessage, ComposeOptions, Composed, Disclosure, ImportOptions, ImportReport, IngestOptions, IngestReport, LoadProgress, ProgressInfo,
  ModelSource, NewAttribute, OpenOptions, Payload, PayloadFormat, PrivacySettings, Relative, ReviewDecision, ReviewJudgment, Reviewed, SelectOptions, Selection, Sensitivity, Turn,
  TurnOptions } from "./discreet.js";

/** A `Discreet` store living in the worker: the same methods, all async. */
export interface RemoteDiscreet {
  add(attribute: NewAttribute): Promise<Added>;
  get(id: string): Promise<Attribute>;
  list(): Promise<Attribute[]>;
  update(id: string, text: string): Promise<Attribute>;
  remove(id: string): Promise<boolean>;
  clear(): Promise<void>;
  exportJson(): Promise<string>;
  importJson(json: string, options?: ImportOptions): Promise<ImportReport>;
  disclosures(): Promise<Disclosure[]>;
  select(prompt: string, options?: SelectOptions): Promise<Selection[]>;
  compose<F extends PayloadFormat = "openai">(prompt: string, selection: Selection[],
    options?: ComposeOptions & { format?: F }): Promise<Composed<Extract<Payload, { format: F }>>>;
  prepareTurn<F extends PayloadFormat = "openai">(prompt: string,
    options?: TurnOptions & { format?: F }): Promise<Turn<Extract<Payload, { format: F }>>>;
  /** Needs `loadVerifier` first. `llm` runs on the page; the worker builds its prompt and stores what the reply yields. */
  ingest(messages: ChatMessage[], llm: (promptMessages: ChatMessage[]) => string | Promise<string>,
    options?: IngestOptions): Promise<IngestReport>;
  ingestPrompt(messages: ChatMessage[], options?: IngestOptions): Promise<ChatMessage[]>;
  ingestReply(messages: ChatMessage[], reply: string, options?: IngestOptions): Promise<IngestReport>;
  settings(): Promise<PrivacySettings>;
  setAllowedSensitive(categories: Sensitivity[]): Promise<PrivacySettings>;
  review(id: string, decision: ReviewDecision): Promise<Reviewed>;
  judgments(): Promise<ReviewJudgment[]>;
  exportJudgments(): Promise<string>;
  clearJudgments(): Promise<void>;
  history(id: string): Promise<Attribute[]>;
  undoReplacement(id: string): Promise<Attribute>;
  setExpiry(id: string, expiresAt: number | null): Promise<Attribute>;
  related(text: string): Promise<Relative[]>;
  /** Computes and stores the vectors the first `select` would compute, off the page's thread. With `workers` > 1
   * (default 1), that many workers share the work, each loading the model again (worth it for thousands of
   * attributes). `onProgress` gets the sum over all workers. */
  prepareVectors(options?: { onProgress?: (progress: VectorProgress) => void; workers?: number }): Promise<VectorProgress>;
  close(): Promise<void>;
}

export interface WorkerLoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  progress_callback?: (info: ProgressInfo) => void;
  cache?: boolean;
}

/** Runs Discreet in a Web Worker so inference never blocks the page. Errors are `DiscreetError`s;
 * if the worker dies, pending and later calls reject with code `E_WORKER`. */
export declare class DiscreetWorker {
  /** `spawn` starts another worker like `worker`: `prepareVectors({ workers })` needs it for its helpers (`start` passes it). */
  constructor(worker: Worker, spawn?: () => Worker);
  static start(url?: URL | string): DiscreetWorker;
  /** Without `source`, the models bundled with the package. */
  loadModel(source?: ModelSource, options?: WorkerLoadOptions): Promise<{ version: string; threshold: number }>;
  /** The verifier over the loaded relevance model's encoder (call `loadModel` first); without `source`, the bundled one. */
  loadVerifier(source?: ModelSource, options?: WorkerLoadOptions): Promise<{ version: string }>;
  open(options: OpenOptions): Promise<RemoteDiscreet>;
  terminate(): void;
}

/** Codes a worker call can fail with: the store's codes, and `E_WORKER` when the worker died. */
export type WorkerErrorCode = import("./discreet.js").ErrorCode | "E_WORKER";
