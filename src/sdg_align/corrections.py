"""A person's labels in place of the model's, for the projects they reviewed.

Before a profile goes to a board, a cluster manager can check the model's tags of some projects
(``sdg-align review`` writes the sheet) and correct them. :func:`apply_corrections` takes the
filled sheet and a scored table: every project the person marked as reviewed gets their SDGs as its
tags, and probability 1 for those SDGs and 0 for the others (a person's judgement is not a guess),
so every figure of the profile, at every operating point, uses their labels. Projects are matched
by the sheet's first column (the id column of the scored table, or ``row``: its row number).

Rows the sheet says were picked at random (``sdg-align review --random``, an audit) are marked
``reviewed_at_random``, and the model's own probabilities are kept beside the person's labels
(``model_p_sdg1`` ...): the profile measures on them how the model errs on this portfolio.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data import clean_cell
from .data.formats import (
    REVIEWED,
    SDG_CELL_HINT,
    odd_sdg_values,
    reviewed_column,
    reviewed_marks,
    sdg_columns,
    sdgs_from_columns,
)
from .errors import DataError
from .labels import NUM_SDGS
from .review import AT_RANDOM, PICKED_COLUMN, TEXT_COLUMN
from .tables import decimal_matrix, find_column, read_table

CORRECTED_COLUMN = "labelled_by_person"
AUDIT_COLUMN = "reviewed_at_random"
MODEL_PROBABILITY_COLUMNS = [f"model_p_sdg{n}" for n in range(1, NUM_SDGS + 1)]


@dataclass
class CorrectionReport:
    reviewed: int = 0  # sheet rows a person marked as reviewed and that matched a project
    changed: int = 0  # of those, projects whose tags the person changed
    ignored: int = 0  # sheet rows not marked as reviewed
    at_random: int = 0  # of the reviewed, projects picked at random (an audit)
    random_skipped: int = 0  # projects picked at random that nobody marked reviewed
    text_changed: list[str] = field(default_factory=list)  # reviewed ids whose text changed

    def line(self) -> str:
        return (
            f"corrections: {self.reviewed} projects labelled by a person ({self.changed} "
            f"corrected, {self.reviewed - self.changed} confirmed)"
            + (f"; {self.at_random} of them picked at random (an audit)" if self.at_random else "")
            + (
                f"; {self.ignored} sheet rows not marked reviewed were ignored"
                if self.ignored
                else ""
            )
            + (
                f". {len(self.text_changed)} reviewed project(s) have another text in the table "
                f"than the sheet showed ({'; '.join(self.text_changed[:2])}): their labels are "
                "used; check they still hold"
                if self.text_changed
                else ""
            )
            + (
                f". {self.random_skipped} projects picked at random were not reviewed: an audit "
                "stays random only if none were skipped for what they are about"
                if self.random_skipped
                else ""
            )
        )


@dataclass
class Corrections:
    """The reviewed rows of a filled sheet: id column, ids and the person's SDGs per id."""

    id_col: str
    labels: dict[str, tuple[int, ...]]
    ignored: int
    at_random: frozenset[str] = frozenset()  # ids of reviewed rows picked at random (an audit)
    random_skipped: int = 0  # rows picked at random and not marked reviewed
    texts: dict[str, str] = field(default_factory=dict)  # the project text the sheet showed

    @classmethod
    def read(cls, path: str | Path, *, id_col: str | None = None) -> Corrections:
        path = Path(path)
        frame = read_table(path)
        columns = sdg_columns(frame.columns)
        found = ", ".join(map(str, frame.columns))
        if len(columns) != NUM_SDGS:
            raise DataError(
                f"{path}: expected one column per SDG ('SDG 1' ... 'SDG 17'), as written by "
                f"`sdg-align review`; found: {found}"
            )
        reviewed = reviewed_column(frame.columns)
        if reviewed is None:
            raise DataError(
                f"{path}: no '{REVIEWED}' column; use a sheet written by sdg-align review"
            )
        if id_col:
            key = find_column(frame.columns, id_col) or ""
            if not key:
                raise DataError(
                    f"{path}: --id-col {id_col!r} is not a column of the corrections sheet "
                    f"(it has: {found}); the sheet names each project in its first column"
                )
        else:
            key = str(frame.columns[0])
        labels: dict[str, tuple[int, ...]] = {}
        texts: dict[str, str] = {}
        first_row: dict[str, int] = {}
        at_random: set[str] = set()
        ignored = random_skipped = 0
        # an unreadable SDG cell's value -> its sheet rows and columns
        odd: dict[str, tuple[list[int], list[str]]] = {}
        # rows as the spreadsheet numbers them (row 1: the header), where a person fixes them;
        # the profile's own errors count data rows, so these say "sheet row"
        records = frame.to_dict("records")
        marks = reviewed_marks(
            [row[reviewed] for row in records], str(path), first_row=2, row_word="sheet row"
        )
        for number, row, marked in zip(range(2, len(records) + 2), records, marks, strict=True):
            picked_at_random = clean_cell(row.get(PICKED_COLUMN)).lower() == AT_RANDOM
            if not marked:
                ignored += 1
                random_skipped += picked_at_random
                continue
            identifier = str(row[key]).strip()
            if identifier in first_row:
                raise DataError(
                    f"{path} sheet row {number}: project '{identifier}' appears twice (also sheet "
                    f"row {first_row[identifier]}, both reviewed); keep one row per project"
                )
            first_row[identifier] = number
            cells = odd_sdg_values(row, columns)
            for column, value in cells:
                rows, where = odd.setdefault(value, ([], []))
                rows.extend([number] if number not in rows else [])
                where.extend([column] if column not in where else [])
            if cells:
                continue
            labels[identifier] = sdgs_from_columns(row, columns)
            texts[identifier] = clean_cell(row.get(TEXT_COLUMN))
            if picked_at_random:
                at_random.add(identifier)
        if odd:  # all of them at once, by value: a person fixes the sheet in one go
            named = "; ".join(
                f"{value!r} in {_listed(where)} (sheet row{'s' if len(rows) > 1 else ''} "
                f"{_listed(rows)})"
                for value, (rows, where) in list(odd.items())[:5]
            )
            raise DataError(f"{path}: SDG cells hold {named}: {SDG_CELL_HINT}")
        if not labels:
            raise DataError(
                f"{path}: no row is marked in the '{REVIEWED}' column; write yes there for every "
                "row you checked"
            )
        return cls(key, labels, ignored, frozenset(at_random), random_skipped, texts)


def apply_corrections(
    frame: pd.DataFrame, corrections: Corrections, text_cols: Sequence[str] | None = None
) -> tuple[pd.DataFrame, CorrectionReport]:
    """The scored table with the person's labels for the reviewed projects (see module doc).

    Each reviewed row's text, as the sheet showed it, is checked against the project it lands on
    (``text_cols``, else the table's default text columns): a sheet keyed by row number used on
    a table sorted or trimmed since put the labels on other projects without a word.
    """
    from .scoring import PROBABILITY_COLUMNS

    key = corrections.id_col
    column = find_column(frame.columns, key)
    if key == "row" and column is None:
        ids = pd.Series([str(i) for i in range(1, len(frame) + 1)], index=frame.index)
    elif column is not None:
        ids = frame[column].astype(str).str.strip()
    else:
        raise DataError(
            f"the corrections sheet names projects by '{key}', a column the table does not have "
            f"(it has: {', '.join(map(str, frame.columns))}): the sheet must come from this "
            "portfolio, keyed by a column the table has (review --id-col)"
        )
    missing = [i for i in corrections.labels if i not in set(ids)]
    if missing:
        raise DataError(
            f"{len(missing)} reviewed project(s) of the corrections sheet are not in the table "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}): is the sheet "
            "from this portfolio?"
        )
    repeated = ids[ids.isin(list(corrections.labels)) & ids.duplicated(keep=False)]
    if len(repeated):
        raise DataError(
            f"project id '{repeated.iloc[0]}' occurs more than once in the table, so its "
            f"correction cannot be placed; give every row its own '{key}'"
        )
    position = {identifier: i for i, identifier in enumerate(ids)}
    moved = _texts_that_differ(frame, corrections, position, text_cols)
    if moved and key == "row":
        raise DataError(
            f"the corrections sheet names projects by row number, and {len(moved)} reviewed "
            f"row(s) now hold another project ({'; '.join(moved[:2])}): was the table sorted or "
            "were rows deleted since the sheet was written? Use the table as it was, or write "
            "the sheet with an id column (review --id-col)"
        )
    out = frame.copy()
    # decimal commas too: a German spreadsheet saves a scored file so (all read as NaN before)
    probs = decimal_matrix(out, PROBABILITY_COLUMNS)
    report = CorrectionReport(
        reviewed=len(corrections.labels),
        ignored=corrections.ignored,
        at_random=len(corrections.at_random),
        random_skipped=corrections.random_skipped,
    )
    tags = [clean_cell(cell) for cell in out["sdgs"]]  # an untagged row may be NaN, not ""
    primaries = list(pd.to_numeric(out["primary_sdg"], errors="coerce").astype("Int64"))
    labelled = np.zeros(len(out), dtype=bool)
    report.text_changed = moved
    for identifier, sdgs in corrections.labels.items():
        i = position[identifier]
        before = {int(s) for s in tags[i].split(";") if s.strip()}
        if before != set(sdgs):
            report.changed += 1
        # Most probable first, as `score` orders tags; the person's judgement sets p to 1 or 0.
        ordered = sorted(sdgs, key=lambda s: -np.nan_to_num(probs[i, s - 1], nan=0.0))
        tags[i] = ";".join(map(str, ordered))
        primaries[i] = ordered[0] if ordered else None
        probs[i] = 0.0
        for s in sdgs:
            probs[i, s - 1] = 1.0
        labelled[i] = True
    out[MODEL_PROBABILITY_COLUMNS] = out[PROBABILITY_COLUMNS].to_numpy(copy=True)
    out[PROBABILITY_COLUMNS] = probs
    out["sdgs"] = tags
    out["primary_sdg"] = pd.array(primaries, dtype="Int64")
    if "error" in out.columns:
        out["error"] = out["error"].astype(object).where(~labelled, "")  # NaN-typed when empty
    out[CORRECTED_COLUMN] = labelled
    out[AUDIT_COLUMN] = ids.isin(list(corrections.at_random)).to_numpy() & labelled
    return out, report


def _texts_that_differ(
    frame: pd.DataFrame,
    corrections: Corrections,
    position: dict[str, int],
    text_cols: Sequence[str] | None,
) -> list[str]:
    """Reviewed projects whose text in the table is not the one the sheet showed, described."""
    from .data import join_parts, normalise_text
    from .tables import default_text_columns

    columns = [c for c in (text_cols or default_text_columns(frame.columns)) if c in frame]
    if not columns or not corrections.texts:
        return []
    differ = []
    for identifier, shown in corrections.texts.items():
        row = position[identifier]
        now = join_parts(*(frame[c].iloc[row] for c in columns))
        a, b = normalise_text(shown), normalise_text(now)
        if a and b and a not in b and b not in a:  # one text column or several: one holds the other
            differ.append(f"'{identifier}': sheet '{_short(shown)}', table '{_short(now)}'")
    return differ


def _listed(items: Sequence[object], most: int = 4) -> str:
    return ", ".join(map(str, items[:most])) + (", ..." if len(items) > most else "")


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def apply_corrections_file(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    id_col: str | None = None,
    text_cols: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Read a filled review sheet and apply it; says how many projects were corrected."""
    corrections = Corrections.read(path, id_col=id_col)
    table, report = apply_corrections(frame, corrections, text_cols)
    if log is not None:
        log(report.line())
    return table
