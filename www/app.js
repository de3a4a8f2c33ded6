// Attribute manager on the `discreet` package. Errors are shown with their
// stable code, as an app built on Discreet would branch on it.
import init, { Discreet } from "./pkg/discreet.js";

const $ = (id) => document.getElementById(id);
let store = null;

function showError(e) {
  $("error").textContent = e ? `${e.code ?? "ERROR"}: ${e.message}` : "";
}

async function run(action) {
  showError(null);
  try {
    await action();
  } catch (e) {
    showError(e);
  }
}

async function render() {
  const attributes = await store.list();
  $("count").textContent = `(${attributes.length})`;
  $("list").replaceChildren(
    ...attributes.map((a) => {
      const li = document.createElement("li");
      li.dataset.id = a.id;
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = a.text;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [a.verdict, a.userEdited ? "edited" : "", a.reason ?? ""].filter(Boolean).join(" · ");
      const edit = document.createElement("button");
      edit.textContent = "Edit";
      edit.onclick = () => run(async () => {
        const next = prompt("Edit attribute", a.text);
        if (next !== null) await store.update(a.id, next);
        await render();
      });
      const del = document.createElement("button");
      del.textContent = "Delete";
      del.onclick = () => run(async () => { await store.remove(a.id); await render(); });
      li.append(text, meta, edit, del);
      return li;
    }),
  );
}

async function open() {
  store?.close();
  store = await Discreet.open({ user: $("user").value });
  $("status").textContent = `profile "${store.user}" open`;
  await render();
}

await init();
$("open").onclick = () => run(open);
$("add-form").onsubmit = (ev) => {
  ev.preventDefault();
  run(async () => {
    const reason = $("reason").value.trim();
    await store.add({ text: $("text").value, reason: reason || null });
    $("text").value = "";
    $("reason").value = "";
    await render();
  });
};
$("export").onclick = () => run(async () => {
  const blob = new Blob([await store.exportJson()], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `discreet-${store.user}.json`;
  a.click();
  URL.revokeObjectURL(a.href);
});
$("import").onchange = (ev) => run(async () => {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  const report = await store.importJson(await file.text());
  $("status").textContent = `imported: ${report.added} added, ${report.replaced} replaced, ${report.skipped} skipped`;
  await render();
});
$("clear").onclick = () => run(async () => {
  if (confirm("Delete every stored attribute of this profile?")) {
    await store.clear();
    await render();
  }
});
await run(open);
