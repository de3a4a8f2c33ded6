// One chat turn: prepareTurn on the device (select + compose), send exactly the composed payload,
// show what left and why the rest stayed, then (optionally) learn from the turn through ingest.
import { el } from "./el.js";

let turnNo = 0;

/** `history` holds earlier user/assistant turns; it carries no attributes, only what was said. */
export async function sendTurn({ d, hasModel, backend, prompt, history, learn }) {
  turnNo += 1;
  // One call: what leaves, the payload, and the core's reason for every attribute that stays.
  // Without a relevance model nothing is selected: compose sends the prompt alone (and logs that).
  const turn = hasModel ? await d.prepareTurn(prompt, { format: backend.format })
    : { ...(await d.compose(prompt, [], { format: backend.format })), selected: [],
      excluded: (await d.list()).map((attribute) => ({ attribute, reason: "no-model", explanation: "no relevance model loaded" })) };
  const { payload, disclosure, selected, excluded } = turn;
  const request = backend.request(payload, history);
  const reply = await backend.send(request);
  let report = null;
  if (learn) {
    const conversation = [{ role: "user", content: prompt, id: `t${turnNo}-user` }, { role: "assistant", content: reply, id: `t${turnNo}-assistant` }];
    report = await d.ingest(conversation, (promptMessages) => backend.chat(promptMessages), { conversationId: `demo-${Date.now()}` });
  }
  return { prompt, reply, selection: selected, kept: excluded, request, disclosure, report };
}

/** An attribute that stayed on the device, with the core's reason (`data-reason` is its code). */
function keptItem({ attribute, explanation, reason }) {
  const li = el("li", { textContent: `${attribute.text} (${explanation})`, title: attribute.id });
  li.dataset.reason = reason;
  return li;
}

export function turnCard(turn, index) {
  const sent = el("ul", { className: "sent" }, ...turn.selection.map((s) =>
    el("li", { textContent: `${s.attribute.text} (${s.score.toFixed(2)})`, title: s.attribute.id })));
  if (!turn.selection.length) sent.append(el("li", { className: "none", textContent: "nothing about you" }));
  const kept = el("ul", { className: "kept" }, ...turn.kept.map(keptItem));
  return el("li", { className: "turn" },
    el("strong", { textContent: `Turn ${index}: ` }), el("span", { textContent: turn.prompt }),
    el("div", { className: "small", textContent: `Left the device (${turn.selection.length}):` }), sent,
    el("details", {}, el("summary", { textContent: `Kept on the device (${turn.kept.length})` }), kept),
    el("details", {}, el("summary", { textContent: "Exact payload sent" }),
      el("pre", { className: "payload", textContent: JSON.stringify(turn.request, null, 1) })));
}

/** What learning from the turn did, one line per kind, from the core's outcome for each candidate. */
export function ingestNote(report) {
  if (!report) return null;
  // A held or rejected attribute says which of the study's problems it looks like.
  const fmt = (v) => `${v.candidate.attribute} (${[v.kind?.replace("_", " "), v.score === null ? v.rule : v.score.toFixed(2)].filter(Boolean).join(", ")})`;
  const verdicts = new Map([...report.accepted, ...report.review].map((v) => [v.candidate.attribute, v]));
  const of = (action) => report.outcomes.filter((o) => o.action === action);
  const added = of("added").map((o) => verdicts.get(o.text));
  const parts = [];
  const learned = added.filter((v) => v?.verdict === "accepted");
  const doubtful = added.filter((v) => v && v.verdict !== "accepted");
  if (learned.length) parts.push(`learned: ${learned.map(fmt).join("; ")}`);
  if (doubtful.length) parts.push(`held for your review: ${doubtful.map(fmt).join("; ")}`);
  for (const o of of("held-for-review")) parts.push(`held for your review: ${o.text} may replace ${o.related.text}`);
  for (const o of of("replaces")) parts.push(`updated: ${o.related.text} -> ${o.text}`);
  for (const o of of("merged")) parts.push(`already known: ${o.related.text} (seen again)`);
  if (report.rejected.length) parts.push(`rejected: ${report.rejected.map((v) => `${v.candidate.attribute} (${v.explanation})`).join("; ")}`);
  if (!parts.length) parts.push("nothing to learn from this turn");
  return parts.join("\n");
}

/** One undo per replacement ("updated: lives in Lyon -> relocated to Madrid"), for the turn's note. */
export function undoButtons(report, onUndo) {
  return (report?.outcomes ?? []).filter((o) => o.action === "replaces").map((o) => {
    const undo = el("button", { className: "undo", textContent: `Undo: keep "${o.related.text}"`,
      title: "the old fact still holds: make it current again", onclick: async () => {
        undo.disabled = true;
        // A failed undo (the record was deleted meanwhile, storage error) can be tried again.
        if (!(await onUndo(o.related.id))) undo.disabled = false;
      } });
    undo.dataset.replaced = o.related.id;
    return undo;
  });
}
