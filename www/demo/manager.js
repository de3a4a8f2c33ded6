// The attribute manager: every stored attribute with its reason, the verifier's verdict and
// score, its history (what it replaced or was replaced by, when it was said), and the user's controls
// (edit, delete, undo a replacement, export, import, clear, add).
import { SENSITIVE_CATEGORIES } from "../pkg/discreet.js";
import { el } from "./el.js";

export { el };

/** What the user may say was wrong with an attribute the verifier kept (the study's problem kinds). */
const PROBLEMS = [["", "why? (optional)"], ["overgeneralization", "says more than I did"],
  ["task_context", "was a task, not about me"], ["missing_evidence", "I never said that"], ["not_standalone", "unclear on its own"]];

/** Whether a decision on `a` judges the verifier's work (what `review` records): scored by it, not yet
 * edited or reviewed by the user. */
const judgedByVerifier = (a, reviewed) => typeof a.verifierScore === "number" && !a.userEdited && !reviewed &&
  (a.verdict === "accepted" || a.verdict === "review");

/** One attribute with its controls; `onEdit(a, kind, judged)` and `onDelete(a, kind, judged)` learn whether the
 * decision is a judgment of the verifier's work (then it goes through `review`). */
export function attributeItem(a, { onEdit, onDelete, onKeep, onUndo }, reviewed = false, byId = new Map()) {
  const score = typeof a.verifierScore === "number" ? ` ${a.verifierScore.toFixed(2)}` : "";
  const judged = judgedByVerifier(a, reviewed);
  const why = judged ? el("select", { className: "why", title: "what was wrong (recorded with your decision)" },
    ...PROBLEMS.map(([value, label]) => el("option", { value, textContent: label }))) : null;
  const kind = () => why?.value || null;
  const quoted = (id) => (byId.has(id) ? `"${byId.get(id).text}"` : "an attribute since deleted");
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  const expired = a.expiresAt !== null && a.expiresAt <= Date.now();
  const history = [
    a.supersededBy ? `replaced by ${quoted(a.supersededBy)} on ${day(a.supersededAt)}` : "",
    [...byId.values()].filter((o) => o.supersededBy === a.id).map((o) => `replaces "${o.text}"`).join(", "),
    a.mayReplace ? `may replace ${quoted(a.mayReplace)}: keep it to replace that one` : "",
    expired ? `expired ${day(a.expiresAt)}` : a.expiresAt !== null ? `expires ${day(a.expiresAt)}` : "",
    `said ${day(a.observedAt)}${a.confirmedAt !== null ? `, again ${day(a.confirmedAt)}` : ""}`,
  ].filter(Boolean).join(" · ");
  const li = el("li", { className: `attribute${a.supersededBy ? " superseded" : ""}${expired ? " expired" : ""}` },
    el("span", { className: "text", textContent: a.text }),
    el("span", { className: `verdict ${a.verdict}`, textContent: `${a.verdict}${score}`, title: "verifier verdict and score" }),
    a.sensitivity !== "none" ? el("span", { className: "sensitive", textContent: a.sensitivity, title: "sensitive category: shared only if you allow it below" }) : "",
    el("span", { className: "meta", textContent: [a.userEdited ? "edited by you" : "", a.reason ?? ""].filter(Boolean).join(" · ") }),
    el("span", { className: "history", textContent: history }),
    " ",
    a.supersededBy ? el("button", { textContent: "Undo replacement", className: "undo", title: "it still holds: make it current again", onclick: () => onUndo(a) }) : "",
    a.verdict === "review" && judged ? el("button", { textContent: "Keep", className: "keep", title: "it is right: accept it", onclick: () => onKeep(a) }) : "",
    el("button", { textContent: "Edit", className: "edit", onclick: () => onEdit(a, kind(), judged) }),
    el("button", { textContent: "Delete", className: "delete", onclick: () => onDelete(a, kind(), judged) }),
    why ?? "");
  li.dataset.id = a.id;
  return li;
}

export async function renderManager(d, root, handlers) {
  const [attributes, judgments] = await Promise.all([d.list(), d.judgments()]);
  root.querySelector("#count").textContent = `(${attributes.length})`;
  root.querySelector("#judgment-count").textContent = `${judgments.length} review decisions recorded`;
  const reviewed = new Set(judgments.map((j) => j.attributeId));
  const byId = new Map(attributes.map((a) => [a.id, a]));
  root.querySelector("#list").replaceChildren(...attributes.map((a) => attributeItem(a, handlers, reviewed.has(a.id), byId)));
  return attributes;
}

export function download(name, text, type = "application/json") {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// Concrete facts of the kind Discreet's own extraction prompt stores (the study's profiles, inferred
// from WildChat requests, hold few): written for the demo, not from the study.
const SAMPLE_FACTS = [
  ["The user is vegetarian.", "They said: \"I'm vegetarian, so no meat please.\""],
  ["The user has a two-year-old daughter.", "They said: \"my daughter just turned two\"."],
  ["The user is training for a half marathon in April.", "They said: \"I'm training for a half marathon in April\"."],
  ["The user is allergic to cats.", "They said: \"I'm allergic to cats\"."],
];

/** A sample profile from the study data plus a few concrete facts, each scored by the on-device verifier first. */
export async function seedProfile(d, verifier, user = "u02") {
  const lines = (await (await fetch("demo-data/profiles.jsonl")).text()).split("\n").filter(Boolean);
  const profile = lines.map((l) => JSON.parse(l)).find((p) => p.user === user);
  if (!profile) throw new Error(`no sample profile ${user}`);
  const facts = SAMPLE_FACTS.map(([attribute, reason]) => ({ attribute, reason, extractor_confidence: 1 }));
  const stored = (await d.list()).map((a) => a.text);
  let added = 0;
  for (const a of [...profile.attributes, ...facts]) {
    const candidate = { attribute: a.attribute, reason: a.reason, evidence: [], confidence: a.extractor_confidence };
    const v = verifier ? verifier.verify([candidate], { stored })[0] : null;
    if (v?.rule === "duplicate") continue;
    const r = await d.add({ text: a.attribute, reason: a.reason, verdict: v?.verdict ?? "unverified", verifierScore: v?.score ?? null });
    if (r.added) { added++; stored.push(a.attribute); }
  }
  return added;
}

/** One switch per sensitive category; attributes in a category stay on the device unless it is on. */
export async function renderSwitches(d, root, onChange) {
  const { allowedSensitive } = await d.settings();
  root.replaceChildren(el("legend", { textContent: "May leave the device:" }), ...SENSITIVE_CATEGORIES.map((c) => {
    const box = el("input", { type: "checkbox", checked: allowedSensitive.includes(c), value: c, onchange: () => onChange() });
    return el("label", {}, box, ` ${c}`);
  }));
}

export const checkedSwitches = (root) => [...root.querySelectorAll("input:checked")].map((i) => i.value);
