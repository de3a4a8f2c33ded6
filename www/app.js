// The Discreet demo: a chat whose memory of the user stays in this browser. Errors are shown with
// their stable code, as an app built on Discreet would branch on it.
import init, { Discreet, RelevanceModel, VerifierModel } from "./pkg/discreet.js";
import { loadSettings, offlineBackend, openAiBackend, saveSettings } from "./demo/backends.js";
import { ingestNote, sendTurn, turnCard, undoButtons } from "./demo/chat.js";
import { checkedSwitches, download, el, renderManager, renderSwitches, seedProfile } from "./demo/manager.js";

const $ = (id) => document.getElementById(id);
const state = { d: null, relevance: null, verifier: null, history: [], turns: 0 };

function showError(e) {
  $("error").textContent = e ? `${e.code ?? "ERROR"}: ${e.message}` : "";
}

async function run(action) {
  showError(null);
  try {
    await action();
    return true;
  } catch (e) {
    showError(e);
    return false;
  }
}

const status = (text) => { $("status").textContent = text; };

// A decision on what the verifier kept goes through `review`, which records it as a stage-1 judgment.
const handlers = {
  onEdit: (a, kind, judged) => run(async () => {
    const next = prompt("Edit attribute", a.text);
    if (next === null || next.trim() === a.text) return;
    if (judged) await state.d.review(a.id, { action: "edit", text: next, kind });
    else await state.d.update(a.id, next);
    await render();
  }),
  onDelete: (a, kind, judged) => run(async () => {
    if (judged) await state.d.review(a.id, { action: "delete", kind });
    else await state.d.remove(a.id);
    await render();
  }),
  onKeep: (a) => run(async () => { await state.d.review(a.id, { action: "accept" }); await render(); }),
  onUndo: (a) => run(async () => { await state.d.undoReplacement(a.id); await render(); }),
};

async function render() {
  const switches = $("sensitive-switches");
  await renderSwitches(state.d, switches, () => run(async () => {
    await state.d.setAllowedSensitive(checkedSwitches(switches));
    status("sharing settings saved");
  }));
  return renderManager(state.d, document.body, handlers);
}

async function loadModels() {
  const bar = $("model-progress");
  bar.hidden = false;
  const onProgress = ({ loaded, total }) => { bar.max = total; bar.value = loaded; };
  state.relevance = await RelevanceModel.load("./models/", { onProgress });
  state.verifier = await VerifierModel.load("./models/", state.relevance, { onProgress });
  bar.hidden = true;
}

async function open() {
  state.d?.close();
  state.d = await Discreet.open({ user: $("user").value, encrypt: $("encrypt").checked });
  $("encrypt").checked = state.d.encrypted;
  if (state.relevance) state.d.useModel(state.relevance);
  if (state.verifier) state.d.useVerifier(state.verifier);
  state.history = [];
  $("messages").replaceChildren();
  $("turns").replaceChildren();
  const attributes = await render();
  status(`profile "${state.d.user}" open${state.d.encrypted ? " (encrypted)" : ""}${state.relevance ? "" : " (models loading)"}`);
  if (!attributes.length) note("Your profile is empty. Chat and it learns, or load a sample profile from the study data.");
}

function backend() {
  const kind = document.querySelector("input[name=backend]:checked").value;
  if (kind === "offline") return offlineBackend();
  const settings = { baseUrl: $("api-url").value.trim(), model: $("api-model").value.trim(), apiKey: $("api-key").value,
    api: $("api-kind").value };
  if (!settings.baseUrl || !settings.model) throw Object.assign(new Error("enter the endpoint URL and model"), { code: "SETTINGS" });
  saveSettings(settings, $("api-remember").checked);
  return openAiBackend(settings);
}

function note(text) {
  const li = el("li", { className: "note", textContent: text });
  $("messages").append(li);
  return li;
}

function say(role, text) {
  $("messages").append(el("li", { className: role, textContent: text }));
  $("messages").scrollTop = $("messages").scrollHeight;
}

async function chat(prompt) {
  const b = backend();
  say("user", prompt);
  const turn = await sendTurn({ d: state.d, hasModel: !!state.relevance, backend: b, prompt, history: state.history, learn: $("learn").checked });
  say("assistant", turn.reply);
  state.history.push({ role: "user", content: prompt }, { role: "assistant", content: turn.reply });
  state.turns += 1;
  $("turns").prepend(turnCard(turn, state.turns));
  const learned = ingestNote(turn.report);
  if (learned) {
    note(learned).append(...undoButtons(turn.report, async (id) => {
      // Only a failed undo may be tried again: a later failure to redraw is reported, not retried.
      const undone = await run(async () => status(`restored: ${(await state.d.undoReplacement(id)).text}`));
      if (undone) await run(render);
      return undone;
    }));
  }
  await render();
}

function wire() {
  $("open").onclick = () => run(open);
  $("chat-form").onsubmit = (ev) => {
    ev.preventDefault();
    const prompt = $("prompt").value.trim();
    if (!prompt) return;
    $("prompt").value = "";
    run(() => chat(prompt));
  };
  for (const r of document.querySelectorAll("input[name=backend]")) {
    r.onchange = () => { $("backend-name").textContent = r.value === "offline" ? "offline (no key, no network)" : "OpenAI-compatible"; };
  }
  $("api-remember").onchange = () => { if (!$("api-remember").checked) saveSettings(null, false); };
  $("add-form").onsubmit = (ev) => {
    ev.preventDefault();
    run(async () => {
      const reason = $("reason").value.trim();
      await state.d.add({ text: $("text").value, reason: reason || null });
      $("text").value = "";
      $("reason").value = "";
      await render();
    });
  };
  $("seed").onclick = () => run(async () => {
    const added = await seedProfile(state.d, state.verifier);
    status(`sample profile: ${added} attributes added`);
    await render();
  });
  $("export").onclick = () => run(async () => download(`discreet-${state.d.user}.json`, await state.d.exportJson()));
  $("export-judgments").onclick = () => run(async () =>
    download(`discreet-${state.d.user}-judgments.jsonl`, await state.d.exportJudgments(), "application/jsonl"));
  $("import").onchange = (ev) => run(async () => {
    const file = ev.target.files[0];
    ev.target.value = "";
    if (!file) return;
    const report = await state.d.importJson(await file.text());
    status(`imported: ${report.added} added, ${report.replaced} replaced, ${report.skipped} skipped`);
    await render();
  });
  $("clear").onclick = () => run(async () => {
    if (confirm("Delete every stored attribute and review decision of this profile?")) {
      await state.d.clear();
      await render();
    }
  });
}

const saved = loadSettings();
if (saved) {
  $("api-url").value = saved.baseUrl ?? "";
  $("api-model").value = saved.model ?? "";
  $("api-key").value = saved.apiKey ?? "";
  $("api-kind").value = saved.api === "responses" ? "responses" : "chat";
  $("api-remember").checked = true;
}
await init();
wire();
await run(open);
await run(async () => {
  await loadModels();
  state.d.useModel(state.relevance);
  state.d.useVerifier(state.verifier);
  status(`profile "${state.d.user}" open, models ready`);
});
