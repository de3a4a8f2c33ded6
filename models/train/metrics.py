"""Agreement figures (numpy only, shared by the torch and the numpy scripts)."""
from __future__ import annotations

import numpy as np


def binary_metrics(labels, predicted) -> dict:
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    tp = int((y & p).sum())
    fp = int((~y & p).sum())
    fn = int((y & ~p).sum())
    n = len(y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float((y == p).mean())
    pe = y.mean() * p.mean() + (1 - y.mean()) * (1 - p.mean())
    kappa = (accuracy - pe) / (1 - pe) if pe < 1 else 0.0
    return {"n": n, "f1": f1, "precision": precision, "recall": recall, "kappa": kappa,
            "accuracy": accuracy, "selection_rate": float(p.mean()), "human_rate": float(y.mean())}


def bootstrap_f1(labels, predicted, rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    f1s = []
    for _ in range(rounds):
        idx = rng.integers(0, len(y), len(y))
        f1s.append(binary_metrics(y[idx], p[idx])["f1"])
    return float(np.percentile(f1s, 2.5)), float(np.percentile(f1s, 97.5))
