"""The SDG classifier.

- :mod:`.config`: what a model folder says about itself (``ModelConfig``), the default model
- :mod:`.windows`: tokenizer and overlapping token windows (no torch)
- :mod:`.script_subset`: a quick-to-load, exact subset of a large multilingual tokenizer
- :mod:`.classifier`: :class:`Classifier`, inference and decisions on any backend (no torch)
- :mod:`.network`: the PyTorch network and :class:`SDGClassifier` (training, saving, int8)
- :mod:`.backends`: :func:`load_classifier`, the one place a backend is chosen

``SDGClassifier`` and its torch dependency load only when asked for, so inference on ONNX Runtime
never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backends import BACKENDS, load_classifier
from .classifier import Classifier
from .config import (
    ModelConfig,
    Prediction,
    default_model_path,
    read_error_rates,
    read_model_config,
    resolve_model_path,
)

if TYPE_CHECKING:
    from .network import SDGClassifier, SDGNetwork, mean_pool

__all__ = [
    "BACKENDS",
    "Classifier",
    "ModelConfig",
    "Prediction",
    "SDGClassifier",
    "SDGNetwork",
    "default_model_path",
    "load_classifier",
    "mean_pool",
    "read_error_rates",
    "read_model_config",
    "resolve_model_path",
]


def __getattr__(name: str) -> Any:
    if name in ("SDGClassifier", "SDGNetwork", "mean_pool", "TorchBackend"):
        from . import network

        return getattr(network, name)
    raise AttributeError(name)
