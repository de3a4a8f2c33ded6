"""Relevance judgments from the study page's JSONL export (numpy-free): the export mixes stages
and holds one line per participant and pair; training reads the majority per pair."""
from __future__ import annotations

import json
from pathlib import Path


def relevance_judgments(paths: list[Path]) -> list[dict]:
    """Majority per (user, prompt, attribute) over the participants of every export; a tie counts
    as relevant (the study asked whether the attribute changes the answer *in any way*)."""
    votes: dict[tuple, list[bool]] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("stage") != "relevance" or not isinstance(r.get("relevant"), bool):
                continue
            votes.setdefault((r.get("user", ""), r["prompt"], r["attribute"]), []).append(r["relevant"])
    return [{"user": u, "prompt": p, "attribute": a, "relevant": 2 * sum(v) >= len(v)}
            for (u, p, a), v in votes.items()]
