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
from .errors import DataError
from .evaluation import metrics_from_probs
from .labels import NUM_SDGS
from .modeling import Classifier, load_classifier
from .modeling.network import SDGClassifier, mean_pool
from .pooling import POOLINGS, pool_texts, pool_torch

TRAINING_CONFIG_FILE = "training_config.yaml"


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
        if self.learning_rate <= 0 or self.encoder_learning_rate <= 0:
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


# ----------------------------------------------------------------------- cached windows
class _WindowCache:
    """Frozen-prefix outputs of every window; ``owners[i]`` lists text i's window indices."""

    def __init__(
        self, states: list[torch.Tensor], owners: list[list[int]], pooled_only: bool
    ) -> None:
        self.states = states
        self.owners = owners
        self.pooled_only = pooled_only

    def __len__(self) -> int:
        return len(self.owners)

    def tokens(self, text: int) -> int:
        return sum(self.states[w].shape[0] for w in self.owners[text])

    def batch(self, windows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pooled_only:
            return torch.stack([self.states[i] for i in windows]), torch.ones(len(windows), 1)
        width = max(self.states[i].shape[0] for i in windows)
        hidden = torch.zeros(len(windows), width, self.states[windows[0]].shape[1])
        mask = torch.zeros(len(windows), width, dtype=torch.long)
        for r, i in enumerate(windows):
            n = self.states[i].shape[0]
            hidden[r, :n] = self.states[i].float()
            mask[r, :n] = 1
        return hidden, mask


def _build_cache(
    classifier: SDGClassifier,
    texts: list[str],
    first_trainable: int,
    batch_size: int,
    show_progress: bool,
    desc: str,
) -> _WindowCache:
    from tqdm.auto import tqdm

    network = classifier.network
    per_text = classifier.windower.windows(texts)
    flat = [w for windows in per_text for w in windows]
    owners, start = [], 0
    for windows in per_text:
        owners.append(list(range(start, start + len(windows))))
        start += len(windows)
    order = sorted(range(len(flat)), key=lambda i: len(flat[i]))
    pooled_only = first_trainable >= network.num_layers
    states: list[torch.Tensor] = [torch.empty(0)] * len(flat)
    network.eval()
    with (
        torch.inference_mode(),
        tqdm(
            total=len(flat), desc=desc, unit="window", disable=not show_progress, file=sys.stderr
        ) as bar,
    ):
        for begin in range(0, len(order), batch_size):
            rows = order[begin : begin + batch_size]
            ids_np, mask_np = classifier.windower.pad([flat[i] for i in rows])
            input_ids, mask = torch.from_numpy(ids_np), torch.from_numpy(mask_np)
            hidden = network.run_layers(network.embed_tokens(input_ids), mask, 0, first_trainable)
            if pooled_only:
                pooled = mean_pool(hidden, mask)
                for r, i in enumerate(rows):
                    states[i] = pooled[r].clone()
            else:
                for r, i in enumerate(rows):
                    n = int(mask[r].sum())
                    states[i] = hidden[r, :n].to(torch.bfloat16).clone()
            bar.update(len(rows))
    return _WindowCache(states, owners, pooled_only)


def _window_logits(
    classifier: SDGClassifier, cache: _WindowCache, windows: list[int], first_trainable: int
) -> torch.Tensor:
    network = classifier.network
    hidden, mask = cache.batch(windows)
    pooled = (
        hidden
        if cache.pooled_only
        else mean_pool(network.run_layers(hidden, mask, first_trainable), mask)
    )
    return network.classify(pooled)


def _text_logits(
    classifier: SDGClassifier,
    cache: _WindowCache,
    texts: list[int],
    first_trainable: int,
    pooling: str,
    rng: random.Random | None,
    max_windows: int,
) -> torch.Tensor:
    """Pooled logits of ``texts``; with ``rng``, at most ``max_windows`` sampled windows each."""
    chosen = []
    for t in texts:
        windows = cache.owners[t]
        if rng is not None and len(windows) > max_windows:
            windows = sorted(rng.sample(windows, max_windows))
        chosen.append(windows)
    flat = [w for windows in chosen for w in windows]
    logits = _window_logits(classifier, cache, flat, first_trainable)
    pooled, start = [], 0
    for windows in chosen:
        pooled.append(pool_torch(logits[start : start + len(windows)], pooling))
        start += len(windows)
    return torch.stack(pooled)


def _all_logits(
    classifier: SDGClassifier, cache: _WindowCache, first_trainable: int, config: TrainingConfig
) -> np.ndarray:
    """Pooled logits of every cached text from all its windows (as inference computes them)."""
    classifier.network.eval()
    window_count = sum(len(o) for o in cache.owners)
    logits = np.zeros((window_count, NUM_SDGS), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, window_count, config.batch_size * 2):
            windows = list(range(start, min(start + config.batch_size * 2, window_count)))
            logits[windows] = _window_logits(classifier, cache, windows, first_trainable).numpy()
    return pool_texts(logits, [len(o) for o in cache.owners], config.pooling)


def _batches(cache: _WindowCache, batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of texts of similar length: little padding, still random order."""
    indices = list(range(len(cache)))
    rng.shuffle(indices)
    if not cache.pooled_only:
        chunk = batch_size * 50
        indices = [
            i
            for start in range(0, len(indices), chunk)
            for i in sorted(indices[start : start + chunk], key=cache.tokens)
        ]
    batches = [indices[s : s + batch_size] for s in range(0, len(indices), batch_size)]
    rng.shuffle(batches)
    return batches


# ----------------------------------------------------------------------- training
def train(
    labelled: LabelledSet,
    config: TrainingConfig,
    *,
    progress: bool = True,
    log: Progress = _stderr,
) -> TrainingResult:
    """Fine-tune a classifier on ``labelled`` and return it with validation and test metrics."""
    check_trainable(labelled)
    if len(labelled) < 10:
        raise DataError(f"need at least 10 labelled examples to train; got {len(labelled)}")
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)

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
        classifier = SDGClassifier.from_pretrained(config.init_model)
        # Continuing keeps the model's base encoder and length; the config records it.
        config.base_encoder = classifier.config.base_encoder
        config.max_length = classifier.config.max_length
    else:
        classifier = SDGClassifier.from_base(
            config.base_encoder, max_length=config.max_length, seed=config.seed
        )
    classifier.config.pooling = config.pooling
    network = classifier.network
    trainable = min(config.trainable_layers, network.num_layers)
    first_trainable = network.num_layers - trainable
    classifier.config.trained_layers = max(trainable, classifier.config.trained_layers)

    for param in network.parameters():
        param.requires_grad = False
    encoder_params = [
        p for layer in network.encoder.encoder.layer[first_trainable:] for p in layer.parameters()
    ]
    for param in [*encoder_params, *network.head.parameters()]:
        param.requires_grad = True

    started = time.time()
    train_cache = _build_cache(
        classifier, train_set.texts(), first_trainable, config.batch_size, progress, "encode train"
    )
    dev_cache = _build_cache(
        classifier, dev_set.texts(), first_trainable, config.batch_size, progress, "encode dev"
    )
    log(f"frozen layers cached in {time.time() - started:.0f}s")

    y_train = torch.tensor(train_set.label_matrix())
    m_train = torch.tensor(train_set.loss_mask())
    w_train = torch.tensor([e.weight for e in train_set.examples], dtype=torch.float32)
    pos_weight = positive_weights(y_train, m_train, config.max_pos_weight)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")

    optimizer = torch.optim.AdamW(
        [
            {"params": list(network.head.parameters()), "lr": config.learning_rate},
            {"params": encoder_params, "lr": config.encoder_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, total_steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            min(1.0, (step + 1) / warmup)
            * max(0.0, (total_steps - step) / max(1, total_steps - warmup))
        ),
    )

    y_dev = dev_set.label_matrix()
    certain_dev = dev_set.certain_mask()
    dev_sources = dev_set.sources()
    trainable_names = [n for n, p in network.named_parameters() if p.requires_grad]
    best_f1, best_state, stale, history = -1.0, None, 0, []
    rng = random.Random(config.seed)
    from tqdm.auto import tqdm

    for epoch in range(1, config.epochs + 1):
        network.train()
        batches = _batches(train_cache, config.batch_size, rng)
        total_loss = 0.0
        with tqdm(
            batches,
            desc=f"epoch {epoch}/{config.epochs}",
            unit="batch",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            for rows in bar:
                logits = _text_logits(
                    classifier,
                    train_cache,
                    rows,
                    first_trainable,
                    config.pooling,
                    rng,
                    config.max_windows,
                )
                loss = masked_loss(loss_fn, logits, y_train[rows], m_train[rows], w_train[rows])
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(
                    [p for g in optimizer.param_groups for p in g["params"]], 1.0
                )
                optimizer.step()
                scheduler.step()
                total_loss += float(loss.detach())
                bar.set_postfix(loss=f"{loss.item():.3f}")
        dev_probs = 1 / (1 + np.exp(-_all_logits(classifier, dev_cache, first_trainable, config)))
        thresholds = choose_thresholds(dev_probs, y_dev, certain_dev, dev_sources)["balanced"]
        dev_f1 = balanced_macro_f1(dev_probs, y_dev, certain_dev, thresholds, dev_sources)
        history.append({"epoch": epoch, "loss": total_loss / len(batches), "val_macro_f1": dev_f1})
        log(
            f"epoch {epoch}: loss {total_loss / len(batches):.4f}, "
            f"validation macro-F1 {dev_f1:.3f} (sources weighed equally)"
        )
        if dev_f1 > best_f1 + 1e-4:
            best_f1, stale = dev_f1, 0
            best_state = {
                n: p.detach().clone() for n, p in network.named_parameters() if n in trainable_names
            }
        else:
            stale += 1
            if stale >= config.patience:
                log(f"early stop: no validation gain for {config.patience} epochs")
                break

    if best_state is not None:
        network.load_state_dict(best_state, strict=False)
    round_like_saved(classifier)
    network.eval()
    dev_logits = _all_logits(classifier, dev_cache, first_trainable, config)
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
    return TrainingResult(classifier, metrics, sizes, config, train_set)


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


def save_model(
    result: TrainingResult, output_dir: str | Path, card: dict[str, Any], *, log: Progress = _stderr
) -> Path:
    """Write the model folder, then evaluate the saved model (as loaded from disk) and its card.

    The evidence index (closest SDG targets) is built from the official target titles when the
    shared reference data are present, in English from the package's short titles otherwise, and
    from the training texts that carry target labels.
    """
    from .data import shared_data_dir
    from .evidence import add_target_examples, build_evidence_index

    reference = shared_data_dir() / "sdg-reference"
    build_evidence_index(result.classifier, reference if reference.is_dir() else None)
    with_targets = [e for e in result.train_set.examples if e.targets]
    add_target_examples(
        result.classifier, [e.text for e in with_targets], [e.targets for e in with_targets]
    )
    folder = result.classifier.save_pretrained(output_dir, metrics=result.metrics, card=card)
    (folder / TRAINING_CONFIG_FILE).write_text(result.config.to_yaml(), encoding="utf-8")
    if result.config.evaluate:
        saved = load_classifier(folder, "float32")  # the model as saved, not the one in memory
        result.metrics["evaluations"] = evaluate_named(saved, result.config.evaluate, log=log)
        result.classifier.save_pretrained(folder, metrics=result.metrics, card=card)
        (folder / TRAINING_CONFIG_FILE).write_text(result.config.to_yaml(), encoding="utf-8")
    (folder / TRAINING_CONFIG_FILE).chmod(0o644)
    return folder
