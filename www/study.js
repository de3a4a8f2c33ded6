// The study page: a researcher's study file in, participants' judgments out (JSONL), progress in
// IndexedDB so a reload resumes where the participant was.
import { buildItems, exportLines, validateStudy } from "./study/items.js";
import { loadProgress, progressId, saveProgress } from "./study/progress.js";
import { el } from "./demo/el.js";

const $ = (id) => document.getElementById(id);
const LAST = "discreet-study-last";
let study = null;
let session = null; // { id, study, participant, answers, position }
let items = [];

const CHOICES = {
  attribute: { title: "Stage 1: is this attribute acceptable?", keys: "1 ok · 2 unsure · 3 bad",
    options: [["1", "ok", { label: "ok" }], ["2", "unsure", { label: "unsure" }], ["3", "bad", { label: "bad" }]] },
  relevance: { title: "Stage 2: should this attribute change the response to the prompt in any way?", keys: "Y relevant · N not relevant",
    options: [["y", "relevant", { relevant: true }], ["n", "not relevant", { relevant: false }]] },
  response: { title: "Stage 3: which response is better? 1 = the first is much better ... 5 = the second is much better", keys: "1-5",
    options: [1, 2, 3, 4, 5].map((n) => [String(n), String(n), { rating: n }]) },
};

function showError(e) {
  $("error").textContent = e ? `${e.code ?? "ERROR"}: ${e.message}` : "";
}

async function guard(f) {
  showError(null);
  try { await f(); } catch (e) { showError(e); }
}

function useStudy(s) {
  study = validateStudy(s);
  $("study-name").textContent = `${study.study}: ${buildItems(study, "").length} items`;
  $("attribution").textContent = study.attribution ?? "";
  $("start").disabled = false;
}

function render() {
  const item = items[session.position];
  const stage = CHOICES[item.stage];
  const answer = session.answers[item.key];
  const answered = Object.keys(session.answers).length;
  $("position").textContent = `Item ${session.position + 1} of ${items.length}`;
  $("stage-name").textContent = stage.title;
  $("done").max = items.length;
  $("done").value = answered;
  $("done-count").textContent = `${answered} judged`;
  const body = [];
  if (item.stage === "attribute") {
    body.push(el("p", { className: "attribute", textContent: item.attribute }), el("p", { className: "small", textContent: `Extractor's reason: ${item.reason}` }));
  } else if (item.stage === "relevance") {
    body.push(el("p", { className: "prompt", textContent: `Prompt: ${item.prompt}` }), el("p", { className: "attribute", textContent: item.attribute }));
  } else {
    body.push(el("p", { className: "prompt", textContent: `Prompt: ${item.prompt}` }),
      el("div", { className: "responses" }, ...item.order.map((which, i) => el("div", { className: `response r${i + 1}`, textContent: `${i + 1}. ${item.texts[which]}` }))));
  }
  $("item").replaceChildren(...body);
  $("item").dataset.stage = item.stage;
  $("answers").replaceChildren(...stage.options.map(([key, label, value]) => {
    const chosen = answer && Object.entries(value).every(([k, v]) => answer[k] === v);
    return el("button", { textContent: `${label} (${key.toUpperCase()})`, className: chosen ? "chosen" : "", onclick: () => guard(() => choose(value)) });
  }));
  $("note").value = answer?.note ?? "";
  $("keys").textContent = `Keys: ${stage.keys} · ← → move · N note`;
}

async function persist() {
  await saveProgress(session);
  localStorage.setItem(LAST, session.id);
}

async function choose(value) {
  const item = items[session.position];
  session.answers[item.key] = { ...value, note: $("note").value.trim(), at: Date.now() };
  if (session.position < items.length - 1) session.position += 1;
  await persist();
  render();
}

async function move(delta) {
  const item = items[session.position];
  if (session.answers[item.key]) session.answers[item.key].note = $("note").value.trim();
  session.position = Math.max(0, Math.min(items.length - 1, session.position + delta));
  await persist();
  render();
}

async function start(participant) {
  if (!participant) throw Object.assign(new Error("enter a participant id"), { code: "E_STUDY" });
  const id = progressId(study.study, participant);
  session = (await loadProgress(id)) ?? { id, study, participant, answers: {}, position: 0 };
  items = buildItems(session.study, participant);
  $("setup").hidden = true;
  $("session").hidden = false;
  await persist();
  render();
}

function exportJsonl() {
  const text = exportLines(session.study, session.participant, items, session.answers);
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" })), download: `${session.study.study}-${session.participant}.jsonl` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

document.addEventListener("keydown", (ev) => {
  if (!session || $("session").hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.target === $("note")) {
    if (ev.key === "Escape") $("note").blur();
    return;
  }
  const key = ev.key.toLowerCase();
  if (key === "arrowleft") return guard(() => move(-1));
  if (key === "arrowright") return guard(() => move(1));
  if (key === "n" && items[session.position].stage !== "relevance") { ev.preventDefault(); return $("note").focus(); }
  const option = CHOICES[items[session.position].stage].options.find(([k]) => k === key);
  if (option) guard(() => choose(option[2]));
});

$("study-file").onchange = (ev) => guard(async () => {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  let parsed;
  try { parsed = JSON.parse(await file.text()); } catch (e) { throw Object.assign(new Error(`study file is not JSON: ${e.message}`), { code: "E_STUDY" }); }
  useStudy(parsed);
});
$("sample").onclick = () => guard(async () => useStudy(await (await fetch("demo-data/study-sample.json")).json()));
$("start").onclick = () => guard(() => start($("participant").value.trim()));
$("prev").onclick = () => guard(() => move(-1));
$("next").onclick = () => guard(() => move(1));
$("export").onclick = () => guard(async () => exportJsonl());
$("note").onchange = () => guard(async () => {
  const item = items[session.position];
  if (session.answers[item.key]) { session.answers[item.key].note = $("note").value.trim(); await persist(); }
});

// Resume the last session of this browser, if any.
await guard(async () => {
  const last = localStorage.getItem(LAST);
  const saved = last ? await loadProgress(last) : null;
  if (saved) {
    study = saved.study;
    $("participant").value = saved.participant;
    $("attribution").textContent = study.attribution ?? "";
    await start(saved.participant);
  }
});
