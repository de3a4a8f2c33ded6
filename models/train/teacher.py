"""Cross-encoder teacher: MiniLM-L6 fine-tuned on (attribute, prompt) pairs of
train + pilot with a class-weighted loss; then it scores every train prompt x
train-user attribute pair, the unlabeled pool the student is distilled on.

    python teacher.py --seed 0        # ~6 min train + ~4 min scoring on 2 cores
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch import nn

import common


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-5)
    args = ap.parse_args()
    common.threads(2)
    common.seed_everything(args.seed)
    from transformers import AutoModelForSequenceClassification

    train = common.load_jsonl(common.DATA / "train.jsonl")
    pilot = common.load_jsonl(common.DATA / "pilot.jsonl")
    dev = common.load_jsonl(common.DATA / "dev.jsonl")
    labeled = [(r["attribute"], r["prompt"], float(r["relevant"])) for r in train + pilot]
    tok = common.tokenizer()
    model = AutoModelForSequenceClassification.from_pretrained(common.encoder_path(), num_labels=1)
    pos_rate = np.mean([y for _, _, y in labeled])
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - pos_rate) / pos_rate))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(labeled) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        for b, enc in pair_batches(tok, labeled, 16, True, rng):
            y = torch.tensor([labeled[i][2] for i in b])
            loss = loss_fn(model(**enc).logits.squeeze(-1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        dev_logits = score(model, tok, [(r["attribute"], r["prompt"]) for r in dev])
        best = max((common.binary_metrics([r["relevant"] for r in dev], dev_logits > t)["f1"], t)
                   for t in np.linspace(-3, 3, 61))
        print(f"epoch {epoch + 1}: {time.time() - t0:.0f}s, dev best F1 {best[0]:.3f} at logit {best[1]:.1f}", flush=True)

    # The unlabeled pool: every train prompt with every attribute of every train user.
    prompts = sorted({r["prompt"] for r in train})
    attributes = sorted({r["attribute"] for r in train})
    pool = [(a, p) for p in prompts for a in attributes]
    t1 = time.time()
    pool_logits = score(model, tok, pool)
    print(f"scored {len(pool)} pool pairs in {time.time() - t1:.0f}s", flush=True)
    dev_logits = score(model, tok, [(r["attribute"], r["prompt"]) for r in dev])
    common.WORK.mkdir(parents=True, exist_ok=True)
    out = common.WORK / f"teacher-seed{args.seed}.json"
    out.write_text(json.dumps({
        "seed": args.seed, "train_seconds": t1 - t0,
        "pool": [{"attribute": a, "prompt": p, "logit": float(s)} for (a, p), s in zip(pool, pool_logits)],
        "dev_logits": [float(s) for s in dev_logits],
    }))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
