"""The frozen lower layers' output for every window, computed once and shared by every step.

Only the top encoder layers and the head learn, so the layers below them give the same output in
every epoch, every cross-validation fold and every run that starts from the same model. Their
output per window is computed once (:class:`FrozenStates`, kept by text) and training runs only the
trainable layers on top of it. A store is tied to the frozen layers it was computed with (a
fingerprint of their weights, the window settings and the first trainable layer), so it cannot
serve a model whose frozen layers differ.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from .labels import NUM_SDGS
from .modeling.network import mean_pool
from .modeling.windows import READING
from .pooling import pool_texts, pool_torch

if TYPE_CHECKING:
    from .modeling.network import SDGClassifier


class WindowCache:
    """Frozen-prefix outputs of the windows of some texts; ``owners[i]`` lists text i's windows."""

    def __init__(
        self, states: list[torch.Tensor], owners: list[list[int]], pooled_only: bool
    ) -> None:
        self.states = states
        self.owners = owners
        self.pooled_only = pooled_only

    def __len__(self) -> int:
        return len(self.owners)

    def tokens(self, text: int) -> int:
        return sum(self.states[w].shape[0] for w in self.owners[text])

    def subset(self, texts: Sequence[int]) -> WindowCache:
        """The same states seen through a subset of the texts (no copy)."""
        return WindowCache(self.states, [self.owners[t] for t in texts], self.pooled_only)

    def batch(self, windows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pooled_only:
            return torch.stack([self.states[i] for i in windows]), torch.ones(len(windows), 1)
        width = max(self.states[i].shape[0] for i in windows)
        hidden = torch.zeros(len(windows), width, self.states[windows[0]].shape[1])
        mask = torch.zeros(len(windows), width, dtype=torch.long)
        for r, i in enumerate(windows):
            n = self.states[i].shape[0]
            hidden[r, :n] = self.states[i].float()
            mask[r, :n] = 1
        return hidden, mask


def _encode(
    classifier: SDGClassifier,
    texts: Sequence[str],
    first_trainable: int,
    batch_size: int,
    show_progress: bool,
    desc: str,
) -> tuple[list[torch.Tensor], list[list[int]]]:
    """Run the frozen layers over every window of ``texts``: states per window and owners."""
    from tqdm.auto import tqdm

    network = classifier.network
    per_text = classifier.windower.windows(texts)
    flat = [w for windows in per_text for w in windows]
    owners, start = [], 0
    for windows in per_text:
        owners.append(list(range(start, start + len(windows))))
        start += len(windows)
    order = sorted(range(len(flat)), key=lambda i: len(flat[i]))
    pooled_only = first_trainable >= network.num_layers
    states: list[torch.Tensor] = [torch.empty(0)] * len(flat)
    network.eval()
    with (
        torch.inference_mode(),
        tqdm(
            total=len(flat), desc=desc, unit="window", disable=not show_progress, file=sys.stderr
        ) as bar,
    ):
        for begin in range(0, len(order), batch_size):
            rows = order[begin : begin + batch_size]
            ids_np, mask_np = classifier.windower.pad([flat[i] for i in rows])
            input_ids = torch.from_numpy(ids_np).to(network.device)
            mask = torch.from_numpy(mask_np).to(network.device)
            hidden = network.run_layers(network.embed_tokens(input_ids), mask, 0, first_trainable)
            # States are kept in CPU memory (bfloat16 halves it) whatever device computed them.
            lengths = mask_np.sum(1)
            if pooled_only:
                pooled = mean_pool(hidden, mask).cpu()
                for r, i in enumerate(rows):
                    states[i] = pooled[r].clone()
            else:
                kept = hidden.to(torch.bfloat16).cpu()
                for r, i in enumerate(rows):
                    states[i] = kept[r, : int(lengths[r])].clone()
            bar.update(len(rows))
    return states, owners


def build_cache(
    classifier: SDGClassifier,
    texts: list[str],
    first_trainable: int,
    batch_size: int,
    show_progress: bool,
    desc: str,
) -> WindowCache:
    """A one-off cache of ``texts`` (no store kept)."""
    states, owners = _encode(classifier, texts, first_trainable, batch_size, show_progress, desc)
    return WindowCache(states, owners, first_trainable >= classifier.network.num_layers)


def frozen_fingerprint(classifier: SDGClassifier, first_trainable: int) -> str:
    """What decides the frozen layers' output: their weights, the encoder and the windows."""
    config = classifier.config
    digest = hashlib.sha256()
    digest.update(
        repr(
            (
                config.base_encoder,
                config.base_encoder_version,
                config.max_length,
                config.window_overlap,
                config.text_prefix,
                READING,
                first_trainable,
                classifier.network.num_layers,
            )
        ).encode()
    )
    # Layers the model folder stores (fine-tuned ones, or all of a non-pip encoder) differ between
    # models on the same encoder; the others come unchanged from the pip package.
    network = classifier.network
    stored_from = (
        0 if config.encoder_stored == "full" else network.num_layers - config.trained_layers
    )
    modules = list(network.encoder.encoder.layer[stored_from:first_trainable])
    if config.encoder_stored == "full":
        modules.insert(0, network.encoder.embeddings)
    with torch.no_grad():
        for module in modules:
            for name, param in module.named_parameters():
                digest.update(name.encode())
                digest.update(param.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()[:24]


class FrozenStates:
    """Frozen-prefix states kept by text, so folds and repeated runs encode each text once."""

    def __init__(self, fingerprint: str, first_trainable: int, batch_size: int = 32) -> None:
        self.fingerprint = fingerprint
        self.first_trainable = first_trainable
        self.batch_size = batch_size
        self._states: dict[str, list[torch.Tensor]] = {}
        self.pooled_only: bool | None = None

    @classmethod
    def for_model(
        cls, classifier: SDGClassifier, first_trainable: int, batch_size: int = 32
    ) -> FrozenStates:
        return cls(frozen_fingerprint(classifier, first_trainable), first_trainable, batch_size)

    def __len__(self) -> int:
        return len(self._states)

    def save(self, path: str | Path) -> None:
        """Write the states to a safetensors file (texts by their order in a metadata entry)."""
        from safetensors.torch import save_file

        texts = list(self._states)
        tensors = {
            f"{i}:{w}": state.contiguous()
            for i, text in enumerate(texts)
            for w, state in enumerate(self._states[text])
        }
        metadata = {
            "fingerprint": self.fingerprint,
            "first_trainable": str(self.first_trainable),
            "texts": json.dumps(texts),
        }
        save_file(tensors, str(path), metadata=metadata)

    def load(self, path: str | Path) -> int:
        """Add the states saved by :meth:`save` for the same frozen layers; returns how many texts.

        A file written for other frozen layers (another model, another layer count) adds nothing.
        """
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("fingerprint") != self.fingerprint:
                return 0
            texts = json.loads(metadata["texts"])
            windows: dict[int, list[tuple[int, torch.Tensor]]] = {}
            for key in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
                text, window = map(int, key.split(":"))
                windows.setdefault(text, []).append((window, handle.get_tensor(key)))
        for index, text in enumerate(texts):
            owned = sorted(windows.get(index, []), key=lambda pair: pair[0])
            self._states[text] = [state for _w, state in owned]
        return len(texts)

    def check(self, classifier: SDGClassifier, first_trainable: int) -> None:
        """Refuse to serve a model whose frozen layers differ from the ones stored."""
        if first_trainable != self.first_trainable or (
            frozen_fingerprint(classifier, first_trainable) != self.fingerprint
        ):
            raise ValueError(
                "these cached frozen-layer states belong to another model or another number of "
                "trainable layers"
            )

    def cache(
        self,
        classifier: SDGClassifier,
        texts: Sequence[str],
        *,
        progress: bool = False,
        desc: str = "encode",
    ) -> WindowCache:
        """The cache of ``texts``; texts not yet stored are encoded with ``classifier`` first."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._states))
        if missing:
            states, owners = _encode(
                classifier, missing, self.first_trainable, self.batch_size, progress, desc
            )
            for text, owned in zip(missing, owners, strict=True):
                self._states[text] = [states[w] for w in owned]
        self.pooled_only = self.first_trainable >= classifier.network.num_layers
        flat: list[torch.Tensor] = []
        owners_out: list[list[int]] = []
        for text in texts:
            text_states = self._states[text]
            owners_out.append(list(range(len(flat), len(flat) + len(text_states))))
            flat.extend(text_states)
        return WindowCache(flat, owners_out, self.pooled_only)

    def logits(
        self, classifier: SDGClassifier, texts: Sequence[str], *, progress: bool = False
    ) -> np.ndarray:
        """Pooled raw logits of ``texts`` from all their windows, as inference computes them."""
        self.check(classifier, self.first_trainable)
        cache = self.cache(classifier, texts, progress=progress)
        return all_logits(
            classifier, cache, self.first_trainable, classifier.config.pooling, self.batch_size
        )


# ----------------------------------------------------------------------- logits over a cache
def window_logits(
    classifier: SDGClassifier, cache: WindowCache, windows: list[int], first_trainable: int
) -> torch.Tensor:
    network = classifier.network
    hidden, mask = cache.batch(windows)
    hidden, mask = hidden.to(network.device), mask.to(network.device)
    pooled = (
        hidden
        if cache.pooled_only
        else mean_pool(network.run_layers(hidden, mask, first_trainable), mask)
    )
    return network.classify(pooled)


def text_logits(
    classifier: SDGClassifier,
    cache: WindowCache,
    texts: list[int],
    first_trainable: int,
    pooling: str,
    rng: random.Random | None,
    max_windows: int,
) -> torch.Tensor:
    """Pooled logits of ``texts``; with ``rng``, at most ``max_windows`` sampled windows each."""
    chosen = []
    for t in texts:
        windows = cache.owners[t]
        if rng is not None and len(windows) > max_windows:
            windows = sorted(rng.sample(windows, max_windows))
        chosen.append(windows)
    flat = [w for windows in chosen for w in windows]
    logits = window_logits(classifier, cache, flat, first_trainable)
    pooled, start = [], 0
    for windows in chosen:
        pooled.append(pool_torch(logits[start : start + len(windows)], pooling))
        start += len(windows)
    return torch.stack(pooled)


def all_logits(
    classifier: SDGClassifier,
    cache: WindowCache,
    first_trainable: int,
    pooling: str,
    batch_size: int,
) -> np.ndarray:
    """Pooled logits of every cached text from all its windows (as inference computes them)."""
    classifier.network.eval()
    windows_in_order = [w for owner in cache.owners for w in owner]
    logits = np.zeros((len(windows_in_order), NUM_SDGS), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(windows_in_order), batch_size * 2):
            chunk = windows_in_order[start : start + batch_size * 2]
            logits[start : start + len(chunk)] = (
                window_logits(classifier, cache, chunk, first_trainable).cpu().numpy()
            )
    return pool_texts(logits, [len(o) for o in cache.owners], pooling)


def text_batches(cache: WindowCache, batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of texts of similar length: little padding, still random order."""
    indices = list(range(len(cache)))
    rng.shuffle(indices)
    if not cache.pooled_only:
        chunk = batch_size * 50
        indices = [
            i
            for start in range(0, len(indices), chunk)
            for i in sorted(indices[start : start + chunk], key=cache.tokens)
        ]
    batches = [indices[s : s + batch_size] for s in range(0, len(indices), batch_size)]
    rng.shuffle(batches)
    return batches
