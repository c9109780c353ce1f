"""Writing a model folder, and measuring the new model against the one it is meant to replace.

The model folder gets the weights, the recipe, the evidence index and hashes of the training texts;
the saved model (as loaded back) is evaluated on named sets, next to its base model when training
continued from one, so a user always sees whether the new model is better.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data import load_source
from ..errors import DataError, ModelError
from ..evaluation import metrics_from_probs
from ..modeling import Classifier, default_model_path, load_classifier
from ..trained_texts import TRAINED_TEXTS_FILE
from .config import TRAINING_CONFIG_FILE, TrainingConfig, resolve_init_model
from .result import Progress, TrainingResult, stderr_log


def on_device(classifier: Classifier, device: str) -> Classifier:
    """A PyTorch classifier moved to ``device`` (see :func:`sdg_align.runtime.torch_device`)."""
    from ..modeling.network import SDGClassifier
    from ..runtime import torch_device

    return (
        classifier.to(torch_device(device)) if isinstance(classifier, SDGClassifier) else classifier
    )


def evaluate_named(
    classifier: Classifier, names: list[str], *, log: Progress = stderr_log
) -> dict[str, dict[str, Any]]:
    """Metrics of ``classifier`` on named evaluation sets, at every operating point."""
    from ..data import SOURCES
    from ..evaluation import evaluate

    results: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            labelled = load_source(name)
        except DataError as exc:
            log(f"{name}: not evaluated ({exc})")
            continue
        if not len(labelled):
            log(f"{name}: empty, not evaluated")
            continue
        metrics = evaluate(classifier, labelled)
        metrics["description"] = SOURCES[name].description if name in SOURCES else name
        results[name] = metrics
    return results


def base_model_folder(config: TrainingConfig) -> Path | None:
    """The model a new one is measured against: the one it continued from, else the default."""
    if config.init_model:
        return resolve_init_model(config.init_model)
    try:
        return default_model_path()
    except ModelError:
        return None


def compare_with_base(
    result: TrainingResult, *, log: Progress = stderr_log
) -> list[dict[str, Any]]:
    """The new model's held-out (or out-of-fold) figures next to the base model's, same texts.

    Stored in ``result.metrics["comparison"]``. The base is the model training continued from,
    else the bundled default model. Each comparison carries its warnings: too few texts to
    trust, a new model worse than the base, texts the base model was trained on.
    """
    from ..evaluation import base_comparison
    from ..trained_texts import TrainedTexts

    comparisons: list[dict[str, Any]] = []
    folder = base_model_folder(result.config)
    if folder is None:
        log("no base model to compare with (none given and no default model installed)")
        return comparisons
    base_record = TrainedTexts.read(folder)
    adaptation = result.metrics.get("adaptation")
    if adaptation:
        oof = adaptation["out_of_fold"]
        comparisons.append(
            base_comparison(
                oof["new"],
                oof["base"],
                kind=f"out of fold ({adaptation['folds']}-fold cross-validation over your texts)",
                base_model=str(folder),
            )
        )
        replay = adaptation.get("replay_out_of_fold")
        if replay:
            comparisons.append(
                base_comparison(
                    replay["new"],
                    replay["base"],
                    kind="out of fold on replayed texts of the base model's training data "
                    "(what adapting forgets; the base model learned them, so both are high)",
                    base_model=str(folder),
                    tolerance=result.config.replay_tolerance,
                )
            )
    if len(result.held_out):
        base = on_device(load_classifier(folder, "float32"), result.config.device)
        texts = result.held_out.texts()
        base_metrics = metrics_from_probs(base, result.held_out, base.predict_proba(texts), by=())
        comparisons.append(
            base_comparison(
                result.metrics["test"],
                base_metrics,
                kind="held-out test split",
                base_model=str(folder),
                base_seen=base_record.overlap(texts)["trained_on"] if base_record else 0,
            )
        )
    result.metrics["comparison"] = comparisons
    return comparisons


def check_output_folder(output_dir: str | Path) -> bool:
    """Refuse a folder that holds anything but an sdg-align model: saving writes README.md,
    config.json and more into it, over a user's own files of those names.

    True when the folder holds a model, which the new one replaces (the caller says so).
    """
    from ..modeling.config import read_model_config

    folder = Path(output_dir)
    if not folder.is_dir() or not any(folder.iterdir()):
        return False
    try:
        read_model_config(folder)  # a model folder: retraining into it replaces the model
        return True
    except ModelError:
        names = sorted(p.name for p in folder.iterdir())
        found = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DataError(
            f"{folder} already holds files that are not an sdg-align model ({found}); "
            "write the model to a new or empty folder"
        ) from None


def save_model(
    result: TrainingResult,
    output_dir: str | Path,
    card: dict[str, Any],
    *,
    log: Progress = stderr_log,
) -> Path:
    """Write the model folder, then evaluate the saved model (as loaded from disk) and its card.

    The evidence index (closest SDG targets) is built from the official target titles when the
    shared reference data are present, in English from the package's short titles otherwise, and
    from the training texts that carry target labels; when adaptation left the encoder as it was,
    the base model's index still holds and is kept. The folder also records hashes of the texts
    the model was trained and tuned on (:mod:`sdg_align.trained_texts`), its base model's included.
    A model continued from another is evaluated next to it.
    """
    from ..data import shared_data_dir
    from ..evidence import add_target_examples, build_evidence_index
    from ..trained_texts import TrainedTexts

    if result.config.init_model and Path(output_dir).resolve() == resolve_init_model(
        result.config.init_model
    ):
        raise DataError(
            "the output folder is the model training continued from; write to another folder "
            "(the base model is needed to compare the new one with)"
        )
    check_output_folder(output_dir)
    reference = shared_data_dir() / "sdg-reference"
    if result.encoder_changed or not result.classifier.extras:
        build_evidence_index(result.classifier, reference if reference.is_dir() else None)
        with_targets = [e for e in result.train_set.examples if e.targets]
        add_target_examples(
            result.classifier, [e.text for e in with_targets], [e.targets for e in with_targets]
        )
    folder = result.classifier.save_pretrained(output_dir, metrics=result.metrics, card=card)
    (folder / TRAINING_CONFIG_FILE).write_text(result.config.to_yaml(), encoding="utf-8")
    record = TrainedTexts.of(result.trained_texts, result.validation_texts)
    base_record = (
        TrainedTexts.read(resolve_init_model(result.config.init_model))
        if result.config.init_model
        else None
    )
    (record.including(base_record) if base_record else record).write(folder)
    if result.config.evaluate:
        # the model as saved, not the one in memory (on the training device: a GPU scores faster)
        saved = on_device(load_classifier(folder, "float32"), result.config.device)
        result.metrics["evaluations"] = evaluate_named(saved, result.config.evaluate, log=log)
        if result.config.init_model:
            base = on_device(
                load_classifier(resolve_init_model(result.config.init_model), "float32"),
                result.config.device,
            )
            result.metrics["base_evaluations"] = {
                name: {k: block[k] for k in ("samples", "macro", "micro")}
                for name, block in evaluate_named(base, result.config.evaluate, log=log).items()
            }
        result.classifier.save_pretrained(folder, metrics=result.metrics, card=card)
        (folder / TRAINING_CONFIG_FILE).write_text(result.config.to_yaml(), encoding="utf-8")
    for written in (TRAINING_CONFIG_FILE, TRAINED_TEXTS_FILE):
        (folder / written).chmod(0o644)
    return folder
