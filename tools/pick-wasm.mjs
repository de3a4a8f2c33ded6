// Patches wasm-bindgen's glue (pkg/discreet.js) so that `init()` without arguments loads the
// relaxed-SIMD build where the browser can compile it and the plain simd128 build elsewhere, and
// exports `wasmFile()` to say which. Fails loudly if the glue no longer has the line it replaces.
import { readFileSync, writeFileSync } from "node:fs";

const [js, dts] = process.argv.slice(2);
const line = "module_or_path = new URL('discreet_bg.wasm', import.meta.url);";
const glue = readFileSync(js, "utf8");
if (!glue.includes(line)) throw new Error(`${js}: wasm-bindgen's default wasm URL line not found`);

const picker = `
// A module holding one relaxed-SIMD instruction (i8x16.relaxed_swizzle): it validates only where
// relaxed SIMD is supported.
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0,
  65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]);

/** The wasm file \`init()\` loads by default here: the relaxed-SIMD build (faster int8 inference) or the simd128 one. */
export function wasmFile() {
  return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_SIMD_PROBE)
    ? "discreet_relaxed_bg.wasm" : "discreet_bg.wasm";
}
`;
writeFileSync(js, glue.replace(line, "module_or_path = new URL(wasmFile(), import.meta.url);") + picker);
writeFileSync(dts, readFileSync(dts, "utf8") +
  "\n/** The wasm file `init()` loads by default here: the relaxed-SIMD build (faster int8 inference) or the simd128 one. */\n" +
  "export function wasmFile(): \"discreet_relaxed_bg.wasm\" | \"discreet_bg.wasm\";\n");
