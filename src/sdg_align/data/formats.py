"""Labelled tables users bring: the generic format (a text and an SDG column) and OSDG's TSV.

The generic format names a text's SDGs in one column (``7;13``) or in one column per SDG
(``SDG 1`` ... ``SDG 17``, also ``sdg1``, ``sdg_01``; 1/yes/x for "advances it", empty/0/no for
"does not"), as in the sheet ``sdg-align review`` writes. A ``reviewed`` column, when present,
keeps only the rows a person marked as checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..labels import SDG_NUMBERS
from ..tables import default_text_columns, detect_format, find_column, guess_id_column, read_table
from .types import Example, LabelledSet, clean_cell, join_parts, parse_or_report


def _label_column(columns: Sequence[object], sdgs_col: str) -> str:
    """``sdgs_col`` as the table spells it; the default 'sdgs' also finds a column 'SDG'."""
    found = find_column(columns, sdgs_col)
    if found is None and sdgs_col == "sdgs":
        found = find_column(columns, "sdg")
    return found or sdgs_col


def load_generic(
    path: str | Path,
    *,
    text_col: str | Sequence[str] | None = None,
    sdgs_col: str = "sdgs",
    split_col: str | None = "split",
    lang_col: str | None = "lang",
    source: str | None = None,
    fmt: str | None = None,
    sheet: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> LabelledSet:
    """A table with a text column (or several, joined) and an SDG column like ``7;13`` or a list.

    ``sheet`` picks an Excel workbook's sheet by name or number (default: the first). Without
    ``text_col``: ``text``, else ``title`` and ``description`` joined, as ``score`` reads them.
    """
    path = Path(path)
    frame = read_table(
        path, detect_format(path, fmt, option=None), sheet=sheet, sep=sep, encoding=encoding
    )
    if not text_col:
        text_cols = default_text_columns(frame.columns)
    else:
        wanted = [text_col] if isinstance(text_col, str) else list(text_col)
        text_cols = [find_column(frame.columns, c) or c for c in wanted]
    sdgs_col = _label_column(frame.columns, sdgs_col)
    per_sdg = sdg_columns(frame.columns) if sdgs_col not in frame.columns else {}
    missing = [c for c in text_cols if c not in frame.columns]
    if sdgs_col not in frame.columns and not per_sdg:
        missing.append(sdgs_col)
    if missing:
        raise DataError(
            f"{path}: expected column(s) {', '.join(missing)}; found: "
            f"{', '.join(map(str, frame.columns))}. Name them with --text-col/--sdgs-col "
            "(or give one column per SDG: 'SDG 1' ... 'SDG 17', or 'Goal 1' ... 'Goal 17')."
        )
    records = frame.to_dict("records")
    id_col = guess_id_column(list(frame.columns)) or "id"  # 'project_id', 'Projekt-ID', ...
    result = LabelledSet()
    reviewed = reviewed_column(frame.columns)
    if reviewed is not None:
        marks = reviewed_marks([row[reviewed] for row in records], path.name)
        marked = [i for i, yes in enumerate(marks) if yes]
        if not marked:
            raise DataError(
                f"{path}: no row is marked in the '{REVIEWED}' column; write yes there for "
                "every row you checked (the others are ignored)"
            )
        if len(marked) < len(records):
            unmarked = len(records) - len(marked)
            result.skip_many(
                unmarked,
                f"{path.name}: {unmarked} row{'' if unmarked == 1 else 's'} not marked '{REVIEWED}' "
                "ignored",
            )
        records = [records[i] for i in marked]
        numbers = [i + 1 for i in marked]
    else:
        numbers = list(range(1, len(records) + 1))
    name = source or path.stem
    known = tuple(sorted(per_sdg.values())) if per_sdg and len(per_sdg) < 17 else None
    blank_labels: list[str] = []  # rows whose SDG cells are all blank: read as 'no SDG'
    for row_number, row in zip(numbers, records, strict=True):
        text = join_parts(*(row[c] for c in text_cols))
        project = clean_cell(row.get(id_col))
        where = f"{path.name} row {row_number}" + (f" ({project})" if project else "")
        if not text:
            result.problems.append(f"{where}: empty text")
            continue
        if per_sdg:
            try:
                sdgs: tuple[int, ...] | None = sdgs_from_columns(row, per_sdg)
            except ValueError as exc:
                result.problems.append(f"{where}: {exc}")
                sdgs = None
            if sdgs == () and all(not clean_cell(row[c]) for c in per_sdg):
                blank_labels.append(project or f"row {row_number}")
        else:
            sdgs = parse_or_report(row[sdgs_col], where, result.problems)
        if sdgs is None:
            continue
        split = clean_cell(row.get(split_col)) if split_col and split_col in row else ""
        if split and split not in ("train", "dev", "test"):
            result.problems.append(f"{where}: unknown split {split!r}")
            continue
        targets = row.get("targets")
        primary = row.get("primary")
        result.examples.append(
            Example(
                text=text,
                sdgs=sdgs,
                source=name,
                known=known,
                split=split or None,
                lang=(clean_cell(row.get(lang_col)) or None) if lang_col else None,
                targets=tuple(str(t) for t in targets) if isinstance(targets, list) else (),
                source_id=clean_cell(row.get(id_col)) or None,
                primary=int(primary)
                if isinstance(primary, (int, float)) and primary == primary
                else None,
                group=clean_cell(row.get("scenario")) or None,
            )
        )
    if blank_labels and reviewed is None:  # a reviewed row says 'no SDG' on purpose
        shown = ", ".join(blank_labels[:5]) + (", ..." if len(blank_labels) > 5 else "")
        result.notes.append(
            f"{path.name}: {len(blank_labels)} row(s) mark no SDG at all ({shown}): read as "
            "advancing none, which teaches and counts 'no SDG'; leave out rows nobody labelled yet"
        )
    return result


REVIEWED = "reviewed"
# One column per SDG: 'SDG 3', 'sdg_03', 'Goal 3', 'ODD 3', 'Ziel 3', 'SDG 3 - Good health' ...
_SDG_COLUMN = re.compile(
    r"^\s*(?:sdg|goal|ziel|odd|ods|oss|objectif|objetivo|obiettivo|doel|cel|mål)[\s_.:#-]*"
    r"(?:no\.?\s*|nr\.?\s*)?0?(\d{1,2})(?!\d)(?:\s*[-–:.)]?\s*\D.*)?\s*$",
    re.IGNORECASE,
)
# How people mark a cell yes or no, in the languages of the clusters that fill the sheets in.
_YES = {
    "1",
    "1.0",
    "yes",
    "y",
    "x",
    "true",
    "ja",
    "j",
    "oui",
    "si",
    "sí",
    "sì",
    "sim",
    "tak",
    "✓",
    "✔",
}
_NO = {"", "0", "0.0", "no", "n", "false", "-", "nein", "non", "nee", "nej", "nie", "não", "nao"}
# The 'reviewed' column also takes what people write once a row is checked.
_REVIEWED_YES = _YES | {
    "done",
    "ok",
    "okay",
    "checked",
    "reviewed",
    "erledigt",
    "geprüft",
    "klaar",
    "gedaan",
    "fait",
    "vérifié",
    "hecho",
    "revisado",
    "fatto",
    "sprawdzone",
}


def sdg_columns(columns: Sequence[Any]) -> dict[str, int]:
    """Columns named after one SDG ("SDG 7", "sdg7", "sdg_07", "Goal 7", "ODD 7") -> its number."""
    found: dict[str, int] = {}
    for column in columns:
        match = _SDG_COLUMN.match(str(column))
        if match and int(match.group(1)) in SDG_NUMBERS:
            found[str(column)] = int(match.group(1))
    return found


def _mark(value: Any) -> str:
    """A cell as a mark: lower case, without the '!' or '.' people end it with ('Yes!', 'OK.')."""
    text = clean_cell(value).lower()
    return text.rstrip("!.").strip() if len(text) > 1 else text


def is_yes(value: Any) -> bool:
    return _mark(value) in _YES


def is_no(value: Any) -> bool:
    """An empty cell or a 'no' in any of the sheet's languages: nothing a person marked."""
    return _mark(value) in _NO


def reviewed_marks(
    values: Sequence[Any], where: str, first_row: int = 1, row_word: str = "row"
) -> list[bool]:
    """Which rows a person marked reviewed ('yes', 'x', 'done', 'OK' ...; empty or 'no': not).

    A mark that is neither is an error that names it: 'later' must not count as checked, and a
    'done' read as unchecked dropped the row's labels while the message called it unmarked.
    """
    marks = [_mark(v) for v in values]
    odd: dict[str, list[int]] = {}
    for number, mark in enumerate(marks, start=first_row):
        if mark not in _REVIEWED_YES | _NO:
            odd.setdefault(mark, []).append(number)
    if odd:
        named = "; ".join(
            f"{mark!r} ({row_word}{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}"
            f"{', ...' if len(rows) > 5 else ''})"
            for mark, rows in list(odd.items())[:5]
        )
        raise DataError(
            f"{where}: the '{REVIEWED}' column holds {named}, neither yes nor no: write yes for a "
            "row you checked and leave it empty otherwise"
        )
    return [mark in _REVIEWED_YES for mark in marks]


def reviewed_column(columns: Sequence[Any]) -> str | None:
    """The sheet's 'reviewed' column, whatever its case or spacing ('Reviewed ')."""
    return next((str(c) for c in columns if str(c).strip().casefold() == REVIEWED), None)


SDG_CELL_HINT = "write 1 (advances it) or leave it empty"


def odd_sdg_values(row: dict[str, Any], columns: dict[str, int]) -> list[tuple[str, str]]:
    """(column, value) of each one-column-per-SDG cell of a row that is neither yes nor no."""
    cells = ((column, clean_cell(row.get(column))) for column in columns)
    return [(column, cell) for column, cell in cells if _mark(cell) not in _YES | _NO]


def unreadable_sdg_cells(row: dict[str, Any], columns: dict[str, int]) -> list[str]:
    """Each one-column-per-SDG cell of a row that is neither a yes nor a no, named."""
    return [
        f"column '{column}' holds {cell!r}"
        for column in columns
        if (cell := _mark(row.get(column))) not in _YES | _NO
    ]


def sdgs_from_columns(row: dict[str, Any], columns: dict[str, int]) -> tuple[int, ...]:
    """The SDGs marked in a row's one-column-per-SDG cells; anything unreadable is an error.

    The error names every unreadable cell of the row, so a person fixes them in one go.
    """
    unreadable = unreadable_sdg_cells(row, columns)
    if unreadable:
        raise ValueError(f"{', '.join(unreadable)}; {SDG_CELL_HINT}")
    return tuple(sorted(n for c, n in columns.items() if _mark(row.get(c)) in _YES))


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
        result.skip_many(contested, f"{path.name}: {contested} contested rows skipped (agreement)")
    return result


def looks_like_osdg(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline().lower().split("\t")
    return "labels_negative" in [h.strip() for h in header]
