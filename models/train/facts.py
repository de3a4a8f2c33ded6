"""The concrete-fact relevance pairs written for the project (data/relevance_facts.README.md):
their split and the per-prompt figures reported on them. numpy only."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from metrics import binary_metrics

# Each line carries its `split` (written once by the rule in data/relevance_facts.README.md: every
# prompt of five domains plus the sixth prompt of every other domain is dev), so this script and the
# Rust tests read one source instead of re-implementing the rule.
FACTS = Path(__file__).resolve().parent / "data" / "relevance_facts.jsonl"


def load_facts(split: str) -> list[dict]:
    rows = [json.loads(line) for line in FACTS.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["split"] == split]


def facts_metrics(rows: list[dict], scores, threshold: float) -> dict:
    """Per-prompt figures on the concrete-fact pairs: does the obvious fact get through, and do
    the generic traits and same-topic near misses stay home?"""
    scores = np.asarray(scores, dtype=np.float64)
    selected = scores >= threshold
    by_kind = {}
    for kind in ("fact", "near_miss", "other_fact", "trait"):
        idx = [i for i, r in enumerate(rows) if r["kind"] == kind]
        by_kind[kind] = float(selected[idx].mean()) if idx else None
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["group"], []).append(i)
    hit1, any_fact, ranks = [], [], []
    for idx in groups.values():
        order = sorted(idx, key=lambda i: -scores[i])
        hit1.append(rows[order[0]]["relevant"])
        facts = [i for i in idx if rows[i]["kind"] == "fact"]
        if facts:
            any_fact.append(bool(selected[facts].any()))
            ranks.append(min(order.index(i) for i in facts) + 1)
    trait_true = [i for i, r in enumerate(rows) if r["kind"] == "trait" and not r["relevant"]]
    return {
        "prompts": len(groups),
        "fact_selected": by_kind["fact"],
        "prompt_with_a_fact_selected": float(np.mean(any_fact)) if any_fact else None,
        "irrelevant_trait_selected": float(selected[trait_true].mean()) if trait_true else None,
        "near_miss_selected": by_kind["near_miss"],
        "other_fact_selected": by_kind["other_fact"],
        "hit_at_1": float(np.mean(hit1)),
        "best_fact_rank_median": float(np.median(ranks)) if ranks else None,
        **{k: v for k, v in binary_metrics([r["relevant"] for r in rows], selected).items() if k in ("f1", "kappa", "selection_rate", "human_rate")},
    }
