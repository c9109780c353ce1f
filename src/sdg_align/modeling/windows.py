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
SHORT_TEXT_CHARS = 25  # and this few characters where "words" are long: Chinese or Japanese
LONG_WORD = 12  # characters a word has on average beyond which words are not spaced out


def is_short_text(text: str) -> bool:
    """Too little to judge: tags then rest on a word or two (e.g. "TBD" reads as tuberculosis).

    Fewer than five words; where the "words" are long (Chinese or Japanese write a sentence as
    one), also fewer than 25 characters. The character rule once applied to every text, so
    'Drinking water for villages.' (28 characters) was not short while 'Water for villages.' was.
    """
    stripped = text.strip()
    words = re.findall(r"\w+", stripped)
    if len(words) >= SHORT_TEXT_WORDS:
        return False
    spaced = len(stripped) <= LONG_WORD * max(1, len(words))
    return spaced or len(stripped) < SHORT_TEXT_CHARS


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


# Where one sentence may end and the next begin: end punctuation before a capital, a heading mark
# or a bullet ('Title. ## Background', 'Title. • Item': a title joined to a Markdown description),
# or a line break. Which letters are capitals is left to ``str.isupper`` (see _ends_a_sentence):
# a class of them missed Polish and Czech ones ('Ż', 'Ł', 'Š'), and a paragraph was one quote.
SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+(?=[\"'“(\[]?\w|[#•*▪►●]|[-–]\s)|\n+")
# Abbreviations that a capital or a number follows inside a sentence ('Grant No. 101036',
# 'ca. 640 t', 'Dr. Wendler', 'ok. 270 t/rok', 'inkl. Mittagessen'); compared without case.
# fmt: off
ABBREVIATIONS = frozenset({
    "no", "nr", "nos", "dr", "prof", "mr", "mrs", "ms", "mme", "st", "ca", "approx", "vs", "cf",
    "resp", "min", "max", "tel", "fax", "mio", "mrd", "tsd", "bzw", "inkl", "zzgl", "ggf", "mind",
    "vgl", "evtl", "bspw", "dipl", "ing", "ok", "np", "ul", "godz", "lda",
})
# After '12.' a German month is a date ('Donnerstag, 12. März 2026'), not a numbered heading.
_GERMAN_MONTHS = frozenset({
    "januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september",
    "oktober", "november", "dezember",
})
# fmt: on
_DOTTED = re.compile(r"[^\W\d_]{1,2}\.(?:[^\W\d_]{1,2}\.)+")  # 'S.A.', 'e.V.', 'm.in.', 'e.g.'
REPEAT_MIN_WORDS = 3  # a repeated shorter piece (a heading, "Yes") is left as it is


def _is_abbreviation(word: str, previous: str) -> bool:
    """Whether ``word`` (ending in a full stop) is an abbreviation, given the word before it."""
    stem = word[:-1]
    if stem.casefold() in ABBREVIATIONS and not (len(stem) > 1 and stem.isupper()):  # not 'MS.'
        return True
    if _DOTTED.fullmatch(word):
        return True
    if len(stem) == 1 and stem.isalpha():  # an initial ('Dr. S. Wendler', 'z. B.', 'v. a.') ...
        ordinary_word = previous.isalpha() and previous.islower() and len(previous) > 1
        return stem.islower() or not ordinary_word  # ... but not 'fixed N. In addition'
    return False


def _ends_a_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether a SENTENCE_BREAK match ends a sentence: a line break always does; end punctuation
    before a lower-case letter, or a full stop after an abbreviation, an initial, a dotted name or
    a German date's day does not."""
    if "\n" in match.group():
        return True
    following_char = text[match.end() : match.end() + 2].lstrip("\"'“([")[:1]
    if following_char.isalpha() and not following_char.isupper():  # 'e.g. the', 'approx. two'
        return False
    before = text[max(0, match.start() - 60) : match.start()].split()
    word = before[-1].lstrip("(\"'“[") if before else ""
    if not word.endswith("."):
        return True
    if _is_abbreviation(word, before[-2] if len(before) > 1 else ""):
        return False
    following = text[match.end() : match.end() + 40].split(maxsplit=1)
    day = re.fullmatch(r"\d{1,2}\.", word)
    return not (day and following and following[0].casefold().strip(",") in _GERMAN_MONTHS)


def sentence_breaks(text: str) -> list[tuple[int, int]]:
    """(end of one sentence, start of the next) for every break in ``text``: the one rule that
    windows (repeats) and evidence (quotes) share."""
    return [
        (m.start(), m.end()) for m in SENTENCE_BREAK.finditer(text) if _ends_a_sentence(text, m)
    ]


def split_into_sentences(text: str) -> list[str]:
    """The pieces of ``text`` between its sentence breaks, as written (not stripped)."""
    breaks = sentence_breaks(text)
    starts = [0, *(end for _, end in breaks)]
    ends = [*(start for start, _ in breaks), len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def sentence_key(sentence: str) -> str:
    """What makes two sentences the same one: their words, without case, spacing, end mark or
    the numbers in them. A report that says 'In work package 3 the team insulates 40 flats'
    for each of 300 packages is one claim, not 300: read every time, pooled as independent
    evidence, it pushed four SDGs to 1.00 (a new-user trial)."""
    words = " ".join(sentence.casefold().split()).rstrip(".!?;")
    return re.sub(r"\d+(?:[.,]\d+)*", "#", words)


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
        *sentence_breaks(text),
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


SHOUTED_SHARE = 0.8  # of a sentence's letters in capitals: it is written in capitals
SHOUTED_MIN_LETTERS = 8  # fewer: an acronym or a code ('EU', 'SDG 13'), left as it is


def calm_capitals(text: str) -> str:
    """``text`` with each sentence written in capitals ('SOLAR-POWERED DESALINATION PILOT.') in
    lower case, its first letter kept. The encoder reads capitals as other words: the README's
    example in capitals lost SDG 6 (0.81 -> 0.006) and gained SDGs 11 and 13, and capitals are
    how spreadsheets write titles (scripts/eval_capitals.py). Other sentences are untouched."""
    if not any(ch.isupper() for ch in text):
        return text
    breaks = sentence_breaks(text)
    starts = [0, *(end for _, end in breaks)]
    ends = [*(start for start, _ in breaks), len(text)]
    pieces = []
    for index, (a, b) in enumerate(zip(starts, ends, strict=True)):
        piece = text[a:b]
        letters = [ch for ch in piece if ch.isalpha()]
        upper = sum(ch.isupper() for ch in letters)
        if len(letters) >= SHOUTED_MIN_LETTERS and upper >= SHOUTED_SHARE * len(letters):
            lowered = piece.lower()
            first = next((i for i, ch in enumerate(lowered) if ch.isalpha()), None)
            if first is not None:
                lowered = lowered[:first] + lowered[first].upper() + lowered[first + 1 :]
            piece = lowered
        pieces.append(piece)
        if index < len(breaks):
            pieces.append(text[b : starts[index + 1]])
    return "".join(pieces)


# Changes whenever the windows of a text change (cached frozen states are keyed by it).
READING = "repeated-sentences-dropped (numbers aside), abbreviations kept, capitals calmed"


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
        """Token windows of each text, read without its repeated sentences and with sentences in
        capitals in lower case (the same in training)."""
        encoded = self.tokenizer.encode_batch(
            [self.prefix + calm_capitals(drop_repeated_sentences(t)) for t in texts],
            add_special_tokens=False,
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
