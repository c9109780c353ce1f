"""The small-data protocol itself: k-fold candidates, the choice among them, the final model.

See the package docstring for the protocol; this module runs it and records what it chose and why
(``metrics["history"]`` and ``metrics["adaptation"]``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..data import LabelledSet
from ..decisions import adapted_error_rates, error_rates
from ..errors import DataError
from ..evaluation import metrics_from_probs, multilabel_metrics, paired_macro_f1_gain
from ..labels import NUM_SDGS
from ..training.config import TrainingConfig, resolve_init_model
from ..training.loop import (
    FitRun,
    continue_from,
    restore,
    round_like_saved,
    snapshot,
    trainable_parameters,
)
from ..training.result import Progress, TrainingResult
from ..window_cache import FrozenStates, all_logits
from .replay import replay_sample
from .rules import (
    apply_rule,
    assign_folds,
    base_rule,
    cross_fitted_rules,
    fit_rule,
    tags_by_fold,
    take_rows,
)


def adapt(
    labelled: LabelledSet,
    config: TrainingConfig,
    *,
    progress: bool,
    log: Progress,
    frozen: FrozenStates | None = None,
) -> TrainingResult:
    """Continue from ``config.init_model`` on a few hundred examples or fewer (module docstring)."""
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
        tags = tags_by_fold(oof, folds, rules)
        user = multilabel_metrics(pool.label_matrix(), tags[:n], pool.certain_mask())
        general = (
            multilabel_metrics(replay.label_matrix(), tags[n:], replay.certain_mask())
            if len(replay)
            else None
        )
        versus = paired_macro_f1_gain(
            pool.label_matrix(),
            tags[:n],
            tags[:n] if base_tags is None else base_tags,
            pool.certain_mask(),
            seed=config.seed,
        )
        return _Candidate(
            epoch, refit, user, general, loss, versus["gain"], versus["confidence"], tags[:n]
        )

    base_logits = logits_of(range(len(combined)))
    runs, states = [], []
    for fold in range(folds_count):
        rows = np.flatnonzero(folds != fold).tolist()
        runs.append(
            FitRun(
                classifier,
                cache.subset(rows),
                take_rows(combined, rows),
                fit_config,
                first_trainable,
                anchor=anchor,
                anchor_weight=config.anchor_weight,
            )
        )
        states.append(anchor)
    base_tags: np.ndarray | None = None
    unchanged = candidate(0, base_logits, refit=False)  # the base model as it is
    base_tags = unchanged.tags
    floor = unchanged.general_f1 - config.replay_tolerance if len(replay) else None

    def acceptable(c: _Candidate) -> bool:
        return floor is None or c.general_f1 >= floor - 1e-9

    def convincing(c: _Candidate) -> bool:
        """A gain on a few texts must be larger than its noise to replace the base model."""
        return c.confidence >= config.adapt_min_confidence

    oof_by_epoch = [base_logits]
    loss_by_epoch: list[float | None] = [None]
    history: list[dict[str, Any]] = [unchanged.history("the base model as it is")]
    best, best_index, stale = unchanged, 0, 0
    best_seen = unchanged.user_f1  # early stopping follows the out-of-fold F1 itself
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
        verdict = (
            " (loses too much on the replayed texts of the base model's data)"
            if not acceptable(current)
            else ""
            if convincing(current)
            else (
                " (its gain over the base model is not sure at the confidence of "
                f"{config.adapt_min_confidence:g} asked for)"
            )
        )
        what = " (the base model's weights, thresholds refitted)" if epoch == 0 else ""
        log(f"epoch {epoch}{what}: {current.describe()}{verdict}")
        if acceptable(current) and convincing(current) and current.user_f1 > best.user_f1 + 1e-4:
            best, best_index = current, len(history) - 1
        if current.user_f1 > best_seen + 1e-4:
            best_seen, stale = current.user_f1, 0
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
    if best is not unchanged:  # the base model kept keeps the error rates of its validation
        # texts: the user's few texts, often picked by review near the thresholds, are no fair
        # sample to measure them on (they swung a profile's corrected prevalence for nothing);
        # an adapted one counts on them only the SDGs whose rule it fitted on them
        measured = error_rates(
            rule.probabilities(oof),
            pool.label_matrix(),
            pool.certain_mask(),
            {name: rule.points[name] for name in rule.points},
        )
        classifier.error_rates = adapted_error_rates(classifier.error_rates, measured, rule.refit)
    if best is unchanged:
        log(
            "out of fold, nothing beat the base model convincingly (in "
            f"{config.adapt_min_confidence:.0%} of paired bootstrap resamples): the new model is "
            "the base model"
        )
    else:
        log(
            f"chosen: {best.epoch} epoch(s). {refit_sentence(rule.refit)} (An SDG is refitted "
            f"with >= {config.refit_min_positives} out-of-fold positives and negatives.)"
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
            "min_confidence": config.adapt_min_confidence,
            "gain_vs_base": best.gain,  # out of fold, macro-F1 on the user's texts
            "confidence": best.confidence,  # share of paired bootstrap resamples it wins
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
        # kept weights learned nothing from these texts; refitted thresholds were tuned on them
        train_set=combined if best.epoch else LabelledSet(),
        validation_texts=pool.texts() if rule.refit else [],
        held_out=held_out,
        encoder_changed=bool(trainable and best.epoch),
    )


def refit_sentence(refit: Sequence[int]) -> str:
    """Which SDGs got their own calibration and thresholds, in one sentence."""
    if not refit:
        return "Calibration and thresholds were kept from the base model for every SDG."
    if len(refit) == NUM_SDGS:
        return "Calibration and thresholds were refitted for every SDG."
    return (
        f"Calibration and thresholds were refitted for SDG {', '.join(map(str, refit))} and "
        "kept from the base model for the others."
    )


@dataclass
class _Candidate:
    """A model the protocol could keep, with its out-of-fold figures."""

    epoch: int
    refit: bool
    user: dict[str, Any]  # multilabel_metrics on the user's texts
    general: dict[str, Any] | None  # on the replay texts, when there are any
    loss: float | None = None  # mean training loss of the epoch over the folds (None: epoch 0)
    gain: float = 0.0  # out-of-fold macro-F1 on the user's texts minus the base model's
    confidence: float = 0.5  # share of paired bootstrap resamples in which it beats the base
    tags: np.ndarray | None = None  # out-of-fold tags of the user's texts

    @property
    def user_f1(self) -> float:
        return float(self.user["macro"]["f1"])

    @property
    def general_f1(self) -> float:
        return float(self.general["macro"]["f1"]) if self.general else 0.0

    def describe(self) -> str:
        text = f"out-of-fold macro-F1 {self.user_f1:.3f} on your texts"
        if self.epoch or self.refit:
            text += f" ({self.gain:+.3f} vs the base model, confidence {self.confidence:.2f})"
        if self.general:
            text += f", {self.general_f1:.3f} on the replay texts"
        return text

    def history(self, what: str) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "what": what,
            "loss": self.loss,
            "oof_macro_f1": self.user_f1,
            "gain_vs_base": self.gain,
            "confidence": self.confidence,
            "replay_oof_macro_f1": self.general_f1 if self.general else None,
        }
