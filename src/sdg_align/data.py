"""Loading labelled SDG data from every format the project trains or evaluates on.

Every loader returns :class:`LabelledSet`: a list of :class:`Example` plus the problems it found
(malformed rows are reported with their row number, never silently dropped). Named sources
(``corpus``, ``aurora``, ``dpga``, ...) resolve to files under the shared data folder; anything else is
a path in the generic CSV/TSV/JSONL/Parquet/Excel format or the OSDG Community Dataset format.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError
from .labels import NUM_SDGS, SDG_NUMBERS
from .tables import read_table

DATA_ENV = "SDG_ALIGN_DATA"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS_FILE = PROJECT_ROOT / "training_data" / "cluster_projects.jsonl"
# Loss weight of the goals a single-goal research label leaves unnamed (see Example).
IMPLIED = 0.5


@dataclass(frozen=True)
class Example:
    """One labelled text.

    ``known`` lists the SDGs whose label is known; None means all 17 (a full multi-label annotation).
    The other goals count as absent with loss weight ``implied_negative_weight``: 0 ignores them
    (OSDG, where volunteers judged one goal per excerpt); research sets that name the paper's goal(s)
    use a fraction, because a model that only ever sees positives on academic prose learns to tag
    every goal on any abstract (measured: ORO-gold precision 0.13 with the others ignored).
    """

    text: str
    sdgs: tuple[int, ...]
    source: str
    known: tuple[int, ...] | None = None
    split: str | None = None  # "train", "dev" or "test" when the source fixes it
    lang: str | None = None
    targets: tuple[str, ...] = ()
    weight: float = 1.0
    implied_negative_weight: float = 0.0

    def label_vector(self) -> np.ndarray:
        vector = np.zeros(NUM_SDGS, dtype=np.float32)
        for sdg in self.sdgs:
            vector[sdg - 1] = 1.0
        return vector

    def known_mask(self) -> np.ndarray:
        if self.known is None:
            return np.ones(NUM_SDGS, dtype=np.float32)
        mask = np.full(NUM_SDGS, self.implied_negative_weight, dtype=np.float32)
        for sdg in self.known:
            mask[sdg - 1] = 1.0
        return mask


@dataclass
class LabelledSet:
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file row N: why", one per skipped row

    def __len__(self) -> int:
        return len(self.examples)

    def extend(self, other: LabelledSet) -> None:
        self.examples.extend(other.examples)
        self.problems.extend(other.problems)

    def label_matrix(self) -> np.ndarray:
        return (
            np.stack([e.label_vector() for e in self.examples])
            if self.examples
            else np.zeros((0, NUM_SDGS), dtype=np.float32)
        )

    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

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
                "source": [e.source for e in self.examples],
                "split": [e.split or "" for e in self.examples],
                "lang": [e.lang or "" for e in self.examples],
            }
        )


# ----------------------------------------------------------------------- label parsing
_SDG_TOKEN = re.compile(r"(?:sdg|goal)?[\s_-]*0*(\d{1,2})(?:\.\d+)?", re.IGNORECASE)


def parse_sdgs(value: Any) -> tuple[int, ...]:
    """Parse "7;13", "7,13", "[7, 13]", "['SDG07', 'SDG13']", "SDG 8.00", a list or an int.

    Empty values mean "advances no SDG". Anything else raises ValueError with the reason.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
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
            for piece in re.split(r"[;,|]+", text):
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
            number = int(match.group(1))
        if number == 0:
            continue  # "0" is how some sets say "no SDG"
        if number not in SDG_NUMBERS:
            raise ValueError(f"SDG {number} is out of range 1-17")
        numbers.add(number)
    return tuple(sorted(numbers))


def normalise_text(text: str) -> str:
    """The key used to find duplicates across sources: case, accents and punctuation folded."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def text_key(text: str) -> str:
    return hashlib.sha1(normalise_text(text).encode()).hexdigest()


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _join(*parts: Any) -> str:
    cleaned = [_clean(p) for p in parts]
    cleaned = [p for p in cleaned if p]
    return (
        ". ".join(p.rstrip(".") for p in cleaned[:-1])
        + (". " if len(cleaned) > 1 else "")
        + (cleaned[-1] if cleaned else "")
    )


# ----------------------------------------------------------------------- generic format
def load_generic(
    path: str | Path,
    *,
    text_col: str | Sequence[str] = "text",
    sdgs_col: str = "sdgs",
    split_col: str | None = "split",
    lang_col: str | None = "lang",
    source: str | None = None,
    fmt: str | None = None,
) -> LabelledSet:
    """A table with a text column (or several, joined) and an SDG column like ``7;13`` or a list."""
    path = Path(path)
    frame = read_table(path, fmt)
    text_cols = [text_col] if isinstance(text_col, str) else list(text_col)
    missing = [c for c in [*text_cols, sdgs_col] if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: expected column(s) {', '.join(missing)}; found: "
            f"{', '.join(map(str, frame.columns))}. Name them with --text-col/--sdgs-col."
        )
    result = LabelledSet()
    name = source or path.stem
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        text = _join(*(row[c] for c in text_cols))
        if not text:
            result.problems.append(f"{path.name} row {row_number}: empty text")
            continue
        try:
            sdgs = parse_sdgs(row[sdgs_col])
        except ValueError as exc:
            result.problems.append(f"{path.name} row {row_number}: {exc}")
            continue
        split = _clean(row.get(split_col)) if split_col and split_col in row else ""
        if split and split not in ("train", "dev", "test"):
            result.problems.append(f"{path.name} row {row_number}: unknown split {split!r}")
            continue
        targets = row.get("targets")
        result.examples.append(
            Example(
                text=text,
                sdgs=sdgs,
                source=name,
                split=split or None,
                lang=_clean(row.get(lang_col)) or None if lang_col else None,
                targets=tuple(str(t) for t in targets) if isinstance(targets, list) else (),
            )
        )
    return result


# ----------------------------------------------------------------------- OSDG format
def load_osdg(path: str | Path, *, min_agreement: float = 0.6) -> LabelledSet:
    """The OSDG Community Dataset: one SDG per excerpt, with volunteers' votes for and against.

    Accepted excerpts (agreement >= ``min_agreement``, more votes for than against) are positives for
    their SDG; rejected ones (same agreement, more votes against) are negatives for that SDG only, and
    say nothing about the others. Contested excerpts are skipped and counted.
    """
    path = Path(path)
    frame = read_table(path, "tsv")
    needed = ["text", "sdg", "labels_negative", "labels_positive", "agreement"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: not in OSDG format; missing {', '.join(missing)} "
            f"(found: {', '.join(map(str, frame.columns))})"
        )
    result = LabelledSet()
    contested = 0
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        text = _clean(row["text"])
        try:
            sdg = int(float(row["sdg"]))
            agreement = float(row["agreement"])
            positive, negative = (
                int(float(row["labels_positive"])),
                int(float(row["labels_negative"])),
            )
        except (TypeError, ValueError):
            result.problems.append(f"{path.name} row {row_number}: non-numeric sdg or votes")
            continue
        if not text or sdg not in SDG_NUMBERS:
            result.problems.append(f"{path.name} row {row_number}: empty text or SDG out of range")
            continue
        if agreement < min_agreement or positive == negative:
            contested += 1
            continue
        accepted = positive > negative
        result.examples.append(
            Example(text, (sdg,) if accepted else (), "osdg", known=(sdg,), weight=agreement)
        )
    if contested:
        result.problems.append(f"{path.name}: {contested} contested rows skipped (agreement)")
    return result


# ----------------------------------------------------------------------- the shared sets
def shared_data_dir() -> Path:
    """``$SDG_ALIGN_DATA``, else ``../shared/data`` beside the project checkout."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return PROJECT_ROOT.parent / "shared" / "data"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataError(
            f"data file not found: {path}. See training_data/README.md for how to obtain it, "
            f"or point ${DATA_ENV} at the folder that holds it."
        )
    return path


def load_aurora(path: Path) -> LabelledSet:
    frame = read_table(_require(path), "tsv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        text = _join(row.get("title"), row.get("abstract"))
        try:
            sdgs = parse_sdgs(row.get("labels"))
        except ValueError as exc:
            result.problems.append(f"{path.name} row {row_number}: {exc}")
            continue
        if not text or not sdgs:
            result.problems.append(f"{path.name} row {row_number}: no text or no label")
            continue
        # Experts named the goal(s) each paper serves; the others are probably, not surely, absent.
        result.examples.append(
            Example(text, sdgs, "aurora", known=sdgs, lang="en", implied_negative_weight=IMPLIED)
        )
    return result


def load_dpga(path: Path, *, source: str = "dpga") -> LabelledSet:
    frame = read_table(_require(path), "csv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        text = _join(row.get("name"), row.get("description"))
        try:
            sdgs = parse_sdgs(row.get("sdgs"))
        except ValueError as exc:
            result.problems.append(f"{path.name} row {row_number}: {exc}")
            continue
        if not _clean(row.get("description")):
            result.problems.append(f"{path.name} row {row_number}: empty description")
            continue
        result.examples.append(Example(text, sdgs, source, lang="en"))
    return result


def load_swisstext(folder: Path) -> LabelledSet:
    """SwissText 2024 task 1: abstracts with one SDG, where 0 means the text advances none."""
    result = LabelledSet()
    path = _require(folder / "task1_train.jsonl")
    for row_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            sdg = int(row["SDG"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            result.problems.append(f"{path.name} row {row_number}: malformed JSON or SDG")
            continue
        text = _join(row.get("TITLE"), row.get("ABSTRACT"))
        if not text or not 0 <= sdg <= NUM_SDGS:
            result.problems.append(f"{path.name} row {row_number}: empty text or SDG out of range")
            continue
        sdgs = (sdg,) if sdg else ()
        # A "no SDG" verdict covers all goals; a single-SDG verdict implies the others softly.
        result.examples.append(
            Example(
                text,
                sdgs,
                "swisstext",
                known=None if not sdg else sdgs,
                lang="en",
                implied_negative_weight=IMPLIED,
            )
        )
    return result


def load_zora(path: Path) -> LabelledSet:
    frame = read_table(_require(path), "tsv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        abstract = _clean(row.get("Abstract"))
        if not abstract:
            result.problems.append(f"{path.name} row {row_number}: no abstract (citation only)")
            continue
        try:
            sdgs = parse_sdgs(row.get("SDG"))
        except ValueError as exc:
            result.problems.append(f"{path.name} row {row_number}: {exc}")
            continue
        title = _clean(row.get("Citation")).split(". ")[0]
        result.examples.append(
            Example(
                _join(title, abstract), sdgs, "zora", known=sdgs, implied_negative_weight=IMPLIED
            )
        )
    return result


def load_oro(path: Path) -> LabelledSet:
    frame = read_table(_require(path), "tsv")
    result = LabelledSet()
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        text = _join(row.get("title"), row.get("abstract"))
        try:
            sdgs = parse_sdgs(row.get("labels"))
        except ValueError as exc:
            result.problems.append(f"{path.name} row {row_number}: {exc}")
            continue
        if not text:
            result.problems.append(f"{path.name} row {row_number}: empty text")
            continue
        result.examples.append(Example(text, sdgs, "oro-gold", lang="en"))
    return result


def load_reference_titles(folder: Path, languages: Iterable[str] | None = None) -> LabelledSet:
    """The official goal, target and indicator titles as labelled examples in several languages."""
    from .labels import load_reference

    result = LabelledSet()
    langs = list(languages) if languages else sorted(p.name for p in folder.iterdir() if p.is_dir())
    for lang in langs:
        reference = load_reference(folder, lang)
        for key, title in reference.items():
            sdg = int(key.split(".")[0])
            result.examples.append(Example(title, (sdg,), "sdg-reference", lang=lang))
    return result


def load_corpus(path: Path = CORPUS_FILE) -> LabelledSet:
    """The project's own cluster-project corpus, with its fixed train/dev/test split."""
    return load_generic(_require(path), source="corpus")


def _named_sources() -> dict[str, Any]:
    base = shared_data_dir()
    return {
        "corpus": lambda: load_corpus(),
        "aurora": lambda: load_aurora(base / "aurora-survey" / "aurora_survey.tsv"),
        "dpga": lambda: load_dpga(base / "dpga" / "dpga_train.csv"),
        "swisstext": lambda: load_swisstext(base / "swisstext2024"),
        "zora": lambda: load_zora(base / "zora" / "zora_original.tsv"),
        "sdg-reference": lambda: load_reference_titles(base / "sdg-reference"),
        # Weak labels (keyword query systems) on unlabelled SNSF project summaries: opt-in only.
        "snsf-weak": lambda: _load_snsf_weak(base),
        # Evaluation only: train() refuses anything whose source ends in "-eval".
        "oro-gold": lambda: _as_eval(load_oro(base / "eval-only" / "oro-gold" / "oro_gold.tsv")),
        "dpga-test": lambda: _as_eval(
            load_dpga(base / "eval-only" / "dpga" / "dpga_test.csv", source="dpga-test")
        ),
        "corpus-test": lambda: _as_eval(load_corpus().where(split="test")),
    }


def _load_snsf_weak(base: Path) -> LabelledSet:
    from .weak_labels import QuerySystems, weak_label

    systems = QuerySystems.load(_require(base / "keywords" / "all_query_systems.csv"))
    frame = read_table(_require(base / "snsf-projects" / "snsf_projects.csv"), "csv")
    texts = [t for t in (_clean(v) for v in frame["projects"]) if t]
    labelled = weak_label(texts, systems, source="snsf-weak")
    labelled.problems.extend(systems.problems)
    return labelled


TRAINING_SOURCES = ("corpus", "aurora", "dpga", "swisstext", "zora", "sdg-reference")
EVALUATION_SOURCES = ("corpus-test", "dpga-test", "oro-gold")


def _as_eval(labelled: LabelledSet) -> LabelledSet:
    labelled.examples = [replace(e, split="eval-only") for e in labelled.examples]
    return labelled


def load_source(
    name_or_path: str, *, text_col: str | Sequence[str] = "text", sdgs_col: str = "sdgs"
) -> LabelledSet:
    """Load a named source (``corpus``, ``aurora``, ..., ``oro-gold``) or a file by path."""
    sources = _named_sources()
    if name_or_path in sources:
        return sources[name_or_path]()
    path = Path(name_or_path)
    if not path.exists():
        raise DataError(
            f"'{name_or_path}' is neither a file nor a named source ({', '.join(sources)})"
        )
    eval_only = "eval-only" in path.resolve().parts
    if path.suffix.lower() in (".tsv", ".tab") and _looks_like_osdg(path):
        labelled = load_osdg(path)
    elif path.name == "oro_gold.tsv":
        labelled = load_oro(path)
    elif path.name.startswith("dpga") and path.suffix == ".csv":
        labelled = load_dpga(path, source=path.stem)
    else:
        labelled = load_generic(path, text_col=text_col, sdgs_col=sdgs_col)
    return _as_eval(labelled) if eval_only else labelled


def _looks_like_osdg(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline().lower().split("\t")
    return "labels_negative" in [h.strip() for h in header]


def check_trainable(labelled: LabelledSet) -> None:
    """Refuse evaluation-only data in a training run: the benchmarks must stay unseen."""
    leaked = sorted({e.source for e in labelled.examples if e.split == "eval-only"})
    if leaked:
        raise DataError(
            f"evaluation-only data cannot be used for training: {', '.join(leaked)}. "
            "Files under eval-only/ are for `sdg-align evaluate` only."
        )


def deduplicate(labelled: LabelledSet, *, exclude: Iterable[str] = ()) -> LabelledSet:
    """Drop repeated texts (first source wins) and any text in ``exclude`` (e.g. evaluation texts)."""
    seen = {text_key(t) for t in exclude}
    kept, dropped = [], 0
    for example in labelled.examples:
        key = text_key(example.text)
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        kept.append(example)
    problems = list(labelled.problems)
    if dropped:
        problems.append(f"{dropped} duplicate texts dropped (across sources or found in eval sets)")
    return LabelledSet(kept, problems)


def split_holdout(
    labelled: LabelledSet, *, validation_fraction: float, test_fraction: float, seed: int
) -> tuple[LabelledSet, LabelledSet, LabelledSet]:
    """Train, validation and test sets. Fixed splits are kept; the rest are split at random."""
    rng = random.Random(seed)
    train, dev, test = LabelledSet(), LabelledSet(), LabelledSet()
    for example in labelled.examples:
        if example.split == "test":
            test.examples.append(example)
        elif example.split == "dev":
            dev.examples.append(example)
        elif example.split == "train":
            train.examples.append(example)
        else:
            draw = rng.random()
            if draw < test_fraction:
                test.examples.append(example)
            elif draw < test_fraction + validation_fraction:
                dev.examples.append(example)
            else:
                train.examples.append(example)
    return train, dev, test
