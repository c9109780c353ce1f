"""The SDG classifier: a transformer encoder, mean pooling and a 17-way sigmoid head.

A model folder holds ``config.json`` (labels, thresholds, calibration, base encoder and its version),
``model.safetensors`` (the head and only the encoder layers that training changed, when the base
encoder comes from a pip package; the whole encoder otherwise), ``tokenizer.json.gz``, ``metrics.json`` and
a ``README.md`` model card. Nothing is unpickled and nothing is fetched from a hub.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np
import torch
from torch import nn

from . import __version__
from .encoders import EncoderSpec, resolve_encoder
from .errors import ModelError
from .labels import NUM_SDGS, SDG_NUMBERS
from .pooling import POOLINGS, pool_texts

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_FILE_GZ = "tokenizer.json.gz"  # what save_pretrained writes: 4 MB instead of 17 for e5
ENCODER_CONFIG_FILE = "encoder_config.json"


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
        if tags not in self.operating_points:
            known = ", ".join(["balanced", *[k for k in self.operating_points if k != "balanced"]])
            raise ModelError(
                f"this model has no '{tags}' operating point (it has: {known}); retrain it with "
                "this version of sdg-align or use --threshold"
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


def _additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[batch, tokens] 0/1 mask -> the [batch, 1, 1, tokens] additive mask attention layers take."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class SDGNetwork(nn.Module):
    """Encoder layers run one by one, so training can cache the frozen lower layers' output."""

    def __init__(self, encoder: Any, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder: Any = encoder  # a transformers BertModel-like module (untyped library)
        hidden_size = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, NUM_SDGS)

    @property
    def num_layers(self) -> int:
        return len(self.encoder.encoder.layer)

    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.encoder.embeddings(
            input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids)
        )

    def run_layers(
        self, hidden: torch.Tensor, mask: torch.Tensor, start: int, stop: int | None = None
    ) -> torch.Tensor:
        additive = _additive_mask(mask, hidden.dtype)
        for layer in self.encoder.encoder.layer[start:stop]:
            out = layer(hidden, attention_mask=additive)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def embed(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled sentence embeddings (the head's input)."""
        hidden = self.run_layers(self.embed_tokens(input_ids), mask, 0)
        return mean_pool(hidden, mask)

    def classify(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(pooled))

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(input_ids, mask))


class TokenWindows:
    """Tokenises once, without truncation, and cuts long texts into overlapping windows."""

    def __init__(self, tokenizer: Any, max_length: int, overlap: int, prefix: str) -> None:
        self.tokenizer = tokenizer
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        specials = tokenizer.encode("", add_special_tokens=True).ids
        self.cls_id, self.sep_id = specials[0], specials[-1]
        self.pad_id = tokenizer.token_to_id("[PAD]")
        if self.pad_id is None:
            self.pad_id = tokenizer.token_to_id("<pad>") or 0
        self.body = max_length - 2
        self.step = max(1, self.body - overlap)
        self.prefix = prefix

    def windows(self, texts: Sequence[str]) -> list[list[list[int]]]:
        encoded = self.tokenizer.encode_batch(
            [self.prefix + t for t in texts], add_special_tokens=False
        )
        result = []
        for enc in encoded:
            ids = enc.ids
            starts = range(0, max(1, len(ids) - self.body + self.step), self.step)
            result.append([[self.cls_id, *ids[s : s + self.body], self.sep_id] for s in starts])
        return result

    def pad(self, batch: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        return input_ids, mask


class SDGClassifier:
    """Tag texts with the SDGs they advance. Build with :meth:`from_pretrained` or :meth:`from_base`."""

    def __init__(
        self, network: SDGNetwork, tokenizer: Any, config: ModelConfig, encoder: EncoderSpec
    ) -> None:
        self.network = network.eval()
        self.tokenizer = tokenizer
        self.config = config
        self.encoder_spec = encoder
        self.windower = TokenWindows(
            tokenizer, config.max_length, config.window_overlap, config.text_prefix
        )
        self.extras: dict[str, Any] = {}  # optional parts (evidence index) loaded with the model
        self.source_dir: Path | None = None  # the folder it was loaded from, if any
        self.backend = "float32"  # "onnx" or "int8" once prepared for another backend
        self._weights_hash: str | None = None
        # Set by onnx_backend.with_onnx: runs the same network with ONNX Runtime instead of torch.
        self.runner: Any = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_base(cls, base_encoder: str, *, max_length: int = 128, seed: int = 0) -> SDGClassifier:
        """A new, untrained classifier on top of a base encoder (registry name or folder)."""
        from transformers import AutoModel

        _quiet_transformers()
        spec = resolve_encoder(base_encoder)
        torch.manual_seed(seed)
        encoder = AutoModel.from_pretrained(str(spec.path), add_pooling_layer=False)
        config = ModelConfig(
            base_encoder=spec.name,
            base_encoder_version=spec.version,
            text_prefix=spec.text_prefix,
            multilingual=spec.multilingual,
            max_length=max_length,
            encoder_stored="partial" if spec.registered else "full",
        )
        return cls(SDGNetwork(encoder), _load_tokenizer(spec.path / TOKENIZER_FILE), config, spec)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> SDGClassifier:
        """Load a model folder written by :meth:`save_pretrained` (None: the bundled default)."""
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel

        folder = Path(path) if path is not None else default_model_path()
        config = _read_config(folder)
        _quiet_transformers()
        weights_file = folder / WEIGHTS_FILE
        if not weights_file.is_file():
            raise ModelError(f"{folder} has no {WEIGHTS_FILE}: not an sdg-align model folder")
        if config.encoder_stored == "full":
            encoder_config = AutoConfig.from_pretrained(str(folder / ENCODER_CONFIG_FILE))
            encoder = AutoModel.from_config(encoder_config, add_pooling_layer=False)
            spec = EncoderSpec(
                name=config.base_encoder,
                path=folder,
                version=config.base_encoder_version,
                text_prefix=config.text_prefix,
                multilingual=config.multilingual,
                registered=False,
            )
        else:
            spec = resolve_encoder(config.base_encoder)
            if spec.version != config.base_encoder_version:
                raise ModelError(
                    f"this model was trained on {config.base_encoder_version} but "
                    f"{spec.version} is installed; install the version the model names"
                )
            encoder = AutoModel.from_pretrained(str(spec.path), add_pooling_layer=False)
        network = SDGNetwork(encoder)
        try:
            state = load_file(str(weights_file))
        except Exception as exc:
            raise ModelError(f"cannot read {weights_file}: {exc}") from exc
        state = {k: v.float() for k, v in state.items()}
        missing, unexpected = network.load_state_dict(state, strict=False)
        if unexpected or any(k.startswith("head.") for k in missing):
            raise ModelError(f"{weights_file} does not fit the model in {CONFIG_FILE}")
        plain = folder / TOKENIZER_FILE
        tokenizer = _load_tokenizer(plain if plain.is_file() else folder / TOKENIZER_FILE_GZ)
        classifier = cls(network, tokenizer, config, spec)
        classifier.extras = _load_extras(folder)
        classifier.source_dir = folder.resolve()
        return classifier

    def save_pretrained(
        self,
        path: str | Path,
        *,
        metrics: dict[str, Any] | None = None,
        card: dict[str, Any] | None = None,
    ) -> Path:
        """Write the model folder; encoder layers the training did not change are not copied."""
        from safetensors.torch import save_file

        from .model_card import render_model_card

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = self.network.state_dict()
        if self.config.encoder_stored == "full":
            kept = {k: v for k, v in state.items()}
            self.network.encoder.config.to_json_file(str(folder / ENCODER_CONFIG_FILE))
        else:
            first = self.network.num_layers - self.config.trained_layers
            trained = tuple(f"encoder.encoder.layer.{i}." for i in range(first, 99))
            kept = {k: v for k, v in state.items() if k.startswith(("head.", *trained))}
        # Encoder layers in half precision halve the folder; the head stays float32.
        kept = {
            k: (v.half() if k.startswith("encoder.") else v.float()).contiguous()
            for k, v in kept.items()
        }
        save_file(kept, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
        (folder / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        (folder / TOKENIZER_FILE).unlink(missing_ok=True)
        (folder / TOKENIZER_FILE_GZ).write_bytes(gzip.compress(self.tokenizer.to_str().encode(), 6))
        if metrics is not None:
            (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        _save_extras(folder, self.extras)
        if card:  # kept so the card can be re-rendered later (scripts/update_model_card.py)
            (folder / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        (folder / "README.md").write_text(render_model_card(self.config, metrics or {}, card or {}))
        for written in folder.iterdir():  # safetensors writes owner-only files; a model is shared
            written.chmod(0o644)
        return folder

    def quantized(self, *, copy: bool = True) -> SDGClassifier:
        """This model with int8 encoder layers (dynamic quantisation): 1.6-1.8x faster on a CPU.

        Not every layer is quantised. The feed-forward output projections (``layer.N.output.dense``)
        and the head stay float32: their inputs carry outlier activations that per-tensor int8
        cannot represent, and quantising them cost 3.4 macro-F1 points on the corpus test split
        (scripts/eval_backends.py; with them kept, about 1 point). ``copy=False`` quantises in
        place, saving the memory of a float copy.
        """
        import copy as copying
        import re
        import warnings

        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        source_hash = self.weights_hash()
        network = copying.deepcopy(self.network) if copy else self.network
        chosen = {
            name: per_channel_dynamic_qconfig
            for name, module in network.named_modules()
            if isinstance(module, nn.Linear)
            and name.startswith("encoder.")
            and not re.search(r"layer\.\d+\.output\.dense$", name)
        }
        with warnings.catch_warnings():  # torch flags the eager API as deprecated; it still works
            warnings.simplefilter("ignore")
            network = quantize_dynamic(network, chosen, dtype=torch.qint8, inplace=True)
        clone = SDGClassifier(network, self.tokenizer, self.config, self.encoder_spec)
        clone.extras = self.extras
        clone.source_dir = self.source_dir
        clone.backend = "int8"
        clone._weights_hash = source_hash
        return clone

    def weights_hash(self) -> str:
        """A hash of what decides this model's output: stored weights, calibration, thresholds.

        Caches (the ONNX export) and resumable runs are keyed by it, so they can never mix up two
        models, wherever each was loaded from.
        """
        import hashlib

        if self._weights_hash is not None:
            return self._weights_hash
        digest = hashlib.sha256()
        state = self.network.state_dict()
        first = self.network.num_layers - self.config.trained_layers
        stored = ("head.", *(f"encoder.encoder.layer.{i}." for i in range(first, 99)))
        if self.config.encoder_stored == "full":
            stored = ("",)
        for name in sorted(state):
            if name.startswith(stored):
                tensor = state[name]
                digest.update(name.encode())
                digest.update(tensor.detach().float().contiguous().numpy().tobytes())
        decision = {
            k: getattr(self.config, k)
            for k in (
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
        }
        digest.update(json.dumps(decision, sort_keys=True).encode())
        self._weights_hash = digest.hexdigest()[:24]
        return self._weights_hash

    def forget_hash(self) -> None:
        """Call after changing weights or thresholds in place (training does)."""
        self._weights_hash = None

    # ----------------------------------------------------------------- inference
    def window_logits(
        self, texts: Sequence[str], *, batch_size: int = 32
    ) -> tuple[np.ndarray, list[int]]:
        """Raw logits per text (its windows pooled) and the number of windows of each text."""
        logits, _pooled, counts = self._run(texts, batch_size=batch_size, want_pooled=False)
        return pool_texts(logits, counts, self.config.pooling), counts

    def raw_window_logits(
        self, texts: Sequence[str], *, batch_size: int = 32
    ) -> tuple[np.ndarray, list[int]]:
        """Logits of every window, texts one after another, and each text's window count."""
        logits, _pooled, counts = self._run(texts, batch_size=batch_size, want_pooled=False)
        return logits, counts

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, one per text (mean over its windows)."""
        return self.logits_and_embeddings(texts, batch_size=batch_size)[1]

    def logits_and_embeddings(
        self, texts: Sequence[str], *, batch_size: int = 32
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pooled raw logits and L2-normalised embeddings (mean over windows) of each text."""
        logits, pooled, counts = self._run(texts, batch_size=batch_size, want_pooled=True)
        assert pooled is not None
        owner = np.repeat(np.arange(len(counts)), counts)
        mean = np.zeros((len(counts), pooled.shape[1]), dtype=np.float32)
        np.add.at(mean, owner, pooled)
        mean /= np.maximum(np.array(counts, dtype=np.float32)[:, None], 1)
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        return pool_texts(logits, counts, self.config.pooling), mean / np.clip(norms, 1e-9, None)

    def _run(
        self, texts: Sequence[str], *, batch_size: int, want_pooled: bool
    ) -> tuple[np.ndarray, np.ndarray | None, list[int]]:
        """Logits (and embeddings) of every window, in text order, and the windows per text."""
        per_text = self.windower.windows(texts)
        flat = [w for windows in per_text for w in windows]
        order = sorted(range(len(flat)), key=lambda j: len(flat[j]))  # little padding
        hidden_size = self.network.head.in_features
        window_logits = np.zeros((len(flat), NUM_SDGS), dtype=np.float32)
        window_pooled = (
            np.zeros((len(flat), hidden_size), dtype=np.float32) if want_pooled else None
        )
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                input_ids, mask = self.windower.pad([flat[j] for j in rows])
                if self.runner is not None:
                    logits_np, pooled_np = self.runner(input_ids.numpy(), mask.numpy())
                else:
                    pooled = self.network.embed(input_ids, mask)
                    logits_np, pooled_np = self.network.head(pooled).numpy(), pooled.numpy()
                window_logits[rows] = logits_np
                if window_pooled is not None:
                    window_pooled[rows] = pooled_np
        return window_logits, window_pooled, [len(w) for w in per_text]

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from raw logits (per-SDG Platt scaling fitted on validation)."""
        from .decisions import calibrate

        return calibrate(logits, self.config.calibration_slope, self.config.calibration_intercept)

    @overload
    def predict_proba(self, texts: str, *, batch_size: int = ...) -> np.ndarray: ...
    @overload
    def predict_proba(self, texts: Sequence[str], *, batch_size: int = ...) -> np.ndarray: ...
    def predict_proba(self, texts: str | Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Calibrated probability per SDG: shape (17,) for one text, (n, 17) for a list."""
        single = isinstance(texts, str)
        batch = [texts] if isinstance(texts, str) else list(texts)
        probs = self.calibrate(self.window_logits(batch, batch_size=batch_size)[0])
        return probs[0] if single else probs

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
        order = [int(i) for i in np.argsort(-probs, kind="stable")]
        if top_k is not None and threshold is None:
            return [SDG_NUMBERS[i] for i in order[:top_k]]
        cut = np.full(NUM_SDGS, threshold) if threshold is not None else self.cut(tags)
        chosen = [SDG_NUMBERS[i] for i in order if probs[i] >= cut[i]]
        return chosen[:top_k] if top_k is not None else chosen

    @property
    def thresholds(self) -> np.ndarray:
        return np.asarray(self.config.thresholds, dtype=np.float64)

    def cut(self, tags: str = "balanced", threshold: float | None = None) -> np.ndarray:
        """The 17 thresholds in use: one ``threshold`` for all, or an operating point's."""
        if threshold is not None:
            return np.full(NUM_SDGS, threshold, dtype=np.float64)
        return np.asarray(self.config.thresholds_for(tags), dtype=np.float64)

    @overload
    def predict(  # type: ignore[overload-overlap]  # a str is also a Sequence[str]
        self,
        texts: str,
        *,
        threshold: float | None = ...,
        top_k: int | None = ...,
        tags: str = ...,
        batch_size: int = ...,
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
    ) -> list[Prediction]: ...
    def predict(
        self,
        texts: str | Sequence[str],
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        tags: str = "balanced",
        batch_size: int = 32,
    ) -> Prediction | list[Prediction]:
        """The SDGs each text advances; a single string gives a single :class:`Prediction`."""
        single = isinstance(texts, str)
        batch = [texts] if isinstance(texts, str) else list(texts)
        logits, counts = self.window_logits(batch, batch_size=batch_size)
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


# --------------------------------------------------------------------- helpers
def default_model_path() -> Path:
    """The bundled default model: ``models/sdg-align-base`` next to the source tree."""
    candidates = [
        Path(__file__).resolve().parents[2] / "models" / "sdg-align-base",
        Path.cwd() / "models" / "sdg-align-base",
    ]
    for candidate in candidates:
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise ModelError(
        "no default model found (looked in models/sdg-align-base); pass --model DIR or set "
        "SDG_ALIGN_MODEL"
    )


def read_model_config(path: str | Path | None = None) -> ModelConfig:
    """A model folder's config alone (thresholds, calibration), without loading any weights."""
    return _read_config(Path(path) if path is not None else default_model_path())


def _quiet_transformers() -> None:
    """transformers prints load reports and progress bars; a CLI tool must keep stderr clean."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _read_config(folder: Path) -> ModelConfig:
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


def _load_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    try:
        if path.suffix == ".gz":
            return Tokenizer.from_str(gzip.decompress(path.read_bytes()).decode("utf-8"))
        return Tokenizer.from_file(str(path))
    except Exception as exc:
        raise ModelError(f"cannot read the tokenizer {path}: {exc}") from exc


EXTRAS_FILE = "evidence.safetensors"
EXTRAS_META = "evidence.json"


def _save_extras(folder: Path, extras: dict[str, Any]) -> None:
    """Optional parts: the evidence index (target embeddings and titles), see evidence.py."""
    if not extras:
        return
    from safetensors.numpy import save_file

    arrays = {k: np.ascontiguousarray(v) for k, v in extras.items() if isinstance(v, np.ndarray)}
    meta = {k: v for k, v in extras.items() if not isinstance(v, np.ndarray)}
    save_file(arrays, str(folder / EXTRAS_FILE))
    (folder / EXTRAS_META).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def _load_extras(folder: Path) -> dict[str, Any]:
    if not (folder / EXTRAS_FILE).is_file():
        return {}
    from safetensors.numpy import load_file

    extras: dict[str, Any] = dict(load_file(str(folder / EXTRAS_FILE)))
    meta_file = folder / EXTRAS_META
    if meta_file.is_file():
        extras.update(json.loads(meta_file.read_text(encoding="utf-8")))
    return extras


def copy_model(source: str | Path, target: str | Path) -> None:
    """Copy a model folder (used to publish a trained model as the default)."""
    shutil.copytree(source, target, dirs_exist_ok=True)
