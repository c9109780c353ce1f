"""Fine-tuning: a :class:`TrainingConfig` and :func:`train`.

Only the top ``trainable_layers`` encoder layers and the head learn. The frozen lower layers run once
over all texts and their output is cached, so each epoch costs only the trainable layers: on a laptop
CPU this makes fine-tuning a multilingual encoder take minutes rather than hours. With
``trainable_layers=0`` the pooled embeddings are cached and only the head trains.

After training, probabilities are calibrated per SDG on the validation set (Platt scaling) and a
decision threshold per SDG is chosen there to maximise F1. The test split is touched only to report
held-out metrics at the very end.
"""

from __future__ import annotations

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

from .data import LabelledSet, check_trainable, split_holdout
from .errors import DataError
from .evaluation import metrics_from_probs, multilabel_metrics
from .labels import NUM_SDGS
from .modeling import SDGClassifier, mean_pool


@dataclass
class TrainingConfig:
    """Settings of one training run; the CLI flags of ``sdg-align train`` map one to one."""

    base_encoder: str = "multilingual-e5-small"
    init_model: str | None = None  # continue from an existing sdg-align model folder
    epochs: int = 4
    learning_rate: float = 2e-3  # head
    encoder_learning_rate: float = 1e-4  # trainable encoder layers
    batch_size: int = 32
    max_length: int = 128
    trainable_layers: int = 2
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    patience: int = 2  # epochs without validation macro-F1 gain before stopping
    weight_decay: float = 0.01
    max_pos_weight: float = 8.0
    seed: int = 0
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class TrainingResult:
    classifier: SDGClassifier
    metrics: dict[str, Any]  # "validation", "test" (held-out), "history"
    sizes: dict[str, int]


Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Cache:
    """Frozen-prefix outputs for a set of texts: per text, hidden states (or pooled vectors)."""

    def __init__(self, states: list[torch.Tensor], pooled_only: bool) -> None:
        self.states = states
        self.pooled_only = pooled_only

    def batch(self, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pooled_only:
            return torch.stack([self.states[i] for i in rows]), torch.ones(len(rows), 1)
        width = max(self.states[i].shape[0] for i in rows)
        hidden = torch.zeros(len(rows), width, self.states[rows[0]].shape[1])
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for r, i in enumerate(rows):
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
) -> _Cache:
    from tqdm.auto import tqdm

    network = classifier.network
    windower = classifier.windower
    ids = [w[0] for w in windower.windows(texts)]  # training uses the first window only
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    pooled_only = first_trainable >= network.num_layers
    states: list[torch.Tensor] = [torch.empty(0)] * len(ids)
    network.eval()
    with (
        torch.inference_mode(),
        tqdm(
            total=len(ids), desc=desc, unit="text", disable=not show_progress, file=sys.stderr
        ) as bar,
    ):
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            input_ids, mask = windower.pad([ids[i] for i in rows])
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
    return _Cache(states, pooled_only)


def _forward_top(
    classifier: SDGClassifier, cache: _Cache, rows: list[int], first_trainable: int
) -> tuple[torch.Tensor, torch.Tensor]:
    network = classifier.network
    hidden, mask = cache.batch(rows)
    pooled = (
        hidden
        if cache.pooled_only
        else mean_pool(network.run_layers(hidden, mask, first_trainable), mask)
    )
    return network.classify(pooled), pooled


def _logits(classifier: SDGClassifier, cache: _Cache, first_trainable: int, bs: int) -> np.ndarray:
    classifier.network.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(cache.states), bs):
            rows = list(range(start, min(start + bs, len(cache.states))))
            out.append(_forward_top(classifier, cache, rows, first_trainable)[0].numpy())
    return np.concatenate(out) if out else np.zeros((0, NUM_SDGS), dtype=np.float32)


def best_thresholds(probs: np.ndarray, y_true: np.ndarray, mask: np.ndarray) -> list[float]:
    """Per SDG, the threshold in [0.05, 0.95] that maximises F1 on these (validation) rows."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    thresholds = []
    for k in range(NUM_SDGS):
        known = mask[:, k] > 0
        truth, p = y_true[known, k] > 0, probs[known, k]
        if truth.sum() == 0:
            thresholds.append(0.5)
            continue
        predicted = p[None, :] >= grid[:, None]
        tp = (predicted & truth).sum(1)
        fp = (predicted & ~truth).sum(1)
        fn = (~predicted & truth).sum(1)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        # Among equally good thresholds, the middle one is the least brittle.
        best = np.flatnonzero(f1 == f1.max())
        thresholds.append(float(grid[best[len(best) // 2]]))
    return thresholds


def fit_calibration(
    logits: np.ndarray, y_true: np.ndarray, mask: np.ndarray
) -> tuple[list[float], list[float]]:
    """Platt scaling per SDG on validation logits; identity where there are too few positives."""
    from sklearn.linear_model import LogisticRegression

    slopes, intercepts = [], []
    for k in range(NUM_SDGS):
        known = mask[:, k] > 0
        truth = y_true[known, k] > 0
        if truth.sum() < 3 or (~truth).sum() < 3:
            slopes.append(1.0)
            intercepts.append(0.0)
            continue
        model = LogisticRegression(C=1.0)
        model.fit(logits[known, k : k + 1], truth)
        slope = float(model.coef_[0, 0])
        if slope <= 0:  # a useless logit for this SDG: keep it monotone, don't invert it
            slopes.append(1.0)
            intercepts.append(0.0)
            continue
        slopes.append(slope)
        intercepts.append(float(model.intercept_[0]))
    return slopes, intercepts


def train(
    labelled: LabelledSet,
    config: TrainingConfig,
    *,
    progress: bool = True,
    log: Progress = _stderr,
) -> TrainingResult:
    """Fine-tune a classifier on ``labelled`` and return it with held-out metrics."""
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
    m_train = torch.tensor(np.stack([e.known_mask() for e in train_set.examples]))
    w_train = torch.tensor([e.weight for e in train_set.examples], dtype=torch.float32)
    positives = (y_train * m_train).sum(0)
    negatives = ((1 - y_train) * m_train).sum(0)
    pos_weight = torch.clamp(
        torch.sqrt(negatives / positives.clamp(min=1)), 1.0, config.max_pos_weight
    )
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
    m_dev = np.stack([e.known_mask() for e in dev_set.examples])
    trainable_names = [n for n, p in network.named_parameters() if p.requires_grad]
    best_f1, best_state, stale, history = -1.0, None, 0, []
    rng = random.Random(config.seed)
    from tqdm.auto import tqdm

    for epoch in range(1, config.epochs + 1):
        network.train()
        batches = _length_bucketed_batches(train_cache, config.batch_size, rng)
        total_loss = 0.0
        with tqdm(
            batches,
            desc=f"epoch {epoch}/{config.epochs}",
            unit="batch",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            for rows in bar:
                logits, _ = _forward_top(classifier, train_cache, rows, first_trainable)
                per_label = loss_fn(logits, y_train[rows]) * m_train[rows]
                loss = (per_label.sum(1) * w_train[rows]).sum() / m_train[rows].sum().clamp(min=1)
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(
                    [p for g in optimizer.param_groups for p in g["params"]], 1.0
                )
                optimizer.step()
                scheduler.step()
                total_loss += float(loss.detach())
                bar.set_postfix(loss=f"{loss.item():.3f}")
        dev_logits = _logits(classifier, dev_cache, first_trainable, config.batch_size)
        dev_probs = 1 / (1 + np.exp(-dev_logits))
        thresholds = best_thresholds(dev_probs, y_dev, m_dev)
        dev_f1 = multilabel_metrics(y_dev, dev_probs >= np.array(thresholds), m_dev)["macro"]["f1"]
        history.append({"epoch": epoch, "loss": total_loss / len(batches), "val_macro_f1": dev_f1})
        log(
            f"epoch {epoch}: loss {total_loss / len(batches):.4f}, validation macro-F1 {dev_f1:.3f}"
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
    network.eval()
    dev_logits = _logits(classifier, dev_cache, first_trainable, config.batch_size)
    slopes, intercepts = fit_calibration(dev_logits, y_dev, m_dev)
    classifier.config.calibration_slope = slopes
    classifier.config.calibration_intercept = intercepts
    dev_probs = classifier.calibrate(dev_logits)
    classifier.config.thresholds = best_thresholds(dev_probs, y_dev, m_dev)
    log(f"trained in {time.time() - started:.0f}s")

    metrics: dict[str, Any] = {
        "history": history,
        "validation": metrics_from_probs(classifier, dev_set, dev_probs),
        "training_config": config.to_dict(),
        "sizes": sizes,
    }
    if len(test_set):
        metrics["test"] = metrics_from_probs(
            classifier, test_set, classifier.predict_proba(test_set.texts())
        )
    return TrainingResult(classifier, metrics, sizes)


def _length_bucketed_batches(cache: _Cache, batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: little padding, still random order."""
    indices = list(range(len(cache.states)))
    rng.shuffle(indices)
    if not cache.pooled_only:
        chunk = batch_size * 50
        indices = [
            i
            for start in range(0, len(indices), chunk)
            for i in sorted(indices[start : start + chunk], key=lambda j: cache.states[j].shape[0])
        ]
    batches = [indices[s : s + batch_size] for s in range(0, len(indices), batch_size)]
    rng.shuffle(batches)
    return batches


def save_training_output(
    result: TrainingResult, output_dir: str | Path, card: dict[str, Any]
) -> Path:
    """Write the model folder with its metrics and model card."""
    return result.classifier.save_pretrained(output_dir, metrics=result.metrics, card=card)
