// Discreet in a Web Worker: inference and IndexedDB work off the page's main
// thread. Started by `DiscreetWorker` (client.js); speaks a small request/reply
// protocol: { id, op, args } -> { id, ok, result | error }, and { id, progress } / { id, info } while loading.
import init, { Discreet, RelevanceModel } from "./discreet.js";

const ready = init();
const stores = new Map();
let nextHandle = 1;
let model = null;

// Methods of Discreet a client may call through `call`.
const METHODS = new Set(["add", "get", "list", "update", "remove", "clear", "exportJson", "importJson",
  "disclosures", "select", "compose", "settings", "setAllowedSensitive"]);

const ops = {
  async open(options) {
    const d = await Discreet.open(options);
    if (model) d.useModel(model);
    const handle = nextHandle++;
    stores.set(handle, d);
    return handle;
  },
  async loadModel(id, source, options) {
    const { onProgress, progress_callback, ...rest } = options ?? {};
    model = await RelevanceModel.load(source ?? undefined, {
      ...rest,
      ...(onProgress && { onProgress: (progress) => self.postMessage({ id, progress }) }),
      ...(progress_callback && { progress_callback: (info) => self.postMessage({ id, info }) }),
    });
    for (const d of stores.values()) d.useModel(model);
    return { version: model.version, threshold: model.threshold };
  },
  async call(handle, method, args) {
    const d = stores.get(handle);
    if (!d) throw Object.assign(new Error("this store was closed"), { code: "E_CLOSED" });
    if (!METHODS.has(method)) throw Object.assign(new Error(`unknown method ${method}`), { code: "E_INVALID_INPUT" });
    return d[method](...args);
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
    const result = op === "loadModel" ? await ops.loadModel(id, ...args) : await ops[op](...args);
    self.postMessage({ id, ok: true, result });
  } catch (e) {
    self.postMessage({ id, ok: false, error: { message: String(e?.message ?? e), code: e?.code ?? "E_WORKER" } });
  }
};
