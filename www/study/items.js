// A study file -> the ordered items a participant judges, in the paper's three stages.
//
// Study file (JSON): { study, attribution?, users: [{ user, attributes: [{ attribute, reason }] }],
//   prompts: [{ prompt_id, prompt }], relevance: [{ user, prompt_id }],
//   responses?: [{ user, prompt_id, personalized, generic }] }

export function validateStudy(s) {
  const fail = (msg) => { throw Object.assign(new Error(`study file: ${msg}`), { code: "E_STUDY" }); };
  if (!s || typeof s !== "object") fail("not a JSON object");
  if (typeof s.study !== "string" || !s.study) fail("`study` must be a non-empty string");
  if (!Array.isArray(s.users) || !s.users.length) fail("`users` must be a non-empty array");
  for (const u of s.users) {
    if (typeof u.user !== "string" || !Array.isArray(u.attributes)) fail("each user needs `user` and `attributes`");
    for (const a of u.attributes) if (typeof a.attribute !== "string" || !a.attribute.trim()) fail(`user ${u.user}: an attribute is not a string`);
  }
  const prompts = new Map((s.prompts ?? []).map((p) => [p.prompt_id, p.prompt]));
  for (const r of s.relevance ?? []) {
    if (!prompts.has(r.prompt_id)) fail(`relevance: unknown prompt_id ${r.prompt_id}`);
    if (!s.users.some((u) => u.user === r.user)) fail(`relevance: unknown user ${r.user}`);
  }
  for (const r of s.responses ?? []) {
    if (!prompts.has(r.prompt_id)) fail(`responses: unknown prompt_id ${r.prompt_id}`);
    if (typeof r.personalized !== "string" || typeof r.generic !== "string") fail("responses need `personalized` and `generic` text");
  }
  return s;
}

/** Deterministic per participant, so a reload shows the same order of responses. */
function coin(seed) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 === 0;
}

export function buildItems(study, participant) {
  const items = [];
  const userOf = new Map(study.users.map((u) => [u.user, u]));
  const promptOf = new Map((study.prompts ?? []).map((p) => [p.prompt_id, p.prompt]));
  for (const u of study.users) {
    u.attributes.forEach((a, i) => items.push({ key: `attribute:${u.user}:${i}`, stage: "attribute", user: u.user, attribute: a.attribute, reason: a.reason ?? "" }));
  }
  for (const r of study.relevance ?? []) {
    userOf.get(r.user).attributes.forEach((a, i) => items.push({
      key: `relevance:${r.user}:${r.prompt_id}:${i}`, stage: "relevance", user: r.user, prompt_id: r.prompt_id,
      prompt: promptOf.get(r.prompt_id), attribute: a.attribute, reason: a.reason ?? "" }));
  }
  for (const r of study.responses ?? []) {
    const personalizedFirst = coin(`${study.study}:${participant}:${r.user}:${r.prompt_id}`);
    items.push({ key: `response:${r.user}:${r.prompt_id}`, stage: "response", user: r.user, prompt_id: r.prompt_id,
      prompt: promptOf.get(r.prompt_id), order: personalizedFirst ? ["personalized", "generic"] : ["generic", "personalized"],
      texts: { personalized: r.personalized, generic: r.generic } });
  }
  return items;
}

/** JSONL lines: `models/train/verifier.py --judgments` reads the attribute lines and
 *  `discreet eval relevance --data` the relevance lines, as they are. */
export function exportLines(study, participant, items, answers) {
  const lines = [];
  for (const item of items) {
    const a = answers[item.key];
    if (!a) continue;
    const base = { stage: item.stage, study: study.study, participant, user: item.user, at: a.at };
    if (item.stage === "attribute") lines.push({ ...base, attribute: item.attribute, reason: item.reason, label: a.label, note: a.note ?? "" });
    if (item.stage === "relevance") lines.push({ ...base, prompt_id: item.prompt_id, prompt: item.prompt, attribute: item.attribute, reason: item.reason, relevant: a.relevant, note: a.note ?? "" });
    if (item.stage === "response") {
      // rating: 1 = the first shown is much better ... 5 = the second is much better.
      const personalizedScore = item.order[1] === "personalized" ? a.rating : 6 - a.rating;
      lines.push({ ...base, prompt_id: item.prompt_id, prompt: item.prompt, order: item.order, rating: a.rating,
        personalized_preference: personalizedScore, note: a.note ?? "" });
    }
  }
  return lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length ? "\n" : "");
}
