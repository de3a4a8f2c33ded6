"""Labelled (attribute, support) pairs for the verifier.

Human stage-1 labels (is an extracted attribute acceptable?) are not in the shared data, so the
first verifier learns from WEAK labels built from relevance/profiles.jsonl, one family per failure
kind the paper found (see MODEL_CARD-verifier.md). Every pair is (attribute text, support text),
where support is the extractor's reason, exactly what Discreet feeds the model at run time.

  ok_own          1  the attribute with its own reason
  ok_variant      1  a raw extraction clustered into the attribute (`merged_from`) with that reason
  missing_same    0  the attribute with the reason of ANOTHER attribute of the same user
                     (plausible, same conversations, but not support for this claim)
  missing_other   0  the attribute with the reason of an attribute of another user
  task_as_trait   0  a claim made from the task in a reason ("They asked for a poem about the sea")
                     turned into a trait ("The user has personal experience with a poem about the sea")

Overgeneralization (the paper's largest kind) has no weak-label family: nothing in the data tells
a supported generalization from an unsupported one. Human judgments fill that gap:

Human judgments (what the Discreet study page exports, one JSON object a line):
  {"stage": "attribute", "user": "u07", "attribute": "...", "reason": "...", "label": "ok"|"unsure"|"bad", "note": "..."}
Lines of other stages are skipped. ok -> 1, bad -> 0, unsure -> 0.5 (a soft target).
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from verifier_authored import support_text

TASK = re.compile(
    r"^(?:They|The user)\s+(?:explicitly\s+)?(?:asked|ask|asks|requested|request|requests|wanted|want|wants)"
    r"(?:\s+for|\s+about|\s+to)?\s+(?P<task>[^,;]+?)(?:,|;|\s+which\b|\s+indicating\b|\s+suggesting\b|\s+showing\b|"
    r"\s+implying\b|\s+to\s+|\.$)")
TASK_TEMPLATES = [
    "The user has personal experience with {task}.",
    "The user's own life is centred on {task}.",
]
HUMAN_TARGET = {"ok": 1.0, "unsure": 0.5, "bad": 0.0}


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def task_as_trait(reason: str, k: int) -> str | None:
    m = TASK.match(reason.strip())
    if not m:
        return None
    task = m.group("task").strip().rstrip(".")
    if len(task.split()) < 2 or len(task) > 160:
        return None
    task = task[0].lower() + task[1:]
    return TASK_TEMPLATES[k % len(TASK_TEMPLATES)].format(task=task)


def weak_pairs(profiles: list[dict], seed: int) -> list[dict]:
    rng = random.Random(seed)
    by_user = {p["user"]: p["attributes"] for p in profiles}
    users = sorted(by_user)
    out = []
    for user in users:
        attrs = by_user[user]
        others = [u for u in users if u != user]
        for i, a in enumerate(attrs):
            text, reason = a["attribute"], a["reason"]
            out.append({"user": user, "attribute": text, "support": reason, "target": 1.0, "family": "ok_own"})
            variants = sorted({m for m in a.get("merged_from", []) if m.strip() and m != text})
            for m in rng.sample(variants, min(2, len(variants))):
                out.append({"user": user, "attribute": m, "support": reason, "target": 1.0, "family": "ok_variant"})
            if len(attrs) > 1:
                j = rng.choice([j for j in range(len(attrs)) if j != i])
                out.append({"user": user, "attribute": text, "support": attrs[j]["reason"], "target": 0.0,
                            "family": "missing_same"})
            other = by_user[rng.choice(others)]
            out.append({"user": user, "attribute": text, "support": rng.choice(other)["reason"], "target": 0.0,
                        "family": "missing_other"})
            fake = task_as_trait(reason, i)
            if fake:
                out.append({"user": user, "attribute": fake, "support": reason, "target": 0.0,
                            "family": "task_as_trait"})
    return out


def human_pairs(paths: list[Path]) -> list[dict]:
    out = []
    for path in paths:
        for n, row in enumerate(read_jsonl(path), 1):
            if row.get("stage", "attribute") != "attribute":
                continue
            label = row.get("label")
            if label not in HUMAN_TARGET:
                raise SystemExit(f"{path}:{n}: label must be ok, unsure or bad, got {label!r}")
            attribute, reason = row.get("attribute"), row.get("reason") or ""
            if not isinstance(attribute, str) or not attribute.strip():
                raise SystemExit(f"{path}:{n}: attribute must be a non-empty string")
            evidence = [q for q in row.get("evidence") or [] if isinstance(q, str)]
            out.append({"user": str(row.get("user", f"{path.name}:{n}")), "attribute": attribute,
                        "support": support_text(reason, evidence), "reason": reason, "evidence": evidence,
                        "target": HUMAN_TARGET[label], "family": f"human_{label}"})
    return out
