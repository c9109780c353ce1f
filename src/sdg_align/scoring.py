"""Batch scoring of project portfolios: the output contract, a pure batch function and a file runner.

The output keeps every input column and adds, per row (a stable contract other tools rely on):

- ``sdgs``: SDG numbers above threshold, ``;``-separated, most probable first ("" when none)
- ``primary_sdg``: the most probable SDG above threshold (empty when none)
- ``p_sdg1`` ... ``p_sdg17``: calibrated probabilities
- ``windows``: token windows the text was read in (> 1: a long text split into windows whose
  logits are averaged, not truncated)
- ``error``: empty, or why the row could not be scored (its probabilities are then empty)
- ``evidence`` (with ``explain``): JSON with the closest targets and supporting sentences per SDG

:func:`score_frame` is a pure function over a pandas DataFrame, so the same code runs inside Ray Data's
``map_batches`` or Spark's ``mapInPandas`` (see docs/scale.md). :func:`score_file` streams a file in
chunks to a parts folder (so ``resume`` can continue after a crash) and assembles the output atomically.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
import itertools
import json
import re
import shutil
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .data.types import clean_cell, join_texts
from .errors import DataError, Interrupted, SDGAlignWarning
from .labels import SDG_NUMBERS
from .modeling.windows import (
    MAX_TEXT_CHARS,
    READING,
    is_short_text,
    short_texts_message,
    too_long_message,
)
from .tables import (
    TEXT_READ_FORMATS,
    Dialect,
    TextKind,
    as_numbers,
    atomic_path,
    blank_rows,
    check_excel_cells,
    check_text_columns,
    count_rows,
    detect_format,
    did_you_mean,
    guess_id_column,
    is_missing,
    iter_table_chunks,
    merge_kinds,
    mirrored_dialect,
    number_kind,
    output_format,
    sheet_count,
    text_columns_or_default,
)

PROGRESS_STEP = 256  # rows scored between progress updates

if TYPE_CHECKING:
    from .modeling import Classifier

PROBABILITY_COLUMNS = [f"p_sdg{n}" for n in SDG_NUMBERS]
OUTPUT_COLUMNS = ["sdgs", "primary_sdg", *PROBABILITY_COLUMNS, "windows", "error"]
EVIDENCE_COLUMN = "evidence"


def columns_to_replace(columns: Sequence[Any], explain: bool = False) -> list[str]:
    """The input's columns that scoring would write; refuses to overwrite a user's own.

    An input scored before (it has ``sdgs`` and every probability column) is being scored again:
    its score columns, evidence included, are replaced. Anywhere else a column named like an output
    column (a user's own ``error`` or ``windows``) is the user's data, and scoring stops.
    """
    names = [str(c) for c in columns]
    ours = [*OUTPUT_COLUMNS, EVIDENCE_COLUMN]
    if all(c in names for c in ("sdgs", *PROBABILITY_COLUMNS)):
        return [c for c in ours if c in names]
    clashes = [c for c in (ours if explain else OUTPUT_COLUMNS) if c in names]
    if clashes:
        labelled = (
            " To measure the model on labelled projects, run `sdg-align evaluate default FILE`."
            if "sdgs" in clashes
            else ""
        )
        raise DataError(
            f"the input already has column(s) {', '.join(clashes)}, which score writes; every input "
            "column is kept, so rename yours first (it is not a scored file: that would have sdgs "
            "and p_sdg1 ... p_sdg17, and scoring it again replaces them)." + labelled
        )
    return []


def _cell_text(value: Any) -> str | None:
    """The text in one cell, or None when the cell holds no usable text."""
    if is_missing(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return None
    text = str(value).strip()
    return text or None


# What spreadsheets hold where a description is still missing (compared lower-case, without
# surrounding punctuation or brackets). Such a cell is no text: scored, "TBD" reads as tuberculosis
# (SDG 3 at 0.65) and "n/a" gets tags too, so a portfolio of unfinished rows would gain SDGs.
PLACEHOLDERS = frozenset(
    {
        # English
        "tbd", "tba", "tbc", "n/a", "na", "n.a", "nd", "n.d", "none", "null", "nil",
        "nan", "todo", "to do", "to be defined", "to be determined", "to be confirmed",
        "to be announced", "to follow", "pending", "placeholder", "lorem ipsum", "xxx", "xx", "x",
        "test", "see attachment", "see annex", "see above", "same as above",
        "no description", "description to follow", "to be completed", "coming soon", "wip",
        # German
        "k.a", "k. a", "keine angabe", "folgt", "noch offen", "offen", "siehe anhang",
        "siehe anlage", "siehe oben", "wird nachgereicht", "in bearbeitung", "beschreibung folgt",
        "keine beschreibung",
        # French ("a definir" is also Portuguese)
        "à définir", "a definir", "à compléter", "a completer", "néant", "voir annexe",
        "voir ci-dessus", "en cours", "à venir",
        # Spanish, Italian, Portuguese
        "por definir", "pendiente", "ver anexo", "da definire", "vedi allegato", "sin descripción",
        "a preencher",
        # Dutch
        "nvt", "n.v.t", "nog in te vullen", "zie bijlage", "n.t.b", "ntb", "p.m", "pm", "volgt",
        "volgt nog", "wordt aangevuld", "nader te bepalen",
        # Polish
        "brak", "do uzupełnienia", "b.d", "bd", "n/d", "brak opisu", "brak danych",
        "opis w przygotowaniu", "w przygotowaniu", "nie dotyczy",
        # Swedish
        "saknas", "se bilaga", "ej angivet", "uppgift saknas", "kommer senare",
        # a title that names no project: 'Neues Projekt' was tagged SDG 9 in 16 rows of a trial
        "new project", "neues projekt", "nouveau projet", "nuevo proyecto", "nuovo progetto",
        "nowy projekt", "nieuw project", "nytt projekt", "novo projeto", "untitled",
        "ohne titel", "sans titre", "sin título", "senza titolo", "bez tytułu", "zonder titel",
        "namnlös",
    }
)  # fmt: skip
_PUNCTUATION = " .:;,!?-–—_*#()[]{}\"'/\\|+=~…"


def is_placeholder(text: str) -> bool:
    """Whether a cell holds a stand-in for a missing description ('TBD', 'n/a', '(to do)', '-')."""
    core = text.strip().strip(_PUNCTUATION).lower()
    return core in PLACEHOLDERS or (not core and bool(text.strip()))


# The label of a totals row at the foot of a sheet ('Total', 'RAZEM / Totaal', 'Summe'):
# scored, it became a project, and its summed budget halved every weighted share.
TOTAL_WORDS = frozenset(
    {
        "total", "totals", "grand", "sum", "subtotal", "overall",  # English
        "summe", "gesamt", "insgesamt", "gesamtsumme", "zwischensumme",  # German
        "totale", "somme", "totaux", "général", "complessivo",  # French, Italian
        "razem", "suma", "ogółem", "łącznie",  # Polish
        "totaal", "som", "subtotaal", "totalt", "summa",  # Dutch, Swedish
        "σ",
    }
)  # fmt: skip


def is_totals_label(text: str) -> bool:
    """Whether a row's whole text is the label of a totals row, in any of the languages above."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return bool(words) and all(word in TOTAL_WORDS for word in words)


def row_texts(frame: pd.DataFrame, text_cols: Sequence[str]) -> tuple[list[str], list[str]]:
    """Joined text per row, and the error for rows with none (empty, placeholder or non-text
    cells). A placeholder beside a real cell (a title beside a description 'TBD') is left out;
    beside a few words alone ('Projet TBD', 'Neues Projekt') the row has no description at all."""
    check_text_columns(list(frame.columns), text_cols)
    texts, errors = [], []
    columns = [frame[c].tolist() for c in text_cols]
    for values in zip(*columns, strict=True):
        if any(isinstance(v, NESTED) for v in values):
            texts.append("")
            errors.append("a text cell holds a JSON object or list, not text")
            continue
        parts = [p for p in (_cell_text(v) for v in values) if p]
        placeholders = [p for p in parts if is_placeholder(p)]
        joined = join_texts([p for p in parts if p not in placeholders])
        if joined and is_totals_label(joined):
            texts.append("")
            errors.append(f"a totals row ({joined[:40]!r}), not a project")
        elif not joined and placeholders:
            texts.append("")
            errors.append(f"placeholder text ({placeholders[0][:40]!r}), not a description")
        elif placeholders and is_short_text(joined):  # 'Projet TBD' beside 'TBD'
            texts.append("")
            errors.append(
                f"placeholder text ({placeholders[0][:40]!r}) beside only a few words "
                f"({joined[:40]!r}): too little to judge"
            )
        elif not joined and (label := _totals_label_elsewhere(frame, len(texts))):
            texts.append("")  # 'Summe' in the id or title column, the sum in the budget
            errors.append(f"a totals row ({label[:40]!r}), not a project")
        elif not joined:
            texts.append("")
            errors.append("empty text")
        elif not any(ch.isalpha() for ch in joined):
            texts.append("")
            errors.append("no words in the text cell(s)")
        elif len(joined) > MAX_TEXT_CHARS:
            texts.append("")
            errors.append(too_long_message(len(joined)))
        else:
            texts.append(joined)
            errors.append("")
    return texts, errors


def _totals_label_elsewhere(frame: pd.DataFrame, row: int) -> str | None:
    """A totals label in any cell of a row with no text ('Summe' in its id column)."""
    for value in frame.iloc[row]:
        if isinstance(value, str) and value.strip() and is_totals_label(value):
            return value.strip()
    return None


def short_texts_warning(
    frame: pd.DataFrame, text_cols: Sequence[str], id_col: str | None = None
) -> str | None:
    """The warning for rows too short to judge (see ``is_short_text``), named by ``id_col`` as
    ``score`` names them, else by data row from 1."""
    texts, errors = row_texts(frame, text_cols)
    names = (
        frame[id_col].astype(str).tolist()
        if id_col in frame.columns
        else [str(i + 1) for i in range(len(frame))]
    )
    rows = [
        names[i]
        for i, (text, error) in enumerate(zip(texts, errors, strict=True))
        if not error and is_short_text(text)
    ]
    return short_texts_message(len(rows), rows[:10]) if rows else None


def tags_from_probabilities(probs: np.ndarray, thresholds: Sequence[float]) -> list[list[int]]:
    """SDGs at or above their thresholds per row, most probable first (rows of NaN: none)."""
    cut = np.asarray(thresholds, dtype=np.float64)
    selected: list[list[int]] = []
    for row in probs:
        if np.isnan(row).all():
            selected.append([])
            continue
        order = np.argsort(-np.nan_to_num(row, nan=-1.0), kind="stable")
        selected.append([SDG_NUMBERS[i] for i in order if row[i] >= cut[i]])
    return selected


def _check_arguments(frame: object, classifier: object) -> None:
    """A list, a Series or a model's path fails here by name, not as an AttributeError inside."""
    if isinstance(frame, pd.Series):
        raise DataError("score_frame takes a DataFrame, not a Series: pass series.to_frame('text')")
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"score_frame takes a DataFrame, not {type(frame).__name__}; for a list of texts use "
            "classifier.predict(texts)"
        )
    if not hasattr(classifier, "window_logits"):
        raise DataError(
            f"classifier must be a loaded model, not {type(classifier).__name__} "
            f"({classifier!r:.60}): load it with sdg_align.load_classifier(...)"
        )


def _warn_rows(index: pd.Index, texts: Sequence[str], errors: Sequence[str]) -> None:
    """Say in a notebook what ``sdg-align score`` says on stderr: rows not scored, texts too
    short to judge (the CLI silences these warnings and prints its own lines)."""
    failed = [(label, error) for label, error in zip(index, errors, strict=True) if error]
    if failed:
        first = "; ".join(f"row {label}: {error}" for label, error in failed[:3])
        warnings.warn(
            f"{len(failed)} row(s) could not be scored (see the error column): {first}"
            f"{'; ...' if len(failed) > 3 else ''}",
            SDGAlignWarning,
            stacklevel=3,
        )
    short = [
        str(label)
        for label, text, error in zip(index, texts, errors, strict=True)
        if not error and is_short_text(text)
    ]
    if short:
        warnings.warn(short_texts_message(len(short), short[:10]), SDGAlignWarning, stacklevel=3)


def score_frame(
    frame: pd.DataFrame,
    classifier: Classifier,
    *,
    text_cols: Sequence[str] | None = None,
    threshold: float | None = None,
    tags: str = "balanced",
    explain: bool = False,
    batch_size: int = 16,
) -> pd.DataFrame:
    """Score one batch: the input columns unchanged, plus the output contract's columns.

    A batch scored before gets new score columns (see :func:`columns_to_replace`). ``text_cols``
    is a column name or a list of them (joined as 'Title. Description'); None takes the table's
    ``text`` column, else its title and description, as ``sdg-align score`` does.
    """
    _check_arguments(frame, classifier)
    if isinstance(text_cols, str):  # 'description' was read as the columns d, e, s, c, ...
        text_cols = [text_cols]
    text_cols = text_columns_or_default(frame.columns, text_cols)
    frame = frame.drop(columns=columns_to_replace(frame.columns, explain))
    texts, errors = row_texts(frame, text_cols)
    _warn_rows(frame.index, texts, errors)
    good = [i for i, e in enumerate(errors) if not e]
    probs = np.full((len(frame), len(SDG_NUMBERS)), np.nan)
    windows = np.zeros(len(frame), dtype=np.int64)
    if good:
        logits, counts = classifier.window_logits([texts[i] for i in good], batch_size=batch_size)
        probs[good] = classifier.calibrate(logits)
        windows[good] = counts
    selected: list[list[int]] = [
        classifier.select(probs[i], threshold=threshold, tags=tags) if not errors[i] else []
        for i in range(len(frame))
    ]
    out = frame.copy()
    out["sdgs"] = [";".join(map(str, s)) for s in selected]
    out["primary_sdg"] = pd.array([s[0] if s else None for s in selected], dtype="Int64")
    for k, column in enumerate(PROBABILITY_COLUMNS):
        out[column] = np.round(probs[:, k], 4)
    out["windows"] = pd.array(
        [w if not e else None for w, e in zip(windows, errors, strict=True)], dtype="Int64"
    )
    out["error"] = errors
    if explain:
        from .evidence import explain_texts

        evidence: list[dict[str, Any]] = [{} for _ in range(len(frame))]
        if good:
            found = explain_texts(classifier, [texts[i] for i in good], [selected[i] for i in good])
            for i, block in zip(good, found, strict=True):
                evidence[i] = block
        out[EVIDENCE_COLUMN] = [json.dumps(e, ensure_ascii=False) if e else "" for e in evidence]
    return out


def score_rows(
    frame: pd.DataFrame,
    classifier: Classifier,
    *,
    on_progress: Callable[[int], None] | None = None,
    step: int = PROGRESS_STEP,
    **options: Any,
) -> pd.DataFrame:
    """:func:`score_frame` in steps of ``step`` rows, reporting each step to ``on_progress``.

    The one scoring path of ``score`` (per chunk of a file) and ``profile`` (on raw input).
    """
    parts = []
    for start in range(0, len(frame), step):
        part = score_frame(frame.iloc[start : start + step], classifier, **options)
        parts.append(part)
        if on_progress is not None:
            on_progress(len(part))
    if not parts:
        return score_frame(frame, classifier, **options)
    return pd.concat(parts) if len(parts) > 1 else parts[0]


@dataclass
class ScoreSummary:
    rows: int = 0
    failed: int = 0
    long_texts: int = 0
    short_texts: int = 0
    short_rows: list[str] = field(default_factory=list)  # their row labels, the first 10
    seconds: float = 0.0
    resumed_rows: int = 0
    failures: list[str] = field(default_factory=list)  # "row N: why", the first 50
    # the same as records for a pipeline: {"row": data row from 1, "id": ... or None, "error": ...}
    failed_rows: list[dict[str, Any]] = field(default_factory=list)
    blank_rows: int = 0  # every cell empty: kept in the output, unscored, not counted as failed
    replaced_columns: list[str] = field(default_factory=list)  # an input scored before
    # how a CSV output was written (as a CSV input was): "separator ';', encoding cp1252"
    csv_dialect: str | None = None
    id_column: str | None = None
    # ids that name more than one row: review and profile --corrections place labels by id
    repeated_ids: list[str] = field(default_factory=list)
    text_columns: list[str] = field(default_factory=list)  # given, or found by default
    # rows scored on their other text cells beside a placeholder ('Por definir'): "label ('TBD')"
    placeholder_rows: int = 0
    placeholder_examples: list[str] = field(default_factory=list)  # the first 5

    @property
    def rows_per_second(self) -> float:
        return (self.rows - self.resumed_rows) / self.seconds if self.seconds else 0.0


def _parts_dir(output: Path) -> Path:
    return output.parent / f".{output.name}.sdg-align-parts"


def _file_hash(path: Path) -> str:
    """The input's content, not its modification time: a file copied back unchanged resumes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint(
    path: Path,
    text_cols: Sequence[str],
    classifier: Classifier,
    *,
    explain: bool,
    threshold: float | None,
    tags: str,
) -> dict[str, Any]:
    """Everything that decides the output rows: a resumed run must match it exactly."""
    return {
        "input": str(path.resolve()),
        "input size": path.stat().st_size,
        "input content (sha256)": _file_hash(path),
        "text columns": list(text_cols),
        "model (hash of its weights and thresholds)": classifier.weights_hash(),
        "backend": classifier.backend,
        "how texts are read": READING,
        "threshold": threshold,
        "tags": tags,
        "explain": explain,
    }


def _fingerprint_mismatch(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """The first setting that differs, said so a user can act on it."""
    for key, value in new.items():
        if old.get(key) != value:
            return f"{key} was {old.get(key)!r}, now {value!r}"
    return None


def score_file(
    input_path: str | Path,
    output_path: str | Path,
    classifier: Classifier,
    *,
    text_cols: Sequence[str] | None = None,
    id_col: str | None = None,
    in_format: str | None = None,
    out_format: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    threshold: float | None = None,
    tags: str = "balanced",
    explain: bool = False,
    resume: bool = False,
    chunk_rows: int | None = None,
    batch_size: int = 16,
    progress: bool = True,
    restart: bool = False,
) -> ScoreSummary:
    """Score a whole file in chunks; the output appears only when every row is done.

    Finished chunks are kept in a hidden parts folder beside the output; after a crash or Ctrl-C,
    ``resume=True`` skips them and continues, so the result equals an uninterrupted run, and
    ``restart=True`` discards them (without either, kept rows make an error). Ctrl-C
    raises :class:`Interrupted` saying how many rows are kept and how to continue. ``text_cols``
    None takes :func:`default_text_columns` of the input.
    """
    from tqdm.auto import tqdm

    input_path, output_path = Path(input_path), Path(output_path)
    out_format = output_format(output_path, out_format, option="--output-format")
    in_format = detect_format(input_path, in_format)
    if not input_path.is_file():
        raise DataError(f"input file not found: {input_path}")
    if output_path.resolve() == input_path.resolve():
        raise DataError(
            f"the output is the input file itself ({output_path}); scoring would replace your "
            "projects with the scored copy: write to another file"
        )
    parts = _parts_dir(output_path)
    classifier.cut(tags, threshold)  # an unknown operating point fails before any work
    # a resumed run keeps the interrupted run's chunks unless told otherwise: the chunk size
    # changes no result, and a refusal over it sent a user back to find the number
    chunk_rows = chunk_rows or (_kept_chunk_rows(parts) if resume else None) or CHUNK_ROWS
    chunks = iter_table_chunks(
        input_path, in_format, chunk_rows, sep=sep, encoding=encoding, sheet=sheet
    )
    first = next(chunks, None)
    if first is None:
        raise DataError(f"{input_path} has no rows to score")
    chunks = itertools.chain([first], chunks)
    if text_cols is None:
        try:
            text_cols = text_columns_or_default(first.columns, None)
        except DataError as exc:  # the workbook is opened again only to word the error
            if sheet is None and sheet_count(input_path, in_format) > 1:
                raise DataError(f"{exc} (or --sheet: another sheet of the workbook)") from None
            raise
    check_text_columns(list(first.columns), text_cols)  # before the progress bar starts
    replaced = columns_to_replace(first.columns, explain)
    if id_col and id_col not in first.columns:
        raise DataError(
            f"id column '{id_col}' (--id-col) not found{did_you_mean(first.columns, id_col)}; "
            "the input has: "
            f"{', '.join(map(str, first.columns))}"
        )
    id_col = id_col or guess_id_column(list(first.columns))  # names failed rows
    # the input's columns, when its cells were all read as text (typed outputs restore numbers)
    read_as_text = [str(c) for c in first.columns] if in_format in TEXT_READ_FORMATS else []
    fingerprint = _fingerprint(
        input_path, text_cols, classifier, explain=explain, threshold=threshold, tags=tags
    )
    fingerprint["chunk rows"] = chunk_rows
    if sheet is not None:  # a resumed run must read the same sheet
        fingerprint["sheet"] = sheet
    lock = claim_output(output_path)  # a second run on this output would mix its rows in
    try:
        done_chunks = _prepare_parts(parts, fingerprint, resume, restart)
        total = (
            count_rows(input_path, in_format, sep=sep, encoding=encoding, sheet=sheet)
            if progress
            else None
        )
        summary = ScoreSummary(
            replaced_columns=replaced, id_column=id_col, text_columns=list(text_cols)
        )
        id_counts: Counter[str] = Counter()
        started = time.time()
        bar = tqdm(
            total=total,
            desc="scoring",
            unit="row",
            disable=not progress,
            file=sys.stderr,
            smoothing=0.1,
        )
        options: dict[str, Any] = {
            "text_cols": text_cols,
            "threshold": threshold,
            "tags": tags,
            "explain": explain,
            "batch_size": batch_size,
        }
        try:
            for index, chunk in enumerate(chunks):
                summary.rows += len(chunk)
                if id_col:
                    id_counts.update(i for i in chunk[id_col].map(clean_cell) if i)
                if index < done_chunks:  # its failures and long texts still count in the summary
                    summary.resumed_rows += len(chunk)
                    done = pd.read_parquet(parts / f"chunk-{index:06d}.parquet")
                    _note_failures(
                        summary,
                        done,
                        chunk,
                        id_col,
                        first_row=index * chunk_rows,
                        text_cols=text_cols,
                    )
                    bar.update(len(chunk))
                    continue
                scored = score_rows(chunk, classifier, on_progress=bar.update, **options)
                _note_failures(
                    summary,
                    scored,
                    chunk,
                    id_col,
                    first_row=index * chunk_rows,
                    text_cols=text_cols,
                )
                if out_format == "xlsx":
                    check_excel_cells(scored, output_path)  # fail at once, not after the last chunk
                _write_part(
                    scored, parts / f"chunk-{index:06d}.parquet", keep_types=in_format == "parquet"
                )
            if summary.rows == 0:  # headers only: no parts worth keeping for a --resume
                shutil.rmtree(parts, ignore_errors=True)
                raise DataError(f"{input_path} has no rows to score")
            summary.repeated_ids = [i for i, n in id_counts.items() if n > 1]
            written = _csv_dialect(input_path, in_format, out_format, sep, encoding)
            try:
                written = _assemble(parts, output_path, out_format, read_as_text, written)
            except OSError as exc:  # a locked or read-only output: the scoring is not lost
                raise DataError(
                    f"cannot write {output_path}: {exc.strerror or exc}; the {summary.rows:,} scored "
                    f"rows are kept in {parts}: make the output writable and "
                    "run the same command with --resume to write it without scoring again"
                ) from None
            if out_format == "csv":
                summary.csv_dialect = f"separator {written.sep!r}, encoding {written.encoding}"
        except KeyboardInterrupt as exc:
            done = sum(1 for _ in parts.glob("chunk-*.parquet"))
            kept = min(done * chunk_rows, summary.rows)
            if not kept:  # '0 scored rows are kept ... --resume' promised what it could not keep
                raise Interrupted(
                    f"interrupted before the first {chunk_rows:,} rows were scored and saved: "
                    "nothing is kept (--chunk-rows saves smaller chunks)"
                ) from exc
            again = "instead of --restart" if restart else "to continue from there"
            raise Interrupted(
                f"interrupted: {kept:,} scored rows are kept in {parts}; run the same command "
                f"with --resume {again}"
            ) from exc
        finally:
            bar.close()
        shutil.rmtree(parts, ignore_errors=True)
        summary.seconds = time.time() - started
        return summary
    finally:
        release_output(lock)


def claim_output(output_path: Path) -> Any:
    """A lock on ``output_path`` for this run, or a DataError when another run holds it.

    Two runs writing one output shared its parts folder: a trial's first run exited 0 with 196 of
    its 420 rows from the other run's input. The lock file sits beside the output and is removed
    when the run ends (a run killed outright leaves it unlocked: the next run takes it)."""
    from filelock import FileLock, Timeout

    output_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(output_path.parent / f".{output_path.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DataError(
            f"another sdg-align run is writing {output_path}: wait for it to end, or write to "
            "another file"
        ) from None
    return lock


def release_output(lock: Any) -> None:
    """Release the lock of :func:`claim_output` and remove its file, which would litter the
    output's folder."""
    lock.release()
    with contextlib.suppress(OSError):
        Path(lock.lock_file).unlink()


CHUNK_ROWS = 500  # rows scored and saved at a time: what a Ctrl-C loses at most


def _kept_chunk_rows(parts: Path) -> int | None:
    """The chunk size an interrupted run saved its parts with, if its manifest says."""
    try:
        manifest = json.loads((parts / "manifest.json").read_text())
        return int(manifest["fingerprint"]["chunk rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _prepare_parts(
    parts: Path, fingerprint: dict[str, Any], resume: bool, restart: bool = False
) -> int:
    """The parts folder for this run; with ``resume``, how many chunks are already done.

    Rows an interrupted run kept are discarded only when ``restart`` says so.
    """
    manifest_file = parts / "manifest.json"
    done_chunks = 0
    if resume and restart:
        raise DataError("resume or restart, not both")
    if parts.exists() and resume:
        try:
            manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
        except (OSError, json.JSONDecodeError):
            manifest = {}
        differs = _fingerprint_mismatch(manifest.get("fingerprint", {}), fingerprint)
        if differs:
            raise DataError(
                f"cannot resume: the interrupted run used other settings ({differs}); rerun "
                f"with the same settings, or with --restart to start over"
            )
        done_chunks = len(sorted(parts.glob("chunk-*.parquet")))
    elif parts.exists():
        import pyarrow.parquet as pq

        kept = sum(pq.read_metadata(f).num_rows for f in parts.glob("chunk-*.parquet"))
        if kept and not restart:  # hours of scoring are not thrown away for a forgotten flag
            raise DataError(
                f"an interrupted run left {kept:,} scored rows for this output in {parts}; add "
                "--resume to continue it, or --restart to discard them and start over"
            )
        shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    manifest_file.write_text(json.dumps({"fingerprint": fingerprint}))
    return done_chunks


def _note_failures(
    summary: ScoreSummary,
    scored: pd.DataFrame,
    chunk: pd.DataFrame,
    id_col: str | None,
    first_row: int,
    text_cols: Sequence[str],
) -> None:
    """Count the rows that failed, were read in several windows, are too short to judge, or were
    scored beside a placeholder."""
    texts, _errors = row_texts(chunk, text_cols)
    blank = blank_rows(chunk)
    cells = chunk[list(text_cols)].to_numpy(object)
    for offset, (error, text) in enumerate(zip(scored["error"], texts, strict=True)):
        label = chunk[id_col].iloc[offset] if id_col else first_row + offset + 1
        stand_ins = [v for v in cells[offset] if isinstance(v, str) and is_placeholder(v)]
        if stand_ins and not error:  # scored on the other cells: say so, it is no description
            summary.placeholder_rows += 1
            if len(summary.placeholder_examples) < 5:
                summary.placeholder_examples.append(f"{label} ({stand_ins[0].strip()[:30]!r})")
        if blank[offset]:  # Excel's ';;;;' lines: no project, so no failed one either
            summary.blank_rows += 1
        elif error:
            summary.failed += 1
            if len(summary.failures) < 50:
                summary.failures.append(f"row {label}: {error}")
                summary.failed_rows.append(
                    {
                        "row": first_row + offset + 1,
                        "id": str(label) if id_col else None,
                        "error": error,
                    }
                )
        elif is_short_text(text):
            summary.short_texts += 1
            if len(summary.short_rows) < 10:
                summary.short_rows.append(str(label))
    summary.long_texts += int((scored["windows"].fillna(0) > 1).sum())


NESTED = (dict, list, tuple, np.ndarray)  # JSON objects and arrays; Parquet lists are arrays


def _plain_cell(value: Any) -> str | None:
    """A cell as stored in a part: text, JSON text for a nested value, None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, NESTED):  # a Parquet list was written as "['a' 'b']"
        plain = value.tolist() if isinstance(value, np.ndarray) else value
        return json.dumps(plain, ensure_ascii=False, default=str)
    return str(value)


def _nested_file(part: Path) -> Path:
    """Beside each part: per column, the rows whose cells were JSON objects or arrays."""
    return part.with_name(part.name.replace(".parquet", ".nested.json"))


def _nested_cells(part: Path) -> dict[str, list[int]]:
    sidecar = _nested_file(part)
    return dict(json.loads(sidecar.read_text())) if sidecar.is_file() else {}


def _only_nested_columns(nested: dict[Path, dict[str, list[int]]]) -> set[str]:
    """Columns whose every filled cell, in every part, was a JSON object or array, with one in the
    first part (whose types the Parquet output's schema takes)."""
    import pyarrow.parquet as pq

    columns = set(next(iter(nested.values()), {}))
    for part, cells in nested.items():
        for column in list(columns):
            filled = pq.read_table(part, columns=[column]).column(0).drop_null()
            if len(filled) != len(cells.get(column, [])):
                columns.discard(column)
    return columns


# Cell types a Parquet input's object columns hold that a part keeps as they are (a date32 column,
# decimal budgets, booleans with gaps came back from score as text); a Parquet column has one type,
# so every chunk of such an input keeps the same one. A datetime.datetime object column (mixed
# zones) stays text.
_KEPT_TYPES = (datetime.date, bool, int, float)  # decimals are kept as floats (see below)


def _one_type(values: pd.Series) -> type | None:
    """The one type of a column's filled cells, or None (no cells, or several types)."""
    kinds = {type(v) for v in values if v is not None and v == v}
    return kinds.pop() if len(kinds) == 1 else None


def _write_part(frame: pd.DataFrame, path: Path, *, keep_types: bool = False) -> None:
    """One finished chunk; written under a temporary name so a half chunk never counts as done.

    Object columns are stored as text, except (with ``keep_types``, for a Parquet input) a column
    whose values all have one of :data:`_KEPT_TYPES`."""
    frame = frame.copy()
    nested: dict[str, list[int]] = {}
    for column in frame.columns:
        if frame[column].dtype == object:
            rows = np.flatnonzero(frame[column].map(lambda v: isinstance(v, NESTED)).to_numpy())
            if len(rows):
                nested[str(column)] = rows.tolist()
            kind = _one_type(frame[column]) if keep_types and not len(rows) else None
            if kind is not None and issubclass(kind, decimal.Decimal):
                # a number, not text; as a float, since each chunk's decimal type would take
                # its own precision from its own values and the parts must share one
                frame[column] = frame[column].astype(float)
            elif kind is None or not issubclass(kind, _KEPT_TYPES):
                frame[column] = frame[column].map(_plain_cell)
    _nested_file(path).write_text(json.dumps(nested))
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def _number_kinds(files: list[Path], columns: list[str]) -> dict[str, TextKind]:
    """Which text columns hold only plain numbers in every chunk (see tables.number_kind)."""
    import pyarrow.parquet as pq

    if not columns:
        return {}
    kinds: dict[str, TextKind] = dict.fromkeys(columns, "empty")
    for f in files:
        frame = pq.read_table(f, columns=[c for c, k in kinds.items() if k is not None])
        for column, values in frame.to_pandas().items():
            kinds[str(column)] = merge_kinds(kinds[str(column)], number_kind(values))
    return {c: k for c, k in kinds.items() if k in ("Int64", "float64")}


PLAIN_CSV = "separator ',', encoding utf-8"  # what a CSV output is unless the input was otherwise


def _csv_dialect(
    input_path: Path, in_format: str, out_format: str, sep: str | None, encoding: str | None
) -> Dialect:
    """How to write a CSV output: as the input CSV was written (a German Excel export with ';'
    and Windows-1252 comes back so, and opens in that Excel), else comma-separated UTF-8. UTF-16
    is written with its byte order mark, which spreadsheets need, even where the input lacked it."""
    if out_format != "csv":
        return Dialect(",", "utf-8")
    return mirrored_dialect(input_path, in_format, sep, encoding)


def _assemble(
    parts: Path,
    output: Path,
    fmt: str,
    read_as_text: list[str],
    dialect: Dialect | None = None,
) -> Dialect:
    """Concatenate the chunk files into the output, one chunk in memory at a time; returns the
    dialect a CSV output was written in (UTF-8 with a byte-order mark, which Excel reads, when a
    cell holds a character the input's encoding lacks).

    Typed outputs (Excel, Parquet, JSON Lines) get the input's plain-number text columns (a year,
    a budget read from a CSV) as numbers; CSV and TSV outputs keep every cell as it was read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    dialect = dialect or Dialect(",", "utf-8")
    files = sorted(parts.glob("chunk-*.parquet"))
    kinds = _number_kinds(files, read_as_text) if fmt in ("xlsx", "parquet", "jsonl") else {}
    nested = {f: _nested_cells(f) for f in files}
    # JSON Lines keeps every nested value (None: all); Parquet the columns that hold nothing else
    # (a list column of a Parquet input), as one column has one type there; elsewhere JSON text
    keep_nested: set[str] | None = set()
    if fmt == "jsonl":
        keep_nested = None
    elif fmt == "parquet":
        keep_nested = _only_nested_columns(nested)

    def chunk(f: Path) -> pd.DataFrame:
        frame = pq.read_table(f).to_pandas()
        for column, kind in kinds.items():
            frame[column] = as_numbers(frame[column], kind)
        for column, rows in nested[f].items():
            if keep_nested is None or column in keep_nested:
                values = frame[column].astype(object)
                values.iloc[rows] = [json.loads(v) for v in values.iloc[rows]]
                frame[column] = values
        if fmt == "jsonl" and EVIDENCE_COLUMN in frame.columns:  # an object, not JSON in a string
            frame[EVIDENCE_COLUMN] = [
                json.loads(v) if isinstance(v, str) and v else None for v in frame[EVIDENCE_COLUMN]
            ]
        return frame

    with atomic_path(output) as tmp:
        if fmt == "xlsx":
            frame = pd.concat([chunk(f) for f in files], ignore_index=True)
            frame.to_excel(tmp, index=False, engine="openpyxl")
            return dialect
        if fmt == "parquet":
            schema = _typed_schema(files, chunk)
            with pq.ParquetWriter(tmp, schema) as writer:
                for f in files:
                    writer.write_table(
                        pa.Table.from_pandas(chunk(f), schema=schema, preserve_index=False)
                    )
            return dialect
        encoding = dialect.encoding if fmt == "csv" else "utf-8"
        try:
            _write_text_table(
                tmp,
                files,
                chunk,
                fmt,
                dialect.sep,
                encoding,
                array=output.suffix.lower() == ".json",
            )
        except UnicodeEncodeError:
            dialect = Dialect(dialect.sep, "utf-8-sig")
            _write_text_table(tmp, files, chunk, fmt, dialect.sep, dialect.encoding)
        return dialect


def _typed_schema(files: list[Path], chunk: Callable[[Path], pd.DataFrame]) -> Any:
    """The schema of the first chunk as converted; a column empty there takes its type from the
    first chunk that has a value in it (it failed with 'cast to null' when the first chunk's cells
    were all empty), else from the parts. Each later chunk is read once, and only while some
    column is still untyped."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.Schema.from_pandas(chunk(files[0]), preserve_index=False)
    untyped = {field.name for field in schema if pa.types.is_null(field.type)}
    for f in files[1:]:
        if not untyped:
            break
        frame = chunk(f)
        for name in [n for n in untyped if frame[n].notna().any()]:
            typed = pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(name)
            schema = schema.set(schema.get_field_index(name), typed)
            untyped.discard(name)
    parts_schema = pq.read_schema(files[0])
    for name in untyped:
        schema = schema.set(schema.get_field_index(name), parts_schema.field(name))
    return schema


def _write_text_table(
    tmp: Path,
    files: list[Path],
    chunk: Callable[[Path], pd.DataFrame],
    fmt: str,
    sep: str,
    encoding: str,
    array: bool = False,
) -> None:
    """The chunks as one CSV, TSV or JSON Lines file (CSV with ``sep``), in ``encoding``; a CSV
    separated by ';' writes probabilities with a decimal comma, as the spreadsheets that write such
    files read them ('0.83' is no number to a German Excel). With ``array`` (an output named
    '.json') the records are one JSON array, which json.load reads (it failed on JSON Lines)."""
    sep = sep if fmt == "csv" else "\t"
    decimal = "," if sep == ";" else "."
    written = 0
    with tmp.open("w", encoding=encoding, newline="") as handle:
        if array:
            handle.write("[")
        for n, f in enumerate(files):
            frame = chunk(f)
            if fmt == "jsonl":
                # dates as ISO text ('2021-03-01T10:00:00.000+01:00'), not epoch milliseconds,
                # which profile --time-col (and a person) could not read back as a year
                lines = frame.to_json(
                    orient="records", lines=True, force_ascii=False, date_format="iso"
                )
                if array:
                    for record in lines.splitlines():
                        handle.write(("\n" if not written else ",\n") + record)
                        written += 1
                else:
                    handle.write(lines if lines.endswith("\n") else lines + "\n")
            else:
                frame.to_csv(handle, index=False, header=n == 0, sep=sep, decimal=decimal)
        if array:
            handle.write("\n]\n")


def load_for_scoring(model_path: str | Path | None, backend: str = "onnx") -> Classifier:
    """A model ready for one backend (see sdg_align.modeling.backends)."""
    from .modeling import load_classifier

    return load_classifier(model_path, backend)


class BatchScorer:
    """A picklable ``DataFrame -> DataFrame`` function for distributed engines.

    Pass it to Dask's ``map_partitions``, Ray Data's ``map_batches(batch_format="pandas")`` or
    Spark's ``mapInPandas`` (wrapped in a generator): each worker process loads the model once, on
    first use, and scores its batches with :func:`score_frame`.
    """

    _loaded: dict[tuple[str, str], Classifier] = {}

    def __init__(
        self,
        model_path: str | None = None,
        *,
        text_cols: Sequence[str] = ("text",),
        backend: str = "float32",
        explain: bool = False,
        threshold: float | None = None,
        tags: str = "balanced",
    ) -> None:
        self.model_path = model_path
        self.text_cols = list(text_cols)
        self.backend = backend
        self.explain = explain
        self.threshold = threshold
        self.tags = tags

    def classifier(self) -> Classifier:
        key = (str(self.model_path), self.backend)
        if key not in self._loaded:
            self._loaded[key] = load_for_scoring(self.model_path, self.backend)
        return self._loaded[key]

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        return score_frame(
            batch,
            self.classifier(),
            text_cols=self.text_cols,
            threshold=self.threshold,
            tags=self.tags,
            explain=self.explain,
        )
