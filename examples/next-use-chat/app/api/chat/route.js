// The server half: renders the client's selection into the instructions (quoted as data, screened again)
// and calls any OpenAI-compatible endpoint. The stored profile never reaches this server.
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { convertToModelMessages, streamText } from "ai";
import { discreetInstructions } from "discreet/ai-sdk";

const provider = createOpenAICompatible({
  name: "endpoint",
  baseURL: process.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
  apiKey: process.env.OPENAI_API_KEY,
});

export async function POST(req) {
  const body = await req.json();
  const result = streamText({
    model: provider.chatModel(process.env.OPENAI_MODEL ?? "gpt-4.1-mini"),
    instructions: await discreetInstructions(body.discreet, "You are a helpful assistant."),
    messages: await convertToModelMessages(body.messages),
  });
  return result.toUIMessageStreamResponse();
}
