"""A quick-to-load copy of a large Unigram tokenizer, exact for every input.

Why: parsing multilingual-e5's tokenizer (250,002 sentencepiece pieces, about 60% of them in
scripts no European project text uses) is the slowest step of starting ``sdg-align classify``:
about 1 s of a 2 s process. This module keeps only the pieces written entirely in Latin, Greek or
Cyrillic letters, digits, punctuation, symbols and emoji, which loads in about a third of the time,
and maps its ids back to the full vocabulary.

Why it is exact: a Unigram tokenizer picks the best segmentation among the pieces that match the
(normalised) text. A text without a character outside the kept scripts matches no dropped piece, so
both tokenizers see the same candidates and pick the same segmentation. A text with such a
character can only be covered by ``<unk>`` in the subset, so any text whose subset encoding holds
``<unk>`` is encoded again with the full tokenizer (loaded then, once). The subset is built on
first use and cached beside the ONNX export, keyed by a hash of the tokenizer file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..runtime import package_version

SUBSET_VERSION = 2  # bump when the kept character set changes
SUBSET_FILE = "tokenizer.json"
ID_MAP_FILE = "full_ids.npy"
INFO_FILE = "subset.json"  # the subset's <unk> id
MIN_PIECES = 50_000  # smaller vocabularies (the English encoder's 30,522) load fast as they are

# Unicode blocks that European project texts use: Latin (with its extensions), combining accents,
# Greek, Cyrillic, punctuation and symbols (currency, letterlike, number forms, arrows, maths,
# shapes, dingbats), variation selectors and emoji (common in newsletter-style texts). Everything
# else (CJK, Arabic, Indic scripts, ...) is served by the full tokenizer.
KEPT_BLOCKS = (
    (0x0000, 0x0530),
    (0x1E00, 0x2800),
    (0x2B00, 0x2C00),
    (0x2C60, 0x2C80),
    (0xA720, 0xA800),
    (0xFE00, 0xFE10),
    (0x1F000, 0x1FB00),
)
METASPACE = "\u2581"


class Encoded(NamedTuple):
    """What ``TokenWindows`` reads from an encoding: the token ids."""

    ids: list[int]


def kept_character(char: str) -> bool:
    code = ord(char)
    return char == METASPACE or any(low <= code < high for low, high in KEPT_BLOCKS)


def subset_json(
    full: dict[str, Any], *, min_pieces: int = MIN_PIECES
) -> tuple[dict[str, Any], np.ndarray] | None:
    """The subset tokenizer (as tokenizer.json data) and its id -> full id map, or None when the
    tokenizer is not a large Unigram model without byte fallback (then nothing is gained or the
    exactness argument does not hold)."""
    model = full.get("model") or {}
    vocab = model.get("vocab")
    if model.get("type") != "Unigram" or model.get("byte_fallback") or not vocab:
        return None
    if len(vocab) < min_pieces or model.get("unk_id") is None:
        return None
    forced = {token["id"] for token in full.get("added_tokens", [])} | {model["unk_id"]}
    kept = [
        i
        for i, (piece, _score) in enumerate(vocab)
        if i in forced or all(kept_character(c) for c in piece)
    ]
    new_id = {old: new for new, old in enumerate(kept)}
    subset = dict(full)
    subset["model"] = {
        **model,
        "vocab": [vocab[i] for i in kept],
        "unk_id": new_id[model["unk_id"]],
    }
    subset["added_tokens"] = [
        {**token, "id": new_id[token["id"]]} for token in full.get("added_tokens", [])
    ]
    post = subset.get("post_processor")
    if post and post.get("type") == "TemplateProcessing":
        specials = {
            name: {**spec, "ids": [new_id[i] for i in spec["ids"]]}
            for name, spec in post.get("special_tokens", {}).items()
        }
        subset["post_processor"] = {**post, "special_tokens": specials}
    elif post is not None:  # another post-processor names ids in a way not remapped here
        return None
    return subset, np.asarray(kept, dtype=np.int64)


class SubsetTokenizer:
    """The part of the ``tokenizers.Tokenizer`` API that ``TokenWindows`` uses, on the subset."""

    def __init__(
        self, subset: Any, full_ids: np.ndarray, unk_id: int, load_full: Callable[[], Any]
    ) -> None:
        self.subset = subset
        self.full_ids = full_ids  # subset id -> id in the full vocabulary (and the network)
        self.unk_id = unk_id  # the subset's own id of <unk>
        self.fallbacks = 0  # texts encoded by the full tokenizer (diagnostics)
        self._load_full = load_full
        self._full: Any = None
        self._lock = threading.Lock()

    def full(self) -> Any:
        """The whole tokenizer, for texts with characters outside the subset (loaded once)."""
        with self._lock:
            if self._full is None:
                self._full = self._load_full()
                self._full.no_truncation()
                self._full.no_padding()
            return self._full

    def no_truncation(self) -> None:
        self.subset.no_truncation()

    def no_padding(self) -> None:
        self.subset.no_padding()

    def token_to_id(self, token: str) -> int | None:
        found = self.subset.token_to_id(token)
        return None if found is None else int(self.full_ids[found])

    def encode(self, text: str, *, add_special_tokens: bool = True) -> Encoded:
        return self.encode_batch([text], add_special_tokens=add_special_tokens)[0]

    def encode_batch(
        self, texts: Sequence[str], *, add_special_tokens: bool = True
    ) -> list[Encoded]:
        encoded = self.subset.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        result: list[Encoded] = []
        for text, enc in zip(texts, encoded, strict=True):
            ids = np.asarray(enc.ids, dtype=np.int64)
            if (ids == self.unk_id).any():  # a character outside the subset: ask the full one
                self.fallbacks += 1
                full = self.full().encode(text, add_special_tokens=add_special_tokens)
                result.append(Encoded(list(full.ids)))
            else:
                result.append(Encoded(self.full_ids[ids].tolist()))
        return result


def _tokenizer_from_str(text: str) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(text)


def load_fast(path: Path, read_full: Callable[[Path], Any], cache_root: Path) -> Any:
    """The tokenizer stored at ``path``: its cached subset when it has one, else the full one.

    ``read_full`` loads the full tokenizer (``windows.load_tokenizer``); it is called only for a
    tokenizer that has no subset, on first use, or for a text outside the subset's scripts.
    """
    raw = path.read_bytes()
    versions = f"{SUBSET_VERSION}/{package_version('tokenizers')}"
    key = hashlib.sha256(raw + versions.encode()).hexdigest()[:20]
    entry = cache_root / "tokenizers" / key
    try:
        subset = _tokenizer_from_str((entry / SUBSET_FILE).read_text(encoding="utf-8"))
        full_ids = np.load(entry / ID_MAP_FILE)
        unk_id = int(json.loads((entry / INFO_FILE).read_text(encoding="utf-8"))["unk_id"])
    except Exception:  # absent (first use) or unreadable: build it again from the full file
        built = _build(raw, path, entry)
        if built is None:
            return read_full(path)
        subset, full_ids, unk_id = built
    return SubsetTokenizer(subset, full_ids, unk_id, lambda: read_full(path))


def _build(raw: bytes, path: Path, entry: Path) -> tuple[Any, np.ndarray, int] | None:
    """Write the subset of the tokenizer file ``raw`` into ``entry`` (atomically); None when it
    has no useful subset."""
    text = gzip.decompress(raw) if path.suffix == ".gz" else raw
    made = subset_json(json.loads(text))
    if made is None:
        return None
    data, full_ids = made
    subset_text = json.dumps(data, ensure_ascii=False)
    unk_id = int(data["model"]["unk_id"])
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        partial.mkdir(exist_ok=True)
        (partial / SUBSET_FILE).write_text(subset_text, encoding="utf-8")
        np.save(partial / ID_MAP_FILE, full_ids)
        (partial / INFO_FILE).write_text(json.dumps({"unk_id": unk_id}), encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)  # an unreadable earlier entry
        partial.replace(entry)
    except OSError:  # a read-only cache: use the subset in memory this time
        shutil.rmtree(partial, ignore_errors=True)
    return _tokenizer_from_str(subset_text), full_ids, unk_id
