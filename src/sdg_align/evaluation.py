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
    from .modeling import Classifier


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


def paired_macro_f1_gain(
    y_true: np.ndarray,
    tags_new: np.ndarray,
    tags_base: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """How sure a set of texts is that ``tags_new`` beats ``tags_base``: a paired bootstrap.

    A gain of one point of macro-F1 on 30 texts is noise, and choosing a model on it is how a few
    labelled texts make a model worse. Both taggings are scored on the same resampled texts, so
    the texts' difficulty cancels and only the difference varies. Returns the observed ``gain``
    and ``confidence``: the share of resamples in which the new tags score higher (ties count
    half, so two identical taggings get 0.5), and the 95% interval of the gain (``low``,
    ``high``: percentiles of the resampled gains).
    """
    known = np.ones(np.shape(y_true), dtype=bool) if mask is None else np.asarray(mask, bool)
    truth = np.asarray(y_true, dtype=bool) & known
    rows = truth.shape[0]
    if rows == 0:
        return {"gain": 0.0, "confidence": 0.5, "low": 0.0, "high": 0.0}
    rng = np.random.default_rng(seed)
    weights = np.vstack(
        [np.ones(rows), rng.multinomial(rows, np.full(rows, 1 / rows), size=resamples)]
    )
    support = weights @ truth

    def macro_f1(tags: np.ndarray) -> np.ndarray:
        tags = np.asarray(tags, dtype=bool) & known
        tp = weights @ (tags & truth)
        wrong = weights @ (tags & ~truth) + support - tp  # false positives + false negatives
        f1 = np.divide(2 * tp, 2 * tp + wrong, out=np.zeros_like(tp), where=2 * tp + wrong > 0)
        present = support > 0
        return (f1 * present).sum(1) / np.maximum(present.sum(1), 1)

    gains = macro_f1(tags_new) - macro_f1(tags_base)
    drawn = gains[1:]
    confidence = float(np.mean(drawn > 1e-12) + 0.5 * np.mean(np.abs(drawn) <= 1e-12))
    low, high = np.percentile(drawn, [2.5, 97.5])
    return {
        "gain": float(gains[0]),
        "confidence": confidence,
        "low": float(low),
        "high": float(high),
    }


def disagreements(
    labelled: LabelledSet, probs: np.ndarray, cut: np.ndarray
) -> list[dict[str, Any]]:
    """The texts whose tags differ from their labels, for a person to read: the SDGs the model
    missed and those it added (only where the label is known), each with its probability."""

    def listed(sdgs: list[int], p: np.ndarray) -> str:
        return "; ".join(f"{k} ({p[k - 1]:.2f})" for k in sdgs)

    rows = []
    for position, (example, p) in enumerate(zip(labelled.examples, probs, strict=True)):
        tagged = {int(k) + 1 for k in np.flatnonzero(p >= cut)}
        known = set(example.known) if example.known is not None else set(range(1, NUM_SDGS + 1))
        labels = set(example.sdgs)
        missed, added = sorted(labels - tagged), sorted((tagged - labels) & known)
        if missed or added:
            rows.append(
                {
                    "text_number": position + 1,
                    "id": example.source_id or "",
                    "labels": ";".join(map(str, sorted(labels))),
                    "tags": ";".join(map(str, sorted(tagged))),
                    "missed": listed(missed, p),
                    "added": listed(added, p),
                    "text": example.text,
                }
            )
    return rows


def evaluate(
    classifier: Classifier,
    labelled: LabelledSet,
    *,
    threshold: float | None = None,
    tags: str = "balanced",
    batch_size: int = 32,
    by: Sequence[str] = ("lang", "length"),
    disagreeing: list[dict[str, Any]] | None = None,
    against: Classifier | None = None,
) -> dict[str, Any]:
    """Predict every example and compare with its labels; adds breakdowns by ``lang`` etc.

    With ``against`` (another model), ``against`` in the result holds that model's macro and
    micro figures on the same texts and a paired bootstrap of the macro-F1 gain of this one over
    it (:func:`paired_macro_f1_gain`): 0.702 against 0.684 on 56 texts is no sure gain.

    Besides the chosen operating point, the result has ``operating_points``: macro and micro
    figures at each operating point the model stores, ``shared_task`` for sets whose texts
    have one primary goal (SwissText 2024 task 1's metric), and ``seen_in_training``: how many
    of the texts the model was trained or tuned on, when its folder records that
    (:mod:`sdg_align.trained_texts`).
    """
    from .trained_texts import TrainedTexts

    probs = classifier.predict_proba(labelled.texts(), batch_size=batch_size)
    result = metrics_from_probs(classifier, labelled, probs, threshold=threshold, tags=tags, by=by)
    if disagreeing is not None:  # the texts behind the figures, appended for the caller
        disagreeing.extend(
            disagreements(labelled, np.asarray(probs), classifier.cut(tags, threshold))
        )
    record = TrainedTexts.read(classifier.source_dir) if classifier.source_dir else None
    if record is not None:
        result["seen_in_training"] = record.overlap(labelled.texts())
    if threshold is None:
        result["operating_points"] = {}
        for point in ["balanced", *classifier.config.operating_points]:
            if point in result["operating_points"]:
                continue
            sub = metrics_from_probs(classifier, labelled, probs, tags=point, by=())
            result["operating_points"][point] = {"macro": sub["macro"], "micro": sub["micro"]}
    if against is not None:
        other = against.predict_proba(labelled.texts(), batch_size=batch_size)
        theirs = metrics_from_probs(against, labelled, other, threshold=threshold, tags=tags, by=())
        result["against"] = {
            "model": str(against.source_dir or "the other model"),
            "macro": theirs["macro"],
            "micro": theirs["micro"],
            "paired": paired_macro_f1_gain(
                labelled.label_matrix(),
                np.asarray(probs) >= classifier.cut(tags, threshold),
                np.asarray(other) >= against.cut(tags, threshold),
                labelled.certain_mask(),
            ),
        }
    if labelled.examples and all(e.source == "swisstext-test" for e in labelled.examples):
        result["shared_task"] = shared_task_metrics(
            probs, classifier.cut(tags, threshold), [e.primary or 0 for e in labelled.examples]
        )
    return result


def metrics_from_probs(
    classifier: Classifier,
    labelled: LabelledSet,
    probs: np.ndarray,
    *,
    threshold: float | None = None,
    tags: str = "balanced",
    by: Sequence[str] = ("lang",),
) -> dict[str, Any]:
    """Metrics of given probabilities; only labels known for certain count (see Example)."""
    y_pred = probs >= classifier.cut(tags, threshold)
    y_true = labelled.label_matrix()
    mask = labelled.certain_mask()
    result = multilabel_metrics(y_true, y_pred, mask)
    for attribute in by:
        keys = [_group_key(e, attribute) for e in labelled.examples]
        values = sorted(set(keys))
        if len(values) < 2:
            continue
        breakdown = {}
        for value in values:
            rows = [i for i, key in enumerate(keys) if key == value]
            sub = multilabel_metrics(y_true[rows], y_pred[rows], mask[rows])
            breakdown[value] = {"samples": len(rows), "macro": sub["macro"], "micro": sub["micro"]}
        result[f"by_{attribute}"] = breakdown
    return result


def validation_figures(
    classifier: Classifier, labelled: LabelledSet, probs: np.ndarray
) -> dict[str, Any]:
    """Macro precision, recall and F1 of all texts and per source, and F1 with each source
    weighed the same (the figure training stops early on): what a recipe change is judged by."""
    from .decisions import balanced_macro_f1

    def macro(block: dict[str, Any]) -> dict[str, float]:
        return {key: round(block["macro"][key], 4) for key in ("precision", "recall", "f1")}

    metrics = metrics_from_probs(classifier, labelled, probs, by=("source",))
    equal = balanced_macro_f1(
        probs,
        labelled.label_matrix(),
        labelled.certain_mask(),
        classifier.cut("balanced"),
        labelled.sources(),
    )
    return {
        "all": macro(metrics),
        "f1_sources_weighed_equally": round(float(equal), 4),
        "by_source": {
            name: {"samples": block["samples"], **macro(block)}
            for name, block in metrics.get("by_source", {}).items()
        },
    }


LONG_TEXT_WORDS = 150


def _group_key(example: Any, attribute: str) -> str:
    """The group of an example for a breakdown: an attribute, or ``length`` (short/long text)."""
    if attribute == "length":
        long_text = len(example.text.split()) >= LONG_TEXT_WORDS
        return f">= {LONG_TEXT_WORDS} words" if long_text else f"< {LONG_TEXT_WORDS} words"
    return str(getattr(example, attribute) or "?")


def shared_task_metrics(
    probs: np.ndarray, thresholds: np.ndarray, gold_primary: Sequence[int]
) -> dict[str, Any]:
    """SwissText 2024 task 1: one class per text (the most probable tagged SDG, 0 when none).

    Macro-F1 over the classes that occur in the gold labels or the predictions (0-17), and accuracy,
    as the shared task computed them.
    """
    from sklearn.metrics import accuracy_score, f1_score

    predicted = []
    for row in probs:
        tagged = np.flatnonzero(row >= thresholds)
        predicted.append(int(tagged[np.argmax(row[tagged])]) + 1 if len(tagged) else 0)
    gold = list(gold_primary)
    return {
        "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(gold, predicted)),
        "samples": len(gold),
    }


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
    never = [r["sdg"] for r in metrics["per_sdg"] if r["support"] and not r.get("predicted", 1)]
    if never:  # their precision is undefined; 0 in the macro average pulls it down
        lines.append(
            f"never predicted here (precision 0.000 by convention, counted so in the macro "
            f"average): SDG {', '.join(map(str, never))}"
        )
    if "shared_task" in metrics:
        task = metrics["shared_task"]
        lines.append(
            f"shared task (one class per text, 0 = none): macro-F1 {task['macro_f1']:.3f}, "
            f"accuracy {task['accuracy']:.3f}"
        )
    for point, block in metrics.get("operating_points", {}).items():
        lines.append(
            f"--tags {point}: macro P {block['macro']['precision']:.3f} R "
            f"{block['macro']['recall']:.3f} F1 {block['macro']['f1']:.3f}; micro P "
            f"{block['micro']['precision']:.3f} R {block['micro']['recall']:.3f} F1 "
            f"{block['micro']['f1']:.3f}"
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


# ----------------------------------------------------------------------- new model against its base
MIN_TRUSTED_TEXTS = 30  # fewer held-out texts than this: figures too small to trust


def base_comparison(
    new: dict[str, Any],
    base: dict[str, Any],
    *,
    kind: str,
    base_model: str,
    base_seen: int = 0,
    tolerance: float = 0.0,
) -> dict[str, Any]:
    """The new model's figures next to the base model's on the same texts, with warnings.

    ``new`` and ``base`` are :func:`multilabel_metrics` results on the same texts; ``base_seen``
    counts texts the base model was trained on (its figures are then optimistic). A loss within
    ``tolerance`` was allowed by design (adaptation's replay tolerance): it is said as such, not
    as a warning that the model is worse (a trial read 'WORSE' after 'chosen: 2 epochs').
    """
    texts = int(new["samples"])
    delta = new["macro"]["f1"] - base["macro"]["f1"]
    warnings = []
    if texts < MIN_TRUSTED_TEXTS:
        warnings.append(
            f"only {texts} held-out texts ({kind}): too few to trust these figures; "
            f"label at least {MIN_TRUSTED_TEXTS} to measure the new model"
        )
    if delta < 0 and -delta <= tolerance + 1e-9:
        warnings.append(
            f"the new model loses {-delta:.3f} macro-F1 on these {texts} texts ({kind}): "
            f"{new['macro']['f1']:.3f} vs {base['macro']['f1']:.3f}, within the {tolerance:g} "
            "that adapting may cost (--replay-tolerance)"
        )
    elif delta < 0:
        warnings.append(
            f"the new model is WORSE than the base model on these {texts} texts ({kind}): "
            f"macro-F1 {new['macro']['f1']:.3f} vs {base['macro']['f1']:.3f}"
        )
    if base_seen:
        warnings.append(
            f"{base_seen} of these texts were in the base model's training data, so its figures "
            "are optimistic"
        )

    def summary(block: dict[str, Any]) -> dict[str, Any]:
        return {
            "macro": block["macro"],
            "micro": block["micro"],
            "f1_per_sdg": [row["f1"] for row in block["per_sdg"]],
        }

    return {
        "kind": kind,
        "base_model": base_model,
        "texts": texts,
        "support": [row["support"] for row in new["per_sdg"]],
        "new": summary(new),
        "base": summary(base),
        "macro_f1_change": delta,
        "warnings": warnings,
    }


def format_comparison(comparison: dict[str, Any]) -> str:
    """Per-SDG F1 of the new and the base model side by side, then the averages."""
    new, base = comparison["new"], comparison["base"]
    lines = [
        f"{comparison['kind']} ({comparison['texts']} texts): new model against the base model "
        f"{comparison['base_model']}"
    ]
    header = f"{'SDG':<44} {'new F1':>7} {'base F1':>7} {'support':>7}"
    lines += [header, "-" * len(header)]
    for i, goal in enumerate(GOALS):
        if not comparison["support"][i]:
            continue
        name = f"{goal.number:>2} {goal.short_name}"
        lines.append(
            f"{name:<44} {new['f1_per_sdg'][i]:7.3f} {base['f1_per_sdg'][i]:7.3f} "
            f"{comparison['support'][i]:7d}"
        )
    lines.append("-" * len(header))
    for label, key in (("macro", "macro"), ("micro", "micro")):
        lines.append(
            f"{label:<8} new P {new[key]['precision']:.3f} R {new[key]['recall']:.3f} "
            f"F1 {new[key]['f1']:.3f}   base P {base[key]['precision']:.3f} "
            f"R {base[key]['recall']:.3f} F1 {base[key]['f1']:.3f}"
        )
    return "\n".join(lines)
