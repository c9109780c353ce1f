"""Choosing how a model runs: the one place that picks a backend.

- ``onnx`` (default): the float32 network in ONNX Runtime. Exported once per model into the cache
  (keyed by the model's weights hash, never by a folder name); afterwards a classifier is loaded
  without importing torch or transformers: config, tokenizer (its cached script subset, same ids)
  and evidence from the model folder, the network and the word-embedding table from the cache.
- ``float32``: the same network in PyTorch.
- ``int8``: PyTorch with most encoder layers quantised (faster; macro-F1 within half a point on
  most evaluation sets, up to 3 points off on one; see README "Backends and accuracy").
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelError
from .classifier import Classifier, folder_weights_hash, load_extras
from .config import check_encoder_version, read_model_config, resolve_model_path
from .windows import folder_tokenizer

BACKENDS = ("onnx", "float32", "int8")


def load_classifier(path: str | Path | None = None, backend: str = "onnx") -> Classifier:
    """A ready classifier for one backend; ``path`` None means the bundled default model."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    folder = resolve_model_path(path)
    if backend == "onnx":
        return onnx_classifier(folder)
    from .network import SDGClassifier

    model = SDGClassifier.from_pretrained(folder)
    return model.quantized(copy=False) if backend == "int8" else model


def onnx_classifier(folder: Path) -> Classifier:
    """A model folder on ONNX Runtime; exports it first (with torch) only when not cached."""
    from ..onnx_backend import OnnxRunner, cache_entry, ensure_export

    config = read_model_config(folder)
    _check_installed_encoder(
        config.base_encoder, config.base_encoder_version, config.encoder_stored
    )
    hash_of_weights = folder_weights_hash(folder, config)
    entry = cache_entry(hash_of_weights)

    def export() -> None:
        from .network import SDGClassifier

        ensure_export(SDGClassifier.from_pretrained(folder), entry)

    runner = OnnxRunner.open_or_rebuild(entry, rebuild=export)
    return Classifier(
        config,
        folder_tokenizer(folder, fast=True),  # the quick-to-load subset, same ids
        runner,
        extras=load_extras(folder),
        source_dir=folder,
        hash_of_weights=hash_of_weights,
    )


def _check_installed_encoder(name: str, version: str, stored: str) -> None:
    """The frozen layers come from a pip package: the installed version must be the trained one."""
    if stored == "full":
        return
    from ..encoders import installed_version

    check_encoder_version(version, installed_version(name))
