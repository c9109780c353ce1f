"""Metrics per SDG and averaged, computed the same way for training reports and ``evaluate``.

Macro averages are over the SDGs that occur in the evaluated data (an SDG with no positive example
has no defined recall); the number of SDGs averaged is reported beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .labels import GOALS, NUM_SDGS

if TYPE_CHECKING:
    from .data import LabelledSet
    from .modeling import SDGClassifier


def _safe_div(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def multilabel_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, mask: np.ndarray | None = None
) -> dict[str, Any]:
    """Per-SDG precision, recall, F1, accuracy and support; micro and macro averages.

    ``mask`` (same shape, 1 = label known) leaves unknown labels out of every count.
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    known = np.ones_like(y_true) if mask is None else np.asarray(mask, dtype=bool)
    tp = (y_true & y_pred & known).sum(0)
    fp = (~y_true & y_pred & known).sum(0)
    fn = (y_true & ~y_pred & known).sum(0)
    tn = (~y_true & ~y_pred & known).sum(0)
    rows: list[dict[str, Any]] = []
    for i, goal in enumerate(GOALS):
        precision = _safe_div(tp[i], tp[i] + fp[i])
        recall = _safe_div(tp[i], tp[i] + fn[i])
        rows.append(
            {
                "sdg": goal.number,
                "name": goal.short_name,
                "precision": precision,
                "recall": recall,
                "f1": _safe_div(2 * precision * recall, precision + recall),
                "accuracy": _safe_div(tp[i] + tn[i], tp[i] + tn[i] + fp[i] + fn[i]),
                "support": int(tp[i] + fn[i]),
                "predicted": int(tp[i] + fp[i]),
            }
        )
    present = [r for r in rows if r["support"] > 0]
    micro_p = _safe_div(tp.sum(), tp.sum() + fp.sum())
    micro_r = _safe_div(tp.sum(), tp.sum() + fn.sum())
    return {
        "per_sdg": rows,
        "macro": {
            key: float(np.mean([r[key] for r in present])) if present else 0.0
            for key in ("precision", "recall", "f1", "accuracy")
        }
        | {"sdgs_averaged": len(present)},
        "micro": {
            "precision": micro_p,
            "recall": micro_r,
            "f1": _safe_div(2 * micro_p * micro_r, micro_p + micro_r),
        },
        "samples": int(y_true.shape[0]),
        "exact_match": float(np.mean((y_true == y_pred).all(1))) if len(y_true) else 0.0,
    }


def evaluate(
    classifier: SDGClassifier,
    labelled: LabelledSet,
    *,
    threshold: float | None = None,
    batch_size: int = 32,
    by: Sequence[str] = ("lang",),
) -> dict[str, Any]:
    """Predict every example and compare with its labels; adds breakdowns by ``lang`` etc."""
    probs = classifier.predict_proba(labelled.texts(), batch_size=batch_size)
    return metrics_from_probs(classifier, labelled, probs, threshold=threshold, by=by)


def metrics_from_probs(
    classifier: SDGClassifier,
    labelled: LabelledSet,
    probs: np.ndarray,
    *,
    threshold: float | None = None,
    by: Sequence[str] = ("lang",),
) -> dict[str, Any]:
    cut = np.full(NUM_SDGS, threshold) if threshold is not None else classifier.thresholds
    y_pred = probs >= cut
    y_true = labelled.label_matrix()
    mask = np.stack([e.known_mask() for e in labelled.examples])
    result = multilabel_metrics(y_true, y_pred, mask)
    for attribute in by:
        values = sorted({getattr(e, attribute) or "?" for e in labelled.examples})
        if len(values) < 2:
            continue
        breakdown = {}
        for value in values:
            rows = [
                i
                for i, e in enumerate(labelled.examples)
                if (getattr(e, attribute) or "?") == value
            ]
            sub = multilabel_metrics(y_true[rows], y_pred[rows], mask[rows])
            breakdown[value] = {"samples": len(rows), "macro": sub["macro"], "micro": sub["micro"]}
        result[f"by_{attribute}"] = breakdown
    return result


def format_metrics_table(metrics: dict[str, Any], title: str = "") -> str:
    """A plain-text table: one row per SDG, then macro and micro averages."""
    lines = [title] if title else []
    header = f"{'SDG':<44} {'prec':>6} {'recall':>6} {'F1':>6} {'acc':>6} {'support':>7}"
    lines += [header, "-" * len(header)]
    for row in metrics["per_sdg"]:
        name = f"{row['sdg']:>2} {row['name']}"
        lines.append(
            f"{name:<44} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f} "
            f"{row['accuracy']:6.3f} {row['support']:7d}"
        )
    lines.append("-" * len(header))
    macro, micro = metrics["macro"], metrics["micro"]
    label = f"macro ({macro['sdgs_averaged']} SDGs present)"
    lines.append(
        f"{label:<44} {macro['precision']:6.3f} {macro['recall']:6.3f} {macro['f1']:6.3f} "
        f"{macro['accuracy']:6.3f}"
    )
    lines.append(
        f"{'micro':<44} {micro['precision']:6.3f} {micro['recall']:6.3f} {micro['f1']:6.3f}"
    )
    for key, block in metrics.items():
        if key.startswith("by_"):
            lines.append("")
            lines.append(
                f"by {key[3:]}: "
                + ", ".join(
                    f"{value} macro-F1 {sub['macro']['f1']:.3f} (n={sub['samples']})"
                    for value, sub in block.items()
                )
            )
    return "\n".join(lines)
