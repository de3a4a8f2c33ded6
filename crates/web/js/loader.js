
// ---- Loading (crates/web/js/loader.js, appended to wasm-bindgen's glue by tools/finish-pkg.mjs) ----
// Bundlers copy (and may rename) an asset only when they see a literal `new URL("./file", import.meta.url)`,
// so every file the package loads by itself is named by one below. Nothing here runs at import time: the
// package touches no `window`, `fetch`, Cache API or IndexedDB until a function is called. The platform
// part appended after this (platform.browser.js or platform.node.js) says how a URL becomes bytes.

// A module holding one relaxed-SIMD instruction (i8x16.relaxed_swizzle): it validates only where
// relaxed SIMD is supported.
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0,
  65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]);

/** The wasm file `init()` loads by default here: the relaxed-SIMD build (faster int8 inference) or the simd128 one. */
export function wasmFile() {
  return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_SIMD_PROBE)
    ? "discreet_relaxed_bg.wasm" : "discreet_bg.wasm";
}

function bundledWasm() {
  return wasmFile() === "discreet_relaxed_bg.wasm"
    ? new URL("./discreet_relaxed_bg.wasm", import.meta.url)
    : new URL("./discreet_bg.wasm", import.meta.url);
}

// The models shipped in ./models/. tools/finish-pkg.mjs fails the build unless these are exactly the
// manifests and the files they name; the manifests (read at load time) say which bytes each must hold.
function bundledRelevanceFiles() {
  return {
    "relevance.json": new URL("./models/relevance.json", import.meta.url),
    "relevance-encoder.int8.onnx": new URL("./models/relevance-encoder.int8.onnx", import.meta.url),
    "relevance-head.int8.onnx": new URL("./models/relevance-head.int8.onnx", import.meta.url),
    "sensitive-head.int8.onnx": new URL("./models/sensitive-head.int8.onnx", import.meta.url),
    "relation-head.int8.onnx": new URL("./models/relation-head.int8.onnx", import.meta.url),
    "tokenizer.json": new URL("./models/tokenizer.json", import.meta.url),
  };
}

function bundledVerifierFiles() {
  return {
    "verifier.json": new URL("./models/verifier.json", import.meta.url),
    "verifier-head.int8.onnx": new URL("./models/verifier-head.int8.onnx", import.meta.url),
  };
}

function discreetError(message, code, cause) {
  const e = new Error(message, cause === undefined ? undefined : { cause });
  e.name = "DiscreetError";
  e.code = code;
  return e;
}

const errorMessage = (e) => String(e?.message ?? e);

function describeWasm(where) {
  if (where instanceof URL) return where.href;
  if (typeof where === "string") return where;
  if (typeof Request === "function" && where instanceof Request) return where.url;
  if (typeof Response === "function" && where instanceof Response) return where.url || "the Response given";
  if (where instanceof WebAssembly.Module) return "the WebAssembly.Module given";
  return "the wasm bytes given";
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function checkMagic(bytes, what) {
  const head = new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, Math.min(4, bytes.byteLength));
  if (WASM_MAGIC.every((b, i) => head[i] === b)) return;
  const text = new TextDecoder().decode(new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, Math.min(16, bytes.byteLength)));
  throw discreetError(`${what} is not a WebAssembly module (it starts with ${JSON.stringify(text)}): the server ` +
    "answered the wasm URL with something else, such as a dev server's index.html. With Vite's dev server, add " +
    "`optimizeDeps: { exclude: [\"discreet\"] }` to vite.config.js", "E_WASM");
}

// A Response the glue can instantiate (streamed when it is served as application/wasm), else its checked bytes.
async function wasmResponse(response, what) {
  if (!response.ok) throw discreetError(`${what}: HTTP ${response.status} ${response.statusText}`.trim(), "E_WASM");
  if ((response.headers.get("content-type") ?? "").startsWith("application/wasm")) return response;
  const bytes = new Uint8Array(await response.arrayBuffer());
  checkMagic(bytes, what);
  return bytes;
}

// What the glue's loader takes (a Response, bytes or a WebAssembly.Module), checked.
async function wasmInput(where) {
  const what = describeWasm(where);
  if (where instanceof WebAssembly.Module) return where;
  if (where instanceof ArrayBuffer || ArrayBuffer.isView(where)) {
    checkMagic(where, what);
    return where;
  }
  if (typeof Response === "function" && where instanceof Response) return wasmResponse(where, what);
  const isRequest = typeof Request === "function" && where instanceof Request;
  if (!(where instanceof URL) && typeof where !== "string" && !isRequest) {
    throw discreetError("init: `wasm` must be a URL, a string, a Request, a Response, bytes or a WebAssembly.Module",
      "E_INVALID_INPUT");
  }
  let loaded;
  try {
    loaded = await platformWasm(where);
  } catch (e) {
    throw e?.name === "DiscreetError" ? e : discreetError(`${what}: ${errorMessage(e)}`, "E_WASM", e);
  }
  return loaded instanceof Uint8Array ? (checkMagic(loaded, what), loaded) : wasmResponse(loaded, what);
}

async function initOnce(options) {
  let where = options;
  if (options !== null && typeof options === "object" && Object.getPrototypeOf(options) === Object.prototype) {
    for (const key of Object.keys(options)) {
      if (key !== "wasm" && key !== "module_or_path") {
        throw discreetError(`init: unknown option \`${key}\`, expected \`wasm\``, "E_INVALID_INPUT");
      }
    }
    where = options.wasm ?? options.module_or_path;
  }
  where = (await where) ?? bundledWasm();
  const input = await wasmInput(where);
  try {
    return await __wbg_init({ module_or_path: input });
  } catch (e) {
    throw discreetError(`${describeWasm(where)}: ${errorMessage(e)}`, "E_WASM", e);
  }
}

let initPromise;

/**
 * Loads and instantiates the wasm module; every other call needs it done. Without options it loads the build
 * `wasmFile()` names, beside this file (bundlers copy both builds). `{ wasm }` takes a URL, a string, a Request,
 * a Response, bytes or a compiled WebAssembly.Module instead. Calling it again returns the same instance.
 * Fails with a DiscreetError: `E_WASM` (not found, not wasm, not compilable) or `E_INVALID_INPUT`.
 */
function init(options) {
  if (wasm !== undefined) return Promise.resolve(wasm);
  if (initPromise === undefined) {
    initPromise = initOnce(options);
    initPromise.catch(() => { initPromise = undefined; });
  }
  return initPromise;
}

function requireInit(what) {
  if (wasm === undefined) throw discreetError(`${what}: call \`await init()\` first`, "E_WASM");
}

// A ModelSource as the Rust side reads it: a folder URL string, or { name: url string | Uint8Array }.
async function modelSource(source, bundled) {
  if (source === undefined || source === null) return modelFiles(bundled());
  if (source instanceof URL) return source.href;
  if (typeof source !== "object" || Array.isArray(source) || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return source; // a string, or something the Rust side refuses with E_INVALID_INPUT
  }
  return modelFiles(source);
}

async function modelFiles(files) {
  const entries = await Promise.all(Object.entries(files).map(async ([name, value]) => [name, await modelFile(name, value)]));
  return Object.fromEntries(entries);
}

function modelFile(name, value) {
  if (value instanceof URL) return platformFile(name, value);
  if (typeof value === "string" && value.startsWith("file:")) return platformFile(name, new URL(value));
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

const loadRelevance = RelevanceModel.load;
const loadVerifier = VerifierModel.load;

/**
 * The relevance model from `source` (see `ModelSource`); with none, the models bundled with the package.
 */
RelevanceModel.load = async function load(source, options) {
  requireInit("RelevanceModel.load");
  return loadRelevance(await modelSource(source, bundledRelevanceFiles), options);
};

/**
 * The verifier from `source` over `relevance`'s encoder. `load()` and `load(relevance, options)` use the
 * bundled models; without `relevance`, the bundled relevance model is loaded for it.
 */
VerifierModel.load = async function load(source, relevance, options) {
  requireInit("VerifierModel.load");
  if (source instanceof RelevanceModel) [source, relevance, options] = [undefined, source, relevance];
  relevance ??= await RelevanceModel.load(undefined, options);
  return loadVerifier(await modelSource(source, bundledVerifierFiles), relevance, options);
};

export default init;
