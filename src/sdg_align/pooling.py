"""How a long text's windows become one score per SDG.

A text longer than one 128-token window is read as overlapping windows, each giving 17 logits. The
pooling turns them into one logit per SDG. ``mean`` dilutes a topic that fills one window of five
(five joined project texts came out tagged with one goal); ``max`` keeps it but lets any one window's
false alarm through; ``mean-max`` (their average) sits between. ``noisy-or`` treats windows as
independent pieces of evidence. The default model's choice is measured in
``scripts/eval_pooling.py`` (docs/encoders.md, "Long texts"). Training pools the same way, so the
model learns under the rule it is used with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

POOLINGS = ("mean", "max", "mean-max", "noisy-or")


def _check(method: str) -> None:
    if method not in POOLINGS:
        raise ValueError(f"unknown pooling {method!r}; choose one of {', '.join(POOLINGS)}")


def pool_numpy(window_logits: np.ndarray, method: str) -> np.ndarray:
    """(windows, 17) logits of one text -> (17,) pooled logits."""
    _check(method)
    if len(window_logits) == 1:
        return window_logits[0].astype(np.float32)
    x = window_logits.astype(np.float64)
    if method == "mean":
        pooled = x.mean(0)
    elif method == "max":
        pooled = x.max(0)
    elif method == "mean-max":
        pooled = 0.5 * (x.mean(0) + x.max(0))
    else:  # noisy-or: P(any window) = 1 - prod(1 - p_i), back to a logit
        total = np.maximum(np.logaddexp(0.0, x).sum(0), 1e-12)  # -log prod(1 - p_i)
        pooled = np.log(-np.expm1(-total)) + total
    return pooled.astype(np.float32)


def pool_texts(window_logits: np.ndarray, counts: Sequence[int], method: str) -> np.ndarray:
    """Logits of consecutive windows grouped by text (``counts`` windows each) -> (texts, 17)."""
    out = np.zeros((len(counts), window_logits.shape[1]), dtype=np.float32)
    start = 0
    for i, count in enumerate(counts):
        out[i] = pool_numpy(window_logits[start : start + count], method)
        start += count
    return out


def pool_torch(window_logits: Any, method: str) -> Any:
    """The same rule on a (windows, 17) torch tensor, differentiable (used in training)."""
    import torch
    import torch.nn.functional as F

    _check(method)
    if window_logits.shape[0] == 1:
        return window_logits[0]
    if method == "mean":
        return window_logits.mean(0)
    if method == "max":
        return window_logits.max(0).values
    if method == "mean-max":
        return 0.5 * (window_logits.mean(0) + window_logits.max(0).values)
    total = F.softplus(window_logits).sum(0).clamp(min=1e-12)
    return torch.log(-torch.expm1(-total)) + total
