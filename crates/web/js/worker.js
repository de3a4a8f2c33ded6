// Discreet in a Web Worker: inference and IndexedDB work off the page's main
// thread. Started by `DiscreetWorker` (client.js); speaks a small request/reply
// protocol: { id, op, args } -> { id, ok, result | error }, and { id, progress } / { id, info } while loading.
import init, { Discreet, RelevanceModel, VerifierModel } from "./discreet.js";
import { REMOTE_METHODS } from "./methods.js";

const ready = init();
const stores = new Map();
let nextHandle = 1;
let model = null;
let verifier = null;

// Functions cannot cross from the page: the worker reports each kind of load event back instead.
function progressOptions(id, options) {
  const { onProgress, progress_callback, ...rest } = options ?? {};
  return {
    ...rest,
    ...(onProgress && { onProgress: (progress) => self.postMessage({ id, progress }) }),
    ...(progress_callback && { progress_callback: (info) => self.postMessage({ id, info }) }),
  };
}

// Methods of Discreet a client may call through `call`.
const METHODS = new Set(REMOTE_METHODS);

const ops = {
  async open(options) {
    const d = await Discreet.open(options);
    if (model) d.useModel(model);
    if (verifier) d.useVerifier(verifier);
    const handle = nextHandle++;
    stores.set(handle, d);
    return handle;
  },
  async loadModel(id, source, options) {
    model = await RelevanceModel.load(source ?? undefined, progressOptions(id, options));
    for (const d of stores.values()) d.useModel(model);
    return { version: model.version, threshold: model.threshold };
  },
  async loadVerifier(id, source, options) {
    if (!model) throw Object.assign(new Error("no relevance model: call loadModel first (the verifier shares its encoder)"), { code: "E_MODEL" });
    const opts = progressOptions(id, options);
    verifier = await (source == null ? VerifierModel.load(model, opts) : VerifierModel.load(source, model, opts));
    for (const d of stores.values()) d.useVerifier(verifier);
    return { version: verifier.version };
  },
  async call(handle, method, args) {
    const d = stores.get(handle);
    if (!d) throw Object.assign(new Error("this store was closed"), { code: "E_CLOSED" });
    if (!METHODS.has(method)) throw Object.assign(new Error(`unknown method ${method}`), { code: "E_INVALID_INPUT" });
    return d[method](...args);
  },
  // The progress callback cannot cross from the page: each event is posted back instead.
  async prepareVectors(id, handle, options) {
    const d = stores.get(handle);
    if (!d) throw Object.assign(new Error("this store was closed"), { code: "E_CLOSED" });
    const { onProgress, ...rest } = options ?? {};
    return d.prepareVectors({ ...rest, ...(onProgress && { onProgress: (progress) => self.postMessage({ id, progress }) }) });
  },
  async close(handle) {
    stores.get(handle)?.close();
    stores.delete(handle);
  },
};

self.onmessage = async ({ data }) => {
  const { id, op, args } = data ?? {};
  try {
    await ready;
    if (!Object.hasOwn(ops, op)) throw Object.assign(new Error(`unknown operation ${op}`), { code: "E_INVALID_INPUT" });
    const withId = op === "loadModel" || op === "loadVerifier" || op === "prepareVectors";
    const result = withId ? await ops[op](id, ...args) : await ops[op](...args);
    self.postMessage({ id, ok: true, result });
  } catch (e) {
    self.postMessage({ id, ok: false, error: { message: String(e?.message ?? e), code: e?.code ?? "E_WORKER" } });
  }
};
