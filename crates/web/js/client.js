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

  constructor(worker) {
    this.#worker = worker;
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
    const worker = url === undefined
      ? new Worker(new URL("./worker.js", import.meta.url), { type: "module" })
      : new Worker(url, { type: "module" });
    return new DiscreetWorker(worker);
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
      // The app's chat model runs here, on the page; the worker builds the prompt and stores what the reply yields.
      ingest: (messages, llm, ingestOptions) => ingestThrough(remote, messages, llm, ingestOptions),
      close: () => this.#send("close", [handle]),
    });
  }

  terminate() {
    this.#worker.terminate();
    this.#dead = discreetError("the Discreet worker was terminated", "E_WORKER");
    for (const call of this.#pending.values()) call.reject(this.#dead);
    this.#pending.clear();
  }
}
