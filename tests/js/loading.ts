// Compiled with tests/ts/consumer.ts by `tsc --strict --noEmit` (tests/js/pkg.test.mjs): the declarations of
// how the package loads its wasm and models, in every form the README documents.
import init, { RelevanceModel, VerifierModel, wasmFile } from "../../pkg/discreet.js";
import type { InitErrorCode, ModelSource } from "../../pkg/discreet.js";
import { DiscreetWorker } from "../../pkg/client.js";

export async function loadEveryWay(bytes: Uint8Array, module: WebAssembly.Module): Promise<void> {
  await init();
  await init({ wasm: new URL("https://cdn.example/discreet_bg.wasm") });
  await init({ wasm: fetch("/discreet_bg.wasm") });
  await init({ wasm: bytes });
  await init({ wasm: module });
  const bundled: RelevanceModel = await RelevanceModel.load();
  const folder: RelevanceModel = await RelevanceModel.load("/models/", { cache: false });
  const files: ModelSource = { "relevance.json": new URL("https://cdn.example/relevance.json"), "tokenizer.json": bytes };
  await RelevanceModel.load(files, { onProgress: (p) => void p.loaded });
  const verifiers: VerifierModel[] = [await VerifierModel.load(), await VerifierModel.load(bundled),
    await VerifierModel.load("/models/", folder, { cache: false })];
  await DiscreetWorker.start().loadModel();
  const file: "discreet_relaxed_bg.wasm" | "discreet_bg.wasm" = wasmFile();
  const code: InitErrorCode = "E_WASM";
  void [verifiers, file, code];
}

// @ts-expect-error: a number is no model source.
export const notASource = () => RelevanceModel.load(42);
