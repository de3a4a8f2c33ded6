"""Student: a MiniLM-L6 bi-encoder (mean pooled, L2-normalized) and a small MLP
over [u, v, u*v, |u-v|], distilled from the teacher's scores on the unlabeled
pools plus class-weighted BCE on the human labels, and the concrete-fact pairs
(their labels where authored, the teacher's scores elsewhere). In the browser
each attribute is encoded once and cached; a turn costs one prompt encoding.

    python student.py --seed 0 --teacher work/teacher-seed0.json   # ~20 min on 2 cores
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import common
from study_export import relevance_judgments

DIM = 384


class Head(nn.Module):
    def __init__(self, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4 * DIM, hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(hidden, 1))

    def pair_logits(self, u, v):
        """u: [N, d] prompts, v: [N, d] attributes -> [N] logits."""
        return self.net(torch.cat([u, v, u * v, (u - v).abs()], -1)).squeeze(-1)

    def grid_logits(self, u, v):
        """u: [P, d], v: [A, d] -> [P, A] logits."""
        p, a = u.shape[0], v.shape[0]
        return self.pair_logits(u[:, None].expand(p, a, DIM).reshape(-1, DIM),
                                v[None].expand(p, a, DIM).reshape(-1, DIM)).view(p, a)


class Encoder(nn.Module):
    """What ships: token ids -> normalized mean-pooled embedding."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask):
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return F.normalize(pooled, dim=-1)


def new_encoder() -> Encoder:
    from transformers import AutoModel

    return Encoder(AutoModel.from_pretrained(common.encoder_path(), attn_implementation="eager"))


def embed(encoder, tok, texts, max_tokens, batch_size=64):
    chunks = []
    for i in range(0, len(texts), batch_size):
        enc = tok(texts[i:i + batch_size], truncation=True, max_length=max_tokens, padding=True, return_tensors="pt")
        chunks.append(encoder(enc["input_ids"], enc["attention_mask"]))
    return torch.cat(chunks)


def dev_scores(encoder, head, tok, rows):
    """Probabilities for (prompt, attribute) rows, each distinct text encoded once."""
    encoder.eval()
    head.eval()
    with torch.no_grad():
        prompts = sorted({r["prompt"] for r in rows})
        attrs = sorted({r["attribute"] for r in rows})
        u = dict(zip(prompts, embed(encoder, tok, prompts, common.PROMPT_MAX_TOKENS)))
        v = dict(zip(attrs, embed(encoder, tok, attrs, common.ATTR_MAX_TOKENS)))
        U = torch.stack([u[r["prompt"]] for r in rows])
        V = torch.stack([v[r["attribute"]] for r in rows])
        return torch.sigmoid(head.pair_logits(U, V)).numpy()


def topical_loss(base, tok, u, v, prompts, attrs):
    """Keeps the pretrained encoder's topical similarity: the student's prompt-attribute
    cosines are pulled towards the base model's (which ranks an on-topic concrete fact
    first among generic traits far more often than the fine-tuned model does)."""
    with torch.no_grad():
        bu = embed(base, tok, prompts, common.PROMPT_MAX_TOKENS)
        bv = embed(base, tok, attrs, common.ATTR_MAX_TOKENS)
    return F.mse_loss(u @ v.T, bu @ bv.T)


def calibrated_threshold(scores, rate):
    """The score above which `rate` of the pairs are selected."""
    return float(np.quantile(scores, 1 - rate))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--human-weight", type=float, default=1.0)
    ap.add_argument("--facts-weight", type=float, default=1.0, help="weight of the concrete-fact loss (0: human data only)")
    ap.add_argument("--topical-weight", type=float, default=0.0, help="weight of the pull towards the base model's cosines")
    ap.add_argument("--tag", default="", help="suffix of the output files (lever runs)")
    ap.add_argument("--judgments", action="append", default=[], help="a study export (JSONL): extra human labels")
    args = ap.parse_args()
    common.threads(2)
    common.seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)

    train = common.load_jsonl(common.DATA / "train.jsonl")
    pilot = common.load_jsonl(common.DATA / "pilot.jsonl")
    dev = common.load_jsonl(common.DATA / "dev.jsonl")
    teacher = json.loads(open(args.teacher).read())
    prompts = sorted({r["prompt"] for r in teacher["pool"]})
    attrs = sorted({r["attribute"] for r in teacher["pool"]})
    p_index = {p: i for i, p in enumerate(prompts)}
    a_index = {a: i for i, a in enumerate(attrs)}
    soft = np.zeros((len(prompts), len(attrs)), dtype=np.float32)
    for r in teacher["pool"]:
        soft[p_index[r["prompt"]], a_index[r["attribute"]]] = 1 / (1 + np.exp(-r["logit"]))
    labeled = [(r["prompt"], r["attribute"], float(r["relevant"])) for r in train + pilot + relevance_judgments(args.judgments)]
    human_rate = float(np.mean([y for _, _, y in labeled]))
    facts_dev = common.load_facts("dev")
    # The concrete-fact pool by prompt: an authored label where there is one, else the teacher's score.
    facts_pool: dict[str, list[tuple[str, float]]] = {}
    for r in teacher["facts_pool"]:
        target = r["label"] if r["label"] is not None else 1 / (1 + np.exp(-r["logit"]))
        facts_pool.setdefault(r["prompt"], []).append((r["attribute"], float(target)))
    fact_prompts = sorted(facts_pool)

    tok = common.tokenizer()
    encoder = new_encoder()
    base = new_encoder().eval() if args.topical_weight > 0 else None
    head = Head()
    opt = torch.optim.AdamW([{"params": encoder.parameters(), "lr": 3e-5},
                             {"params": head.parameters(), "lr": 1e-3}], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.1 * args.steps)) * max(0.0, 1 - s / args.steps))
    pos_weight = torch.tensor((1 - human_rate) / human_rate)
    t0 = time.time()
    for step in range(args.steps):
        encoder.train()
        head.train()
        # A grid of 4 prompts x 16 attributes: 64 distilled pairs for 20 encodings.
        pi = rng.choice(len(prompts), 4, replace=False)
        ai = rng.choice(len(attrs), 16, replace=False)
        u = embed(encoder, tok, [prompts[i] for i in pi], common.PROMPT_MAX_TOKENS)
        v = embed(encoder, tok, [attrs[i] for i in ai], common.ATTR_MAX_TOKENS)
        target = torch.from_numpy(soft[np.ix_(pi, ai)])
        loss = F.binary_cross_entropy_with_logits(head.grid_logits(u, v), target)
        batch = [labeled[i] for i in rng.choice(len(labeled), 16, replace=False)]
        hu = embed(encoder, tok, [b[0] for b in batch], common.PROMPT_MAX_TOKENS)
        hv = embed(encoder, tok, [b[1] for b in batch], common.ATTR_MAX_TOKENS)
        y = torch.tensor([b[2] for b in batch])
        loss = loss + args.human_weight * F.binary_cross_entropy_with_logits(head.pair_logits(hu, hv), y, pos_weight=pos_weight)
        if base is not None:
            loss = loss + args.topical_weight * topical_loss(base, tok, u, v, [prompts[i] for i in pi], [attrs[i] for i in ai])
        if args.facts_weight > 0:
            # Two fact prompts, 12 pool attributes each.
            fp = [fact_prompts[i] for i in rng.choice(len(fact_prompts), 2, replace=False)]
            rows = [(p, *facts_pool[p][j]) for p in fp
                    for j in rng.choice(len(facts_pool[p]), min(12, len(facts_pool[p])), replace=False)]
            fu = dict(zip(fp, embed(encoder, tok, fp, common.PROMPT_MAX_TOKENS)))
            fv = embed(encoder, tok, [r[1] for r in rows], common.ATTR_MAX_TOKENS)
            fl = head.pair_logits(torch.stack([fu[r[0]] for r in rows]), fv)
            loss = loss + args.facts_weight * F.binary_cross_entropy_with_logits(fl, torch.tensor([r[2] for r in rows]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 100 == 0:
            s = dev_scores(encoder, head, tok, dev)
            t = calibrated_threshold(s, human_rate)
            m = common.binary_metrics([r["relevant"] for r in dev], s >= t)
            fm = common.facts_metrics(facts_dev, dev_scores(encoder, head, tok, facts_dev), t)
            print(f"step {step + 1}: {time.time() - t0:.0f}s loss {loss.item():.3f} dev F1 {m['f1']:.3f} "
                  f"kappa {m['kappa']:.3f} (threshold at human rate {human_rate:.3f}); facts dev: fact "
                  f"{fm['fact_selected']:.2f} trait {fm['irrelevant_trait_selected']:.2f} hit@1 {fm['hit_at_1']:.2f}", flush=True)

    s = dev_scores(encoder, head, tok, dev)
    labels = [r["relevant"] for r in dev]
    threshold = calibrated_threshold(s, human_rate)
    m = common.binary_metrics(labels, s >= threshold)
    fm = common.facts_metrics(facts_dev, dev_scores(encoder, head, tok, facts_dev), threshold)
    best = max((common.binary_metrics(labels, s >= t)["f1"], t) for t in np.linspace(0.05, 0.95, 91))
    common.WORK.mkdir(parents=True, exist_ok=True)
    torch.save({"encoder": encoder.state_dict(), "head": head.state_dict(), "seed": args.seed,
                "human_rate": human_rate, "train_seconds": time.time() - t0},
               common.WORK / f"student-seed{args.seed}{args.tag}.pt")
    summary = {"seed": args.seed, "args": vars(args), "dev_at_human_rate": m, "facts_dev": fm,
               "dev_best_f1_diagnostic": {"f1": best[0], "threshold": best[1]}, "train_seconds": time.time() - t0}
    (common.WORK / f"student-seed{args.seed}{args.tag}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
