// Raw IndexedDB access for the browser tests: lets a test play "another tab"
// or "an older release of Discreet" without going through the SDK.

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// The v1 schema as the first release created it.
export async function createV1Database(name, rows) {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    const store = open.result.createObjectStore("attributes", { keyPath: "id" });
    store.createIndex("norm", "norm", { unique: true });
  };
  const db = await request(open);
  const tx = db.transaction("attributes", "readwrite");
  for (const row of rows) tx.objectStore("attributes").put(row);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

// Opens a connection that, like a stale tab, never yields to a version change.
export async function holdOpen(name, version) {
  const db = await request(indexedDB.open(name, version));
  db.onversionchange = null;
  return db;
}

export function closeDb(db) {
  db.close();
}

export async function databaseNames() {
  return (await indexedDB.databases()).map((d) => d.name);
}

export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// Deletes a database as another tab would; resolves once it is gone (it waits for open
// connections to close, so a connection that ignores version changes would hang it).
export async function deleteDatabase(name) {
  await request(indexedDB.deleteDatabase(name));
}

// Every record of every store of a database, as JSON text: what a copy of the files would hold.
export async function dumpDatabase(name) {
  const db = await request(indexedDB.open(name));
  const out = {};
  for (const store of db.objectStoreNames) {
    out[store] = await request(db.transaction(store).objectStore(store).getAll());
  }
  db.close();
  return JSON.stringify(out);
}

// Tries to export the stored AES key; resolves to the error's name (or "exported").
export async function tryExportKey(name) {
  const db = await request(indexedDB.open(name));
  const record = await request(db.transaction("settings").objectStore("settings").get("keys"));
  db.close();
  if (!record) return "no key";
  try {
    await crypto.subtle.exportKey("raw", record.aes);
    return "exported";
  } catch (e) {
    return e.name;
  }
}
