"""Text to token windows: the tokenizer, overlapping windows for long texts, padded batches.

Nothing here needs torch: inference on ONNX Runtime uses the same windows as training.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .config import TOKENIZER_FILE, TOKENIZER_FILE_GZ

# One text-length policy for every command: a whole report (about 100 pages) is read in full; a
# longer cell is almost always a mistake (a pasted database dump), refused the same way everywhere.
MAX_TEXT_CHARS = 200_000


def too_long_message(length: int) -> str:
    return (
        f"text of {length:,} characters is longer than the limit of {MAX_TEXT_CHARS:,} "
        "(about 100 pages); split it into sections"
    )


SHORT_TEXT_WORDS = 5  # fewer words: a title fragment, or a placeholder such as "TBD"
SHORT_TEXT_CHARS = 25  # and this few characters: Chinese or Japanese write a sentence as one "word"


def is_short_text(text: str) -> bool:
    """Too little to judge: tags then rest on a word or two (e.g. "TBD" reads as tuberculosis)."""
    stripped = text.strip()
    return len(stripped) < SHORT_TEXT_CHARS and len(re.findall(r"\w+", stripped)) < SHORT_TEXT_WORDS


def short_texts_message(count: int, places: Sequence[str] = (), unit: str = "row") -> str:
    """The one warning for short texts; ``places`` names the first of them (rows or lines)."""
    texts, their = ("1 text has", "its") if count == 1 else (f"{count:,} texts have", "their")
    where = ""
    if places:
        more = ", ..." if count > len(places) else ""
        where = f" ({unit}{'' if count == 1 else 's'} {', '.join(places)}{more})"
    return (
        f"{texts} fewer than {SHORT_TEXT_WORDS} words{where}: {their} tags rest on a word or two; "
        "check they are not placeholders such as 'TBD'"
    )


# Where one sentence ends and the next begins: end punctuation before a capital, or a line break.
SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+(?=[\"'“(\[]?[A-ZÀ-ÖØ-Þ0-9])|\n+")
REPEAT_MIN_WORDS = 3  # a repeated shorter piece (a heading, "Yes") is left as it is


def sentence_key(sentence: str) -> str:
    """What makes two sentences the same one: their words, without case, spacing or end mark."""
    return " ".join(sentence.casefold().split()).rstrip(".!?;")


def drop_repeated_sentences(text: str) -> str:
    """The text without the second and later copies of a sentence it already said.

    Windows are pooled as independent pieces of evidence (noisy-or), so a sentence said again in
    another window counted again: a description that repeats its title's sentence, or a funding
    footer pasted on every page, gained tags from the repetition alone (results/eval_repeats.json).
    Sentences are compared without case, spacing or end punctuation; a text without repeats is
    returned unchanged.
    """
    seen: set[str] = set()
    kept: list[str] = []
    dropped = False
    start = 0
    for piece_end, next_start in [
        *((m.start(), m.end()) for m in SENTENCE_BREAK.finditer(text)),
        (len(text), len(text)),
    ]:
        sentence = text[start:piece_end]
        key = sentence_key(sentence)
        if key in seen and len(key.split()) >= REPEAT_MIN_WORDS:
            dropped = True
        else:
            seen.add(key)
            kept.append(text[start:next_start])
        start = next_start
    return "".join(kept).rstrip() if dropped else text


def load_tokenizer(path: Path) -> Any:
    """A ``tokenizers.Tokenizer`` from ``tokenizer.json`` or its gzipped copy."""
    from tokenizers import Tokenizer

    try:
        if path.suffix == ".gz":
            return Tokenizer.from_str(gzip.decompress(path.read_bytes()).decode("utf-8"))
        return Tokenizer.from_file(str(path))
    except Exception as exc:
        raise ModelError(f"cannot read the tokenizer {path}: {exc}") from exc


def folder_tokenizer(folder: Path, *, fast: bool = False) -> Any:
    """The tokenizer of a model folder; ``fast`` gives its cached script subset for inference
    (same ids for every text, a third of the loading time; see script_subset.py)."""
    plain = folder / TOKENIZER_FILE
    path = plain if plain.is_file() else folder / TOKENIZER_FILE_GZ
    if not fast:
        return load_tokenizer(path)
    from ..e5_convert import default_cache_root
    from .script_subset import load_fast

    try:
        return load_fast(path, load_tokenizer, default_cache_root())
    except OSError as exc:
        raise ModelError(f"cannot read the tokenizer {path}: {exc}") from exc


# Changes whenever the windows of a text change (cached frozen states are keyed by it).
READING = "repeated-sentences-dropped"


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
        """Token windows of each text, read without its repeated sentences (same in training)."""
        encoded = self.tokenizer.encode_batch(
            [self.prefix + drop_repeated_sentences(t) for t in texts], add_special_tokens=False
        )
        result = []
        for enc in encoded:
            ids = enc.ids
            starts = range(0, max(1, len(ids) - self.body + self.step), self.step)
            result.append([[self.cls_id, *ids[s : s + self.body], self.sep_id] for s in starts])
        return result

    def pad(self, batch: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask (int64 arrays) of a batch, padded to its longest window."""
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        return input_ids, mask
