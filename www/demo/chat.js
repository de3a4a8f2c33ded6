// One chat turn: select on the device, compose, send exactly the composed payload, show what
// left and what stayed, then (optionally) learn from the turn through ingest.
import { el } from "./manager.js";

let turnNo = 0;

/** `history` holds earlier user/assistant turns; it carries no attributes, only what was said. */
export async function sendTurn({ d, hasModel, backend, prompt, history, learn }) {
  turnNo += 1;
  // Every usable attribute with its score, for the panel (cached vectors: cheap), then the real choice.
  const scored = hasModel ? await d.select(prompt, { maxAttributes: 100000, threshold: 0, includeReview: true }) : [];
  const selection = hasModel ? await d.select(prompt) : [];
  const { payload, disclosure, withheld } = await d.compose(prompt, selection, { format: backend.format });
  const request = backend.request(payload, history);
  const reply = await backend.send(request);
  const all = await d.list();
  const sentIds = new Set(payload.attributeIds);
  const withheldWhy = new Map(withheld.map((w) => [w.attributeId, w.reason]));
  const scoreOf = new Map(scored.map((s) => [s.attribute.id, s.score]));
  const kept = all.filter((a) => !sentIds.has(a.id))
    .map((a) => ({ attribute: a, score: scoreOf.get(a.id) ?? null, withheld: withheldWhy.get(a.id) }));
  let report = null;
  if (learn) {
    const conversation = [{ role: "user", content: prompt, id: `t${turnNo}-user` }, { role: "assistant", content: reply, id: `t${turnNo}-assistant` }];
    report = await d.ingest(conversation, (promptMessages) => backend.chat(promptMessages), { conversationId: `demo-${Date.now()}` });
  }
  return { prompt, reply, selection: selection.filter((s) => sentIds.has(s.attribute.id)), kept, request, disclosure, report };
}

function keptWhy({ attribute, score, withheld }) {
  if (withheld) return `withheld: ${withheld}`;
  if (attribute.verdict === "rejected") return "rejected by the verifier";
  if (attribute.sensitivity !== "none" && score === null) return `sensitive (${attribute.sensitivity}), not allowed to leave`;
  if (attribute.verdict === "review") return "awaiting your review";
  return score === null ? "not scored" : `relevance ${score.toFixed(2)}, below the threshold or over budget`;
}

export function turnCard(turn, index) {
  const sent = el("ul", { className: "sent" }, ...turn.selection.map((s) =>
    el("li", { textContent: `${s.attribute.text} (${s.score.toFixed(2)})`, title: s.attribute.id })));
  if (!turn.selection.length) sent.append(el("li", { className: "none", textContent: "nothing about you" }));
  const kept = el("ul", { className: "kept" }, ...turn.kept.map((k) =>
    el("li", { textContent: `${k.attribute.text} (${keptWhy(k)})`, title: k.attribute.id })));
  return el("li", { className: "turn" },
    el("strong", { textContent: `Turn ${index}: ` }), el("span", { textContent: turn.prompt }),
    el("div", { className: "small", textContent: `Left the device (${turn.selection.length}):` }), sent,
    el("details", {}, el("summary", { textContent: `Kept on the device (${turn.kept.length})` }), kept),
    el("details", {}, el("summary", { textContent: "Exact payload sent" }),
      el("pre", { className: "payload", textContent: JSON.stringify(turn.request, null, 1) })));
}

export function ingestNote(report) {
  if (!report) return null;
  // A held or rejected attribute says which of the study's problems it looks like.
  const fmt = (v) => `${v.candidate.attribute} (${[v.kind?.replace("_", " "), v.score === null ? v.rule : v.score.toFixed(2)].filter(Boolean).join(", ")})`;
  const parts = [];
  if (report.accepted.length) parts.push(`learned: ${report.accepted.map(fmt).join("; ")}`);
  if (report.review.length) parts.push(`held for your review: ${report.review.map(fmt).join("; ")}`);
  if (report.rejected.length) parts.push(`rejected: ${report.rejected.map((v) => `${v.candidate.attribute} (${v.explanation})`).join("; ")}`);
  return parts.length ? parts.join("\n") : "nothing to learn from this turn";
}
