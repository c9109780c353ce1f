"""The labelled-data types every loader returns, and the text keys used to match texts.

An :class:`Example` says, per SDG, one of four things: a certain positive, a certain negative, an
*implied* negative (a source that named one goal says nothing sure about the others: loss weight
``implied_negative_weight``) or unknown (no loss). Training learns from all of them with their
weights; choosing thresholds, calibrating and early stopping use only the certain ones
(:meth:`Example.certain_mask`).
"""

from __future__ import annotations

import ast
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..labels import NUM_SDGS, SDG_NUMBERS
from ..tables import is_missing


@dataclass(frozen=True)
class Example:
    """One labelled text.

    ``known`` lists the SDGs whose label is known; None means all 17 (a full multi-label annotation).
    Goals outside ``known`` count as absent with loss weight ``implied_negative_weight``: 0 ignores
    them (OSDG, where volunteers judged one goal per excerpt); research sets that name the paper's
    goal(s) use a fraction, because a model that only ever sees positives on academic prose learns to
    tag every goal on any abstract (measured: ORO-gold precision 0.13 with the others ignored).
    ``group`` keeps texts that tell the same story in one split.
    """

    text: str
    sdgs: tuple[int, ...]
    source: str
    known: tuple[int, ...] | None = None
    split: str | None = None  # "train", "dev" or "test" when the source fixes it; "eval-only"
    lang: str | None = None
    targets: tuple[str, ...] = ()
    weight: float = 1.0
    implied_negative_weight: float = 0.0
    source_id: str | None = None
    primary: int | None = None
    group: str | None = None
    disputed: tuple[int, ...] = ()  # SDGs the source asserts and our annotation rejects

    def label_vector(self) -> np.ndarray:
        vector = np.zeros(NUM_SDGS, dtype=np.float32)
        for sdg in self.sdgs:
            vector[sdg - 1] = 1.0
        return vector

    def known_mask(self) -> np.ndarray:
        """Loss weight per SDG: 1 for known labels, the implied weight for the others."""
        if self.known is None:
            return np.ones(NUM_SDGS, dtype=np.float32)
        mask = np.full(NUM_SDGS, self.implied_negative_weight, dtype=np.float32)
        for sdg in self.known:
            mask[sdg - 1] = 1.0
        return mask

    def certain_mask(self) -> np.ndarray:
        """1 where the label is known for certain (never an implied negative), else 0."""
        return (self.known_mask() >= 1.0).astype(np.float32)


@dataclass
class LabelledSet:
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file row N: why", one per skipped row
    # rows skipped beyond one per problem: one line may stand for many ("8 rows not marked ...")
    more_skipped: int = 0
    notes: list[str] = field(default_factory=list)  # about rows kept, as read, worth a look

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def skipped_rows(self) -> int:
        return len(self.problems) + self.more_skipped

    def skip_many(self, rows: int, message: str) -> None:
        """One problem line for ``rows`` skipped rows."""
        self.problems.append(message)
        self.more_skipped += rows - 1

    def extend(self, other: LabelledSet) -> None:
        self.examples.extend(other.examples)
        self.problems.extend(other.problems)
        self.more_skipped += other.more_skipped
        self.notes.extend(other.notes)

    def label_matrix(self) -> np.ndarray:
        return self._stack(Example.label_vector)

    def loss_mask(self) -> np.ndarray:
        return self._stack(Example.known_mask)

    def certain_mask(self) -> np.ndarray:
        return self._stack(Example.certain_mask)

    def _stack(self, row: Any) -> np.ndarray:
        if not self.examples:
            return np.zeros((0, NUM_SDGS), dtype=np.float32)
        return np.stack([row(e) for e in self.examples])

    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    def sources(self) -> list[str]:
        return [e.source for e in self.examples]

    def source_counts(self) -> Counter[str]:
        return Counter(self.sources())

    def where(self, **conditions: Any) -> LabelledSet:
        """The examples whose attributes equal the given values (e.g. ``split="test"``)."""
        kept = [e for e in self.examples if all(getattr(e, k) == v for k, v in conditions.items())]
        return LabelledSet(kept, [])

    def to_hf_dataset(self) -> Any:
        """The set as a ``datasets.Dataset`` (text, labels as 17 floats, mask, source, split)."""
        import datasets

        return datasets.Dataset.from_dict(
            {
                "text": self.texts(),
                "labels": [e.label_vector().tolist() for e in self.examples],
                "known": [e.known_mask().tolist() for e in self.examples],
                "source": self.sources(),
                "split": [e.split or "" for e in self.examples],
                "lang": [e.lang or "" for e in self.examples],
            }
        )


# ----------------------------------------------------------------------- label parsing
_SDG_TOKEN = re.compile(r"(?:sdg|goal)?[\s_-]*0*(\d{1,2})(?:\.(\d+|[a-z]))?", re.IGNORECASE)
# Between SDGs: ; , | / & + or a word ("7 and 13", "7 und 13", "7 et 13")
_SDG_SEPARATOR = re.compile(r"[;,|/&+]+|\s+(?:and|und|et|en|y|e|i|och|oraz|og)\s+", re.IGNORECASE)


def _target_numbers() -> frozenset[str]:
    """Targets with a numeric id ("7.2"): a label may name one for its goal."""
    from ..labels import targets

    return frozenset(t.code for t in targets())


def parse_sdgs(value: Any) -> tuple[int, ...]:
    """Parse "7;13", "7,13", "[7, 13]", "['SDG07', 'SDG13']", "SDG 8.00", a list or an int.

    Empty values mean "advances no SDG". Anything else raises ValueError with the reason.
    """
    if is_missing(value):
        return ()
    if isinstance(value, (list, tuple, np.ndarray)):
        items: list[Any] = list(value)
    elif isinstance(value, (int, np.integer)):
        items = [int(value)]
    else:
        text = str(value).strip()
        if not text or text in ("[]", "0", "none", "None"):
            return ()
        if text.startswith("["):
            try:
                items = list(ast.literal_eval(text))
            except (ValueError, SyntaxError) as exc:
                raise ValueError(f"cannot parse SDG list {text!r}") from exc
        else:
            items = []
            for piece in _SDG_SEPARATOR.split(text):
                piece = piece.strip()
                if _SDG_TOKEN.fullmatch(piece) or not piece:
                    items.extend([piece] if piece else [])
                else:  # "7 13": whitespace-separated numbers
                    items.extend(piece.split())
    numbers = set()
    for item in items:
        if isinstance(item, (int, np.integer)):
            number = int(item)
        else:
            match = _SDG_TOKEN.fullmatch(str(item).strip())
            if not match:
                raise ValueError(f"cannot read an SDG number from {item!r}")
            number, decimals = int(match.group(1)), match.group(2)
            if decimals and decimals.isalpha():  # "13.a", a target of SDG 13
                if f"{number}.{decimals.lower()}" not in _target_numbers():
                    raise ValueError(f"{str(item).strip()!r} is no SDG target")
            # "8.0" is a number format and "7.2" a target of SDG 7; "7.13" is neither, and is
            # what a spreadsheet with a decimal comma makes of "7,13"
            elif (
                decimals and int(decimals) and f"{number}.{int(decimals)}" not in _target_numbers()
            ):
                raise ValueError(
                    f"{str(item).strip()!r} is neither an SDG nor one of its targets (a "
                    f"spreadsheet may have read '{number},{decimals}' as a decimal number): "
                    "separate SDGs with ;"
                )
        if number not in (0, *SDG_NUMBERS):
            raise ValueError(f"SDG {number} is out of range 1-17")
        numbers.add(number)
    if 0 in numbers and len(numbers) > 1:  # "0" is how some sets say "no SDG"
        raise ValueError(f"0 (no SDG) beside SDGs in {value!r}: keep one or the other")
    numbers.discard(0)
    return tuple(sorted(numbers))


def parse_or_report(value: Any, where: str, problems: list[str]) -> tuple[int, ...] | None:
    """:func:`parse_sdgs`, or None with the reason added to ``problems`` (the row is skipped)."""
    try:
        return parse_sdgs(value)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


# ----------------------------------------------------------------------- text keys
def normalise_text(text: str) -> str:
    """The form used to match texts across sources: case, accents and punctuation folded."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def text_key(text: str) -> str:
    return hashlib.sha1(normalise_text(text).encode()).hexdigest()


TAIL_CHARS = 300


def content_keys(text: str) -> tuple[str, ...]:
    """Keys that match a text to another copy of it: the whole text, and its last 300 characters.

    The tail catches the same abstract under a different title (ZORA takes its title from the
    citation, SwissText from the record), which a whole-text key misses.
    """
    normalised = normalise_text(text)
    keys = [hashlib.sha1(normalised.encode()).hexdigest()]
    if len(normalised) >= 2 * TAIL_CHARS:
        keys.append("tail:" + hashlib.sha1(normalised[-TAIL_CHARS:].encode()).hexdigest())
    return tuple(keys)


def text_hash(text: str) -> str:
    """The hash annotation files store instead of the text (sha256 of the normalised text)."""
    return hashlib.sha256(normalise_text(text).encode()).hexdigest()


def clean_cell(value: Any) -> str:
    """A table cell as one line of text ('' for empty or missing cells)."""
    if is_missing(value):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def join_parts(*parts: Any) -> str:
    """Title and body joined the way every loader joins them: "Title. Body"."""
    return join_texts([p for p in (clean_cell(p) for p in parts) if p])


def join_texts(parts: list[str]) -> str:
    """Texts joined by ". "; the last keeps its own ending, so one text is left as it is."""
    if not parts:
        return ""
    return "".join(p.rstrip(".") + ". " for p in parts[:-1]) + parts[-1]
