// Plain Node ESM: `init()` and the bundled models are read from disk (the package's `node` export condition).
// First, importing either entry must touch none of the browser globals an SSR server lacks.
const GLOBALS = ["window", "document", "self", "navigator", "caches", "indexedDB", "fetch", "localStorage", "Worker"];
const touched = [];
const saved = GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]);
for (const name of GLOBALS) {
  Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); } });
}
await import("discreet");
await import(new URL("./node_modules/discreet/discreet.js", import.meta.url)); // the browser entry
await import("discreet/worker");
for (const [name, descriptor] of saved) {
  if (descriptor) Object.defineProperty(globalThis, name, descriptor);
  else delete globalThis[name];
}

const { modelChecks } = await import("./turn.js");
const { Discreet } = await import("discreet");
const checks = await modelChecks();
const open = await Discreet.open({ user: "node" }).then(() => null, (e) => e.code);
console.log(JSON.stringify({ ...checks, open, touched, resolved: import.meta.resolve("discreet") }));
