// The smallest app: a profile on the device, the bundled models, and AI SDK generateText against any
// OpenAI-compatible endpoint. withDiscreet selects for each prompt on the device and adds only those
// attributes to the model's instructions; the disclosure log says what left.
import init, { Discreet, RelevanceModel } from "discreet";
import { withDiscreet } from "discreet/ai-sdk";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText } from "ai";

const $ = (id) => document.getElementById(id);

await init();
const d = await Discreet.open({ user: "example" });
d.useModel(await RelevanceModel.load(undefined, {
  progress_callback: (p) => { if (p.status === "progress") $("status").textContent = `loading models: ${p.totalProgress.toFixed(0)}%`; },
}));
$("status").textContent = `ready; stored about you: ${(await d.list()).map((a) => a.text).join(" / ") || "nothing yet"}`;

$("add").onclick = async () => {
  const { added } = await d.add({ text: $("fact").value });
  $("status").textContent = added ? "stored on this device" : "already stored";
};

$("chat").onsubmit = async (event) => {
  event.preventDefault();
  const provider = createOpenAICompatible({ name: "endpoint", baseURL: $("base-url").value, apiKey: $("api-key").value || undefined });
  const model = withDiscreet(provider.chatModel($("model").value), { discreet: d, select: { maxAttributes: 3 } });
  try {
    const { text } = await generateText({ model, instructions: "You are a helpful assistant.", prompt: $("prompt").value });
    $("answer").textContent = text;
    const [last] = (await d.disclosures()).slice(-1);
    $("disclosed").replaceChildren(...(last?.attributeTexts.length ? last.attributeTexts : ["nothing about you"])
      .map((t) => Object.assign(document.createElement("li"), { textContent: t })));
  } catch (e) {
    $("answer").textContent = `error: ${e.message}`;
  }
};
globalThis.exampleReady = true;
