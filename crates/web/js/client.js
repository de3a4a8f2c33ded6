// The page side of worker.js: the same API as `Discreet`, every call async,
// run in a Web Worker. Errors arrive as `DiscreetError`s with their codes; a
// crashed worker fails every pending and later call with `E_WORKER`.
import { ingestThrough } from "./ingest.js";
import { REMOTE_METHODS } from "./methods.js";

function discreetError(message, code) {
  const e = new Error(message);
  e.name = "DiscreetError";
  e.code = code;
  return e;
}

function quietly(callback, event) {
  try { callback?.(event); } catch { /* the app's callback threw: the load goes on */ }
}

// URL objects cannot be posted to a worker; their strings can.
function cloneable(source) {
  if (source instanceof URL) return source.href;
  if (source === null || typeof source !== "object" || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return source;
  return Object.fromEntries(Object.entries(source).map(([name, v]) => [name, v instanceof URL ? v.href : v]));
}

export class DiscreetWorker {
  #worker;
  #pending = new Map();
  #next = 1;
  #dead = null;
  // What a helper worker needs to repeat (`prepareVectors` with `workers` > 1): starting one and the model load.
  #spawn;
  #model = null;

  constructor(worker, spawn) {
    this.#worker = worker;
    this.#spawn = spawn;
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      if (!call) return;
      // A throwing progress callback is the app's bug; as on the main thread, it must not break the load.
      if (data.progress) return quietly(call.onProgress, data.progress);
      if (data.info) return quietly(call.progressCallback, data.info);
      this.#pending.delete(data.id);
      data.ok ? call.resolve(data.result) : call.reject(discreetError(data.error.message, data.error.code));
    };
    const die = (why) => {
      this.#dead = discreetError(`the Discreet worker stopped: ${why}`, "E_WORKER");
      for (const call of this.#pending.values()) call.reject(this.#dead);
      this.#pending.clear();
    };
    worker.onerror = (e) => { e.preventDefault?.(); die(e.message || "error"); };
    worker.onmessageerror = () => die("a message could not be read");
  }

  /** Starts the worker that ships beside this file, or the module worker script at `url`. */
  static start(url) {
    // Written out in full: bundlers bundle a worker only for a literal `new Worker(new URL(...), ...)`.
    // The helpers of `prepareVectors` start the same way, through the same literal.
    const spawn = () => url === undefined
      ? new Worker(new URL("./worker.js", import.meta.url), { type: "module" })
      : new Worker(url, { type: "module" });
    return new DiscreetWorker(spawn(), spawn);
  }

  #send(op, args, onProgress, progressCallback) {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress, progressCallback });
      this.#worker.postMessage({ id, op, args });
    });
  }

  /** Loads the relevance model inside the worker (with no `source`, the bundled one); every store opened there uses it. */
  loadModel(source, options = {}) {
    const { onProgress, progress_callback, ...rest } = options ?? {};
    this.#model = { source: cloneable(source), options: rest };
    return this.#load("loadModel", source, options);
  }

  /** Loads the verifier inside the worker, over the relevance model's encoder (load that first); every store
   * opened there uses it for `ingest` and `ingestReply`. With no `source`, the bundled one. */
  loadVerifier(source, options = {}) {
    return this.#load("loadVerifier", source, options);
  }

  #load(op, source, options) {
    // Functions cannot cross to the worker: it reports each kind of event back, and they are called here.
    const { onProgress, progress_callback, ...rest } = options ?? {};
    for (const [name, f] of [["onProgress", onProgress], ["progress_callback", progress_callback]]) {
      if (f != null && typeof f !== "function") {
        return Promise.reject(discreetError(`options.${name} must be a function`, "E_INVALID_INPUT"));
      }
    }
    return this.#send(op, [cloneable(source), { ...rest, onProgress: !!onProgress, progress_callback: !!progress_callback }],
      onProgress, progress_callback);
  }

  async open(options) {
    const handle = await this.#send("open", [options]);
    const call = (method) => (...args) => this.#send("call", [handle, method, args]);
    const remote = Object.fromEntries(REMOTE_METHODS.map((m) => [m, call(m)]));
    return Object.freeze({
      ...remote,
      prepareVectors: (prepareOptions) => this.#prepareVectors(handle, options, prepareOptions),
      // The app's chat model runs here, on the page; the worker builds the prompt and stores what the reply yields.
      ingest: (messages, llm, ingestOptions) => ingestThrough(remote, messages, llm, ingestOptions),
      close: () => this.#send("close", [handle]),
    });
  }

  // `workers` > 1: helper workers load the same model, open the same profile and each compute
  // one share of the vectors while this worker computes the first; progress is the sum of all.
  async #prepareVectors(handle, openOptions, options = {}) {
    const { onProgress, workers = 1, ...rest } = options ?? {};
    if (onProgress != null && typeof onProgress !== "function") {
      throw discreetError("options.onProgress must be a function", "E_INVALID_INPUT");
    }
    if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
      throw discreetError("options.workers must be an integer from 1 to 16", "E_INVALID_INPUT");
    }
    if (Object.keys(rest).length) throw discreetError(`options: unknown field \`${Object.keys(rest)[0]}\``, "E_INVALID_INPUT");
    const n = this.#model && this.#spawn ? workers : 1;
    const shares = Array.from({ length: n }, () => null);
    const progress = (index) => (p) => {
      shares[index] = p;
      if (shares.every(Boolean)) {
        quietly(onProgress, { done: shares.reduce((s, q) => s + q.done, 0), total: shares.reduce((s, q) => s + q.total, 0) });
      }
    };
    const run = (client, h, index) => client.#send("prepareVectors", [h, { share: { index, of: n }, onProgress: true }],
      progress(index));
    const helpers = Array.from({ length: n - 1 }, () => new DiscreetWorker(this.#spawn(), this.#spawn));
    try {
      // A helper that fails (no memory for a second model, say) leaves its share to this worker.
      const results = await Promise.all([run(this, handle, 0), ...helpers.map(async (helper, i) => {
        await helper.#send("loadModel", [this.#model.source, this.#model.options]);
        const h = await helper.#send("open", [openOptions]);
        return run(helper, h, i + 1);
      }).map((p) => p.catch(() => null))]);
      for (const [index, result] of results.entries()) {
        if (!result) results[index] = await run(this, handle, index);
      }
      return { done: results.reduce((s, r) => s + r.done, 0), total: results.reduce((s, r) => s + r.total, 0) };
    } finally {
      helpers.forEach((helper) => helper.terminate());
    }
  }

  terminate() {
    this.#worker.terminate();
    this.#dead = discreetError("the Discreet worker was terminated", "E_WORKER");
    for (const call of this.#pending.values()) call.reject(this.#dead);
    this.#pending.clear();
  }
}
