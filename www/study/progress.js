// Study progress in IndexedDB (one record per study + participant), so a reload resumes.
const DB = "discreet-study";

function db() {
  return new Promise((ok, fail) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore("progress", { keyPath: "id" });
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
    req.onblocked = () => fail(Object.assign(new Error("the study database is open in an older tab"), { code: "E_BLOCKED" }));
  });
}

async function tx(mode, f) {
  const d = await db();
  return new Promise((ok, fail) => {
    const t = d.transaction("progress", mode);
    const result = f(t.objectStore("progress"));
    t.oncomplete = () => { d.close(); ok(result.result); };
    t.onerror = () => { d.close(); fail(t.error); };
    t.onabort = () => { d.close(); fail(t.error ?? new Error("transaction aborted")); };
  });
}

export const progressId = (study, participant) => `${study}\u0000${participant}`;

export const loadProgress = (id) => tx("readonly", (s) => s.get(id));

export const saveProgress = (record) => tx("readwrite", (s) => s.put(record));
