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
