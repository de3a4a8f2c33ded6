// The JS side of pkg/, after wasm-bindgen (run with --omit-default-module-path) has written its glue:
// - pkg/discreet.js (browsers and bundlers) and pkg/discreet.node.js (the `node` export condition): the glue
//   with crates/web/js/loader.js and a platform part appended (`init()`, the wasm build pick, bundled models);
// - pkg/discreet.d.ts: `init(options)`, `wasmFile()` and the `VerifierModel.load` overloads;
// - pkg/models/: the manifests and exactly the files they name, plus the model cards.
// It fails loudly when the glue no longer has a line it replaces, or when the files loader.js names by literal
// `new URL("./models/...")` are not the files the manifests name (file names are fixed; contents and hashes
// are read from the manifests at load time, never copied into JS).
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [pkg, models] = process.argv.slice(2);
const src = new URL("../crates/web/js/", import.meta.url);
const read = (path) => readFileSync(path, "utf8");
const fail = (message) => { throw new Error(`finish-pkg: ${message}`); };

function replaceOnce(text, from, to, where) {
  if (!text.includes(from)) fail(`${where}: expected text not found (wasm-bindgen's output changed?):\n${from}`);
  return text.replace(from, () => to);
}

// Entries.
const gluePath = join(pkg, "discreet.js");
let glue = read(gluePath);
if (glue.includes("import.meta.url")) fail(`${gluePath} has its own wasm URL: run wasm-bindgen with --omit-default-module-path`);
glue = replaceOnce(glue, "export { initSync, __wbg_init as default };", "export { initSync };", gluePath);
// `ingest` is JS (crates/web/js/ingest.js, shared with the worker client): the app's chat model is never called from
// inside a Rust future. A method in the class body, not a prototype assignment a bundler could drop.
glue = replaceOnce(glue, "export class Discreet {\n", `export class Discreet {
    ingest(messages, llm, options) {
        return ingestThrough(this, messages, llm, options);
    }
`, gluePath);
// After wasm-bindgen's @ts-self-types line, which stays the file's first.
glue = glue.replace(/^(\/\* @ts-self-types="[^"\n]*" \*\/\n)?/, (head) => `${head}import { ingestThrough } from "./ingest.js";\n`);
const loader = read(new URL("loader.js", src));
// The category names from the file the core compiles in, so a settings UI never keeps its own list.
const { categories } = JSON.parse(read(new URL("../src/sensitive.json", import.meta.url)));
const constants = `
/** The sensitive categories, in the order the term list checks them (src/sensitive.json). */
export const SENSITIVE_CATEGORIES = Object.freeze(${JSON.stringify(categories)});
`;
writeFileSync(join(pkg, "discreet.js"), glue + loader + constants + read(new URL("platform.browser.js", src)));
writeFileSync(join(pkg, "discreet.node.js"), glue + loader + constants + read(new URL("platform.node.js", src)));

// The bundled model files: each named once, by a literal, in the group of its manifest.
function literalFiles(fn) {
  const start = loader.indexOf(`function ${fn}()`);
  if (start < 0) fail(`loader.js has no ${fn}()`);
  const body = loader.slice(start, loader.indexOf("\n}", start));
  const names = [];
  for (const [, key, file] of body.matchAll(/"([^"]+)": new URL\("\.\/models\/([^"]+)", import\.meta\.url\)/g)) {
    if (key !== file) fail(`${fn}(): key ${key} names file ${file}`);
    names.push(file);
  }
  return names.sort();
}
const named = (manifest) => {
  const files = JSON.parse(read(join(models, manifest))).files;
  return [manifest, ...Object.values(files).map((f) => f.path)].sort();
};
const groups = [["bundledRelevanceFiles", "relevance.json"], ["bundledVerifierFiles", "verifier.json"]];
mkdirSync(join(pkg, "models"), { recursive: true });
for (const [fn, manifest] of groups) {
  const literal = literalFiles(fn);
  const wanted = named(manifest);
  if (JSON.stringify(literal) !== JSON.stringify(wanted)) {
    fail(`crates/web/js/loader.js ${fn}() names ${literal.join(", ")}; ${manifest} names ${wanted.join(", ")}`);
  }
  for (const file of wanted) copyFileSync(join(models, file), join(pkg, "models", file));
}
// The models are CC-BY-SA-4.0: their cards (provenance, licence, limits) travel with them.
for (const card of readdirSync(models).filter((f) => /^MODEL_CARD.*\.md$/.test(f))) {
  copyFileSync(join(models, card), join(pkg, "models", card));
}
for (const wasmName of ["discreet_bg.wasm", "discreet_relaxed_bg.wasm"]) {
  if (!loader.includes(`new URL("./${wasmName}", import.meta.url)`)) fail(`loader.js does not name ./${wasmName}`);
}

// Declarations.
const dtsPath = join(pkg, "discreet.d.ts");
let dts = read(dtsPath);
const initDecl = dts.match(/\/\*\*\n \* If `module_or_path` is \{RequestInfo\} or \{URL\}[\s\S]*?export default function __wbg_init[^;]*;\n/);
if (!initDecl) fail(`${dtsPath}: wasm-bindgen's declaration of the default init function not found`);
dts = dts.replace(initDecl[0], () => `
/** Where \`init\` gets the wasm module; without it, the build \`wasmFile()\` names, beside the package's JS. */
export interface InitOptions {
  wasm?: InitInput | Promise<InitInput>;
}

/** Codes \`init()\` fails with: \`E_WASM\` when the module cannot be fetched, is not wasm or does not compile. */
export type InitErrorCode = "E_WASM" | "E_INVALID_INPUT";

/**
 * Loads and instantiates the wasm module; every other call needs it done. Without options it loads the build
 * \`wasmFile()\` names (in Node, from disk); \`{ wasm }\` takes a URL, string, Request, Response, bytes or a
 * WebAssembly.Module instead. Calling it again returns the same instance. Rejects with a \`DiscreetError\`
 * (\`InitErrorCode\`).
 */
export default function init(options?: InitOptions | { module_or_path: InitInput | Promise<InitInput> } | InitInput): Promise<InitOutput>;

/** The sensitive categories (every \`Sensitivity\` but \`"none"\`), in the order the term list checks them. */
export const SENSITIVE_CATEGORIES: readonly Exclude<Sensitivity, "none">[];

/** The wasm file \`init()\` loads by default here: the relaxed-SIMD build (faster int8 inference) or the simd128 one. */
export function wasmFile(): "discreet_relaxed_bg.wasm" | "discreet_bg.wasm";
`);
const verifierLoad = "    static load(source: ModelSource | null | undefined, relevance: RelevanceModel, options?: LoadOptions | null): Promise<VerifierModel>;\n";
dts = replaceOnce(dts, verifierLoad, verifierLoad +
  "    /**\n     * The bundled verifier over `relevance`'s encoder; without `relevance`, the bundled relevance model is loaded for it.\n     */\n" +
  "    static load(relevance?: RelevanceModel, options?: LoadOptions | null): Promise<VerifierModel>;\n",
  dtsPath);
const ingestReplyDecl = "    ingestReply(messages: ChatMessage[], reply: string, options?: IngestOptions | null): Promise<IngestReport>;\n";
dts = replaceOnce(dts, ingestReplyDecl, ingestReplyDecl +
  "    /**\n     * Stage 1 end to end: `ingestPrompt(messages)`, then `llm(promptMessages)` (the app's chat model; it must\n" +
  "     * resolve to the reply text), then `ingestReply`. Rejects before calling `llm` when nothing could be stored\n" +
  "     * (`E_CLOSED`, `E_MODEL` without a verifier, `E_INVALID_INPUT` for messages or options); a reply that\n     * is not a string is\n" +
  "     * `E_BAD_EXTRACTION`; an error thrown by `llm` is passed through unchanged.\n     */\n" +
  "    ingest(messages: ChatMessage[], llm: (promptMessages: ChatMessage[]) => string | Promise<string>, " +
  "options?: IngestOptions | null): Promise<IngestReport>;\n",
  dtsPath);
// The payload's type follows `options.format`, so `{ ...request }` type-checks against the SDK it is for.
dts = replaceOnce(dts,
  "    compose(prompt: string, selection: Selection[], options?: ComposeOptions | null): Promise<Composed>;\n",
  "    compose<F extends PayloadFormat = \"openai\">(prompt: string, selection: Selection[], " +
  "options?: (ComposeOptions & { format?: F }) | null): Promise<Composed<Extract<Payload, { format: F }>>>;\n",
  dtsPath);
dts = replaceOnce(dts,
  "    prepareTurn(prompt: string, options?: TurnOptions | null): Promise<Turn>;\n",
  "    prepareTurn<F extends PayloadFormat = \"openai\">(prompt: string, " +
  "options?: (TurnOptions & { format?: F }) | null): Promise<Turn<Extract<Payload, { format: F }>>>;\n",
  dtsPath);
writeFileSync(dtsPath, dts);
