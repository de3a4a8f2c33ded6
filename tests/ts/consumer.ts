// Compiled with `tsc --strict --noEmit` by the test suite: proves the shipped
// declarations describe the API precisely enough for a strict consumer.
import init, { Discreet, SENSITIVE_CATEGORIES, isExtractionPrompt } from "../../pkg/discreet.js";
import type { Added, Attribute, Composed, DiscreetError, Disclosure, ErrorCode, ImportReport, NewAttribute, ReviewJudgment, Reviewed, Selection, Sensitivity } from "../../pkg/discreet.js";

export async function useEveryMethod(): Promise<void> {
  await init();
  const d: Discreet = await Discreet.open({ user: "alice" });
  const input: NewAttribute = { text: "The user is a nurse.", reason: null, evidence: ["I work nights"], verdict: "accepted", verifierScore: 0.9 };
  const added: Added = await d.add(input);
  const a: Attribute = added.attribute;
  const fetched: Attribute = await d.get(a.id);
  const all: Attribute[] = await d.list();
  const edited: Attribute = await d.update(fetched.id, "The user is a retired nurse.");
  const removed: boolean = await d.remove(edited.id);
  await d.clear();
  const json: string = await d.exportJson();
  const merged: ImportReport = await d.importJson(json);
  const replaced: ImportReport = await d.importJson(json, { mode: "replace" });
  const log: Disclosure[] = await d.disclosures();
  const user: string = d.user;
  d.close();
  void [all, removed, merged, replaced, log, user];
}

export function codeOf(e: unknown): ErrorCode | null {
  return e instanceof Error && "code" in e ? (e as DiscreetError).code : null;
}

// @ts-expect-error: unknown verdicts are rejected at compile time too.
export const bad: NewAttribute = { text: "x", verdict: "maybe" };

import { DiscreetWorker } from "../../pkg/client.js";
import type { RemoteDiscreet, WorkerErrorCode } from "../../pkg/client.js";

export async function useTheWorker(): Promise<WorkerErrorCode | null> {
  const w = DiscreetWorker.start();
  const { version }: { version: string } = await w.loadModel("/models/", { onProgress: (p) => void p.loaded });
  const d: RemoteDiscreet = await w.open({ user: "bob" });
  const picked: Selection[] = await d.select("Plan my dinners", { maxAttributes: 3 });
  const composed: Composed = await d.compose("Plan my dinners", picked);
  await d.close();
  w.terminate();
  void [version, composed];
  return null;
}

import { RelevanceModel, VerifierModel, extractionPrompt, parseExtraction } from "../../pkg/discreet.js";
import type { Candidate, ChatMessage, IngestReport, Rule, Verification } from "../../pkg/discreet.js";

export async function ingestAConversation(d: Discreet, chat: (m: ChatMessage[]) => Promise<string>): Promise<Rule[]> {
  const relevance = await RelevanceModel.load("/models/");
  const verifier: VerifierModel = await VerifierModel.load("/models/", relevance, { cache: true });
  d.useVerifier(verifier);
  const conversation: ChatMessage[] = [{ role: "user", content: "I'm vegan.", id: "m1" }];
  const prompt: ChatMessage[] = extractionPrompt(conversation);
  const candidates: Candidate[] = parseExtraction(await chat(prompt));
  const checked: Verification[] = verifier.verify(candidates, { userMessages: ["I'm vegan."] });
  const report: IngestReport = await d.ingest(conversation, chat, { conversationId: "c1" });
  const scores: (number | null)[] = checked.map((v) => v.score);
  void scores;
  return report.rejected.flatMap((v) => (v.rule ? [v.rule] : []));
}

/** The category names and the extraction-prompt check a settings page and a chat router need. */
export function sharedFacts(messages: unknown): [readonly Sensitivity[], boolean] {
  const categories: readonly Exclude<Sensitivity, "none">[] = SENSITIVE_CATEGORIES;
  // @ts-expect-error: the list is read-only
  const mutate = () => SENSITIVE_CATEGORIES.push("health");
  void mutate;
  return [categories, isExtractionPrompt(messages)];
}

/** The user's review, recorded as stage-1 judgments and exported for retraining. */
export async function reviewOne(d: Discreet, id: string): Promise<[Reviewed, ReviewJudgment[], string]> {
  const r: Reviewed = await d.review(id, { action: "delete", kind: "task_context" });
  // @ts-expect-error: not an action
  await d.review(id, { action: "approve" });
  return [r, await d.judgments(), await d.exportJudgments()];
}

import { readStudyExport } from "../../pkg/discreet.js";
import type { AttributeLine, StudyLine, Turn, TurnOptions, OpenaiPayload, Excluded } from "../../pkg/discreet.js";

/** A study export read back: the union narrows on `stage`; optional fields stay optional. */
export function preferences(jsonl: string): number[] {
  const lines: StudyLine[] = readStudyExport(jsonl);
  const stage1: AttributeLine[] = lines.flatMap((l) => (l.stage === "attribute" ? [l] : []));
  // @ts-expect-error: `at` is absent in a device's export
  const when: number = stage1[0].at;
  void when;
  return lines.flatMap((l) => (l.stage === "response" ? [l.personalized_preference] : []));
}

/** The generated records keep their optionality: `score` is there only for scored exclusions. */
export async function turnScores(d: Discreet): Promise<number[]> {
  const options = { maxAttributes: 3, format: "openai", systemRole: "developer" } satisfies TurnOptions;
  const turn: Turn<OpenaiPayload> = await d.prepareTurn("Plan my dinners", options);
  const scored: Excluded[] = turn.excluded.filter((e) => e.score !== undefined);
  // @ts-expect-error: possibly undefined
  const first: number = turn.excluded[0].score;
  void first;
  return scored.map((e) => e.score ?? 0);
}

import type { Outcome, OutcomeAction, Related, Relative } from "../../pkg/discreet.js";

/** Memory that stays true: what each candidate became, the chain behind an attribute, and undo. */
export async function replacements(d: Discreet, report: IngestReport, model: RelevanceModel): Promise<string[]> {
  const replaced: Outcome[] = report.outcomes.filter((o) => o.action === "replaces");
  // @ts-expect-error: not an outcome
  const wrong: OutcomeAction = "deleted";
  void wrong;
  const notes: string[] = [];
  for (const o of replaced) {
    // `related` is there only for merged, replacing and held candidates.
    // @ts-expect-error: possibly undefined
    const oldId: string = o.related.id;
    void oldId;
    const chain: Attribute[] = await d.history(o.related!.id);
    const old: string | null = chain[0].supersededBy;
    const restored: Attribute = await d.undoReplacement(o.related!.id);
    notes.push(`${o.explanation} ${old ?? ""} ${restored.observedAt}`);
  }
  await d.setExpiry(report.stored[0].id, null);
  const r: Related = model.relate("The user lives in Lyon.", "The user moved to Madrid.");
  const p: number = r.probabilities.updates;
  notes.push(`${r.relation} ${r.review} ${p}`);
  const near: Relative[] = await d.related("The user moved to Madrid.");
  const replaces = near.filter((x) => x.related.relation === "updates" && !x.related.review).map((x) => x.attribute.text);
  // @ts-expect-error: a similarity is a number
  const sim: string = near[0].similarity;
  void sim;
  notes.push(...replaces);
  return notes;
}
