"""Lexical features of a (claim, support) pair that sentence vectors blur: how strongly the claim
is worded, whether the reason describes a single request, a repeated pattern or a task done for
someone else, whether the quotes are the user speaking of themselves, and how much of the claim's
wording the support contains. The word lists are data (data/verifier_lexicon.json), copied into
verifier.json, so Discreet computes the same features (src/verify/lexical.rs) from the manifest;
tests/fixtures/verifier_pairs.json pins both sides' vectors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

LEXICON = Path(__file__).resolve().parent / "data" / "verifier_lexicon.json"
# After the groups (claim, reason, quotes, in the file's order): quotes (0..2), claim words found in
# the support, claim length, reason length.
FIXED = 4
CAP = 3
STEM = 5


def load() -> dict:
    return json.loads(LEXICON.read_text(encoding="utf-8"))


def width(lex: dict) -> int:
    return len(lex["attribute"]) + len(lex["reason"]) + len(lex["quotes"]) + FIXED


def tokens(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c in "_'" else " " for c in text.lower()).split()


def count(toks: list[str], phrases: list[str]) -> int:
    n = 0
    for phrase in phrases:
        p = tokens(phrase)
        if p:
            n += sum(toks[i:i + len(p)] == p for i in range(len(toks) - len(p) + 1))
    return n


def features(lex: dict, attribute: str, reason: str, evidence: list[str]) -> np.ndarray:
    ta, tr = tokens(attribute), tokens(reason)
    quotes = [q for q in evidence if q.strip()]
    tq = tokens(" ".join(quotes))
    f = []
    for part, toks in (("attribute", ta), ("reason", tr), ("quotes", tq)):
        f += [min(count(toks, g["phrases"]), CAP) / CAP for g in lex[part]]
    stop = set(lex["stopwords"])
    content = [w for w in ta if w not in stop and len(w) >= 3]
    stems = {w[:STEM] for w in tr + tq}
    f += [min(len(quotes), 2) / 2, sum(w[:STEM] in stems for w in content) / max(len(content), 1),
          min(len(ta), 30) / 30, min(len(tr), 40) / 40]
    return np.array(f, np.float32) * np.float32(lex["scale"])
