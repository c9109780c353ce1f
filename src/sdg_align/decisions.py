"""From validation logits to decisions: calibration, per-SDG thresholds and operating points.

Everything here is fitted on the validation split, on the same pooled logits inference computes,
and counts only labels that are known for certain (an implied negative of a single-goal research
label is a guess, not a label). Each source weighs the same in every count (unless it has too few
validation texts to speak for itself): without that, the largest source (once: thousands of paper
titles) would choose the thresholds for everyone.

Three operating points are stored per model, each a threshold per SDG:

- ``balanced``: the best F1 (the default);
- ``precise``: precision >= 0.9 where the validation data allow it (for a board report);
- ``broad``: recall >= 0.9 where the validation data allow it (for screening a portfolio).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .labels import NUM_SDGS

OPERATING_POINTS = ("balanced", "precise", "broad")
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.9
GRID = np.round(np.arange(0.02, 0.981, 0.01), 2)


MIN_SOURCE_ROWS = 30  # below this many rows a source cannot speak for itself: it weighs less


def source_weights(sources: Sequence[str]) -> np.ndarray:
    """A weight per row so that every source sums to the same total, if it has the rows for it.

    A source with fewer than ``MIN_SOURCE_ROWS`` rows weighs in proportion to its size (a single
    validation text of one source must not weigh as much as hundreds of another's). Weights are
    scaled to sum to the number of rows, so that counts keep their usual size.
    """
    if len(sources) == 0:
        return np.ones(0)
    _, inverse, counts = np.unique(np.asarray(sources), return_inverse=True, return_counts=True)
    weights = (1.0 / np.maximum(counts, MIN_SOURCE_ROWS))[inverse]
    return weights * (len(sources) / weights.sum())


def _weighted_counts(
    probs: np.ndarray, truth: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted true positives, false positives and false negatives at every grid threshold."""
    predicted = probs[None, :] >= GRID[:, None]
    tp = (predicted & truth) @ weights
    fp = (predicted & ~truth) @ weights
    fn = (~predicted & truth) @ weights
    return tp, fp, fn


@dataclass
class SdgCurve:
    """Precision, recall and F1 of one SDG along the threshold grid (weighted, certain labels)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    positives: float

    @classmethod
    def of(cls, probs: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> SdgCurve:
        tp, fp, fn = _weighted_counts(probs, truth, weights)
        precision = np.divide(tp, tp + fp, out=np.ones_like(tp), where=(tp + fp) > 0)
        recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
        f1 = np.divide(
            2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=(2 * tp + fp + fn) > 0
        )
        return cls(precision, recall, f1, float(truth @ weights))


def _middle(candidates: np.ndarray) -> float:
    """Among equally good thresholds, the middle one is the least brittle."""
    return float(GRID[candidates[len(candidates) // 2]])


def choose_thresholds(
    probs: np.ndarray,
    y_true: np.ndarray,
    certain: np.ndarray,
    sources: Sequence[str] | None = None,
) -> dict[str, list[float]]:
    """Per-SDG thresholds for the three operating points, chosen on validation rows.

    ``balanced`` maximises F1; ``precise`` is the lowest threshold at or above it that reaches
    precision 0.9 (else the one with the best F0.5); ``broad`` the highest at or below it that
    reaches recall 0.9 (else the best F2). An SDG without certain positives keeps 0.5.
    """
    weights = source_weights(sources) if sources is not None else np.ones(len(probs))
    points: dict[str, list[float]] = {name: [] for name in OPERATING_POINTS}
    for k in range(NUM_SDGS):
        rows = certain[:, k] > 0
        truth = y_true[rows, k] > 0
        if not truth.any():
            for name in OPERATING_POINTS:
                points[name].append(0.5)
            continue
        curve = SdgCurve.of(probs[rows, k], truth, weights[rows])
        best = np.flatnonzero(curve.f1 >= curve.f1.max() - 1e-12)
        balanced_index = best[len(best) // 2]
        points["balanced"].append(_middle(best))

        above = np.arange(balanced_index, len(GRID))
        reach = above[curve.precision[above] >= TARGET_PRECISION]
        if len(reach):
            points["precise"].append(float(GRID[reach[0]]))
        else:
            f05 = _f_beta(curve, 0.5)[above]
            points["precise"].append(float(GRID[above[int(np.argmax(f05))]]))

        below = np.arange(0, balanced_index + 1)
        reach = below[curve.recall[below] >= TARGET_RECALL]
        if len(reach):
            points["broad"].append(float(GRID[reach[-1]]))
        else:
            f2 = _f_beta(curve, 2.0)[below]
            points["broad"].append(float(GRID[below[int(np.argmax(f2))]]))
    return points


def _f_beta(curve: SdgCurve, beta: float) -> np.ndarray:
    b2 = beta * beta
    denominator = b2 * curve.precision + curve.recall
    return np.divide(
        (1 + b2) * curve.precision * curve.recall,
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )


def fit_calibration(
    logits: np.ndarray,
    y_true: np.ndarray,
    certain: np.ndarray,
    sources: Sequence[str] | None = None,
) -> tuple[list[float], list[float]]:
    """Platt scaling per SDG on validation logits (certain labels, sources as ``source_weights``).

    Identity where there are fewer than 3 certain positives or negatives, or where the fitted slope
    is not positive (a useless logit is kept monotone, never inverted).
    """
    from sklearn.linear_model import LogisticRegression

    weights = source_weights(sources) if sources is not None else np.ones(len(logits))
    slopes, intercepts = [], []
    for k in range(NUM_SDGS):
        rows = certain[:, k] > 0
        truth = y_true[rows, k] > 0
        if truth.sum() < 3 or (~truth).sum() < 3:
            slopes.append(1.0)
            intercepts.append(0.0)
            continue
        model = LogisticRegression(C=1.0)
        model.fit(logits[rows, k : k + 1], truth, sample_weight=weights[rows])
        slope = float(model.coef_[0, 0])
        if slope <= 0:
            slopes.append(1.0)
            intercepts.append(0.0)
            continue
        slopes.append(slope)
        intercepts.append(float(model.intercept_[0]))
    return slopes, intercepts


def calibrate(
    logits: np.ndarray, slopes: Sequence[float], intercepts: Sequence[float]
) -> np.ndarray:
    slope = np.asarray(slopes, dtype=np.float64)
    intercept = np.asarray(intercepts, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-(logits.astype(np.float64) * slope + intercept)))


def balanced_macro_f1(
    probs: np.ndarray,
    y_true: np.ndarray,
    certain: np.ndarray,
    thresholds: Sequence[float] | np.ndarray,
    sources: Sequence[str] | None = None,
) -> float:
    """Macro F1 with sources weighed as in source_weights, over the SDGs with certain positives."""
    weights = source_weights(sources) if sources is not None else np.ones(len(probs))
    predicted = probs >= np.asarray(thresholds)[None, :]
    scores = []
    for k in range(NUM_SDGS):
        rows = certain[:, k] > 0
        truth, guess, w = y_true[rows, k] > 0, predicted[rows, k], weights[rows]
        if not truth.any():
            continue
        tp, fp, fn = (
            (w * (truth & guess)).sum(),
            (w * (~truth & guess)).sum(),
            (w * (truth & ~guess)).sum(),
        )
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def per_source_report(
    probs: np.ndarray,
    y_true: np.ndarray,
    certain: np.ndarray,
    thresholds: Sequence[float],
    sources: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Validation macro precision, recall and F1 per source (certain labels only)."""
    from .evaluation import multilabel_metrics

    sources_array = np.asarray(sources)
    report = {}
    for name in sorted(set(sources)):
        rows = sources_array == name
        metrics = multilabel_metrics(
            y_true[rows], probs[rows] >= np.asarray(thresholds)[None, :], certain[rows]
        )
        report[name] = {
            "samples": int(rows.sum()),
            "macro": metrics["macro"],
            "micro": metrics["micro"],
        }
    return report


def error_rates(
    probs: np.ndarray,
    y_true: np.ndarray,
    certain: np.ndarray,
    points: Mapping[str, Sequence[float]],
    sources: Sequence[str] | None = None,
) -> dict[str, Any]:
    """How often the model's tags are right, per operating point and SDG, on validation texts.

    Stored in the model folder (``error_rates.json``) so a portfolio profile can correct its
    counts for the model's own misses and false alarms (quantification: adjusted counts). Raw counts
    are kept, not only rates, so the uncertainty of each rate can be carried into an interval.
    With ``sources`` (one name per text) the same counts are kept per source under ``by_source``:
    how much the rates differ between kinds of text is the part of their uncertainty that a new
    portfolio, written in yet another style, inherits.
    """
    result: dict[str, Any] = {
        "version": 1,
        "texts": int(len(probs)),
        "operating_points": {},
    }
    names = sorted(set(sources)) if sources is not None else []
    for name, thresholds in points.items():
        block: dict[str, Any] = dict(_error_counts(probs, y_true, certain, thresholds))
        if len(names) > 1:
            where = np.asarray(sources)
            block["by_source"] = {
                source: _error_counts(
                    probs[where == source],
                    y_true[where == source],
                    certain[where == source],
                    thresholds,
                )
                for source in names
            }
        result["operating_points"][name] = block
    return result


def off_thresholds(
    tags: np.ndarray, probs: np.ndarray, thresholds: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Which rows' tags differ from what ``thresholds`` give for their probabilities: a table
    tagged by another model or operating point. A probability within rounding of its threshold
    may fall either way (score writes four decimals; its tags come from the unrounded value)."""
    cut = np.asarray(thresholds, dtype=float)[None, :]
    clear = np.abs(probs - cut) > 5e-4
    return ((np.asarray(tags, dtype=bool) != (probs >= cut)) & clear).any(axis=1)


_RATE_KEYS = (
    "positives",
    "negatives",
    "true_positives",
    "false_positives",
    "mean_probability_positives",
    "mean_probability_negatives",
)


def adapted_error_rates(
    base: Mapping[str, Any] | None, measured: dict[str, Any], refit: Sequence[int]
) -> dict[str, Any]:
    """The error rates of a model adapted to a user's texts: ``measured`` (out of fold on those
    texts) for the SDGs in ``refit``, whose calibration and thresholds were fitted on them, and
    the base model's validation counts for every other SDG, whose rule it keeps.

    A user's few texts, often picked by ``review`` as hard cases near the thresholds, are no fair
    sample of a portfolio: counted for all 17 SDGs they made a trial's corrected prevalence worse
    than the raw shares (SDG 14 and 15 got intervals of 0-100%). ``adapted_sdgs`` and
    ``adaptation_texts`` record which SDGs were counted on how many of the user's texts.
    """
    if not base or not isinstance(base.get("operating_points"), dict):
        return {**measured, "adapted_sdgs": sorted(refit), "adaptation_texts": measured["texts"]}
    result = copy.deepcopy(dict(base))
    result["adapted_sdgs"] = sorted(refit)
    result["adaptation_texts"] = measured["texts"]
    for name, block in measured["operating_points"].items():
        target = result["operating_points"].get(name)
        if target is None:  # the base has no counts at this point: the user's alone
            result["operating_points"][name] = block
            continue
        for sdg in refit:
            k = sdg - 1
            for key in _RATE_KEYS:
                target[key][k] = block[key][k]
            for part in (target.get("by_source") or {}).values():  # no spread between sources
                for key in _RATE_KEYS:
                    part[key][k] = 0 if key in _RATE_KEYS[:4] else None
    return result


def _error_counts(
    probs: np.ndarray, y_true: np.ndarray, certain: np.ndarray, thresholds: Sequence[float]
) -> dict[str, list[Any]]:
    """Per SDG: positives, negatives, tagged ones of each, and each class's mean probability."""
    tagged = probs >= np.asarray(thresholds)[None, :]
    block: dict[str, list[Any]] = {key: [] for key in _RATE_KEYS}
    for k in range(NUM_SDGS):
        rows = certain[:, k] > 0
        truth = y_true[rows, k] > 0
        guess = tagged[rows, k]
        p = probs[rows, k]
        block["positives"].append(int(truth.sum()))
        block["negatives"].append(int((~truth).sum()))
        block["true_positives"].append(int((truth & guess).sum()))
        block["false_positives"].append(int((~truth & guess).sum()))
        block["mean_probability_positives"].append(
            round(float(p[truth].mean()), 6) if truth.any() else None
        )
        block["mean_probability_negatives"].append(
            round(float(p[~truth].mean()), 6) if (~truth).any() else None
        )
    return block
