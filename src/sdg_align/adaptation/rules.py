"""Decision rules of an adapted model: the base model's, refitted per SDG only where folds allow.

A rule is calibration plus the thresholds of every operating point. With a few dozen texts most
SDGs have too few positives to fit either, so each SDG keeps the base model's rule unless the
out-of-fold predictions hold enough certain positives and negatives. Measuring a refitted rule on
the texts it was fitted on flatters it, so the honest figures come from *cross-fitted* rules: each
fold tagged by a rule fitted on the other folds only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data import LabelledSet
from ..decisions import OPERATING_POINTS, calibrate, choose_thresholds, fit_calibration
from ..labels import NUM_SDGS, SDG_NUMBERS

if TYPE_CHECKING:
    from ..modeling import ModelConfig


@dataclass
class DecisionRule:
    """Calibration and operating-point thresholds per SDG; ``refit`` lists the SDGs fitted anew."""

    slopes: list[float]
    intercepts: list[float]
    points: dict[str, list[float]]
    refit: list[int]

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return calibrate(logits, self.slopes, self.intercepts)

    def tags(self, logits: np.ndarray) -> np.ndarray:
        return self.probabilities(logits) >= np.asarray(self.points["balanced"])[None, :]


def base_rule(config: ModelConfig) -> DecisionRule:
    """The base model's own calibration and operating points."""
    points = {"balanced": list(config.thresholds)}
    points.update({k: list(v) for k, v in config.operating_points.items() if k != "balanced"})
    return DecisionRule(
        list(config.calibration_slope), list(config.calibration_intercept), points, []
    )


def fit_rule(
    logits: np.ndarray,
    labelled: LabelledSet,
    base: DecisionRule,
    min_positives: int,
) -> DecisionRule:
    """Refit calibration and thresholds of the SDGs with enough certain labels; keep the base's.

    An SDG is refitted when ``logits`` (out-of-fold) have at least ``min_positives`` certain
    positives and as many certain negatives; every other SDG keeps the base rule exactly.
    """
    y_true, certain, sources = labelled.label_matrix(), labelled.certain_mask(), labelled.sources()
    positives = ((y_true > 0) & (certain > 0)).sum(0)
    negatives = ((y_true == 0) & (certain > 0)).sum(0)
    refit = [k for k in range(NUM_SDGS) if min(positives[k], negatives[k]) >= min_positives]
    if not refit:
        return base
    slopes, intercepts = fit_calibration(logits, y_true, certain, sources)
    fitted = choose_thresholds(calibrate(logits, slopes, intercepts), y_true, certain, sources)
    rule = DecisionRule(
        list(base.slopes),
        list(base.intercepts),
        {name: list(values) for name, values in base.points.items()},
        [SDG_NUMBERS[k] for k in refit],
    )
    for k in refit:
        rule.slopes[k], rule.intercepts[k] = slopes[k], intercepts[k]
        for name in rule.points:
            rule.points[name][k] = fitted[name][k]
    return rule


def cross_fitted_rules(
    logits: np.ndarray,
    labelled: LabelledSet,
    folds: np.ndarray,
    base: DecisionRule,
    min_positives: int,
    fold_ids: Sequence[int] | None = None,
) -> dict[int, DecisionRule]:
    """For each fold, the rule fitted on the other folds' out-of-fold logits only.

    ``fold_ids`` (default: the folds present in ``folds``) may name folds none of these rows
    belong to (folds of replay texts only): their rule is fitted on all the rows.
    """
    rules = {}
    for fold in np.unique(folds) if fold_ids is None else fold_ids:
        outside = np.flatnonzero(folds != fold)
        rules[int(fold)] = fit_rule(
            logits[outside], take_rows(labelled, outside.tolist()), base, min_positives
        )
    return rules


def cross_fitted_tags(
    logits: np.ndarray,
    labelled: LabelledSet,
    folds: np.ndarray,
    base: DecisionRule,
    min_positives: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and tags of each fold from a rule fitted on the other folds only."""
    rules = cross_fitted_rules(logits, labelled, folds, base, min_positives)
    probs = np.zeros_like(logits, dtype=np.float64)
    for fold, rule in rules.items():
        inside = np.flatnonzero(folds == fold)
        probs[inside] = rule.probabilities(logits[inside])
    return probs, tags_by_fold(logits, folds, rules)


def tags_by_fold(
    logits: np.ndarray, folds: np.ndarray, rules: dict[int, DecisionRule]
) -> np.ndarray:
    """The tags of each fold's rows under that fold's rule."""
    tags = np.zeros(logits.shape, dtype=bool)
    for fold, rule in rules.items():
        inside = np.flatnonzero(folds == fold)
        tags[inside] = rule.tags(logits[inside])
    return tags


def take_rows(labelled: LabelledSet, rows: Sequence[int]) -> LabelledSet:
    return LabelledSet([labelled.examples[i] for i in rows])


def assign_folds(labelled: LabelledSet, folds: int, seed: int) -> np.ndarray:
    """A fold per example, balanced in size; texts of one ``group`` share a fold."""
    keys = [e.group or f"#{i}" for i, e in enumerate(labelled.examples)]
    unique = list(dict.fromkeys(keys))
    random.Random(seed).shuffle(unique)
    fold_of = {key: i % folds for i, key in enumerate(unique)}
    return np.array([fold_of[k] for k in keys], dtype=np.int64)


def apply_rule(classifier: Any, rule: DecisionRule, base: DecisionRule) -> None:
    """Store ``rule`` in the classifier's config; operating points only where the base had them."""
    config = classifier.config
    config.calibration_slope = [float(v) for v in rule.slopes]
    config.calibration_intercept = [float(v) for v in rule.intercepts]
    config.thresholds = [float(v) for v in rule.points["balanced"]]
    config.operating_points = (
        {name: [float(v) for v in rule.points[name]] for name in OPERATING_POINTS}
        if all(name in base.points for name in OPERATING_POINTS)
        else {}
    )
    classifier.forget_hash()
