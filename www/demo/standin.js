// DEMO STAND-IN for the extraction model, used only by the offline backend. It is not a model:
// fixed sentence patterns over the user's own words, for the self-statements people type most
// (work, study, family, partner, pets, diet, health, place, languages, hobbies), answered in the
// JSON format the extraction prompt asks for, so the offline demo shows the real
// parse -> verify -> store path. Requests ("write a limerick about ...") match nothing on purpose:
// a task's content is not a fact about the user. A real app sends the extraction prompt to its chat model.

const JOBS = "student|teacher|nurse|developer|programmer|software engineer|engineer|designer|doctor|lawyer|accountant|chef|cook|" +
  "pharmacist|electrician|plumber|carpenter|farmer|photographer|journalist|scientist|researcher|librarian|architect|" +
  "firefighter|police officer|paramedic|dentist|vet|veterinarian|mechanic|barista|waiter|waitress|cashier|driver|" +
  "pilot|artist|musician|writer|translator|social worker|therapist|consultant|manager|freelancer|retiree|parent|runner";
const DIETS = "vegan|vegetarian|pescatarian|lactose intolerant|gluten intolerant|diabetic|celiac|coeliac|pregnant|retired";
const CONDITIONS = "diabetes|type 1 diabetes|type 2 diabetes|asthma|celiac disease|coeliac disease|ADHD|dyslexia|arthritis|" +
  "migraines|high blood pressure|a peanut allergy|a nut allergy|a bad back|tinnitus|epilepsy|anxiety";
const KIN = "(?:a |an |one |two |three |four |\\d+ )?(?:little |young |teenage |grown-up |older |younger )?" +
  "(?:dogs?|cats?|kids?|children|daughters?|sons?|twins|parrot|rabbit|hamster|horse|puppy|kitten|baby|" +
  "brothers?|sisters?|grandchildren|granddaughter|grandson)";

// [pattern, attribute from the captured words, reason from the captured words]
const PATTERNS = [
  [new RegExp(`\\bI(?:'m| am) (?:a |an )?((?:(?:full-time|part-time|retired|trainee|junior|senior|qualified) )?(?:${JOBS})\\b[\\w' -]{0,40})`, "i"),
    (m) => `The user is ${article(m)}${m}.`, (m) => `They say they are ${article(m)}${m}.`],
  [new RegExp(`\\bI(?:'m| am) (?:a |an )?(${DIETS})\\b`, "i"), (m) => `The user is ${article(m)}${m}.`, (m) => `They say they are ${article(m)}${m}.`],
  [/\bI work (?:(?:night shifts?|nights|part[- ]time|full[- ]time|from home|remotely) )?as (?:a |an )?([\w' -]{3,50})/i,
    (m, s) => `The user works ${workWhen(s)}as ${article(m)}${m}.`, (m) => `They say they work as ${article(m)}${m}.`],
  [/\bI work (?:at|for|in) ((?:a |an |the )?[\w' &-]{3,50})/i, (m) => `The user works at ${m}.`, (m) => `They say they work at ${m}.`],
  [/\bI(?:'m| am) (?:studying|doing a degree in|majoring in) ([\w' -]{3,50})/i, (m) => `The user studies ${m}.`, (m) => `They say they are studying ${m}.`],
  [/\bI (?:study) ([\w' -]{3,50})/i, (m) => `The user studies ${m}.`, (m) => `They say they study ${m}.`],
  [/\bI (?:live|am based|'m based) in ([A-Z][\w' -]{2,40})/, (m) => `The user lives in ${m}.`, (m) => `They say they live in ${m}.`],
  [/\bI(?:'m| am) from ([A-Z][\w' -]{2,40})/, (m) => `The user is from ${m}.`, (m) => `They say they are from ${m}.`],
  [/\bI (?:just )?moved to ([A-Z][\w' -]{2,40})/, (m) => `The user moved to ${m}.`, (m) => `They say they moved to ${m}.`],
  [/\bI(?:'m| am) (?:allergic|intolerant) to ([\w' -]{3,40})/i, (m) => `The user is allergic to ${m}.`, (m) => `They say they are allergic to ${m}.`],
  [new RegExp(`\\bI have (${CONDITIONS})\\b`, "i"), (m) => `The user has ${m}.`, (m) => `They say they have ${m}.`],
  [/\bI (?:don't|do not|can't|cannot|never) eat ([\w' -]{3,40})/i, (m) => `The user does not eat ${m}.`, (m) => `They say they do not eat ${m}.`],
  [/\bI keep (kosher|halal)\b/i, (m) => `The user keeps ${m}.`, (m) => `They say they keep ${m}.`],
  [new RegExp(`\\bI(?: have|'ve got| have got) (${KIN}[\\w' -]{0,30})`, "i"), (m) => `The user has ${m}.`, (m) => `They say they have ${m}.`],
  [/\bmy (wife|husband|partner|girlfriend|boyfriend|fianc[eé]e?)\b/i, (m) => `The user has a ${m.toLowerCase()}.`, (m) => `They mention their ${m.toLowerCase()}.`],
  [/\bI(?:'m| am) (married|divorced|single|engaged|widowed)\b/i, (m) => `The user is ${m.toLowerCase()}.`, (m) => `They say they are ${m.toLowerCase()}.`],
  [/\bI speak ([A-Z][\w' ,-]{2,50})/, (m) => `The user speaks ${m}.`, (m) => `They say they speak ${m}.`],
  [/\bI(?:'m| am) (?:learning|taking lessons in) ([\w' -]{3,40})/i, (m) => `The user is learning ${m}.`, (m) => `They say they are learning ${m}.`],
  [/\bmy (?:native|first|mother) (?:language|tongue) is ([a-z]+)/i, (m) => `The user's native language is ${m}.`, (m) => `They say their native language is ${m}.`],
  [/\bI play (?:the )?([\w' -]{3,40})/i, (m, s) => `The user plays ${/\bthe\b/i.test(s) ? "the " : ""}${m}.`, (m) => `They say they play ${m}.`],
  [/\bI (?:love|enjoy|like|adore) ([\w' -]{3,50})/i, (m) => (/^to /i.test(m) ? `The user likes ${m}.` : `The user enjoys ${m}.`), (m) => `They say they ${/^to /i.test(m) ? "like" : "enjoy"} ${m}.`],
  [/\bI(?:'m| am) (?:really )?into ([\w' -]{3,50})/i, (m) => `The user is into ${m}.`, (m) => `They say they are into ${m}.`],
  [/\bmy hobb(?:y is|ies are) ([\w' ,-]{3,50})/i, (m) => `The user's hobbies include ${m}.`, (m) => `They say their hobbies are ${m}.`],
];

const article = (s) => (new RegExp(`^(${DIETS})$`, "i").test(s) ? "" : /^[aeiou]/i.test(s) ? "an " : "a ");
const workWhen = (s) => (s.match(/\b(night shifts?|nights|part[- ]time|full[- ]time|from home|remotely) as\b/i)?.[1].toLowerCase().concat(" ") ?? "");

/** The conversation's user lines, as the extraction prompt lays them out. */
function userLines(promptMessages) {
  const transcript = promptMessages.at(-1)?.content ?? "";
  const lines = [];
  for (const block of transcript.split(/\n(?=\[(?:USER|ASSISTANT)\]\n)/)) {
    if (block.startsWith("[USER]\n")) lines.push(block.slice(7).trim());
  }
  return lines;
}

// A message that sets up a task (fiction, role-play, translation, writing for someone) speaks for
// someone else, so none of it is read; quoted text is someone else's words.
const TASK = /\b(?:pretend|imagine|role-?play|act as|translat\w*|story|stories|poem|song|lyrics|limerick|character|script|scenario|on behalf of)\b/i;
const QUOTED = /(^|\s)["“‘'][^"”’']{2,}["”’'](?=\s|[.,!?]|$)/g;

export function standInExtraction(promptMessages) {
  const candidates = [];
  for (const line of userLines(promptMessages).map((l) => l.replace(QUOTED, "$1")).filter((l) => !TASK.test(l))) {
    // A clause per statement: "I'm vegetarian and I work night shifts as a nurse" holds two.
    for (const clause of line.split(/(?<=[.!?;])\s+|,?\s+(?:and|but|so|because)\s+(?=I\b|my\b)/i)) {
      for (const [re, claim, reason] of PATTERNS) {
        const m = clause.match(re);
        if (!m) continue;
        // One claim per pattern: "vegetarian and I love cooking" stops at "and".
        const object = m[1].split(/\s+(?:and|but|so|because|who|which|when|if|for|to help|please|looking|trying|hoping|wanting)\b/)[0].trim().replace(/[.,!?]+$/, "");
        if (!object) continue;
        candidates.push({ attribute: claim(object, m[0]), reason: reason(object), evidence: [m[0].trim()], confidence: 0.7 });
        break;
      }
    }
  }
  return "```json\n" + JSON.stringify(candidates, null, 1) + "\n```";
}
