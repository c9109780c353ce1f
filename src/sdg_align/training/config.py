"""The recipe: :class:`TrainingConfig`, read from TOML, YAML or JSON and stored in each model folder.

The recipe is data, so ``sdg-align train --config FILE`` reproduces a model and the model folder
keeps a copy (``training_config.yaml``) that retrains it. Its checks run on construction, so a bad
recipe fails before any data is loaded.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..modeling.config import DEFAULT_MODEL_ALIAS, resolve_model_path
from ..pooling import POOLINGS
from ..runtime import check_device

TRAINING_CONFIG_FILE = "training_config.yaml"
DISPUTED_SOURCE_LABELS = ("negative", "unknown")
DEFAULT_INIT = DEFAULT_MODEL_ALIAS  # init_model value meaning the bundled default model


@dataclass
class TrainingConfig:
    """One training run: data, model and optimisation. ``sdg-align train`` flags map one to one."""

    # --- data
    sources: list[str] = field(default_factory=lambda: ["corpus"])  # named sources or files
    source_weights: dict[str, float] = field(default_factory=dict)  # loss weight per source
    implied_negative_weight: float | None = None  # None: each source's own (0.5 for survey labels)
    exclude_evaluation_texts: bool = True  # drop any text also found in an evaluation-only set
    # An SDG a source asserts (a registry's self-declared goal, a survey label) that our annotation
    # rejects: "negative" trains our word as certain; "unknown" trains neither word (no loss, no
    # validation count), because the two conventions disagree about it.
    disputed_source_labels: str = "negative"
    # text column(s) of file sources; empty: text, else title and description (as score reads)
    text_col: list[str] = field(default_factory=list)
    sdgs_col: str = "sdgs"
    sheet: str | None = None  # the sheet of Excel file sources, by name or number (default: first)
    sep: str | None = None  # column separator of CSV file sources (default: detected)
    encoding: str | None = None  # text encoding of CSV file sources (default: UTF-8, else cp1252)
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
    device: str = "auto"  # where to train: "auto" (a CUDA GPU if torch sees one), "cpu", "cuda"
    # --- held-out data
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    evaluate: list[str] = field(default_factory=list)  # named sets evaluated on the saved model
    # --- continuing from a model on little data (sdg_align.adaptation; measured and tuned on
    # development data with scripts/eval_adaptation.py, see docs/training.md). Used only with
    # init_model and fewer than small_data_limit examples, so training from a base encoder, or on
    # a lot of data, is unchanged.
    small_data_limit: int = 500  # below this many examples, continuing from a model adapts it
    cv_folds: int = 5  # folds over the user's texts: epochs, thresholds and the honest measure
    replay_examples: int = 300  # texts of the base model's own training data mixed in (0: none)
    replay_sources: list[str] | None = None  # None: the sources of the base model's recipe
    replay_tolerance: float = 0.01  # largest out-of-fold macro-F1 drop accepted on replay texts
    anchor_weight: float = 0.01  # L2 pull of the trainable weights toward the base model's
    refit_min_positives: int = 10  # out-of-fold positives an SDG needs to refit its thresholds
    # a candidate replaces the base model only if it beats it in this share of paired bootstrap
    # resamples of the user's out-of-fold tags (0: any gain, however small, is taken)
    adapt_min_confidence: float = 0.9
    # chosen on development data (scripts/eval_adaptation.py --tune; docs/training.md)
    adapt_trainable_layers: int | None = 1  # top encoder layers adapted (0: the head only)
    adapt_learning_rate: float = 1e-3  # the head's learning rate when adapting
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
        if self.disputed_source_labels not in DISPUTED_SOURCE_LABELS:
            raise ValueError(
                "disputed_source_labels must be one of " + ", ".join(DISPUTED_SOURCE_LABELS)
            )
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
        if not 0 <= self.adapt_min_confidence < 1:
            raise ValueError("adapt_min_confidence must lie in [0, 1)")
        if self.refit_min_positives < 1:
            raise ValueError("refit_min_positives must be at least 1")
        if self.adapt_trainable_layers is not None and self.adapt_trainable_layers < 0:
            raise ValueError("adapt_trainable_layers must not be negative")
        check_device(self.device)
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


def uses_adaptation(config: TrainingConfig, examples: int) -> bool:
    """Whether ``train`` follows the small-data protocol (continuing, on little data)."""
    return bool(config.init_model) and examples < config.small_data_limit


def resolve_init_model(init_model: str | None) -> Path:
    """``init_model`` as a folder: "default" is the bundled default model."""
    if init_model is None:
        raise ValueError("no init_model to continue from")
    return resolve_model_path(init_model)  # "default" is the bundled model there too
