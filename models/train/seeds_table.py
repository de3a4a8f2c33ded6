"""Summarizes student runs (work/student-seed*{tag}.json) over seeds: mean, min and max of the
human-dev and concrete-fact-dev figures, as reported in MODEL_CARD-relevance.md.

    python seeds_table.py -facts1            # the runs written with --tag=-facts1
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

WORK = Path(__file__).resolve().parent / "work"
FIGURES = [("dev_at_human_rate", "f1"), ("dev_at_human_rate", "kappa"), ("dev_at_human_rate", "selection_rate"),
           ("facts_dev", "fact_selected"), ("facts_dev", "prompt_with_a_fact_selected"),
           ("facts_dev", "irrelevant_trait_selected"), ("facts_dev", "near_miss_selected"), ("facts_dev", "hit_at_1"),
           ("facts_dev", "f1")]


def main():
    tag = sys.argv[1] if len(sys.argv) > 1 else ""
    runs = [json.loads(p.read_text()) for p in sorted(WORK.glob(f"student-seed[0-9]{tag}.json"))]
    if not runs:
        raise SystemExit(f"no runs with tag {tag!r} in {WORK}")
    print(f"{len(runs)} seeds: {[r['seed'] for r in runs]}")
    for part, key in FIGURES:
        v = np.array([r[part][key] for r in runs], dtype=float)
        print(f"{part}.{key}: mean {v.mean():.3f} (min {v.min():.3f}, max {v.max():.3f}) {np.round(v, 3).tolist()}")


if __name__ == "__main__":
    main()
