"""The trainable model: a transformer encoder, mean pooling and a 17-way sigmoid head (PyTorch).

A model folder holds ``config.json`` (labels, thresholds, calibration, base encoder and its version),
``model.safetensors`` (the head and only the encoder layers that training changed, when the base
encoder comes from a pip package; the whole encoder otherwise), ``tokenizer.json.gz``,
``metrics.json``, ``error_rates.json``, the evidence index and a ``README.md`` model card. Nothing
is unpickled and nothing is fetched from a hub. Only training, export and ``--backend float32`` or
``int8`` import this module; inference on ONNX Runtime does not.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..encoders import EncoderSpec, resolve_encoder
from ..errors import ModelError
from ..labels import NUM_SDGS
from .classifier import Classifier, load_extras, save_extras, weights_hash
from .config import (
    CONFIG_FILE,
    ENCODER_CONFIG_FILE,
    ERROR_RATES_FILE,
    TOKENIZER_FILE,
    TOKENIZER_FILE_GZ,
    WEIGHTS_FILE,
    ModelConfig,
    check_encoder_version,
    read_model_config,
    resolve_model_path,
)
from .windows import folder_tokenizer, load_tokenizer


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
    def device(self) -> torch.device:
        return self.head.weight.device

    @property
    def num_layers(self) -> int:
        return len(self.encoder.encoder.layer)

    @property
    def word_embeddings(self) -> torch.Tensor:
        return self.encoder.embeddings.word_embeddings.weight

    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed_vectors(torch.nn.functional.embedding(input_ids, self.word_embeddings))

    def embed_vectors(self, word_vectors: torch.Tensor) -> torch.Tensor:
        """Position and type embeddings and layer norm on top of already looked-up word vectors."""
        types = torch.zeros(word_vectors.shape[:2], dtype=torch.long, device=word_vectors.device)
        return self.encoder.embeddings(inputs_embeds=word_vectors, token_type_ids=types)

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


class TorchBackend:
    """Runs an :class:`SDGNetwork` in PyTorch (float32, or int8 once quantised), on its device."""

    def __init__(self, network: SDGNetwork, name: str = "float32") -> None:
        self.network = network
        self.name = name

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        device = self.network.device
        with torch.inference_mode():
            pooled = self.network.embed(
                torch.from_numpy(input_ids).to(device), torch.from_numpy(mask).to(device)
            )
            return self.network.head(pooled).cpu().numpy(), pooled.cpu().numpy()


def _quiet_transformers() -> None:
    """transformers prints load reports and progress bars; a CLI tool must keep stderr clean."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class SDGClassifier(Classifier):
    """A classifier with its PyTorch network: what training, saving and exporting work on."""

    def __init__(
        self, network: SDGNetwork, tokenizer: Any, config: ModelConfig, encoder: EncoderSpec
    ) -> None:
        super().__init__(config, tokenizer, TorchBackend(network.eval()))
        self.network = network
        self.encoder_spec = encoder
        self.error_rates: dict[str, Any] | None = None  # validation counts (decisions.error_rates)

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
        return cls(SDGNetwork(encoder), load_tokenizer(spec.path / TOKENIZER_FILE), config, spec)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> SDGClassifier:
        """Load a model folder written by :meth:`save_pretrained` (None: the bundled default)."""
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel

        folder = resolve_model_path(path)
        config = read_model_config(folder)
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
            check_encoder_version(config.base_encoder_version, spec.version)
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
        classifier = cls(network, folder_tokenizer(folder), config, spec)
        classifier.extras = load_extras(folder)
        classifier.source_dir = folder
        error_file = folder / ERROR_RATES_FILE
        if error_file.is_file():
            classifier.error_rates = json.loads(error_file.read_text(encoding="utf-8"))
        return classifier

    def to(self, device: str | torch.device) -> SDGClassifier:
        """Move the network to ``device`` (a GPU trains and scores faster); returns ``self``."""
        self.network.to(device)
        return self

    # ----------------------------------------------------------------- identity
    def stored_state(self) -> dict[str, torch.Tensor]:
        """The tensors a model folder stores (CPU copies): the head and the trained encoder layers."""
        state = self.network.state_dict()
        if self.config.encoder_stored != "full":
            first = self.network.num_layers - self.config.trained_layers
            trained = tuple(f"encoder.encoder.layer.{i}." for i in range(first, 99))
            state = {k: v for k, v in state.items() if k.startswith(("head.", *trained))}
        return {k: v.cpu() for k, v in state.items()}

    def weights_hash(self) -> str:
        if self._weights_hash is None:
            arrays = {k: v.detach().float().numpy() for k, v in self.stored_state().items()}
            self._weights_hash = weights_hash(arrays, self.config)
        return self._weights_hash

    def forget_hash(self) -> None:
        """Call after changing weights or thresholds in place (training does)."""
        self._weights_hash = None

    # ----------------------------------------------------------------- saving
    def save_pretrained(
        self,
        path: str | Path,
        *,
        metrics: dict[str, Any] | None = None,
        card: dict[str, Any] | None = None,
    ) -> Path:
        """Write the model folder; encoder layers the training did not change are not copied."""
        from safetensors.torch import save_file

        from ..model_card import render_model_card

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        if self.config.encoder_stored == "full":
            self.network.encoder.config.to_json_file(str(folder / ENCODER_CONFIG_FILE))
        # Encoder layers in half precision halve the folder; the head stays float32.
        kept = {
            k: (v.half() if k.startswith("encoder.") else v.float()).contiguous()
            for k, v in self.stored_state().items()
        }
        save_file(kept, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
        (folder / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        (folder / TOKENIZER_FILE).unlink(missing_ok=True)
        (folder / TOKENIZER_FILE_GZ).write_bytes(gzip.compress(self.tokenizer.to_str().encode(), 6))
        if metrics is not None:
            (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        if self.error_rates is not None:
            (folder / ERROR_RATES_FILE).write_text(json.dumps(self.error_rates, indent=1) + "\n")
        save_extras(folder, self.extras)
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
        (scripts/eval_backends.py; with them kept, 0.5 to 1 point there). ``copy=False`` quantises in
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
        clone.runner = TorchBackend(network, name="int8")
        clone.extras = self.extras
        clone.source_dir = self.source_dir
        clone.error_rates = self.error_rates
        clone._weights_hash = source_hash
        return clone
