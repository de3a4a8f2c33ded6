"""Cross-encoder teacher: MiniLM-L6 fine-tuned on (attribute, prompt) pairs of
train + pilot and the concrete-fact pairs' train split (data/relevance_facts.jsonl)
with a class-weighted loss; then it scores the unlabeled pools the student is
distilled on: every human train prompt x train-user attribute, and each fact
prompt with its own attributes and a sample of other facts and human attributes.

    python teacher.py --seed 0        # ~9 min train + ~8 min scoring on 2 cores
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch import nn

import common
from study_export import relevance_judgments


def pair_batches(tok, pairs, batch_size, shuffle, rng):
    # Sorting by length keeps padding (and time) down; shuffling the batches keeps SGD honest.
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    for b in batches:
        enc = tok([pairs[i][0] for i in b], [pairs[i][1] for i in b], truncation="only_second",
                  max_length=common.ATTR_MAX_TOKENS + common.PROMPT_MAX_TOKENS, padding=True, return_tensors="pt")
        yield b, enc


def score(model, tok, pairs, batch_size=64):
    model.eval()
    out = np.zeros(len(pairs), dtype=np.float32)
    with torch.no_grad():
        for b, enc in pair_batches(tok, pairs, batch_size, False, None):
            out[b] = model(**enc).logits.squeeze(-1).numpy()
    return out


def facts_pool_pairs(facts, human_prompts, human_attributes, rng, others=16, humans=8, per_fact=2):
    """Each fact prompt with its own labelled attributes (label kept), a sample of other
    prompts' fact attributes and of human-data attributes (label None: the teacher decides:
    a wheelchair fact written for a travel prompt may matter to a restaurant prompt too);
    and each fact attribute with a few human train prompts, so concrete facts are also
    seen next to the study's kind of request."""
    by_prompt: dict[str, list[dict]] = {}
    for r in facts:
        by_prompt.setdefault(r["prompt"], []).append(r)
    fact_attrs = sorted({r["attribute"] for r in facts})
    out = []
    for prompt, rows in sorted(by_prompt.items()):
        own = {r["attribute"] for r in rows}
        out += [(r["attribute"], prompt, float(r["relevant"])) for r in rows]
        pick = [a for a in rng.permutation(fact_attrs)[: others + len(own)] if a not in own][:others]
        out += [(a, prompt, None) for a in pick]
        out += [(a, prompt, None) for a in rng.choice(human_attributes, humans, replace=False)]
    for a in fact_attrs:
        out += [(a, p, None) for p in rng.choice(human_prompts, per_fact, replace=False)]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--facts-weight", type=float, default=1.0, help="loss weight of a concrete-fact pair vs a human one")
    ap.add_argument("--judgments", action="append", default=[], help="a study export (JSONL): extra human labels")
    args = ap.parse_args()
    common.threads(2)
    common.seed_everything(args.seed)
    from transformers import AutoModelForSequenceClassification

    train = common.load_jsonl(common.DATA / "train.jsonl")
    pilot = common.load_jsonl(common.DATA / "pilot.jsonl")
    dev = common.load_jsonl(common.DATA / "dev.jsonl")
    facts = common.load_facts("train")
    facts_dev = common.load_facts("dev")
    extra = relevance_judgments(args.judgments)
    human = [(r["attribute"], r["prompt"], float(r["relevant"])) for r in train + pilot + extra]
    labeled = human + [(r["attribute"], r["prompt"], float(r["relevant"])) for r in facts]
    weight = torch.tensor([1.0] * len(human) + [args.facts_weight] * len(facts))
    tok = common.tokenizer()
    model = AutoModelForSequenceClassification.from_pretrained(common.encoder_path(), num_labels=1)
    pos_rate = np.mean([y for _, _, y in human])
    bce = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - pos_rate) / pos_rate), reduction="none")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(labeled) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        for b, enc in pair_batches(tok, labeled, 16, True, rng):
            y = torch.tensor([labeled[i][2] for i in b])
            w = weight[b]
            loss = (bce(model(**enc).logits.squeeze(-1), y) * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        dev_logits = score(model, tok, [(r["attribute"], r["prompt"]) for r in dev])
        best = max((common.binary_metrics([r["relevant"] for r in dev], dev_logits > t)["f1"], t)
                   for t in np.linspace(-3, 3, 61))
        fd = score(model, tok, [(r["attribute"], r["prompt"]) for r in facts_dev])
        fm = common.facts_metrics(facts_dev, fd, best[1])
        print(f"epoch {epoch + 1}: {time.time() - t0:.0f}s, dev best F1 {best[0]:.3f} at logit {best[1]:.1f}; "
              f"facts dev at that logit: fact {fm['fact_selected']:.2f} trait {fm['irrelevant_trait_selected']:.2f} "
              f"hit@1 {fm['hit_at_1']:.2f}", flush=True)

    # The unlabeled pool: every train prompt with every attribute of every train user.
    prompts = sorted({r["prompt"] for r in train})
    attributes = sorted({r["attribute"] for r in train})
    pool = [(a, p) for p in prompts for a in attributes]
    t1 = time.time()
    pool_logits = score(model, tok, pool)
    facts_pool = facts_pool_pairs(facts, prompts, attributes, rng)
    facts_logits = score(model, tok, [(a, p) for a, p, _ in facts_pool])
    print(f"scored {len(pool)} + {len(facts_pool)} pool pairs in {time.time() - t1:.0f}s", flush=True)
    dev_logits = score(model, tok, [(r["attribute"], r["prompt"]) for r in dev])
    common.WORK.mkdir(parents=True, exist_ok=True)
    out = common.WORK / f"teacher-seed{args.seed}.json"
    out.write_text(json.dumps({
        "seed": args.seed, "train_seconds": t1 - t0,
        "pool": [{"attribute": a, "prompt": p, "logit": float(s)} for (a, p), s in zip(pool, pool_logits)],
        "facts_pool": [{"attribute": a, "prompt": p, "label": y, "logit": float(s)}
                       for (a, p, y), s in zip(facts_pool, facts_logits)],
        "dev_logits": [float(s) for s in dev_logits],
        "facts_dev_logits": [float(s) for s in score(model, tok, [(r["attribute"], r["prompt"]) for r in facts_dev])],
    }))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
