"""The full-data protocol: train / validation / test splits, early stopping, the decision rule.

After training, calibration, the thresholds of the three operating points and the early-stopping
metric are computed on the validation split's pooled logits, on certain labels only, with every
source weighing the same (:mod:`sdg_align.decisions`). The test split is touched only to report.
Continuing from a model on little data follows :mod:`sdg_align.adaptation` instead, because a
validation split of a few texts cannot fit thresholds.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
import torch

from ..data import LabelledSet, check_trainable
from ..decisions import (
    balanced_macro_f1,
    calibrate,
    choose_thresholds,
    error_rates,
    fit_calibration,
    per_source_report,
)
from ..errors import DataError
from ..evaluation import metrics_from_probs
from ..modeling.network import SDGClassifier
from ..runtime import torch_device
from ..window_cache import FrozenStates, all_logits, build_cache
from .assemble import split_like_training
from .config import TrainingConfig, uses_adaptation
from .loop import (
    FitRun,
    continue_from,
    restore,
    round_like_saved,
    snapshot,
    trainable_parameters,
)
from .result import Progress, TrainingResult, stderr_log


def train(
    labelled: LabelledSet,
    config: TrainingConfig,
    *,
    progress: bool = True,
    log: Progress = stderr_log,
    frozen: FrozenStates | None = None,
) -> TrainingResult:
    """Fine-tune a classifier on ``labelled`` and return it with validation and test metrics.

    Continuing from a model (``init_model``) on fewer than ``small_data_limit`` examples follows
    the small-data protocol of :mod:`sdg_align.adaptation` (cross-validation, replay, anchoring to
    the base weights, the base decision rule kept unless the data can refit it). ``frozen``
    reuses frozen-layer states computed by an earlier run from the same model.
    """
    check_trainable(labelled)
    if len(labelled) < 10:
        raise DataError(f"need at least 10 labelled examples to train; got {len(labelled)}")
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    if uses_adaptation(config, len(labelled)):
        from ..adaptation import adapt

        return adapt(labelled, config, progress=progress, log=log, frozen=frozen)

    advice = (
        f"; with fewer than {config.small_data_limit} labelled texts, continue from a trained "
        "model instead (--init-model default), which adapts it without a validation split"
        if not config.init_model and len(labelled) < config.small_data_limit
        else ""
    )
    train_set, dev_set, test_set = split_like_training(labelled, config)
    if len(dev_set) == 0:
        raise DataError(
            f"the validation set of {len(labelled)} examples is empty: raise "
            f"--validation-fraction{advice}"
        )
    if advice:
        log(f"warning: training a new model from the base encoder on {len(labelled)} texts{advice}")
    sizes = {"train": len(train_set), "validation": len(dev_set), "test": len(test_set)}
    log(
        f"examples: {sizes['train']} train, {sizes['validation']} validation, "
        f"{sizes['test']} held-out test"
    )

    if config.init_model:
        classifier = continue_from(config)
    else:
        classifier = SDGClassifier.from_base(
            config.base_encoder, max_length=config.max_length, seed=config.seed
        )
        classifier.to(torch_device(config.device))
    classifier.config.pooling = config.pooling
    network = classifier.network
    trainable = min(config.trainable_layers, network.num_layers)
    first_trainable = network.num_layers - trainable
    classifier.config.trained_layers = max(trainable, classifier.config.trained_layers)
    trainable_parameters(network, first_trainable)

    started = time.time()
    if frozen is not None:
        frozen.check(classifier, first_trainable)
        train_cache = frozen.cache(classifier, train_set.texts(), progress=progress)
        dev_cache = frozen.cache(classifier, dev_set.texts(), progress=progress)
    else:
        train_cache = build_cache(
            classifier,
            train_set.texts(),
            first_trainable,
            config.batch_size,
            progress,
            "encode train",
        )
        dev_cache = build_cache(
            classifier, dev_set.texts(), first_trainable, config.batch_size, progress, "encode dev"
        )
    log(f"frozen layers cached in {time.time() - started:.0f}s")

    run = FitRun(classifier, train_cache, train_set, config, first_trainable)
    y_dev = dev_set.label_matrix()
    certain_dev = dev_set.certain_mask()
    dev_sources = dev_set.sources()
    best_f1, best_state, stale, history = -1.0, None, 0, []
    rng = random.Random(config.seed)

    for epoch in range(1, config.epochs + 1):
        loss = run.epoch(rng, progress=progress, desc=f"epoch {epoch}/{config.epochs}")
        dev_logits = all_logits(
            classifier, dev_cache, first_trainable, config.pooling, config.batch_size
        )
        dev_probs = 1 / (1 + np.exp(-dev_logits))
        thresholds = choose_thresholds(dev_probs, y_dev, certain_dev, dev_sources)["balanced"]
        dev_f1 = balanced_macro_f1(dev_probs, y_dev, certain_dev, thresholds, dev_sources)
        history.append({"epoch": epoch, "loss": loss, "val_macro_f1": dev_f1})
        log(
            f"epoch {epoch}: loss {loss:.4f}, "
            f"validation macro-F1 {dev_f1:.3f} (sources weighed equally, small ones by size)"
        )
        if dev_f1 > best_f1 + 1e-4:
            best_f1, stale = dev_f1, 0
            best_state = snapshot(network)
        else:
            stale += 1
            if stale >= config.patience:
                log(f"early stop: no validation gain for {config.patience} epochs")
                break

    if best_state is not None:
        restore(network, best_state)
    round_like_saved(classifier)
    network.eval()
    dev_logits = all_logits(
        classifier, dev_cache, first_trainable, config.pooling, config.batch_size
    )
    fit_decision_rule(classifier, dev_logits, dev_set)
    dev_probs = classifier.calibrate(dev_logits)
    log(f"trained in {time.time() - started:.0f}s")

    by_source = per_source_report(
        dev_probs, y_dev, certain_dev, classifier.config.thresholds, dev_sources
    )
    for name, block in by_source.items():
        macro = block["macro"]
        log(
            f"validation {name} ({block['samples']} texts): macro P {macro['precision']:.3f} "
            f"R {macro['recall']:.3f} F1 {macro['f1']:.3f}"
        )
    metrics: dict[str, Any] = {
        "history": history,
        "validation": metrics_from_probs(classifier, dev_set, dev_probs),
        "validation_by_source": by_source,
        "training_config": config.to_dict(),
        "sizes": sizes,
    }
    if len(test_set):
        metrics["test"] = metrics_from_probs(
            classifier, test_set, classifier.predict_proba(test_set.texts())
        )
    return TrainingResult(
        classifier,
        metrics,
        sizes,
        config,
        train_set=train_set,
        validation_texts=dev_set.texts(),
        held_out=test_set,
    )


def fit_decision_rule(
    classifier: SDGClassifier, logits: np.ndarray, validation: LabelledSet
) -> None:
    """Calibrate and choose every operating point's thresholds on validation pooled logits."""
    y_true, certain, sources = (
        validation.label_matrix(),
        validation.certain_mask(),
        validation.sources(),
    )
    slopes, intercepts = fit_calibration(logits, y_true, certain, sources)
    classifier.config.calibration_slope = slopes
    classifier.config.calibration_intercept = intercepts
    points = choose_thresholds(calibrate(logits, slopes, intercepts), y_true, certain, sources)
    classifier.config.thresholds = points["balanced"]
    classifier.config.operating_points = points
    classifier.error_rates = error_rates(
        calibrate(logits, slopes, intercepts), y_true, certain, points, sources
    )
    classifier.forget_hash()
