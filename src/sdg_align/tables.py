"""Reading and writing the tables users bring: CSV, TSV, JSON Lines, Parquet and Excel.

Formats are picked by file extension (or named explicitly), every read error becomes a one-line
:class:`DataError`, and every write is atomic: a temporary file beside the target is renamed over it,
so a crash never leaves a half-written output in place of the real one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .errors import DataError

FORMATS = ("csv", "tsv", "jsonl", "parquet", "xlsx")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xls": "xlsx",
}


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The table format for ``path``: ``fmt`` when given, else from the extension."""
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise DataError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise DataError(
            f"cannot tell the format of '{path}' from its extension '{suffix}'; "
            f"use one of {', '.join(sorted(_EXTENSIONS))} or pass --format"
        )
    return _EXTENSIONS[suffix]


def read_table(path: str | Path, fmt: str | None = None) -> pd.DataFrame:
    """Read a whole table; all cells of text-like columns stay strings (ids are not mangled)."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    try:
        if fmt in ("csv", "tsv"):
            return pd.read_csv(
                path, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False
            )
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        if fmt == "parquet":
            return pd.read_parquet(path)
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"cannot read {path}: it is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8 and try again"
        ) from exc
    except Exception as exc:  # pandas raises many types; the user needs one clear line
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path} as {fmt}: {first_line}") from exc


def iter_table_chunks(
    path: str | Path, fmt: str | None = None, chunk_rows: int = 10_000
) -> Iterator[pd.DataFrame]:
    """Yield the table in chunks so memory stays flat on very large inputs.

    CSV, TSV, JSON Lines and Parquet stream; Excel files are read whole (the format cannot stream).
    """
    path = Path(path)
    fmt = detect_format(path, fmt)
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    try:
        if fmt in ("csv", "tsv"):
            yield from pd.read_csv(
                path,
                sep="," if fmt == "csv" else "\t",
                dtype=str,
                keep_default_na=False,
                chunksize=chunk_rows,
            )
        elif fmt == "jsonl":
            yield from pd.read_json(path, lines=True, dtype=False, chunksize=chunk_rows)
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        else:
            frame = read_table(path, fmt)
            for start in range(0, len(frame), chunk_rows):
                yield frame.iloc[start : start + chunk_rows]
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(
            f"cannot read {path}: it is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8 and try again"
        ) from exc
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path} as {fmt}: {first_line}") from exc


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; outputs are not
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str | None = None) -> None:
    """Write ``frame`` atomically in the format of ``path`` (or ``fmt``)."""
    fmt = detect_format(path, fmt)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        elif fmt == "tsv":
            frame.to_csv(tmp, index=False, sep="\t")
        elif fmt == "jsonl":
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_excel(tmp, index=False, engine="openpyxl")


def write_text(text: str, path: str | Path) -> None:
    """Write a text file atomically (reports, JSON, Markdown)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
