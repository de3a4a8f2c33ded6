import type { wrapLanguageModel } from "ai";
import type { SelectOptions, SelectionPayload, Selection, ComposeOptions, Composed } from "./discreet.js";

/** What the middleware needs of a store: a `Discreet` or a `DiscreetWorker`'s `RemoteDiscreet`. */
export interface DiscreetStore {
  select(prompt: string, options?: SelectOptions): Promise<Selection[]>;
  compose(prompt: string, selection: Selection[], options?: ComposeOptions): Promise<Composed>;
}

type PromptMessage = { role: string; content: unknown };

export interface DiscreetMiddlewareOptions {
  discreet: DiscreetStore;
  /** The text to select for; default: the text parts of the last user message. */
  query?: (args: { params: { prompt: PromptMessage[] }; prompt: PromptMessage[] }) => string | Promise<string>;
  /** Where the attribute block goes among the leading system messages: after the app's ("end", default) or before. */
  placement?: "start" | "end";
  /** Passed to `select` (e.g. `{ maxAttributes: 3 }`). */
  select?: SelectOptions;
}

/** A `LanguageModelV4Middleware` (ai@7) or, with `specificationVersion: "v3"`, a `LanguageModelV3Middleware` (ai@6). */
export interface DiscreetMiddleware<V extends "v3" | "v4"> {
  readonly specificationVersion: V;
  transformParams: <P extends { prompt: PromptMessage[] }>(options: {
    type: "generate" | "stream";
    params: P;
    model: unknown;
  }) => PromiseLike<P>;
}

export declare function discreetMiddleware(
  options: DiscreetMiddlewareOptions & { specificationVersion: "v3" },
): DiscreetMiddleware<"v3">;
export declare function discreetMiddleware(
  options: DiscreetMiddlewareOptions & { specificationVersion?: "v4" },
): DiscreetMiddleware<"v4">;

/** `wrapLanguageModel` with `discreetMiddleware`, for the `ai` the app installed (6 or 7). */
export declare function withDiscreet(
  model: Parameters<typeof wrapLanguageModel>[0]["model"],
  options: DiscreetMiddlewareOptions,
): ReturnType<typeof wrapLanguageModel>;

type UIMessageLike = { role: string; parts?: Array<{ type: string; text?: string }> };

export interface DiscreetRequestOptions {
  discreet: DiscreetStore;
  /** The text to select for; default: the text parts of the last user message. */
  query?: (options: { messages: UIMessageLike[] }) => string | Promise<string>;
  select?: SelectOptions;
}

/** For `new DefaultChatTransport({ prepareSendMessagesRequest: discreetRequest({ discreet }) })`. */
export declare function discreetRequest(options: DiscreetRequestOptions): (options: {
  id: string;
  messages: UIMessageLike[];
  body?: Record<string, unknown> | undefined;
  trigger?: string;
  messageId?: string | undefined;
}) => Promise<{ body: Record<string, unknown> & { discreet: Omit<SelectionPayload, "attributeIds"> } }>;

/** Server side: the system text for `body.discreet` after the app's `instructions`; undefined when neither. */
export declare function discreetInstructions(
  selection: Omit<SelectionPayload, "attributeIds"> | { attributes: { id: string; text: string }[] } | null | undefined,
  instructions?: string,
): Promise<string | undefined>;
