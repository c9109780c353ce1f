"""The classifier as inference sees it: windows in, calibrated probabilities and tags out.

:class:`Classifier` needs no torch. It turns texts into token windows, asks its *backend* (a
callable from padded token ids and masks to window logits and embeddings) for each window,
pools the windows, calibrates and applies the thresholds of an operating point. Backends are
chosen in one place, :func:`sdg_align.modeling.backends.load_classifier`: ONNX Runtime (the
default: no torch import once the model is exported), PyTorch float32 or int8.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, overload

import numpy as np

from ..errors import DataError
from ..labels import NUM_SDGS, SDG_NUMBERS
from ..pooling import pool_texts
from .config import WEIGHTS_FILE, ModelConfig, Prediction
from .windows import TokenWindows

EXTRAS_FILE = "evidence.safetensors"
EXTRAS_META = "evidence.json"
# The parts of the config that decide a model's output; the weights hash covers them.
DECISION_FIELDS = (
    "base_encoder",
    "base_encoder_version",
    "calibration_slope",
    "calibration_intercept",
    "thresholds",
    "operating_points",
    "pooling",
    "max_length",
    "window_overlap",
    "text_prefix",
)


class Backend(Protocol):
    """Runs the network: padded (input_ids, mask) -> (window logits, mean-pooled embeddings)."""

    name: str

    def __call__(
        self, input_ids: np.ndarray, mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]: ...


def weights_hash(arrays: Mapping[str, np.ndarray], config: ModelConfig) -> str:
    """A hash of stored weights (as float32) and of the config fields that decide the output."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name], dtype=np.float32).tobytes())
    decision = {k: getattr(config, k) for k in DECISION_FIELDS}
    digest.update(json.dumps(decision, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def folder_weights_hash(folder: Path, config: ModelConfig) -> str:
    """The weights hash of a saved model, read with numpy alone (no torch)."""
    from safetensors.numpy import load_file

    return weights_hash(load_file(str(folder / WEIGHTS_FILE)), config)


def load_extras(folder: Path) -> dict[str, Any]:
    """Optional parts saved with a model: the evidence index (see evidence.py)."""
    if not (folder / EXTRAS_FILE).is_file():
        return {}
    from safetensors.numpy import load_file

    extras: dict[str, Any] = dict(load_file(str(folder / EXTRAS_FILE)))
    meta_file = folder / EXTRAS_META
    if meta_file.is_file():
        extras.update(json.loads(meta_file.read_text(encoding="utf-8")))
    return extras


def save_extras(folder: Path, extras: dict[str, Any]) -> None:
    if not extras:
        return
    from safetensors.numpy import save_file

    arrays = {k: np.ascontiguousarray(v) for k, v in extras.items() if isinstance(v, np.ndarray)}
    meta = {k: v for k, v in extras.items() if not isinstance(v, np.ndarray)}
    save_file(arrays, str(folder / EXTRAS_FILE))
    (folder / EXTRAS_META).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


class Classifier:
    """Tag texts with the SDGs they advance. Load one with ``load_classifier`` (backends.py)."""

    def __init__(
        self,
        config: ModelConfig,
        tokenizer: Any,
        backend: Backend,
        *,
        extras: dict[str, Any] | None = None,
        source_dir: Path | None = None,
        hash_of_weights: str | None = None,
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self.runner = backend
        self.windower = TokenWindows(
            tokenizer, config.max_length, config.window_overlap, config.text_prefix
        )
        self.extras: dict[str, Any] = extras or {}  # the evidence index, when the model has one
        self.source_dir = source_dir  # the folder it was loaded from, if any
        self._weights_hash = hash_of_weights

    @property
    def backend(self) -> str:
        return self.runner.name

    def weights_hash(self) -> str:
        """A hash of what decides this model's output: stored weights, calibration, thresholds.

        Caches (the ONNX export) and resumable runs are keyed by it, so they can never mix up two
        models, wherever each was loaded from.
        """
        if self._weights_hash is None:
            raise ValueError("this classifier was built without its weights hash")
        return self._weights_hash

    # ----------------------------------------------------------------- windows and logits
    def _run(
        self,
        texts: Sequence[str],
        *,
        batch_size: int,
        want_pooled: bool,
        progress: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None, list[int]]:
        """Logits (and embeddings) of every window, in text order, and the windows per text.

        ``progress`` shows a bar on stderr when there are many windows (a very long text).
        """
        from tqdm.auto import tqdm

        per_text = self.windower.windows(texts)
        flat = [w for windows in per_text for w in windows]
        order = sorted(range(len(flat)), key=lambda j: len(flat[j]))  # little padding
        window_logits = np.zeros((len(flat), NUM_SDGS), dtype=np.float32)
        window_pooled: np.ndarray | None = None
        starts = range(0, len(order), batch_size)
        show = progress and len(flat) > 4 * batch_size
        for start in tqdm(starts, desc="reading", unit="batch", disable=not show, file=sys.stderr):
            rows = order[start : start + batch_size]
            input_ids, mask = self.windower.pad([flat[j] for j in rows])
            logits, pooled = self.runner(input_ids, mask)
            window_logits[rows] = logits
            if want_pooled:
                if window_pooled is None:
                    window_pooled = np.zeros((len(flat), pooled.shape[1]), dtype=np.float32)
                window_pooled[rows] = pooled
        return window_logits, window_pooled, [len(w) for w in per_text]

    def window_logits(
        self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False
    ) -> tuple[np.ndarray, list[int]]:
        """Raw logits per text (its windows pooled) and the number of windows of each text."""
        logits, _pooled, counts = self._run(
            texts, batch_size=batch_size, want_pooled=False, progress=progress
        )
        return pool_texts(logits, counts, self.config.pooling), counts

    def raw_window_logits(
        self, texts: Sequence[str], *, batch_size: int = 32
    ) -> tuple[np.ndarray, list[int]]:
        """Logits of every window, texts one after another, and each text's window count."""
        logits, _pooled, counts = self._run(texts, batch_size=batch_size, want_pooled=False)
        return logits, counts

    def logits_and_embeddings(
        self, texts: Sequence[str], *, batch_size: int = 32
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pooled raw logits and L2-normalised embeddings (mean over windows) of each text."""
        logits, pooled, counts = self._run(texts, batch_size=batch_size, want_pooled=True)
        assert pooled is not None or not texts
        if pooled is None:
            return np.zeros((0, NUM_SDGS), dtype=np.float32), np.zeros((0, 0), dtype=np.float32)
        owner = np.repeat(np.arange(len(counts)), counts)
        mean = np.zeros((len(counts), pooled.shape[1]), dtype=np.float32)
        np.add.at(mean, owner, pooled)
        mean /= np.maximum(np.array(counts, dtype=np.float32)[:, None], 1)
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        return pool_texts(logits, counts, self.config.pooling), mean / np.clip(norms, 1e-9, None)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, one per text (mean over its windows)."""
        return self.logits_and_embeddings(texts, batch_size=batch_size)[1]

    # ----------------------------------------------------------------- decisions
    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from raw logits (per-SDG Platt scaling fitted on validation)."""
        from ..decisions import calibrate

        return calibrate(logits, self.config.calibration_slope, self.config.calibration_intercept)

    @overload
    def predict_proba(self, texts: str, *, batch_size: int = ...) -> np.ndarray: ...
    @overload
    def predict_proba(self, texts: Sequence[str], *, batch_size: int = ...) -> np.ndarray: ...
    def predict_proba(self, texts: str | Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Calibrated probability per SDG: shape (17,) for one text, (n, 17) for a list."""
        batch, single = text_batch(texts)
        probs = self.calibrate(self.window_logits(batch, batch_size=batch_size)[0])
        return probs[0] if single else probs

    @property
    def thresholds(self) -> np.ndarray:
        return np.asarray(self.config.thresholds, dtype=np.float64)

    def cut(self, tags: str = "balanced", threshold: float | None = None) -> np.ndarray:
        """The 17 thresholds in use: one ``threshold`` for all, or an operating point's."""
        if threshold is not None:
            return np.full(NUM_SDGS, threshold, dtype=np.float64)
        return np.asarray(self.config.thresholds_for(tags), dtype=np.float64)

    def select(
        self,
        probs: np.ndarray,
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        tags: str = "balanced",
    ) -> list[int]:
        """SDG numbers chosen from one row of probabilities, most probable first.

        The per-SDG thresholds of the operating point ``tags`` by default; ``threshold`` replaces
        them all; ``top_k`` keeps the k most probable SDGs whatever their probability (or, with a
        threshold, at most k above it).
        """
        if threshold is not None and not 0 <= threshold <= 1:
            raise DataError(f"threshold must be between 0 and 1, not {threshold}")
        if top_k is not None and not 1 <= top_k <= len(SDG_NUMBERS):
            raise DataError(f"top_k must be between 1 and {len(SDG_NUMBERS)}, not {top_k}")
        order = [int(i) for i in np.argsort(-probs, kind="stable")]
        if top_k is not None and threshold is None:
            return [SDG_NUMBERS[i] for i in order[:top_k]]
        cut = self.cut(tags, threshold)
        chosen = [SDG_NUMBERS[i] for i in order if probs[i] >= cut[i]]
        return chosen[:top_k] if top_k is not None else chosen

    @overload
    def predict(  # type: ignore[overload-overlap]  # a str is also a Sequence[str]
        self,
        texts: str,
        *,
        threshold: float | None = ...,
        top_k: int | None = ...,
        tags: str = ...,
        batch_size: int = ...,
        progress: bool = ...,
    ) -> Prediction: ...
    @overload
    def predict(
        self,
        texts: Sequence[str],
        *,
        threshold: float | None = ...,
        top_k: int | None = ...,
        tags: str = ...,
        batch_size: int = ...,
        progress: bool = ...,
    ) -> list[Prediction]: ...
    def predict(
        self,
        texts: str | Sequence[str],
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        tags: str = "balanced",
        batch_size: int = 32,
        progress: bool = False,
    ) -> Prediction | list[Prediction]:
        """The SDGs each text advances; a single string gives a single :class:`Prediction`.

        ``top_k`` ranks: ``sdgs`` holds the k most probable SDGs whether tagged or not (with
        ``threshold``, at most k above it), unlike ``classify --top-k``, which shows them beside
        the tags; each one's probability is in ``probabilities``.
        """
        batch, single = text_batch(texts)
        logits, counts = self.window_logits(batch, batch_size=batch_size, progress=progress)
        probs = self.calibrate(logits)
        predictions = [
            Prediction(
                sdgs=self.select(row, threshold=threshold, top_k=top_k, tags=tags),
                probabilities={n: float(p) for n, p in zip(SDG_NUMBERS, row, strict=True)},
                windows=count,
            )
            for row, count in zip(probs, counts, strict=True)
        ]
        return predictions[0] if single else predictions


def text_batch(texts: object) -> tuple[list[str], bool]:
    """``texts`` as a list of non-blank strings, and whether one string was given.

    A blank text would still get probabilities (the model's prior, not a reading), and a number
    or None would fail deep inside the tokenizer: both are refused here, naming the text.
    """
    if isinstance(texts, str):
        batch, single = [texts], True
    elif hasattr(texts, "columns") or isinstance(texts, Mapping):  # it iterates over its keys
        raise DataError(
            f"texts must be a string or a list of strings, not a {type(texts).__name__}: score a "
            "table with score_frame(frame, classifier, text_cols=[...]), or pass one column's "
            "texts (frame['description'].tolist())"
        )
    elif isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Iterable):
        raise DataError(f"texts must be a string or a list of strings, not {type(texts).__name__}")
    else:
        batch, single = list(texts), False
    for i, text in enumerate(batch):
        where = "the text" if single else f"text {i} (0-based)"
        if not isinstance(text, str):
            raise DataError(f"{where} is {type(text).__name__}, not a string")
        if not text.strip():
            raise DataError(f"{where} is empty: nothing to classify")
    return batch, single
