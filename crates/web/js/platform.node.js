
// ---- Node (crates/web/js/platform.node.js, the package's `node` export condition): files are read from disk ----
// Node's fetch has no file: URLs, so wasm and model files beside this module are read with fs; http(s) URLs are
// fetched. Model bytes are still checked against the manifest's SHA-256 by the Rust side.
import { readFile } from "node:fs/promises";

function localUrl(where) {
  if (where instanceof URL) return where.protocol === "file:" ? where : null;
  if (typeof where !== "string") return null; // a Request
  if (/^[a-z][a-z0-9+.-]*:/i.test(where) && !/^[a-z]:[\\/]/i.test(where)) return where.startsWith("file:") ? new URL(where) : null;
  return where; // a path
}

async function platformWasm(where) {
  const local = localUrl(where);
  return local === null ? fetch(where) : readFile(local);
}

async function platformFile(name, url) {
  if (url.protocol !== "file:") return url.href;
  try {
    const bytes = await readFile(url);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    throw discreetError(`${name}: ${errorMessage(e)}`, "E_MODEL", e);
  }
}
