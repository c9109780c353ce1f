"""What a model folder says about itself: its config, its files, and where the default model is."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..decisions import OPERATING_POINTS
from ..errors import ModelError
from ..labels import NUM_SDGS, SDG_NUMBERS
from ..pooling import POOLINGS

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_FILE_GZ = "tokenizer.json.gz"  # what save_pretrained writes: 4 MB instead of 17 for e5
ENCODER_CONFIG_FILE = "encoder_config.json"
ERROR_RATES_FILE = "error_rates.json"
DEFAULT_MODEL_NAME = "sdg-align-base"


@dataclass
class ModelConfig:
    """What a model folder needs to load and to decide: kept small and human-readable."""

    base_encoder: str
    base_encoder_version: str
    text_prefix: str = ""
    multilingual: bool = False
    max_length: int = 128
    window_overlap: int = 32
    labels: list[int] = field(default_factory=lambda: list(SDG_NUMBERS))
    thresholds: list[float] = field(default_factory=lambda: [0.5] * NUM_SDGS)
    calibration_slope: list[float] = field(default_factory=lambda: [1.0] * NUM_SDGS)
    calibration_intercept: list[float] = field(default_factory=lambda: [0.0] * NUM_SDGS)
    # Per-SDG thresholds of each operating point (balanced = ``thresholds``); see decisions.py.
    operating_points: dict[str, list[float]] = field(default_factory=dict)
    pooling: str = "mean"  # how a long text's window logits are combined; see pooling.py
    trained_layers: int = 0  # how many top encoder layers were fine-tuned (and are stored)
    encoder_stored: str = "partial"  # "partial": only trained layers; "full": the whole encoder
    format_version: int = FORMAT_VERSION
    sdg_align_version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f for f in cls.__dataclass_fields__}
        config = cls(**{k: v for k, v in data.items() if k in known})
        if config.format_version > FORMAT_VERSION:
            raise ModelError(
                f"this model was written by a newer sdg-align (format {config.format_version}); "
                "upgrade sdg-align to load it"
            )
        if config.labels != list(SDG_NUMBERS) or len(config.thresholds) != NUM_SDGS:
            raise ModelError("config.json must list the 17 SDGs in order, with 17 thresholds")
        if any(len(v) != NUM_SDGS for v in config.operating_points.values()):
            raise ModelError("config.json: every operating point needs 17 thresholds")
        if config.pooling not in POOLINGS:
            raise ModelError(f"config.json: unknown pooling {config.pooling!r}")
        return config

    def thresholds_for(self, tags: str = "balanced") -> list[float]:
        """The per-SDG thresholds of an operating point (``balanced`` is the default)."""
        if tags == "balanced":
            return self.thresholds
        known = ", ".join(["balanced", *[k for k in self.operating_points if k != "balanced"]])
        if tags not in OPERATING_POINTS:
            raise ModelError(
                f"unknown operating point {tags!r}: choose one of {', '.join(OPERATING_POINTS)}"
            )
        if tags not in self.operating_points:
            raise ModelError(
                f"this model has no '{tags}' operating point (it has: {known}); retrain it with "
                "this version of sdg-align, or give one threshold (--threshold; threshold= in Python)"
            )
        return self.operating_points[tags]


@dataclass
class Prediction:
    """The SDGs one text advances, with all 17 calibrated probabilities."""

    sdgs: list[int]  # selected SDGs, most probable first
    probabilities: dict[int, float]  # all 17, by SDG number
    windows: int = 1  # how many token windows the text was split into (long texts > 1)

    @property
    def primary_sdg(self) -> int | None:
        return self.sdgs[0] if self.sdgs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sdgs": self.sdgs,
            "primary_sdg": self.primary_sdg,
            "probabilities": {str(k): round(v, 4) for k, v in self.probabilities.items()},
            "windows": self.windows,
        }


def default_model_path() -> Path:
    """The bundled default model.

    Installed from a wheel, it is package data (``sdg_align/default_model``); in a source checkout
    it is ``models/sdg-align-base``, where the project keeps its models.
    """
    package_copy = Path(__file__).resolve().parents[1] / "default_model"
    checkout_copy = Path(__file__).resolve().parents[3] / "models" / DEFAULT_MODEL_NAME
    for candidate in (package_copy, checkout_copy):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise ModelError(
        "no default model found (neither installed with the package nor in "
        "models/sdg-align-base); pass --model DIR or set SDG_ALIGN_MODEL"
    )


DEFAULT_MODEL_ALIAS = "default"  # names the bundled model anywhere a model folder is asked for


def resolve_model_path(path: str | Path | None) -> Path:
    """A model folder given by the user (relative to where they stand), or the default.

    ``"default"`` is the bundled model wherever the user stands (``./default`` for a folder of
    that name): a pip user has no checkout path to name it by.
    """
    if path is None or str(path) == DEFAULT_MODEL_ALIAS:
        return default_model_path()
    return Path(path).expanduser().resolve()


def read_model_config(path: str | Path | None = None) -> ModelConfig:
    """A model folder's config alone (thresholds, calibration), without loading any weights."""
    folder = resolve_model_path(path)
    if folder.is_file():  # data given where the model belongs
        raise ModelError(
            f"{path} is a file, not a model folder: the model comes first (a folder written by "
            "sdg-align train, or default), then the data"
        )
    if not folder.is_dir():
        raise ModelError(f"model directory not found: {folder}")
    config_file = folder / CONFIG_FILE
    try:
        data = json.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{folder} is not an sdg-align model folder (no {CONFIG_FILE})") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {config_file}: {exc}") from exc
    if not isinstance(data, dict) or "base_encoder" not in data:
        raise ModelError(f"{config_file} is not an sdg-align model config")
    try:
        return ModelConfig.from_dict(data)
    except TypeError as exc:
        raise ModelError(f"{config_file} is malformed: {exc}") from exc


def check_encoder_version(trained: str, installed: str) -> None:
    """The frozen encoder layers come from a pip package: it must be the version trained on."""
    if installed != trained:
        raise ModelError(
            f"this model was trained on {trained} but {installed} is installed; install the "
            "version the model names"
        )


def read_error_rates(path: str | Path | None = None) -> dict[str, Any] | None:
    """The validation error rates stored with a model (see decisions.error_rates), if any."""
    file = resolve_model_path(path) / ERROR_RATES_FILE
    if not file.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {file}: {exc}") from exc
    return data
