"""Which texts a model was trained on, kept as short hashes in its folder.

Evaluating a model on texts it learned from flatters it (the issue that prompted this: `evaluate`
on the training file itself gave no warning). ``train`` records a hash of every text it trained on
and of every validation text (which chose thresholds and epochs), and ``evaluate`` counts the
evaluated texts found among them. A hash is the first 16 hex digits of
:func:`sdg_align.data.text_hash` (sha256 of the normalised text: case, accents and punctuation
folded), so a copy of a text with other capitals or spacing is still found; 12,000 texts take about
110 kB gzipped.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .data import text_hash
from .errors import ModelError

TRAINED_TEXTS_FILE = "training_texts.json.gz"
HASH_DIGITS = 16


def short_hash(text: str) -> str:
    return text_hash(text)[:HASH_DIGITS]


@dataclass
class TrainedTexts:
    """Hashes of the texts a model learned from (``train``) and was tuned on (``validation``)."""

    train: set[str] = field(default_factory=set)
    validation: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, train: Iterable[str], validation: Iterable[str] = ()) -> TrainedTexts:
        return cls({short_hash(t) for t in train}, {short_hash(t) for t in validation})

    def including(self, other: TrainedTexts) -> TrainedTexts:
        """This record and ``other``'s: a model continued from another knows what its base knew."""
        return TrainedTexts(self.train | other.train, self.validation | other.validation)

    def knows(self, text: str) -> bool:
        """Whether ``text`` was trained or tuned on."""
        digest = short_hash(text)
        return digest in self.train or digest in self.validation

    def overlap(self, texts: Sequence[str]) -> dict[str, int]:
        """How many of ``texts`` were trained on, and how many were validation texts."""
        hashes = [short_hash(t) for t in texts]
        trained = sum(h in self.train for h in hashes)
        validated = sum(h in self.validation and h not in self.train for h in hashes)
        return {"texts": len(hashes), "trained_on": trained, "validation": validated}

    def write(self, folder: str | Path) -> Path:
        path = Path(folder) / TRAINED_TEXTS_FILE
        document = {
            "version": 1,
            "hash": f"first {HASH_DIGITS} hex digits of sha256 of the normalised text "
            "(sdg_align.data.text_hash)",
            "train": sorted(self.train),
            "validation": sorted(self.validation - self.train),
        }
        path.write_bytes(gzip.compress(json.dumps(document).encode("utf-8"), 9, mtime=0))
        return path

    @classmethod
    def read(cls, folder: str | Path) -> TrainedTexts | None:
        """The record of a model folder; None when the model predates it."""
        path = Path(folder) / TRAINED_TEXTS_FILE
        if not path.is_file():
            return None
        try:
            document = json.loads(gzip.decompress(path.read_bytes()))
            return cls(set(document["train"]), set(document["validation"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc


def seen_warning(overlap: dict[str, int], name: str) -> str | None:
    """A one-line warning when evaluated texts were trained or tuned on, else None."""
    trained, validated = overlap["trained_on"], overlap["validation"]
    if not trained and not validated:
        return None
    parts = []
    if trained:
        parts.append(f"{trained} of its {overlap['texts']} texts were in the model's training data")
    if validated:
        parts.append(f"{validated} were validation texts that chose its thresholds")
    return f"{name}: {' and '.join(parts)}; these figures are optimistic"
