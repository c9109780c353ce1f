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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .data import clean_cell
from .data.formats import (
    REVIEWED,
    SDG_CELL_HINT,
    is_yes,
    sdg_columns,
    sdgs_from_columns,
    unreadable_sdg_cells,
)
from .errors import DataError
from .labels import NUM_SDGS
from .review import AT_RANDOM, PICKED_COLUMN
from .tables import read_table

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
        if REVIEWED not in frame.columns:
            raise DataError(
                f"{path}: no '{REVIEWED}' column; use a sheet written by sdg-align review"
            )
        key = id_col if id_col and id_col in frame.columns else str(frame.columns[0])
        labels: dict[str, tuple[int, ...]] = {}
        first_row: dict[str, int] = {}
        at_random: set[str] = set()
        ignored = random_skipped = 0
        unreadable: list[str] = []
        # rows as the spreadsheet numbers them (row 1: the header), where a person fixes them;
        # the profile's own errors count data rows, so these say "sheet row"
        for number, row in enumerate(frame.to_dict("records"), start=2):
            picked_at_random = clean_cell(row.get(PICKED_COLUMN)).lower() == AT_RANDOM
            if not is_yes(row[REVIEWED]):
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
            try:
                labels[identifier] = sdgs_from_columns(row, columns)
            except ValueError:  # named cell by cell, the hint once for the whole sheet
                cells = unreadable_sdg_cells(row, columns)
                unreadable.append(f"sheet row {number}: {', '.join(cells)}")
                continue
            if picked_at_random:
                at_random.add(identifier)
        if unreadable:  # all of them at once: a person fixes the sheet in one go
            more = f"; and {len(unreadable) - 3} more rows" if len(unreadable) > 3 else ""
            raise DataError(f"{path} {'; '.join(unreadable[:3])}{more}: {SDG_CELL_HINT}")
        if not labels:
            raise DataError(
                f"{path}: no row is marked in the '{REVIEWED}' column; write yes there for every "
                "row you checked"
            )
        return cls(key, labels, ignored, frozenset(at_random), random_skipped)


def apply_corrections(
    frame: pd.DataFrame, corrections: Corrections
) -> tuple[pd.DataFrame, CorrectionReport]:
    """The scored table with the person's labels for the reviewed projects (see module doc)."""
    from .scoring import PROBABILITY_COLUMNS

    key = corrections.id_col
    if key == "row" and key not in frame.columns:
        ids = pd.Series([str(i) for i in range(1, len(frame) + 1)], index=frame.index)
    elif key in frame.columns:
        ids = frame[key].astype(str).str.strip()
    else:
        raise DataError(
            f"the corrections sheet names projects by '{key}', a column the table does not have "
            f"(it has: {', '.join(map(str, frame.columns))}); pass --id-col"
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
    out = frame.copy()
    probs = (
        out[PROBABILITY_COLUMNS]
        .apply(pd.to_numeric, errors="coerce")
        .to_numpy(dtype=float, copy=True)
    )
    report = CorrectionReport(
        reviewed=len(corrections.labels),
        ignored=corrections.ignored,
        at_random=len(corrections.at_random),
        random_skipped=corrections.random_skipped,
    )
    tags = [clean_cell(cell) for cell in out["sdgs"]]  # an untagged row may be NaN, not ""
    primaries = list(pd.to_numeric(out["primary_sdg"], errors="coerce").astype("Int64"))
    labelled = np.zeros(len(out), dtype=bool)
    position = {identifier: i for i, identifier in enumerate(ids)}
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


def apply_corrections_file(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    id_col: str | None = None,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Read a filled review sheet and apply it; says how many projects were corrected."""
    table, report = apply_corrections(frame, Corrections.read(path, id_col=id_col))
    if log is not None:
        log(report.line())
    return table
