"""Reading and writing the tables users bring: CSV, TSV, JSON Lines, Parquet and Excel.

Formats are picked by file extension (or named explicitly). Spreadsheets exported in Europe are
often not comma-separated UTF-8: a CSV's separator is detected (the extension's default when it
parses consistently, else ``;``, tab or ``|``) and its encoding too (UTF-8, with or without a byte
order mark, else the Windows code page of Excel's European locales that reads the text as words:
Western, or Central European for Polish, Czech and Hungarian); ``--sep`` and
``--encoding`` override both. Every read error becomes one :class:`DataError` line, whether the
table is read whole or in chunks, and every write is atomic: a temporary file beside the target is
renamed over it, so a crash never leaves a half-written output in place of the real one.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import functools
import io
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError

FORMATS = ("csv", "tsv", "jsonl", "parquet", "xlsx")
TEXT_READ_FORMATS = ("csv", "tsv", "xlsx")  # read with every cell as text (nothing reinterpreted)
ID_COLUMNS = ("project_id", "id")  # what names a project where --id-col is not given
# ... and, compared as _name_key does, what cluster sheets in other languages call it
OTHER_ID_NAMES = (
    "project number", "project no", "project nr", "project code", "Projekt-ID", "Projektnummer",
    "Projekt-Nr", "N° projet", "numéro de projet", "ID projet", "code projet", "projectnummer",
    "projectcode", "ID projektu", "Nr projektu", "numer projektu", "código de proyecto",
    "ID proyecto", "codice progetto", "ID progetto",
)  # fmt: skip
ID_COL_HELP = (
    "Column naming each project (default: project_id, else id, where there is one; "
    "'Project ID', 'ID', 'Projekt-ID', 'N° projet', 'Nr projektu' ... count too)."
)


def guess_id_column(columns: Sequence[object]) -> str | None:
    """The first of ``ID_COLUMNS`` a table has, so every command names a project the same way.

    Names are compared without case, spaces or punctuation: a cluster's sheet says 'Project ID'
    (it was keyed by row number, which a sorted or trimmed table silently breaks).
    """
    for wanted in (*ID_COLUMNS, *OTHER_ID_NAMES):
        for column in columns:
            if _name_key(str(column)) == _name_key(wanted):
                return str(column)
    return None


def _name_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def find_column(columns: Sequence[object], wanted: str) -> str | None:
    """The column named ``wanted``, else the one column that differs from it only in case,
    spaces or punctuation ('Title', 'SDGs ', 'project-id'): spreadsheets capitalise headers and
    keep stray spaces, and refusing them sent a new user hunting for an invisible difference."""
    names = [str(c) for c in columns]
    if wanted in names:
        return wanted
    close = [n for n in names if _name_key(n) == _name_key(wanted)]
    return close[0] if len(close) == 1 else None


_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xls": "xlsx",
}
SEPARATORS = (",", ";", "\t", "|")
# What Excel writes for "CSV" in European locales; the first is the fallback when both read alike.
LEGACY_ENCODINGS = {"cp1252": "Windows Western European", "cp1250": "Windows Central European"}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
EXCEL_CELL_LIMIT = 32_767  # characters; Excel cuts longer cells


# What the title and description columns are called in the languages sdg-align reads; a French
# sheet's 'titre' was dropped beside its 'description' (6 of 21 projects got other tags).
TITLE_COLUMNS = (
    "title", "project title", "titel", "projekttitel", "titre", "titre du projet", "título",
    "titulo", "titolo", "tytuł", "tytul", "tytuł projektu", "projecttitel",
)  # fmt: skip
DESCRIPTION_COLUMNS = (
    "description", "project description", "beschreibung", "projektbeschreibung", "descripción",
    "descripcion", "descrizione", "descrição", "descricao", "beschrijving", "omschrijving",
    "opis", "opis projektu", "beskrivning", "projektbeskrivning",
)  # fmt: skip


def default_text_columns(columns: Sequence[object]) -> list[str]:
    """``text`` when a table has it, else its title and description columns (those it has,
    named in English or as in ``TITLE_COLUMNS`` and ``DESCRIPTION_COLUMNS``).

    One rule for ``score``, ``profile`` and ``review``, so a portfolio with title and description
    columns needs no ``--text-col`` in any of them. With neither, ``["text"]``, whose absence the
    caller reports with the columns the table does have.
    """
    text = find_column(columns, "text")
    if text is not None:
        return [text]
    found = (_first_column(columns, names) for names in (TITLE_COLUMNS, DESCRIPTION_COLUMNS))
    return [c for c in found if c is not None] or ["text"]


def _first_column(columns: Sequence[object], names: Sequence[str]) -> str | None:
    for name in names:
        column = find_column(columns, name)
        if column is not None:
            return column
    return None


def text_columns_or_default(
    columns: Sequence[object], text_cols: Sequence[str] | None, *, hint: str = ""
) -> list[str]:
    """``text_cols`` when given, else :func:`default_text_columns`, which must all be there.

    The one error for a table with no default text column; ``hint`` adds what else would do.
    """
    if text_cols:
        return list(text_cols)
    chosen = default_text_columns(columns)
    if not set(chosen) <= {str(c) for c in columns}:
        raise DataError(
            "expected a text column 'text', or 'title' and 'description' (or 'titre', 'Titel', "
            "'descripción', 'Beschreibung', ...); the input has: "
            f"{', '.join(map(str, columns))}. Use --text-col to choose one{hint}"
            + header_hint(columns)
        )
    return chosen


def header_hint(columns: Sequence[object]) -> str:
    """A hint when most column names are pandas' 'Unnamed: 3': the header is not the first row
    (a title or a note above the table), so the real column names were read as data."""
    names = [str(c) for c in columns]
    if not names or sum(n.startswith("Unnamed: ") for n in names) < len(names) / 2:
        return ""
    return (
        ". Most columns have no name: is the header row below a title or notes? Delete the rows "
        "above the header (or save the table without them)"
    )


# A project description kept as a document, not a table: its text goes to classify.
DOCUMENT_EXTENSIONS = (".pdf", ".docx", ".doc", ".odt", ".rtf", ".pptx")
DOCUMENT_ADVICE = (
    "a document, not a table: save its text as a .txt file and run "
    "'sdg-align classify -f FILE.txt', or put each project's text in a row of a .csv or .xlsx"
)


def detect_format(path: str | Path, fmt: str | None = None, option: str | None = "--format") -> str:
    """The table format for ``path``: ``fmt`` when given, else from the extension.

    ``option`` is the command's option that names a format, suggested when the extension does not
    tell (None where the command has none: the labelled files of train and evaluate).
    """
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise DataError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        resave = ""
        if suffix in (".ods", ".numbers", ".xlsb"):
            resave = " (a LibreOffice, Numbers or binary Excel workbook: save it as .xlsx or .csv)"
        elif suffix in DOCUMENT_EXTENSIONS:
            resave = f" ({DOCUMENT_ADVICE})"
        raise DataError(
            f"cannot tell the format of '{path}' from its extension '{suffix}'{resave}; "
            f"use one of {', '.join(sorted(_EXTENSIONS))}"
            + (f" or pass {option}" if option else "")
        )
    return _EXTENSIONS[suffix]


def output_format(path: str | Path, fmt: str | None = None, option: str | None = "--format") -> str:
    """:func:`detect_format` for a file to write: an old ``.xls`` name would hold an .xlsx workbook
    that Excel warns about, so it is refused."""
    found = detect_format(path, fmt, option)
    if found == "xlsx" and Path(path).suffix.lower() == ".xls":
        raise DataError(f"cannot write the old Excel format .xls ({path}); name the file .xlsx")
    return found


@dataclass(frozen=True)
class Dialect:
    """How a delimited text file is written: what was detected (or given)."""

    sep: str
    encoding: str

    def describe(self) -> str:
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
        return f"{names.get(self.sep, repr(self.sep))}-separated, {self.encoding}"


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without a byte order mark) when the bytes decode as such, else the Windows
    code page that reads them as words (see :func:`legacy_encoding`).

    A UTF-16 byte order mark means UTF-16: Excel's "Unicode Text" export writes it. Some tools
    write UTF-16 without the mark; its zero bytes give it away (read as UTF-8, every second
    character was a NUL and no column was found).
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    bare_utf16 = utf16_without_mark(sample)
    if bare_utf16:
        return bare_utf16
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            return legacy_encoding(sample)
    return "utf-8"


def legacy_encoding(sample: bytes) -> str:
    """The code page of :data:`LEGACY_ENCODINGS` under which the fewest words are broken by
    symbols. Polish 'ł', 'ą', 'ż' read as cp1252 are '³', '¹', '¿' inside words, while Western
    text reads as letters under both and keeps cp1252. Only the lines that are not UTF-8 count:
    a file put together from two sources has UTF-8 lines too."""
    sample = b"".join(line for line in sample.splitlines(keepends=True) if not _is_utf8(line))
    broken = {
        name: _broken_words(sample.decode(name, errors="replace")) for name in LEGACY_ENCODINGS
    }
    return min(LEGACY_ENCODINGS, key=broken.__getitem__)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _broken_words(text: str) -> int:
    """Non-ASCII characters that are not letters but stand between two letters ('wspóln¹')."""
    return sum(
        1
        for match in _NON_ASCII.finditer(text, 1, len(text) - 1)
        if not match.group().isalpha()
        and text[match.start() - 1].isalpha()
        and text[match.start() + 1].isalpha()
    )


def utf16_without_mark(sample: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the zero bytes sit where UTF-16 puts them for Latin text."""
    sample = sample[:2000]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if half and odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if half and even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def detect_separator(text: str, preferred: str) -> str:
    """The separator that splits the first records into one consistent number of fields (> 1)."""
    for sep in (preferred, *[s for s in SEPARATORS if s != preferred]):
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))[:-1] or [[]]  # last may be cut
        widths = {len(row) for row in rows[:50] if row}
        if len(widths) == 1 and widths.pop() > 1:
            return sep
    return preferred


def sniff(path: Path, fmt: str, sep: str | None = None, encoding: str | None = None) -> Dialect:
    """The separator and encoding of a CSV/TSV file; given values win over detection."""
    with path.open("rb") as handle:
        sample = handle.read(65_536)
    encoding = encoding or detect_encoding(sample)
    if sep is None:
        text = sample.decode(encoding, errors="replace")
        sep = detect_separator(text, "," if fmt == "csv" else "\t")
    return Dialect(sep=sep, encoding=encoding)


@contextlib.contextmanager
def _reading(path: Path, fmt: str, encoding: str | None) -> Iterator[None]:
    """The one error policy of every reader: a DataError line that says what to do."""
    try:
        yield
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        offset = _first_bad_byte(path, encoding or "utf-8")
        raise DataError(
            f"cannot read {path} as {encoding or 'UTF-8'} text (byte {offset}); pass the file's "
            "encoding with --encoding (e.g. cp1252, cp1250, latin-1) or save it as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:  # pandas: 'No columns to parse from file'
        raise DataError(f"{path} is empty: no header row and no rows") from exc
    except Exception as exc:  # pandas raises many types; the user needs one clear line
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path} as {fmt}: {first_line}") from exc


def _first_bad_byte(path: Path, encoding: str) -> int | str:
    try:
        path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start
    except (OSError, LookupError):
        return "?"
    return "?"


def _check(path: Path, fmt: str | None) -> str:
    fmt = detect_format(path, fmt)
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    return fmt


def check_text_columns(columns: Sequence[object], text_cols: Sequence[str]) -> None:
    """Refuse text columns the table lacks, naming the ones it has."""
    missing = [c for c in text_cols if c not in columns]
    if missing:
        raise DataError(
            f"text column(s) not found: {', '.join(missing)}"
            f"{''.join(did_you_mean(columns, c) for c in missing)}; the input has: "
            f"{', '.join(map(str, columns))}. Use --text-col to choose" + header_hint(columns)
        )


def did_you_mean(columns: Sequence[object], wanted: str) -> str:
    """' (did you mean 'Budżet'?)' for the column a mistyped name is closest to, else ''.

    Names are compared without case, accents or punctuation, so 'Budzet' finds 'Budżet' and
    'biuro' finds 'Biuro': a list of 29 columns hid the one a user had typed without its 'ż'.
    """
    folded: dict[str, str] = {}
    for name in map(str, columns):
        folded.setdefault(_folded(name), name)
    close = difflib.get_close_matches(_folded(wanted), list(folded), n=1, cutoff=0.8)
    return f" (did you mean '{folded[close[0]]}'?)" if close else ""


def _folded(name: str) -> str:
    """A column name without case, accents or punctuation ('Budżet ' -> 'budzet')."""
    return re.sub(r"[\W_]+", "", without_accents(name).casefold())


# Letters Unicode does not decompose into a base letter and an accent, spelt out.
_NOT_DECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae",
                                  "Æ": "AE", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D"})  # fmt: skip


def without_accents(text: str) -> str:
    """``text`` with its accents dropped and letters like 'ł' spelt out ('Łódź' -> 'Lodz'); letters
    of other scripts stay. Column names and file names compare and read this way."""
    plain = unicodedata.normalize("NFKD", text.translate(_NOT_DECOMPOSED))
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"  # the compound-file header of Excel 97-2003 .xls files


def excel_source(path: Path) -> Path | io.BytesIO:
    """What openpyxl can open: the path of an .xlsx workbook, the bytes of one named .xls (it
    refuses the name), or an error that says to save an Excel 97-2003 file as .xlsx."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == OLD_EXCEL_MAGIC:
        raise DataError(
            f"{path} is an Excel 97-2003 workbook (.xls), which cannot be read here; open it in "
            "Excel or LibreOffice and save it as .xlsx (or CSV)"
        )
    if path.suffix.lower() != ".xlsx" and magic.startswith(b"PK"):
        return io.BytesIO(path.read_bytes())
    return path


def excel_sheets(path: Path) -> list[str]:
    """The sheet names of a workbook, in order (read-only: cheap even for a large workbook)."""
    from openpyxl import load_workbook

    workbook = load_workbook(excel_source(path), read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def choose_sheet(path: Path, fmt: str, sheet: str | None) -> str | None:
    """The sheet of an Excel input to read: ``sheet`` by name or number (1 = first), else the first.

    Cluster workbooks often open on a cover or README sheet; ``--sheet`` picks the projects.
    """
    if fmt != "xlsx":
        if sheet is not None:
            raise DataError(f"--sheet is for Excel inputs; {path.name} is read as {fmt}")
        return None
    with _reading(path, fmt, None):
        names = excel_sheets(path)
    if sheet is None:
        return names[0] if names else None
    if sheet in names:
        return sheet
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    raise DataError(
        f"{path.name} has no sheet {sheet!r}{did_you_mean(names, sheet)}; its sheets: "
        f"{', '.join(names)}"
    )


def decimal_matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """:func:`decimal_numbers` of several columns side by side, (rows, columns): a scored
    file's probabilities, however a spreadsheet saved them."""
    return np.column_stack([decimal_numbers(frame[c]) for c in columns])


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for rows whose every cell is empty: spreadsheets export them (';;;;' at a table's end)
    and they are no project, so they are counted apart from rows that failed."""
    if frame.empty or not len(frame.columns):
        return np.zeros(len(frame), dtype=bool)
    return frame.map(_is_blank_cell).all(axis=1).to_numpy(dtype=bool)


def is_missing(value: object) -> bool:
    """Whether a cell is missing as pandas stores it: None, NaN, NaT or ``pd.NA``, the missing
    value of 'string' and Arrow-backed columns (``str(pd.NA)`` is '<NA>', which was scored)."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, (float, np.floating)) and bool(np.isnan(value)))
    )


def _is_blank_cell(value: object) -> bool:
    if is_missing(value):
        return True
    return isinstance(value, str) and not value.strip()


def decimal_numbers(series: pd.Series) -> np.ndarray:
    """Numbers of a column, NaN where a cell is not one; a decimal comma (``0,83``, as a German or
    French spreadsheet saves a scored file) reads as a decimal point."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float)
    text = series.astype(str).str.strip()
    comma_only = text.str.fullmatch(r"[-+]?\d*,\d+")
    text = text.where(~comma_only, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def sheet_count(path: str | Path, fmt: str | None = None) -> int:
    """How many sheets a workbook has (1 for any other table, or an unreadable workbook)."""
    try:
        if detect_format(path, fmt) != "xlsx":
            return 1
        return len(excel_sheets(Path(path)))
    except Exception:  # the reader itself reports an unreadable file
        return 1


def sheet_note(path: str | Path, fmt: str | None, sheet: str | None) -> str | None:
    """A line for stderr when a workbook has several sheets and none was chosen."""
    path = Path(path)
    if sheet is not None or not path.is_file():
        return None
    try:  # an unknown extension is reported by the reader, with the command's own option
        if detect_format(path, fmt) != "xlsx":
            return None
        names = excel_sheets(path)
    except Exception:  # the reader itself reports an unreadable workbook
        return None
    if len(names) < 2:
        return None
    return (
        f"reading sheet {names[0]!r} of {path.name} (the first of {len(names)}: "
        f"{', '.join(names)}); --sheet chooses another"
    )


HEADER_SEARCH_ROWS = 30  # a title or notes above a sheet's header are looked for this far down


def excel_header_row(path: Path, sheet_name: str | None) -> int:
    """The 0-based row of a sheet that holds its column names: 0, unless the first row is a
    title, a note or blank (one filled cell at most, where a row near the top fills several) and
    a later row is filled like a header. A Polish office's sheet opened on 'Portfolio 2024'.

    Remembered per file version: a command asks for its note, its rows and its row count."""
    stat = path.stat()
    return _excel_header_row(str(path.resolve()), sheet_name, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _excel_header_row(path: str, sheet_name: str | None, mtime_ns: int, size: int) -> int:
    top = pd.read_excel(
        excel_source(Path(path)),
        sheet_name=sheet_name or 0,
        header=None,
        nrows=HEADER_SEARCH_ROWS,
        dtype=str,
        keep_default_na=False,
    )
    filled = [sum(bool(str(v).strip()) for v in row) for row in top.itertuples(index=False)]
    widest = max(filled, default=0)
    if widest < 2 or filled[0] > 1:
        return 0
    return next(i for i, n in enumerate(filled) if n >= max(2, 0.6 * widest))


_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")


def _read_excel(path: Path, sheet_name: str | None) -> pd.DataFrame:
    """A sheet with every cell as text; a date cell reads '2024-04-01', not '2024-04-01 00:00:00'
    (which a scored copy of the sheet carried into every output)."""
    frame = pd.read_excel(
        excel_source(path),
        sheet_name=sheet_name or 0,
        header=excel_header_row(path, sheet_name),
        dtype=str,
        keep_default_na=False,
    )
    for column in frame.columns:
        values = frame[column]
        if (
            pd.api.types.is_string_dtype(values)
            and values.str.contains(" 00:00:00", regex=False).any()
        ):
            frame[column] = values.str.replace(_MIDNIGHT, r"\1", regex=True)
    return frame


def header_note(path: str | Path, fmt: str | None, sheet: str | None) -> str | None:
    """A line for stderr when a sheet's column names are not in its first row."""
    path = Path(path)
    try:
        if not path.is_file() or detect_format(path, fmt) != "xlsx":
            return None
        name = choose_sheet(path, "xlsx", sheet)
        row = excel_header_row(path, name)
    except Exception:  # the reader itself reports an unreadable workbook
        return None
    if not row:
        return None
    return (
        f"reading the column names of {path.name} from row {row + 1}: the {row} row(s) above "
        "look like a title or notes and are left out"
    )


def read_table(
    path: str | Path,
    fmt: str | None = None,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read a whole table; all cells of text-like columns stay strings (ids are not mangled)."""
    path = Path(path)
    fmt = _check(path, fmt)
    sheet_name = choose_sheet(path, fmt, sheet)
    with _reading(path, fmt, encoding):
        if fmt in ("csv", "tsv"):
            dialect = sniff(path, fmt, sep, encoding)
            return pd.read_csv(
                path, sep=dialect.sep, encoding=dialect.encoding, dtype=str, keep_default_na=False
            )
        if fmt == "jsonl":
            return _read_json_records(path)
        if fmt == "parquet":
            return pd.read_parquet(path)
        return _read_excel(path, sheet_name)


def _json_array(path: Path) -> bool:
    """Whether a .json file holds one JSON array (of records) rather than one object per line,
    or an API's envelope around one ({"count": 42, "results": [...]})."""
    with path.open("rb") as handle:
        start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"[") or (
        start.startswith(b"{") and path.suffix.lower() == ".json" and _envelope(path) is not None
    )


def _envelope(path: Path) -> list[Any] | None:
    """The one list of objects a JSON object wraps, as an API returns its results (it was read
    as a single row), else None."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, OSError):
        return None
    if not isinstance(document, dict):
        return None
    lists = [
        value
        for value in document.values()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]
    return lists[0] if len(lists) == 1 else None


def _read_json_records(path: Path) -> pd.DataFrame:
    """JSON Lines, or a JSON array of objects (what most tools export as .json), or an API's
    envelope around one."""
    if not _json_array(path):
        return pd.read_json(path, lines=True, dtype=False)
    records = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(records, dict):
        records = _envelope(path) or []
    if not all(isinstance(r, dict) for r in records):
        raise DataError(
            f"{path} is a JSON array, but not of objects (one per project, e.g. "
            '[{"title": "...", "description": "..."}])'
        )
    return pd.DataFrame.from_records(records)


def read_input(
    path: str,
    fmt: str | None = None,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """A table by path (see :func:`read_table`), or ``-``: CSV, TSV or JSON Lines on stdin."""
    if path != "-":
        return read_table(path, fmt, sep=sep, encoding=encoding, sheet=sheet)
    if sheet is not None:
        raise DataError("--sheet is for Excel inputs; stdin is read as CSV, TSV or JSON Lines")
    fmt = fmt or "csv"
    if fmt not in ("csv", "tsv", "jsonl"):
        raise DataError(f"stdin can be csv, tsv or jsonl, not {fmt}; pass a file instead")
    stream = sys.stdin.buffer
    try:
        if fmt == "jsonl":
            return pd.read_json(stream, lines=True, dtype=False)
        sep = sep or ("," if fmt == "csv" else "\t")
        return pd.read_csv(stream, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read stdin as {fmt}: {str(exc).strip().splitlines()[0]}") from exc


def iter_table_chunks(
    path: str | Path,
    fmt: str | None = None,
    chunk_rows: int = 10_000,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the table in chunks so memory stays flat on very large inputs.

    CSV, TSV, JSON Lines and Parquet stream; Excel files are read whole (the format cannot stream).
    """
    path = Path(path)
    fmt = _check(path, fmt)
    sheet_name = choose_sheet(path, fmt, sheet)
    with _reading(path, fmt, encoding):
        if fmt in ("csv", "tsv"):
            dialect = sniff(path, fmt, sep, encoding)
            yield from pd.read_csv(
                path,
                sep=dialect.sep,
                encoding=dialect.encoding,
                dtype=str,
                keep_default_na=False,
                chunksize=chunk_rows,
            )
        # JSON's types kept: a whole number stays one beside a null (a year read 2023.0), and so
        # does a boolean (it read 'True')
        elif fmt == "jsonl" and _json_array(path):  # one array: read whole, like a workbook
            frame = _read_json_records(path).convert_dtypes(dtype_backend="numpy_nullable")
            for start in range(0, len(frame), chunk_rows):
                yield frame.iloc[start : start + chunk_rows]
        elif fmt == "jsonl":
            yield from pd.read_json(
                path, lines=True, dtype=False, chunksize=chunk_rows, dtype_backend="numpy_nullable"
            )
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        else:
            frame = _read_excel(path, sheet_name)
            for start in range(0, len(frame), chunk_rows):
                yield frame.iloc[start : start + chunk_rows]


def count_rows(
    path: str | Path,
    fmt: str | None = None,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> int | None:
    """How many data rows a table has, cheaply (for progress totals); None when unknown."""
    path = Path(path)
    try:
        fmt = _check(path, fmt)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt == "jsonl":
            if _json_array(path):
                return len(_read_json_records(path))
            with path.open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        if fmt in ("csv", "tsv"):
            dialect = sniff(path, fmt, sep, encoding)
            with path.open(encoding=dialect.encoding, errors="replace", newline="") as handle:
                return max(0, sum(1 for _ in csv.reader(handle, delimiter=dialect.sep)) - 1)
        from openpyxl import load_workbook

        name = choose_sheet(path, fmt, sheet)
        rows = load_workbook(excel_source(path), read_only=True)[str(name)].max_row
        return max(0, (rows or 1) - 1 - excel_header_row(path, name))
    except Exception:  # a progress total is a nicety: never fail a run over it
        return None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as exc:  # it named '/proc/.report.html.l75hztlh.partial', a file never seen
        raise DataError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; outputs are not
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def check_excel_cells(frame: pd.DataFrame, path: str | Path) -> None:
    """Excel cuts cells longer than 32,767 characters: refuse rather than lose text silently."""
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        too_long = values.map(lambda v: isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT)
        if too_long.any():
            raise DataError(
                f"cannot write {path}: {int(too_long.sum())} cell(s) of column '{column}' are "
                f"longer than Excel's limit of {EXCEL_CELL_LIMIT:,} characters and would be cut; "
                "write .csv, .jsonl or .parquet instead"
            )


# Cells read as text that are plainly numbers: no sign but '-', no leading zero, no exponent, at
# most 15 significant digits (what a spreadsheet keeps), and a decimal whose shortest float repr is
# itself ('2.50' stays text). Only such cells can become numbers without changing what they say.
_INTEGER = r"-?(?:0|[1-9]\d{0,14})"
_DECIMAL = r"-?(?:0|[1-9]\d{0,14})\.\d{1,15}"
TextKind = str | None  # "Int64", "float64", "empty" (no value to judge) or None (text)


def number_kind(values: pd.Series) -> TextKind:
    """Whether a column read as text holds only plain numbers (empty cells allowed), and which.

    A score of a CSV or Excel sheet reads every cell as text so that nothing is reinterpreted on
    the way (an id '007' keeps its zeros). Typed outputs (Parquet, Excel, JSON Lines) should still
    carry a year or a budget as a number, or a spreadsheet cannot add the budgets up.
    """
    text = values.dropna().astype(str)
    text = text[text != ""]
    if text.empty:
        return "empty"
    integer = text.str.fullmatch(_INTEGER)
    if integer.all():
        return "Int64"
    decimal = text.str.fullmatch(_DECIMAL)
    if not (integer | decimal).all():
        return None
    if all(repr(float(v)) == v for v in text[decimal]):
        return "float64"
    return None


def merge_kinds(first: TextKind, second: TextKind) -> TextKind:
    """The kind of a column made of two parts (chunks) of the given kinds."""
    if first == "empty":
        return second
    if second == "empty":
        return first
    if first is None or second is None:
        return None
    return "Int64" if first == second == "Int64" else "float64"


def as_numbers(values: pd.Series, kind: TextKind) -> pd.Series:
    """A text column of :func:`number_kind` ``kind`` as numbers (empty cells become missing)."""
    if kind not in ("Int64", "float64"):
        return values
    numbers = pd.to_numeric(values.replace("", None), errors="raise")
    return numbers.astype(kind)


def mirrored_dialect(
    path: str | Path, fmt: str | None, sep: str | None = None, encoding: str | None = None
) -> Dialect:
    """How to write a CSV made from an input: as the input CSV was written (a German Excel
    export with ';' and Windows-1252 comes back so, and opens in that Excel), else
    comma-separated UTF-8. UTF-16 is written with its byte order mark, which spreadsheets need,
    even where the input lacked it."""
    if str(path) == "-" or detect_format(path, fmt) != "csv":
        return Dialect(",", "utf-8")
    read = sniff(Path(path), "csv", sep, encoding)
    if codecs.lookup(read.encoding).name in ("utf-16-le", "utf-16-be"):
        return Dialect(read.sep, "utf-16")
    return read


def write_table(
    frame: pd.DataFrame, path: str | Path, fmt: str | None = None, dialect: Dialect | None = None
) -> Dialect | None:
    """Write ``frame`` atomically in the format of ``path`` (or ``fmt``); a CSV in ``dialect``
    (numbers with a decimal comma where ';' separates, as spreadsheets that write such files
    read them). Returns the dialect a CSV was written in: UTF-8 with a byte order mark when a
    cell holds a character the dialect's encoding lacks."""
    fmt = output_format(path, fmt)
    if fmt == "xlsx":
        check_excel_cells(frame, path)
    if fmt == "csv" and dialect is not None:
        decimal = "," if dialect.sep == ";" else "."
        for attempt in (dialect, Dialect(dialect.sep, "utf-8-sig")):
            try:
                with atomic_path(path) as tmp:
                    frame.to_csv(
                        tmp,
                        index=False,
                        sep=attempt.sep,
                        encoding=attempt.encoding,
                        decimal=decimal,
                    )
                return attempt
            except UnicodeEncodeError:
                if attempt.encoding == "utf-8-sig":
                    raise
    with atomic_path(path) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        elif fmt == "tsv":
            frame.to_csv(tmp, index=False, sep="\t")
        elif fmt == "jsonl":  # '.json' is one array, which json.load reads; '.jsonl' a line each
            array = Path(path).suffix.lower() == ".json"
            frame.to_json(
                tmp,
                orient="records",
                lines=not array,
                force_ascii=False,
                date_format="iso",
                indent=1 if array else None,
            )
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_excel(tmp, index=False, engine="openpyxl")
    return Dialect(",", "utf-8") if fmt == "csv" else None


def write_text(text: str, path: str | Path) -> None:
    """Write a text file atomically (reports, JSON, Markdown)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
