"""The stage-1 examples written for the project (data/verifier_authored.README.md): one kind per
failure the study's humans found, plus supported attributes that look like them.

    python verifier_authored.py --write-splits PARTS_DIR   # merge authored parts, write the split once
    python verifier_authored.py --stats                     # lines per kind and split

The split lives in the data file (one source for this script, the training and the Rust tests):
per kind, families sorted by a hash of their name, every fourth is dev.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

AUTHORED = Path(__file__).resolve().parent / "data" / "verifier_authored.jsonl"
# The problem kinds in the order of the head's kind output; `verifier.json` carries the same list,
# and Discreet reads the names from there.
PROBLEM_KINDS = ["overgeneralization", "task_context", "missing_evidence", "not_standalone"]
KINDS = ["supported", *PROBLEM_KINDS]
FIELDS = ["family", "kind", "attribute", "reason", "evidence", "label", "split"]


def support_text(reason: str, evidence: list[str]) -> str:
    """What the verifier weighs an attribute against: the extractor's reason, then the quoted user
    words. The same rule is `verify::support_text` in Rust; tests/fixtures/verifier_pairs.json holds
    pairs with quotes, so a drift between the two fails the Rust agreement test."""
    quotes = " ".join(f'"{q.strip()}"' for q in evidence if q.strip())
    reason = reason.strip()
    return f"{reason} {quotes}".strip() if reason else quotes


def validate(row: dict, where: str) -> None:
    if sorted(row) != sorted(FIELDS) and sorted(row) != sorted(f for f in FIELDS if f != "split"):
        raise SystemExit(f"{where}: keys must be {FIELDS}, got {sorted(row)}")
    if row["kind"] not in KINDS:
        raise SystemExit(f"{where}: unknown kind {row['kind']!r}")
    if row["label"] != ("ok" if row["kind"] == "supported" else "bad"):
        raise SystemExit(f"{where}: kind {row['kind']} needs label {'ok' if row['kind'] == 'supported' else 'bad'}")
    if not row["family"].startswith(row["kind"] + "-"):
        raise SystemExit(f"{where}: family {row['family']!r} must start with its kind")
    if not isinstance(row["evidence"], list) or not all(isinstance(q, str) for q in row["evidence"]):
        raise SystemExit(f"{where}: evidence must be a list of strings")
    for key in ("attribute", "reason"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise SystemExit(f"{where}: {key} must be a non-empty string")


def family_rank(family: str) -> str:
    return hashlib.sha256(f"verifier-authored:{family}".encode()).hexdigest()


def assign_splits(rows: list[dict]) -> None:
    for kind in KINDS:
        families = sorted({r["family"] for r in rows if r["kind"] == kind}, key=family_rank)
        dev = set(families[::4])
        for r in rows:
            if r["kind"] == kind:
                r["split"] = "dev" if r["family"] in dev else "train"


def load(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in AUTHORED.read_text(encoding="utf-8").splitlines() if line.strip()]
    for n, r in enumerate(rows, 1):
        validate(r, f"{AUTHORED.name}:{n}")
    return [r for r in rows if split is None or r["split"] == split]


def pairs(split: str) -> list[dict]:
    """Training/eval rows in verifier.py's shape (`support`, `target`, `family`, `kind`)."""
    return [{"user": f"authored:{r['family']}", "attribute": r["attribute"],
             "support": support_text(r["reason"], r["evidence"]), "reason": r["reason"], "evidence": r["evidence"],
             "target": 1.0 if r["label"] == "ok" else 0.0,
             "family": f"authored_{r['kind']}", "kind": r["kind"], "group": r["family"]}
            for r in load(split)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-splits", type=Path, metavar="PARTS_DIR")
    ap.add_argument("--stats", action="store_true")
    args = ap.parse_args()
    if args.write_splits:
        rows, seen = [], set()
        for part in sorted(args.write_splits.glob("*.jsonl")):
            for n, line in enumerate(part.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                r = json.loads(line)
                r.pop("split", None)
                validate(r, f"{part.name}:{n}")
                key = " ".join(r["attribute"].lower().split()), support_text(r["reason"], r["evidence"]).lower()
                if key in seen:
                    continue
                seen.add(key)
                rows.append({k: r[k] for k in FIELDS if k != "split"})
        assign_splits(rows)
        rows.sort(key=lambda r: (KINDS.index(r["kind"]), r["family"]))
        AUTHORED.write_text("".join(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n" for r in rows),
                            encoding="utf-8")
    rows = load()
    c = Counter((r["kind"], r["split"]) for r in rows)
    fams = Counter((r["kind"], r["split"]) for r in {(r["kind"], r["split"], r["family"]): r for r in rows}.values())
    for kind in KINDS:
        print(f"{kind:20s} train {c[(kind, 'train')]:4d} ({fams[(kind, 'train')]} families)  "
              f"dev {c[(kind, 'dev')]:4d} ({fams[(kind, 'dev')]} families)")
    print("total", len(rows))


if __name__ == "__main__":
    main()
