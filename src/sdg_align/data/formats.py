"""Labelled tables users bring: the generic format (a text and an SDG column) and OSDG's TSV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError
from ..labels import SDG_NUMBERS
from ..tables import read_table
from .types import Example, LabelledSet, clean_cell, join_parts, parse_or_report


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
        text = join_parts(*(row[c] for c in text_cols))
        if not text:
            result.problems.append(f"{path.name} row {row_number}: empty text")
            continue
        sdgs = parse_or_report(row[sdgs_col], f"{path.name} row {row_number}", result.problems)
        if sdgs is None:
            continue
        split = clean_cell(row.get(split_col)) if split_col and split_col in row else ""
        if split and split not in ("train", "dev", "test"):
            result.problems.append(f"{path.name} row {row_number}: unknown split {split!r}")
            continue
        targets = row.get("targets")
        primary = row.get("primary")
        result.examples.append(
            Example(
                text=text,
                sdgs=sdgs,
                source=name,
                split=split or None,
                lang=(clean_cell(row.get(lang_col)) or None) if lang_col else None,
                targets=tuple(str(t) for t in targets) if isinstance(targets, list) else (),
                source_id=clean_cell(row.get("id")) or None,
                primary=int(primary)
                if isinstance(primary, (int, float)) and primary == primary
                else None,
                group=clean_cell(row.get("scenario")) or None,
            )
        )
    return result


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
        text = clean_cell(row["text"])
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
            Example(
                text,
                (sdg,) if accepted else (),
                "osdg",
                known=(sdg,),
                weight=agreement,
                source_id=clean_cell(row.get("text_id")) or None,
            )
        )
    if contested:
        result.problems.append(f"{path.name}: {contested} contested rows skipped (agreement)")
    return result


def looks_like_osdg(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline().lower().split("\t")
    return "labels_negative" in [h.strip() for h in header]
