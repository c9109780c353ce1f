"""One optimisation run over cached frozen-layer states: :class:`FitRun` and its loss.

Only the top encoder layers and the head learn. The frozen lower layers' output is cached
(:mod:`sdg_align.window_cache`), so each epoch costs only the trainable layers. A text is trained on
as a whole: its windows (up to ``max_windows`` sampled per step) are pooled exactly as inference
pools them (:mod:`sdg_align.pooling`). Both protocols (:mod:`.protocol`, :mod:`sdg_align.adaptation`)
drive the same run, so a change to the optimisation reaches both.
"""

from __future__ import annotations

import math
import random
import sys
from typing import Any

import torch
from torch import nn

from ..data import LabelledSet
from ..modeling.network import SDGClassifier
from ..runtime import torch_device
from ..window_cache import WindowCache, text_batches, text_logits
from .config import TrainingConfig, resolve_init_model


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
        device = network.device
        self.y = torch.tensor(labelled.label_matrix(), device=device)
        self.mask = torch.tensor(labelled.loss_mask(), device=device)
        self.weights = torch.tensor(
            [e.weight for e in labelled.examples], dtype=torch.float32, device=device
        )
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
        total = torch.zeros((), device=self.classifier.network.device)
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
    classifier.to(torch_device(config.device))
    # Continuing keeps the model's base encoder and length; the config records it.
    config.base_encoder = classifier.config.base_encoder
    config.max_length = classifier.config.max_length
    return classifier


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
