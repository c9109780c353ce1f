"""Which projects a person should label next, and the sheet they fill in.

Labels teach a model most where it is unsure: a project whose probability for an SDG sits right at
that SDG's threshold is one the model could tag either way. :func:`pick_for_review` goes round the
17 SDGs, taking for each the unpicked project closest to its threshold (on the logit scale), and,
with groups (clusters), from the group with the fewest picks so far, so the sheet covers every goal
and every cluster instead of fifty near-copies of one doubt. ``scripts/eval_adaptation.py``
measures these picks against random ones.

:func:`review_frame` lays the picks out as a sheet: the project's id and text, the model's tags
with probabilities, one column per SDG (pre-filled with the model's tags, to confirm or change), a
``reviewed`` column and a notes column. ``sdg-align train -d`` and ``sdg-align profile
--corrections`` read the filled sheet as it is (rows not marked reviewed are ignored).

:func:`random_picks` is the other way to fill a sheet: a random sample of the portfolio, an audit.
Its ``picked`` column says "at random", and the profile then measures the model's errors on the
portfolio itself (:mod:`sdg_align.profile.prevalence`), which picks near the thresholds cannot do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .decisions import off_thresholds
from .errors import DataError
from .labels import GOALS, NUM_SDGS, SDG_NUMBERS
from .tables import (
    atomic_path,
    decimal_matrix,
    default_text_columns,
    guess_id_column,
    output_format,
    read_table,
    write_table,
)

SDG_COLUMNS = [f"SDG {n}" for n in SDG_NUMBERS]
REVIEWED_COLUMN = "reviewed"
NOTES_COLUMN = "notes"
TEXT_COLUMN = "text"
PICKED_COLUMN = "picked"
AT_RANDOM = "at random"  # the picked column's value for a random (audit) pick
UNSURE = "unsure"  # ... for a pick near a threshold
# ... for a pick beyond MAX_MARGIN of every threshold: fewer projects were unsure than asked for
FILL_IN = "fill-in (not unsure)"
MAX_MARGIN = 3.0  # logit distance to a threshold beyond which a project is not "unsure"
MAX_ALSO_UNSURE = 2  # other SDGs named beside the one a row was picked for

INSTRUCTIONS = """\
How to fill in this sheet
Each row is a project the model was unsure about ('picked': unsure), one nearest a threshold among projects it was fairly sure about, when fewer were unsure than the sheet asked for ('picked': fill-in), or one drawn at random for an audit ('picked': at random; review every one of those, so the sample stays random). The model's tags are pre-filled in the columns SDG 1 ... SDG 17.
1. Read the project text.
2. For each SDG the project advances (by the labelling guide: the project's own aim or result, not a side effect), put 1 in its column; clear the cell (or put 0) for each SDG it does not advance.
3. Write yes in the column 'reviewed' once you have checked the whole row. Rows without yes are ignored, so a pre-filled guess is never taken for your judgement.
4. Use 'notes' for anything worth telling (unclear text, a goal you hesitated on).
Do not rename or delete columns, and keep the first column (the project id).
Then:
  sdg-align train -d THIS_FILE --init-model default -o models/ours      (adapt the model to your labels)
  sdg-align profile scored.csv --corrections THIS_FILE ...              (use your labels in the profile)
"""


@dataclass(frozen=True)
class Pick:
    """One project chosen for review: its row, the SDG it was picked for and how unsure it is.

    A random pick (:func:`random_picks`) has no SDG (``sdg`` None) and NaN for the rest.
    """

    row: int
    sdg: int | None
    probability: float
    threshold: float
    margin: float  # |logit(p) - logit(threshold)|


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def margins(probs: np.ndarray, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Distance of each probability to its SDG's threshold on the logit scale (NaN rows: inf)."""
    distance = np.abs(_logit(probs) - _logit(np.asarray(thresholds, dtype=np.float64))[None, :])
    return np.where(np.isnan(distance), np.inf, distance)


def pick_for_review(
    probs: np.ndarray,
    thresholds: Sequence[float],
    *,
    n: int,
    groups: Sequence[str] | None = None,
    allowed: np.ndarray | None = None,
    max_margin: float = MAX_MARGIN,
) -> list[Pick]:
    """Up to ``n`` rows whose labels would teach the model most, spread over SDGs and groups.

    Rounds over the SDGs: each turn takes, for one SDG, the unpicked row nearest its threshold,
    from the group with the fewest picks so far (nearest first within it); a round visits the
    SDGs whose nearest row is nearest first. An SDG whose nearest row is further than
    ``max_margin`` sits the round out; when every SDG does, the remaining rows nearest any
    threshold fill the list. Rows outside ``allowed`` (and rows
    without probabilities) are never picked.
    """
    distance = margins(np.asarray(probs, dtype=np.float64), thresholds)
    usable = np.isfinite(distance).all(1)
    if allowed is not None:
        usable &= np.asarray(allowed, dtype=bool)
    group_of = list(groups) if groups is not None else [""] * len(distance)
    picked: list[Pick] = []
    taken = ~usable
    per_group: dict[str, int] = {}
    order = [np.argsort(distance[:, k], kind="stable") for k in range(NUM_SDGS)]
    unsure = [int((distance[:, k] <= max_margin).sum()) for k in range(NUM_SDGS)]

    def take(row: int, k: int) -> None:
        taken[row] = True
        per_group[group_of[row]] = per_group.get(group_of[row], 0) + 1
        picked.append(
            Pick(
                row=int(row),
                sdg=SDG_NUMBERS[k],
                probability=float(probs[row, k]),
                threshold=float(thresholds[k]),
                margin=float(distance[row, k]),
            )
        )

    def candidates(k: int) -> list[int]:
        return [int(r) for r in order[k][: unsure[k]] if not taken[r]]

    while len(picked) < n and not taken.all():
        # This round visits the SDGs whose nearest unpicked row is nearest first.
        visits = sorted(
            (k for k in range(NUM_SDGS) if candidates(k)),
            key=lambda k: float(distance[candidates(k)[0], k]),
        )
        if not visits:  # nobody is unsure any more: the nearest to any threshold
            rest = np.flatnonzero(~taken)
            nearest = rest[np.argsort(distance[rest].min(1), kind="stable")]
            for row in nearest[: n - len(picked)]:
                take(int(row), int(np.argmin(distance[row])))
            break
        for k in visits:
            rows = candidates(k)
            if len(picked) >= n or not rows:
                continue
            fewest = min(per_group.get(group_of[r], 0) for r in rows)
            take(next(r for r in rows if per_group.get(group_of[r], 0) == fewest), k)
    return picked


def random_picks(probs: np.ndarray, *, n: int, seed: int = 0) -> list[Pick]:
    """``n`` projects drawn at random (without replacement) among those with probabilities.

    An audit: labels of a random sample show how the model errs on this portfolio, so the profile
    can correct its prevalence with them (they must be a random sample, hence no choice here).
    """
    usable = np.flatnonzero(np.isfinite(np.asarray(probs, dtype=np.float64)).all(1))
    rows = np.random.default_rng(seed).choice(usable, size=min(n, len(usable)), replace=False)
    nan = float("nan")
    return [Pick(row=int(r), sdg=None, probability=nan, threshold=nan, margin=nan) for r in rows]


def _unsure_about(pick: Pick, p: np.ndarray, cut: np.ndarray) -> str:
    """The SDG a row was picked for, then up to two others as close to their thresholds.

    A row picked for one SDG can be a closer call on another; naming only the first would steer
    the reviewer away from the doubt that matters most.
    """
    assert pick.sdg is not None
    distance = margins(p[None, :], cut)[0]
    picked = SDG_NUMBERS.index(pick.sdg)
    closer = [
        int(k)
        for k in np.argsort(distance, kind="stable")
        if k != picked and distance[k] <= distance[picked]
    ]
    return "; ".join(
        f"SDG {SDG_NUMBERS[k]} {GOALS[k].short_name}: {p[k]:.2f} (threshold {cut[k]:.2f})"
        for k in [picked, *closer[:MAX_ALSO_UNSURE]]
    )


def review_frame(
    picks: Sequence[Pick],
    *,
    ids: Sequence[str],
    texts: Sequence[str],
    probs: np.ndarray,
    thresholds: Sequence[float],
    id_col: str,
    groups: Sequence[str] | None = None,
    group_col: str | None = None,
) -> pd.DataFrame:
    """The sheet: id, (group), text, the model's tags, why it was picked, SDG columns, reviewed."""
    cut = np.asarray(thresholds, dtype=np.float64)
    rows = []
    for pick in picks:
        p = probs[pick.row]
        tagged = [k for k in np.argsort(-p, kind="stable") if p[k] >= cut[k]]
        row: dict[str, object] = {id_col: ids[pick.row]}
        if groups is not None and group_col:
            row[group_col] = groups[pick.row]
        row[TEXT_COLUMN] = texts[pick.row]
        row["model_tags"] = "; ".join(f"{SDG_NUMBERS[k]} ({p[k]:.2f})" for k in tagged)
        if pick.sdg is None:
            row[PICKED_COLUMN], row["unsure_about"] = AT_RANDOM, ""
        else:
            row[PICKED_COLUMN] = UNSURE if pick.margin <= MAX_MARGIN else FILL_IN
            row["unsure_about"] = _unsure_about(pick, p, cut)
        for k, column in enumerate(SDG_COLUMNS):
            row[column] = 1 if p[k] >= cut[k] else None  # Int64 below: "1", never "1.0"
        row[REVIEWED_COLUMN] = ""
        row[NOTES_COLUMN] = ""
        rows.append(row)
    return pd.DataFrame(rows).astype(dict.fromkeys(SDG_COLUMNS, "Int64"))


def write_review_sheet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the sheet atomically; an Excel file gets readable columns and an instructions sheet."""
    if output_format(path) != "xlsx":
        write_table(frame, path)
        return
    from openpyxl.styles import Alignment, Font

    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="to label", index=False)
        pd.DataFrame({"instructions": INSTRUCTIONS.splitlines()}).to_excel(
            writer, sheet_name="instructions", index=False
        )
        sheet = writer.sheets["to label"]
        sheet.freeze_panes = "B2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = {TEXT_COLUMN: 80, "model_tags": 24, "unsure_about": 34, NOTES_COLUMN: 30}
        for index, column in enumerate(frame.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = widths.get(
                str(column), 7 if str(column).startswith("SDG ") else 16
            )
            if column == TEXT_COLUMN:
                for cell in sheet[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        writer.sheets["instructions"].column_dimensions["A"].width = 140


def refuse_to_overwrite_labels(path: str | Path) -> None:
    """Refuse to write a new sheet over one a person has filled in (rerunning the README's
    review step lost every label)."""
    from .data.formats import is_no
    from .tables import read_table

    path = Path(path)
    if not path.is_file():
        return
    try:
        frame = read_table(path)
    except DataError:  # not a table we can read: nothing of ours to lose
        return
    column = next((c for c in frame.columns if str(c).strip().casefold() == REVIEWED_COLUMN), None)
    # any mark but an empty cell or a 'no' is a person's doing: 'OK' and 'done' (which
    # --corrections reads as reviewed) were written over, with every label on the sheet
    marked = int((~frame[column].map(is_no)).sum()) if column is not None else 0
    if marked:
        raise DataError(
            f"{path} holds {marked} row(s) marked reviewed: a person's labels. Write the new "
            "sheet to another file (-o), or move that one away first"
        )


# ----------------------------------------------------------------------- reading a scored table
def scored_inputs(
    frame: pd.DataFrame,
    *,
    text_cols: Sequence[str] | None = None,
    id_col: str | None = None,
    by: str | None = None,
) -> tuple[np.ndarray, list[str], list[str], str, list[str] | None]:
    """Probabilities, texts, ids (and their column name) and groups of a scored table."""
    from .scoring import PROBABILITY_COLUMNS

    found = ", ".join(map(str, frame.columns))
    missing = [c for c in PROBABILITY_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"expected the probability columns of `sdg-align score` (p_sdg1 ... p_sdg17); "
            f"found: {found}. Score the table first: sdg-align score INPUT -o scored.csv"
        )
    if not text_cols:
        text_cols = default_text_columns(frame.columns)
    absent = [c for c in text_cols if c not in frame.columns]
    if absent:
        raise DataError(
            f"text column(s) not found: {', '.join(absent)}; the table has: {found}. "
            "Use --text-col to choose."
        )
    for option, column in (("--id-col", id_col), ("--by", by)):
        if column and column not in frame.columns:
            raise DataError(f"{option} column '{column}' not found; the table has: {found}")
    if id_col is None:
        id_col = guess_id_column(list(frame.columns))
    from .data import join_parts

    texts = [join_parts(*values) for values in frame[list(text_cols)].itertuples(index=False)]
    if id_col is None:
        ids, id_name = [str(i) for i in range(1, len(frame) + 1)], "row"
    else:
        ids, id_name = [_cell(v) for v in frame[id_col]], id_col
        _check_unique_ids(ids, id_col)
    probs = decimal_matrix(frame, PROBABILITY_COLUMNS)
    groups = None
    if by:  # 'North', 'north ' and 'NORTH' are one group here too, as in the profile
        from .profile.inputs import merge_group_spellings

        merged, _ = merge_group_spellings(frame[by], by)
        groups = [_cell(v) for v in merged]
    return probs, texts, ids, id_name, groups


def other_model_rows(frame: pd.DataFrame, probs: np.ndarray, thresholds: Sequence[float]) -> int:
    """Rows whose ``sdgs`` cell differs from what ``thresholds`` give for their probabilities:
    a table scored with another model, whose picks near these thresholds mean little."""
    if "sdgs" not in frame.columns:
        return 0
    written = np.zeros(probs.shape, dtype=bool)
    for row, cell in enumerate(frame["sdgs"]):
        for number in (int(t) for t in re.findall(r"\d+", _cell(cell))):
            if number in SDG_NUMBERS:
                written[row, number - 1] = True
    scored = np.isfinite(probs).all(axis=1)
    return int((off_thresholds(written, probs, thresholds) & scored).sum())


def labelled_ids(paths: Sequence[str | Path], id_col: str) -> set[str]:
    """The ids of the projects a person already labelled in filled sheets (the rows marked
    reviewed, or every row of a sheet without that column), so the next round picks others: a
    trial's second round re-picked 35 of 40 projects it had labelled, pre-filled with the tags."""
    from .data.formats import is_yes, reviewed_column

    found: set[str] = set()
    for path in paths:
        sheet = read_table(Path(path))
        column = id_col if id_col in sheet.columns else guess_id_column(list(sheet.columns))
        if column is None:
            raise DataError(
                f"--skip {path}: no id column ('{id_col}', project_id or id) to match projects by"
            )
        reviewed = reviewed_column(sheet.columns)
        rows = sheet[sheet[reviewed].map(is_yes)] if reviewed is not None else sheet
        found.update(i for i in (_cell(v) for v in rows[column]) if i)
    return found


def _check_unique_ids(ids: Sequence[str], id_col: str) -> None:
    """The filled sheet's labels find their projects by id, so each id must name one project."""
    rows_of: dict[str, list[int]] = {}
    for number, identifier in enumerate(ids, start=1):
        rows_of.setdefault(identifier, []).append(number)
    blank = rows_of.get("", [])
    repeated = {i: rows for i, rows in rows_of.items() if i and len(rows) > 1}
    if not blank and not repeated:
        return
    found = [f"'{i}' in rows {', '.join(map(str, rows[:3]))}" for i, rows in repeated.items()][:3]
    if blank:
        found.append(f"no id in row {', '.join(map(str, blank[:3]))}")
    raise DataError(
        f"column '{id_col}' does not name each project once ({'; '.join(found)}); the labels of "
        "the filled sheet are matched to projects by it: choose a column with one value per "
        "project with --id-col"
    )


def _cell(value: object) -> str:
    from .data import clean_cell

    return clean_cell(value)


def unique_rows(texts: Sequence[str], *, judgeable: bool = False) -> np.ndarray:
    """True for the first row of each distinct text (a sheet never asks twice).

    With ``judgeable``, rows too short to judge are False too: a sheet asked a person to label
    a placeholder 'TBD', which teaches a model nothing.
    """
    from .data import text_key
    from .modeling.windows import is_short_text

    seen: set[str] = set()
    keep = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        key = text_key(text)
        if judgeable and is_short_text(text):
            continue
        if text and key not in seen:
            seen.add(key)
            keep[i] = True
    return keep
