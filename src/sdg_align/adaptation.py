"""Adapting a trained model to a cluster's own few labelled projects without making it worse.

A cluster that corrected the tags of 40 projects cannot spare 4 of them for validation and 4 for a
test: thresholds fitted on 4 texts fall back to 0.5, calibration to identity, and the model gets
worse without a word. With fewer than ``small_data_limit`` examples, continuing from a model
(``init_model``) therefore works differently:

- **k-fold cross-validation** over the user's texts: every text is predicted once by a model that
  did not train on it (out of fold). The out-of-fold predictions choose the number of epochs
  (epoch 0, the base model unchanged, is a candidate), decide which SDGs have enough positives to
  refit calibration and thresholds, and measure the result against the base model on the same
  texts. The decision rule is *cross-fitted* for that measure: each fold's tags come from a rule
  fitted on the other folds only.
- **The base decision rule is kept** (calibration and the thresholds of every operating point) for
  each SDG with fewer than ``refit_min_positives`` out-of-fold positives or negatives.
- **Replay**: ``replay_examples`` texts of the base model's own training data (the sources of its
  ``training_config.yaml``, equal shares per source) are mixed into the training, so goals the
  user's texts never mention are not forgotten. They take part in the folds like the user's texts:
  held out in turn, they measure what adapting forgets, and a candidate (an epoch count) that
  loses more than ``replay_tolerance`` out-of-fold macro-F1 on them is never chosen. The decision
  rule is fitted on the user's texts only; the replay texts just watch it.
- **Anchoring**: an L2 penalty pulls the trainable weights toward the base model's.
- **A gentle default**: only the head learns (``adapt_trainable_layers`` 0), at
  ``adapt_learning_rate``; the encoder and so the evidence index stay the base model's.

The final model trains on all the user's texts (and the replay sample) for the chosen number of
epochs. Rows marked ``split: test`` are held out of everything and reported.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import (
    LabelledSet,
    content_keys,
    drop_evaluation_texts,
    evaluation_keys,
    load_source,
    merge_duplicates,
)
from .decisions import OPERATING_POINTS, calibrate, choose_thresholds, error_rates, fit_calibration
from .errors import DataError
from .evaluation import metrics_from_probs, multilabel_metrics
from .labels import NUM_SDGS, SDG_NUMBERS
from .window_cache import FrozenStates, all_logits

if TYPE_CHECKING:
    from .modeling import ModelConfig
    from .training import Progress, TrainingConfig, TrainingResult


# ----------------------------------------------------------------------- decision rules
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
            logits[outside], _rows(labelled, outside.tolist()), base, min_positives
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
    probs = np.zeros_like(logits, dtype=np.float64)
    tags = np.zeros(logits.shape, dtype=bool)
    for fold, rule in cross_fitted_rules(logits, labelled, folds, base, min_positives).items():
        inside = np.flatnonzero(folds == fold)
        probs[inside] = rule.probabilities(logits[inside])
        tags[inside] = rule.tags(logits[inside])
    return probs, tags


def _rows(labelled: LabelledSet, rows: Sequence[int]) -> LabelledSet:
    return LabelledSet([labelled.examples[i] for i in rows])


def assign_folds(labelled: LabelledSet, folds: int, seed: int) -> np.ndarray:
    """A fold per example, balanced in size; texts of one ``group`` share a fold."""
    keys = [e.group or f"#{i}" for i, e in enumerate(labelled.examples)]
    unique = list(dict.fromkeys(keys))
    random.Random(seed).shuffle(unique)
    fold_of = {key: i % folds for i, key in enumerate(unique)}
    return np.array([fold_of[k] for k in keys], dtype=np.int64)


# ----------------------------------------------------------------------- replay
def replay_sample(
    config: TrainingConfig,
    base_folder: Path,
    avoid: LabelledSet,
    *,
    log: Progress,
) -> LabelledSet:
    """``config.replay_examples`` training texts of the base model, equal shares per source.

    The sources are ``config.replay_sources``, else those of the base model's recipe
    (``training_config.yaml``). Test splits, evaluation-only texts and copies of the user's own
    texts (``avoid``) are never drawn.
    """
    from .training import TRAINING_CONFIG_FILE, TrainingConfig

    if config.replay_examples == 0:
        return LabelledSet()
    recipe_file = base_folder / TRAINING_CONFIG_FILE
    recipe = TrainingConfig.from_file(recipe_file) if recipe_file.is_file() else None
    names = config.replay_sources if config.replay_sources is not None else None
    if names is None:
        if recipe is None:
            log(
                f"replay: none. The base model ({base_folder}) does not record its training data "
                f"({TRAINING_CONFIG_FILE}), so no sample of it is mixed in and goals your texts "
                "never mention may be forgotten; name its sources with --replay-sources"
            )
            return LabelledSet()
        names = list(recipe.sources)
    weights = recipe.source_weights if recipe is not None else {}
    pool = LabelledSet()
    for name in names:
        try:
            part = load_source(
                name,
                text_col=recipe.text_col if recipe else config.text_col,
                sdgs_col=recipe.sdgs_col if recipe else config.sdgs_col,
            )
        except DataError as exc:
            log(f"replay: source {name} skipped ({exc})")
            continue
        weight = weights.get(name, 1.0)
        pool.examples.extend(replace(e, weight=e.weight * weight) for e in part.examples)
    keys, _missing = evaluation_keys()
    merged, _report = merge_duplicates(drop_evaluation_texts(pool, keys))
    taken = {key for text in avoid.texts() for key in content_keys(text)}
    by_source: dict[str, list[Any]] = {}
    for example in merged.examples:
        if example.split in ("test", "eval-only") or taken.intersection(content_keys(example.text)):
            continue
        by_source.setdefault(example.source, []).append(example)
    rng = random.Random(config.seed)
    chosen: list[Any] = []
    remaining = config.replay_examples
    # Equal shares per source; a source with fewer texts than its share gives all it has.
    for i, name in enumerate(sorted(by_source, key=lambda n: len(by_source[n]))):
        share = remaining // (len(by_source) - i)
        picked = rng.sample(by_source[name], min(share, len(by_source[name])))
        chosen.extend(picked)
        remaining -= len(picked)
    replay = LabelledSet([replace(e, split="train") for e in chosen])
    counts = ", ".join(f"{n} {c}" for n, c in sorted(replay.source_counts().items()))
    log(f"replay: {len(replay)} texts of the base model's training data ({counts})")
    return replay


# ----------------------------------------------------------------------- the protocol
def adapt(
    labelled: LabelledSet,
    config: TrainingConfig,
    *,
    progress: bool,
    log: Progress,
    frozen: FrozenStates | None = None,
) -> TrainingResult:
    """Continue from ``config.init_model`` on a few hundred examples or fewer (module docstring)."""
    from .training import (
        FitRun,
        TrainingResult,
        continue_from,
        resolve_init_model,
        restore,
        round_like_saved,
        snapshot,
        trainable_parameters,
    )

    started = time.time()
    base_folder = resolve_init_model(config.init_model)
    classifier = continue_from(config)
    config.pooling = classifier.config.pooling  # the base model's pooling, not the default
    network = classifier.network
    layers = (
        config.adapt_trainable_layers
        if config.adapt_trainable_layers is not None
        else config.trainable_layers
    )
    trainable = min(layers, network.num_layers)
    first_trainable = network.num_layers - trainable
    classifier.config.trained_layers = max(trainable, classifier.config.trained_layers)
    trainable_parameters(network, first_trainable)

    pool = LabelledSet([e for e in labelled.examples if e.split != "test"])
    held_out = LabelledSet([e for e in labelled.examples if e.split == "test"])
    if len(pool) < 10:
        raise DataError(
            f"need at least 10 labelled examples outside the test split; got {len(pool)}"
        )
    folds_count = min(config.cv_folds, len(pool))
    log(
        f"small-data adaptation of {base_folder}: {len(pool)} examples (< {config.small_data_limit})"
        f", {folds_count}-fold cross-validation"
        + (f", {len(held_out)} held-out test" if len(held_out) else "")
    )
    replay = replay_sample(config, base_folder, labelled, log=log)

    if frozen is None:
        frozen = FrozenStates.for_model(classifier, first_trainable, config.batch_size)
    else:
        frozen.check(classifier, first_trainable)
    texts = pool.texts() + replay.texts()
    cache = frozen.cache(classifier, texts, progress=progress, desc="encode")
    log(f"frozen layers cached in {time.time() - started:.0f}s")
    n = len(pool)
    combined = LabelledSet(pool.examples + replay.examples)
    fit_config = replace(config, learning_rate=config.adapt_learning_rate)  # pooling set above
    base = base_rule(classifier.config)
    anchor = snapshot(network)
    # Replay texts take part in the folds too: held out in turn, they show what the adapted
    # model forgets of the base model's own data (its general skill).
    folds = np.concatenate(
        [
            assign_folds(pool, folds_count, config.seed),
            assign_folds(replay, folds_count, config.seed + 1)
            if len(replay)
            else np.zeros(0, dtype=np.int64),
        ]
    )

    def logits_of(rows: Sequence[int]) -> np.ndarray:
        return all_logits(
            classifier, cache.subset(rows), first_trainable, config.pooling, config.batch_size
        )

    def candidate(
        epoch: int, oof: np.ndarray, refit: bool, loss: float | None = None
    ) -> _Candidate:
        """Out-of-fold figures of the model after ``epoch`` epochs, rule cross-fitted."""
        rules = (
            cross_fitted_rules(
                oof[:n], pool, folds[:n], base, config.refit_min_positives, range(folds_count)
            )
            if refit
            else dict.fromkeys(range(folds_count), base)
        )
        tags = np.zeros(oof.shape, dtype=bool)
        for fold, rule in rules.items():
            inside = np.flatnonzero(folds == fold)
            tags[inside] = rule.tags(oof[inside])
        user = multilabel_metrics(pool.label_matrix(), tags[:n], pool.certain_mask())
        general = (
            multilabel_metrics(replay.label_matrix(), tags[n:], replay.certain_mask())
            if len(replay)
            else None
        )
        return _Candidate(epoch, refit, user, general, loss)

    base_logits = logits_of(range(len(combined)))
    runs, states = [], []
    for fold in range(folds_count):
        rows = np.flatnonzero(folds != fold).tolist()
        runs.append(
            FitRun(
                classifier,
                cache.subset(rows),
                _rows(combined, rows),
                fit_config,
                first_trainable,
                anchor=anchor,
                anchor_weight=config.anchor_weight,
            )
        )
        states.append(anchor)
    unchanged = candidate(0, base_logits, refit=False)  # the base model as it is
    floor = unchanged.general_f1 - config.replay_tolerance if len(replay) else None

    def acceptable(c: _Candidate) -> bool:
        return floor is None or c.general_f1 >= floor - 1e-9

    oof_by_epoch = [base_logits]
    loss_by_epoch: list[float | None] = [None]
    history: list[dict[str, Any]] = [unchanged.history("the base model as it is")]
    best, best_index, stale = unchanged, 0, 0
    log(f"the base model: {unchanged.describe()}")
    rng = random.Random(config.seed)
    for epoch in range(0, config.epochs + 1):
        if epoch:
            oof = np.zeros_like(base_logits)
            losses = []
            for fold, run in enumerate(runs):
                restore(network, states[fold])
                losses.append(
                    run.epoch(rng, progress=progress, desc=f"epoch {epoch} fold {fold + 1}")
                )
                states[fold] = snapshot(network)
                inside = np.flatnonzero(folds == fold)
                oof[inside] = logits_of(inside.tolist())
            oof_by_epoch.append(oof)
            loss_by_epoch.append(float(np.mean(losses)))
        current = candidate(epoch, oof_by_epoch[epoch], refit=True, loss=loss_by_epoch[epoch])
        history.append(current.history(f"epoch {epoch}, thresholds refitted where possible"))
        verdict = "" if acceptable(current) else " (forgets too much of the base model's data)"
        log(f"epoch {epoch}: {current.describe()}{verdict}")
        if acceptable(current) and current.user_f1 > best.user_f1 + 1e-4:
            best, best_index, stale = current, len(history) - 1, 0
        elif epoch:
            stale += 1
            if stale >= config.patience:
                log(f"early stop: no out-of-fold gain for {config.patience} epochs")
                break

    # The final model: all the user's texts and the replay sample, for the chosen epochs.
    restore(network, anchor)
    if best.epoch:
        final = FitRun(
            classifier,
            cache,
            combined,
            fit_config,
            first_trainable,
            anchor=anchor,
            anchor_weight=config.anchor_weight,
        )
        for epoch in range(1, best.epoch + 1):
            final.epoch(rng, progress=progress, desc=f"final {epoch}/{best.epoch}")
        round_like_saved(classifier)
    network.eval()
    oof = oof_by_epoch[best.epoch][:n]
    rule = fit_rule(oof, pool, base, config.refit_min_positives) if best.refit else base
    apply_rule(classifier, rule, base)
    classifier.error_rates = error_rates(
        rule.probabilities(oof),
        pool.label_matrix(),
        pool.certain_mask(),
        {name: rule.points[name] for name in rule.points},
    )
    if best is unchanged:
        log("out of fold, nothing beat the base model: the new model is the base model")
    else:
        log(
            f"chosen: {best.epoch} epoch(s); calibration and thresholds refitted for SDG "
            f"{', '.join(map(str, rule.refit)) or 'none'} (>= {config.refit_min_positives} "
            "out-of-fold positives and negatives), the base model's kept for the others"
        )

    sizes = {"train": n, "validation": n, "test": len(held_out), "replay": len(replay)}
    metrics: dict[str, Any] = {
        "history": history,
        "validation": best.user,  # out of fold, decision rule cross-fitted
        "training_config": config.to_dict(),
        "sizes": sizes,
        "adaptation": {
            "base_model": str(base_folder),
            "folds": folds_count,
            "epochs_chosen": best.epoch,
            "chosen": best_index,  # the entry of "history" that was kept
            "refit_sdgs": rule.refit,
            "replay": dict(replay.source_counts()),
            "anchor_weight": config.anchor_weight,
            "trainable_layers": trainable,
            "out_of_fold": {"new": best.user, "base": unchanged.user},
            "replay_out_of_fold": (
                {"new": best.general, "base": unchanged.general} if len(replay) else None
            ),
        },
    }
    if len(held_out):
        metrics["test"] = metrics_from_probs(
            classifier, held_out, classifier.predict_proba(held_out.texts())
        )
    log(f"adapted in {time.time() - started:.0f}s")
    return TrainingResult(
        classifier,
        metrics,
        sizes,
        config,
        train_set=combined,
        validation_texts=[],
        held_out=held_out,
        encoder_changed=bool(trainable and best.epoch),
    )


@dataclass
class _Candidate:
    """A model the protocol could keep, with its out-of-fold figures."""

    epoch: int
    refit: bool
    user: dict[str, Any]  # multilabel_metrics on the user's texts
    general: dict[str, Any] | None  # on the replay texts, when there are any
    loss: float | None = None  # mean training loss of the epoch over the folds (None: epoch 0)

    @property
    def user_f1(self) -> float:
        return float(self.user["macro"]["f1"])

    @property
    def general_f1(self) -> float:
        return float(self.general["macro"]["f1"]) if self.general else 0.0

    def describe(self) -> str:
        text = f"out-of-fold macro-F1 {self.user_f1:.3f} on your texts"
        if self.general:
            text += f", {self.general_f1:.3f} on the replay texts"
        return text

    def history(self, what: str) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "what": what,
            "loss": self.loss,
            "oof_macro_f1": self.user_f1,
            "replay_oof_macro_f1": self.general_f1 if self.general else None,
        }


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
