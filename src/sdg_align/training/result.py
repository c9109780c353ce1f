"""What a training run hands back, and how it reports progress.

Kept apart from the protocols so that both (:mod:`.protocol` and :mod:`sdg_align.adaptation`) return
the same thing and :mod:`.save` can write either.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..data import LabelledSet
from ..modeling.network import SDGClassifier
from .config import TrainingConfig


@dataclass
class TrainingResult:
    """A trained classifier with its metrics, and the texts the model folder must record."""

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


Progress = Callable[[str], None]


def stderr_log(message: str) -> None:
    """The default ``log``: one line to stderr, flushed (progress bars share the stream)."""
    print(message, file=sys.stderr, flush=True)
