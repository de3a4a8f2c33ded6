// The methods of `Discreet` a worker client may call: one list for the worker (which refuses others)
// and the client (which builds its remote object from it); client.d.ts declares their types.
export const REMOTE_METHODS = Object.freeze(["add", "get", "list", "update", "remove", "clear", "exportJson",
  "importJson", "disclosures", "select", "compose", "prepareTurn", "ingestPrompt", "ingestReply", "settings", "setAllowedSensitive",
  "review", "judgments", "exportJudgments", "clearJudgments", "history", "undoReplacement", "setExpiry", "related"]);
