"""Fine-tuning: the recipe (:class:`TrainingConfig`), the data it names and :func:`train`.

The recipe is data: one config file (TOML, YAML or JSON) names the sources, their weights, the
evaluation-only exclusion and every hyperparameter; ``sdg-align train --config FILE`` reproduces a
model from it, and the model folder keeps a copy (``training_config.yaml``).

Only the top ``trainable_layers`` encoder layers and the head learn. The frozen lower layers run once
over every window of every text and their output is cached, so each epoch costs only the trainable
layers. A text is trained on as a whole: its windows (up to ``max_windows`` sampled per step) are
pooled exactly as inference pools them (:mod:`sdg_align.pooling`).

After training, calibration, the thresholds of the three operating points and the early-stopping
metric are computed on the validation split's pooled logits, on certain labels only, with every source
weighing the same (:mod:`sdg_align.decisions`). The test split is touched only to report.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .data import (
    LabelledSet,
    check_trainable,
    drop_evaluation_texts,
    evaluation_keys,
    load_source,
    merge_duplicates,
    split_holdout,
)
from .decisions import (
    balanced_macro_f1,
    calibrate,
    choose_thresholds,
    error_rates,
    fit_calibration,
    per_source_report,
)
from .errors import DataError, ModelError
from .evaluation import metrics_from_probs
from .modeling import Classifier, default_model_path, load_classifier, resolve_model_path
from .modeling.network import SDGClassifier
from .pooling import POOLINGS
from .trained_texts import TRAINED_TEXTS_FILE
from .window_cache import (
    FrozenStates,
    WindowCache,
    all_logits,
    build_cache,
    text_batches,
    text_logits,
)

TRAINING_CONFIG_FILE = "training_config.yaml"
DEFAULT_INIT = "default"  # init_model value meaning the bundled default model


@dataclass
class TrainingConfig:
    """One training run: data, model and optimisation. ``sdg-align train`` flags map one to one."""

    # --- data
    sources: list[str] = field(default_factory=lambda: ["corpus"])  # named sources or files
    source_weights: dict[str, float] = field(default_factory=dict)  # loss weight per source
    implied_negative_weight: float | None = None  # None: each source's own (0.5 for survey labels)
    exclude_evaluation_texts: bool = True  # drop any text also found in an evaluation-only set
    text_col: list[str] = field(default_factory=lambda: ["text"])  # for file sources
    sdgs_col: str = "sdgs"
    # --- model
    base_encoder: str = "multilingual-e5-small"
    init_model: str | None = None  # continue from an existing sdg-align model folder
    max_length: int = 128
    trainable_layers: int = 2
    pooling: str = "mean"
    max_windows: int = 4  # windows of a long text seen per training step (sampled)
    # --- optimisation
    epochs: int = 4
    learning_rate: float = 2e-3  # head
    encoder_learning_rate: float = 1e-4  # trainable encoder layers
    batch_size: int = 32  # texts per step
    weight_decay: float = 0.01
    max_pos_weight: float = 8.0
    patience: int = 2  # epochs without validation gain before stopping
    seed: int = 0
    # --- held-out data
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    evaluate: list[str] = field(default_factory=list)  # named sets evaluated on the saved model
    # --- continuing from a model on little data (sdg_align.adaptation; chosen by measurement in
    # scripts/eval_adaptation.py). Used only with init_model and fewer than small_data_limit
    # examples, so training from a base encoder, or on a lot of data, is unchanged.
    small_data_limit: int = 500  # below this many examples, continuing from a model adapts it
    cv_folds: int = 5  # folds over the user's texts: epochs, thresholds and the honest measure
    replay_examples: int = 300  # texts of the base model's own training data mixed in (0: none)
    replay_sources: list[str] | None = None  # None: the sources of the base model's recipe
    replay_tolerance: float = 0.01  # largest out-of-fold macro-F1 drop accepted on replay texts
    anchor_weight: float = 0.01  # L2 pull of the trainable weights toward the base model's
    refit_min_positives: int = 10  # out-of-fold positives an SDG needs to refit its thresholds
    adapt_trainable_layers: int | None = 0  # top encoder layers adapted (0: the head only)
    adapt_learning_rate: float = 3e-4  # the head's learning rate when adapting
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")
        if not 0 <= self.validation_fraction < 1 or not 0 <= self.test_fraction < 1:
            raise ValueError("validation and test fractions must lie in [0, 1)")
        if self.validation_fraction + self.test_fraction >= 0.9:
            raise ValueError("validation and test fractions leave too little to train on")
        if self.batch_size < 1 or self.max_length < 8 or self.trainable_layers < 0:
            raise ValueError("batch_size >= 1, max_length >= 8 and trainable_layers >= 0")
        if min(self.learning_rate, self.encoder_learning_rate, self.adapt_learning_rate) <= 0:
            raise ValueError("learning rates must be positive")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}")
        if self.max_windows < 1:
            raise ValueError("max_windows must be at least 1")
        if not self.sources:
            raise ValueError("name at least one data source")
        if any(w < 0 for w in self.source_weights.values()):
            raise ValueError("source weights must not be negative")
        if self.implied_negative_weight is not None and not 0 <= self.implied_negative_weight <= 1:
            raise ValueError("implied_negative_weight must lie in [0, 1]")
        if isinstance(self.text_col, str):
            self.text_col = [self.text_col]
        if self.small_data_limit < 0 or self.replay_examples < 0:
            raise ValueError("small_data_limit and replay_examples must not be negative")
        if self.cv_folds < 2:
            raise ValueError("cv_folds must be at least 2")
        if self.anchor_weight < 0 or self.replay_tolerance < 0:
            raise ValueError("anchor_weight and replay_tolerance must not be negative")
        if self.refit_min_positives < 1:
            raise ValueError("refit_min_positives must be at least 1")
        if self.adapt_trainable_layers is not None and self.adapt_trainable_layers < 0:
            raise ValueError("adapt_trainable_layers must not be negative")
        if isinstance(self.replay_sources, str):
            self.replay_sources = [self.replay_sources]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown training setting(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> TrainingConfig:
        """Read a recipe from TOML, YAML or JSON (by extension)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"cannot read the training config {path}: {exc}") from exc
        try:
            if path.suffix == ".toml":
                try:
                    import tomllib
                except ModuleNotFoundError:  # Python 3.10
                    import tomli as tomllib  # type: ignore[no-redef]
                data = tomllib.loads(text)
            elif path.suffix in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text) or {}
            elif path.suffix == ".json":
                data = json.loads(text)
            else:
                raise DataError(f"{path}: a training config is .toml, .yaml or .json")
            return cls.from_dict(data)
        except DataError:
            raise
        except Exception as exc:  # parse errors of three libraries, and our own checks
            raise DataError(f"{path}: {str(exc).splitlines()[0]}") from exc

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


@dataclass
class TrainingResult:
    classifier: SDGClassifier
    metrics: dict[str, Any]  # "validation", "validation_by_source", "test", "history", ...
    sizes: dict[str, int]
    config: TrainingConfig
    train_set: LabelledSet = field(default_factory=LabelledSet)  # what the model learned from
    validation_texts: list[str] = field(default_factory=list)  # what it was tuned on
    held_out: LabelledSet = field(default_factory=LabelledSet)  # never trained on: the report
    encoder_changed: bool = True  # False: the base model's evidence index still holds

    @property
    def trained_texts(self) -> list[str]:
        """The texts recorded in the model folder as trained on."""
        return self.train_set.texts()


def uses_adaptation(config: TrainingConfig, examples: int) -> bool:
    """Whether ``train`` follows the small-data protocol (continuing, on little data)."""
    return bool(config.init_model) and examples < config.small_data_limit


Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------- data
def assemble_training_data(config: TrainingConfig, *, log: Progress = _stderr) -> LabelledSet:
    """Load the recipe's sources, weigh them, drop evaluation texts and merge duplicates."""
    from dataclasses import replace

    labelled = LabelledSet()
    for name in config.sources:
        part = load_source(name, text_col=config.text_col, sdgs_col=config.sdgs_col)
        weight = config.source_weights.get(name, 1.0)
        if weight != 1.0 or config.implied_negative_weight is not None:
            part.examples = [
                replace(
                    e,
                    weight=e.weight * weight,
                    implied_negative_weight=(
                        config.implied_negative_weight
                        if config.implied_negative_weight is not None and e.implied_negative_weight
                        else e.implied_negative_weight
                    ),
                )
                for e in part.examples
            ]
        log(
            f"{name}: {len(part)} examples"
            + (f" (weight {weight:g})" if weight != 1.0 else "")
            + (f", {len(part.problems)} notes" if part.problems else "")
        )
        for problem in part.problems[:10]:
            log(f"  {problem}")
        labelled.examples.extend(part.examples)
    check_trainable(labelled)
    if config.exclude_evaluation_texts:
        keys, missing = evaluation_keys()
        if missing:
            log(f"evaluation-only sets not present, so not excluded: {', '.join(missing)}")
        labelled = drop_evaluation_texts(labelled, keys)
    merged, report = merge_duplicates(labelled)
    for line in merged.problems:
        log(line)
    return merged


# ----------------------------------------------------------------------- one optimisation run
def trainable_parameters(network: Any, first_trainable: int) -> list[nn.Parameter]:
    """Mark the top encoder layers and the head trainable (all else frozen); return the layers'."""
    for param in network.parameters():
        param.requires_grad = False
    encoder_params = [
        p for layer in network.encoder.encoder.layer[first_trainable:] for p in layer.parameters()
    ]
    for param in [*encoder_params, *network.head.parameters()]:
        param.requires_grad = True
    return encoder_params


def snapshot(network: Any) -> dict[str, torch.Tensor]:
    """Copies of the trainable parameters (to restore later, or to anchor to)."""
    return {n: p.detach().clone() for n, p in network.named_parameters() if p.requires_grad}


def restore(network: Any, state: dict[str, torch.Tensor]) -> None:
    network.load_state_dict(state, strict=False)


class FitRun:
    """One optimisation run over a cached training set: its loss, optimiser and schedule.

    Several runs can share one network (the folds of a cross-validation): each keeps its own
    optimiser state, and the caller swaps each run's parameters in with :func:`restore`.
    ``anchor`` adds ``anchor_weight * sum((p - p0)^2)``, which pulls the trainable parameters
    toward ``p0`` (the base model's), so a little data moves the model only as far as it must.
    """

    def __init__(
        self,
        classifier: SDGClassifier,
        cache: WindowCache,
        labelled: LabelledSet,
        config: TrainingConfig,
        first_trainable: int,
        *,
        schedule_epochs: int | None = None,
        anchor: dict[str, torch.Tensor] | None = None,
        anchor_weight: float = 0.0,
    ) -> None:
        network = classifier.network
        self.classifier = classifier
        self.cache = cache
        self.config = config
        self.first_trainable = first_trainable
        self.anchor = anchor if anchor_weight > 0 else None
        self.anchor_weight = anchor_weight
        encoder_params = [
            p
            for layer in network.encoder.encoder.layer[first_trainable:]
            for p in layer.parameters()
        ]
        self.y = torch.tensor(labelled.label_matrix())
        self.mask = torch.tensor(labelled.loss_mask())
        self.weights = torch.tensor([e.weight for e in labelled.examples], dtype=torch.float32)
        pos_weight = positive_weights(self.y, self.mask, config.max_pos_weight)
        self.loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
        self.optimizer = torch.optim.AdamW(
            [
                {"params": list(network.head.parameters()), "lr": config.learning_rate},
                {"params": encoder_params, "lr": config.encoder_learning_rate},
            ],
            weight_decay=config.weight_decay,
        )
        steps_per_epoch = math.ceil(len(labelled) / config.batch_size)
        total_steps = steps_per_epoch * (schedule_epochs or config.epochs)
        warmup = max(1, total_steps // 20)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda step: (
                min(1.0, (step + 1) / warmup)
                * max(0.0, (total_steps - step) / max(1, total_steps - warmup))
            ),
        )

    def penalty(self) -> torch.Tensor:
        assert self.anchor is not None
        total = torch.zeros(())
        for name, param in self.classifier.network.named_parameters():
            if name in self.anchor:
                total = total + ((param - self.anchor[name]) ** 2).sum()
        return self.anchor_weight * total

    def epoch(self, rng: random.Random, *, progress: bool, desc: str) -> float:
        """One pass over the training texts; returns the mean loss per batch."""
        from tqdm.auto import tqdm

        config, network = self.config, self.classifier.network
        network.train()
        batches = text_batches(self.cache, config.batch_size, rng)
        total_loss = 0.0
        with tqdm(batches, desc=desc, unit="batch", disable=not progress, file=sys.stderr) as bar:
            for rows in bar:
                logits = text_logits(
                    self.classifier,
                    self.cache,
                    rows,
                    self.first_trainable,
                    config.pooling,
                    rng,
                    config.max_windows,
                )
                loss = masked_loss(
                    self.loss_fn, logits, self.y[rows], self.mask[rows], self.weights[rows]
                )
                if self.anchor is not None:
                    loss = loss + self.penalty()
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(
                    [p for g in self.optimizer.param_groups for p in g["params"]], 1.0
                )
                self.optimizer.step()
                self.scheduler.step()
                total_loss += float(loss.detach())
                bar.set_postfix(loss=f"{loss.item():.3f}")
        return total_loss / max(1, len(batches))


def continue_from(config: TrainingConfig) -> SDGClassifier:
    """The model ``init_model`` names ("default": the bundled default model), made trainable."""
    classifier = SDGClassifier.from_pretrained(resolve_init_model(config.init_model))
    # Continuing keeps the model's base encoder and length; the config records it.
    config.base_encoder = classifier.config.base_encoder
    config.max_length = classifier.config.max_length
    return classifier


def resolve_init_model(init_model: str | None) -> Path:
    """``init_model`` as a folder: "default" is the bundled default model."""
    if init_model is None:
        raise ValueError("no init_model to continue from")
    if init_model == DEFAULT_INIT:
        return default_model_path()
    return resolve_model_path(init_model)


# ----------------------------------------------------------------------- training
def train(
    labelled: LabelledSet,
    config: TrainingConfig,
    *,
    progress: bool = True,
    log: Progress = _stderr,
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
        from .adaptation import adapt

        return adapt(labelled, config, progress=progress, log=log, frozen=frozen)

    train_set, dev_set, test_set = split_holdout(
        labelled,
        validation_fraction=config.validation_fraction,
        test_fraction=config.test_fraction,
        seed=config.seed,
    )
    if len(dev_set) == 0:
        raise DataError("the validation set is empty: raise --validation-fraction")
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
            f"validation macro-F1 {dev_f1:.3f} (sources weighed equally)"
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


def positive_weights(labels: torch.Tensor, mask: torch.Tensor, cap: float) -> torch.Tensor:
    """Per SDG, sqrt(negatives / positives) over known labels, between 1 and ``cap``.

    Rare goals would otherwise be learned as "always absent"; the square root and the cap keep
    the push moderate, so precision does not collapse on the rarest goals.
    """
    positives = (labels * mask).sum(0)
    negatives = ((1 - labels) * mask).sum(0)
    return torch.clamp(torch.sqrt(negatives / positives.clamp(min=1)), 1.0, cap)


def masked_loss(
    loss_fn: nn.Module,
    logits: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor,
    weights: torch.Tensor,
) -> torch.Tensor:
    """Binary cross-entropy over known labels only, each text scaled by its weight.

    ``mask`` holds each label's loss weight (1 known, a fraction for implied negatives, 0 unknown);
    the sum is divided by the total mask so a batch of mostly unknown labels does not shrink the step.
    """
    per_label = loss_fn(logits, labels) * mask
    return (per_label.sum(1) * weights).sum() / mask.sum().clamp(min=1)


def round_like_saved(classifier: SDGClassifier) -> None:
    """Round the stored encoder layers to float16 as ``save_pretrained`` does.

    Calibration and thresholds are then fitted on exactly the network that is saved, so the
    metrics of the in-memory model are those of the model folder.
    """
    first = classifier.network.num_layers - classifier.config.trained_layers
    with torch.no_grad():
        for layer in classifier.network.encoder.encoder.layer[first:]:
            for param in layer.parameters():
                param.copy_(param.half().float())


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
        calibrate(logits, slopes, intercepts), y_true, certain, points
    )
    classifier.forget_hash()


# ----------------------------------------------------------------------- the whole recipe
def evaluate_named(
    classifier: Classifier, names: list[str], *, log: Progress = _stderr
) -> dict[str, dict[str, Any]]:
    """Metrics of ``classifier`` on named evaluation sets, at every operating point."""
    from .data import SOURCES
    from .evaluation import evaluate

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


def compare_with_base(result: TrainingResult, *, log: Progress = _stderr) -> list[dict[str, Any]]:
    """The new model's held-out (or out-of-fold) figures next to the base model's, same texts.

    Stored in ``result.metrics["comparison"]``. The base is the model training continued from,
    else the bundled default model. Each comparison carries its warnings: too few texts to
    trust, a new model worse than the base, texts the base model was trained on.
    """
    from .evaluation import base_comparison
    from .trained_texts import TrainedTexts

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
                )
            )
    if len(result.held_out):
        base = load_classifier(folder, "float32")
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


def save_model(
    result: TrainingResult, output_dir: str | Path, card: dict[str, Any], *, log: Progress = _stderr
) -> Path:
    """Write the model folder, then evaluate the saved model (as loaded from disk) and its card.

    The evidence index (closest SDG targets) is built from the official target titles when the
    shared reference data are present, in English from the package's short titles otherwise, and
    from the training texts that carry target labels; when adaptation left the encoder as it was,
    the base model's index still holds and is kept. The folder also records hashes of the texts
    the model was trained and tuned on (:mod:`sdg_align.trained_texts`). A model continued from
    another is evaluated next to it.
    """
    from .data import shared_data_dir
    from .evidence import add_target_examples, build_evidence_index
    from .trained_texts import TrainedTexts

    if result.config.init_model and Path(output_dir).resolve() == resolve_init_model(
        result.config.init_model
    ):
        raise DataError(
            "the output folder is the model training continued from; write to another folder "
            "(the base model is needed to compare the new one with)"
        )
    reference = shared_data_dir() / "sdg-reference"
    if result.encoder_changed or not result.classifier.extras:
        build_evidence_index(result.classifier, reference if reference.is_dir() else None)
        with_targets = [e for e in result.train_set.examples if e.targets]
        add_target_examples(
            result.classifier, [e.text for e in with_targets], [e.targets for e in with_targets]
        )
    folder = result.classifier.save_pretrained(output_dir, metrics=result.metrics, card=card)
    (folder / TRAINING_CONFIG_FILE).write_text(result.config.to_yaml(), encoding="utf-8")
    TrainedTexts.of(result.trained_texts, result.validation_texts).write(folder)
    if result.config.evaluate:
        saved = load_classifier(folder, "float32")  # the model as saved, not the one in memory
        result.metrics["evaluations"] = evaluate_named(saved, result.config.evaluate, log=log)
        if result.config.init_model:
            base = load_classifier(resolve_init_model(result.config.init_model), "float32")
            result.metrics["base_evaluations"] = {
                name: {k: block[k] for k in ("samples", "macro", "micro")}
                for name, block in evaluate_named(base, result.config.evaluate, log=log).items()
            }
        result.classifier.save_pretrained(folder, metrics=result.metrics, card=card)
        (folder / TRAINING_CONFIG_FILE).write_text(result.config.to_yaml(), encoding="utf-8")
    for written in (TRAINING_CONFIG_FILE, TRAINED_TEXTS_FILE):
        (folder / written).chmod(0o644)
    return folder
