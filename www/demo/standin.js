// DEMO STAND-IN for the extraction model, used only by the offline backend. It is not a model:
// a few fixed sentence patterns over the user's own words ("I am ...", "I love ...", "I work
// as ..."), answered in the JSON format the extraction prompt asks for, so the offline demo shows
// the real parse -> verify -> store path. A real app sends the extraction prompt to its chat model.

const PATTERNS = [
  [/\bI(?:'m| am) (?:a |an )?((?:vegan|vegetarian|student|teacher|nurse|developer|programmer|parent|designer|engineer|doctor|runner|musician|writer)[\w -]{0,40})/i,
    (m) => `The user is ${article(m)}${m}.`, "They describe themselves this way."],
  [/\bI work as (?:a |an )?([\w -]{3,50})/i, (m) => `The user works as ${article(m)}${m}.`, "They state their job."],
  [/\bI (?:love|enjoy|like) ([\w -]{3,50})/i, (m) => `The user enjoys ${m}.`, "They say they enjoy it."],
  [/\bI live in ([A-Z][\w -]{2,40})/, (m) => `The user lives in ${m}.`, "They say where they live."],
  [/\bI(?:'m| am) (?:allergic|intolerant) to ([\w -]{3,40})/i, (m) => `The user is allergic to ${m}.`, "They mention an allergy."],
  [/\bI have (?:a |an |two |three )?((?:dog|cat|kids?|children|daughter|son)[\w -]{0,30})/i,
    (m) => `The user has ${m}.`, "They mention it about their own life."],
];

const article = (s) => (/^(vegan|vegetarian)/i.test(s) ? "" : /^[aeiou]/i.test(s) ? "an " : "a ");

/** The conversation's user lines, as the extraction prompt lays them out. */
function userLines(promptMessages) {
  const transcript = promptMessages.at(-1)?.content ?? "";
  const lines = [];
  for (const block of transcript.split(/\n(?=\[(?:USER|ASSISTANT)\]\n)/)) {
    if (block.startsWith("[USER]\n")) lines.push(block.slice(7).trim());
  }
  return lines;
}

export function standInExtraction(promptMessages) {
  const candidates = [];
  for (const line of userLines(promptMessages)) {
    for (const sentence of line.split(/(?<=[.!?])\s+/)) {
      for (const [re, claim, reason] of PATTERNS) {
        const m = sentence.match(re);
        if (!m) continue;
        // One claim per pattern: "vegetarian and I love cooking" stops at "and".
        const object = m[1].split(/\s+(?:and|but|so|because|who|which)\b/)[0].trim().replace(/[.,!?]+$/, "");
        candidates.push({ attribute: claim(object), reason, evidence: [m[0].trim()], confidence: 0.7 });
      }
    }
  }
  return "```json\n" + JSON.stringify(candidates, null, 1) + "\n```";
}
