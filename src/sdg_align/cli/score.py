"""``sdg-align score``: batch-score a portfolio file (CSV, TSV, JSON Lines, Parquet, Excel)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import DataError, Interrupted
from ..tables import ID_COL_HELP
from ._common import (
    backend_option,
    check_dialect_options,
    check_output_locations,
    check_tags_or_threshold,
    dialect_options,
    friendly_errors,
    input_format_option,
    model_option,
    quiet_option,
    say_which_sheet,
    sheet_option,
    tags_option,
    threshold_option,
)


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Output file; its extension picks the format (or --output-format). '-': stdout (CSV "
    "unless --output-format says tsv or jsonl).",
)
@click.option(
    "--text-col",
    multiple=True,
    help="Text column; repeat to join several (e.g. title and description). Default: text, "
    "else title and description.",
)
@click.option("--id-col", help=ID_COL_HELP)
@input_format_option
@click.option(
    "--output-format",
    "out_format",
    type=click.Choice(["csv", "tsv", "jsonl", "parquet", "xlsx"]),
    help="Output format, when the extension of --output does not tell.",
)
@dialect_options
@sheet_option
@model_option
@tags_option
@threshold_option
@click.option("--explain", is_flag=True, help="Add an evidence column (targets and sentences).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last chunk.")
@click.option(
    "--restart", is_flag=True, help="Discard the rows an interrupted run kept and start over."
)
@backend_option
@click.option(
    "--batch-size",
    default=16,
    show_default=True,
    type=click.IntRange(1),
    help="Windows per forward pass (16 was fastest on 2 cores; see README).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(1),
    help="Rows read, scored and saved at a time: memory stays flat, and --resume continues "
    "from the last saved chunk (default 500; a resumed run keeps the interrupted run's).",
)
@click.option("--threads", type=click.IntRange(1), help="CPU threads (default: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON run summary on stdout.")
@quiet_option
@friendly_errors
def score(
    input_path: str,
    output_path: str,
    text_col: tuple[str, ...],
    id_col: str | None,
    in_format: str | None,
    out_format: str | None,
    sep: str | None,
    encoding: str | None,
    sheet: str | None,
    model_path: str | None,
    tags: str,
    threshold: float | None,
    explain: bool,
    resume: bool,
    restart: bool,
    backend: str,
    batch_size: int,
    chunk_rows: int | None,
    threads: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Score every row of INPUT and write it with SDG columns to --output.

    \b
    Examples:
      sdg-align score examples/portfolio.csv --text-col title --text-col description -o scored.csv
      sdg-align score projects.parquet -o scored.parquet --explain --resume
      sdg-align score cluster.xlsx --sheet Projects -o scored.xlsx
    """
    from ..modeling.windows import short_texts_message
    from ..runtime import configure_threads
    from ..scoring import PLAIN_CSV, load_for_scoring, score_file

    check_tags_or_threshold(threshold)
    if resume and restart:
        raise click.UsageError("--resume continues an interrupted run, --restart discards it")
    configure_threads(threads)
    sep, encoding = check_dialect_options(sep, encoding)
    if output_path == "-" and as_json:
        raise click.UsageError(
            "--json prints a run summary on stdout: write the scores with -o FILE"
        )
    check_output_locations({"-o": output_path})
    with _through_files(input_path, output_path, in_format, out_format, resume) as files:
        input_file, output_file, in_format, out_format = files
        _note_dialect(input_file, in_format, sep, encoding, quiet)
        say_which_sheet(input_file, in_format, sheet)
        classifier = load_for_scoring(model_path, backend)
        summary = score_file(
            input_file,
            output_file,
            classifier,
            text_cols=list(text_col) or None,
            id_col=id_col,
            in_format=in_format,
            out_format=out_format,
            sep=sep,
            encoding=encoding,
            sheet=sheet,
            threshold=threshold,
            tags=tags,
            explain=explain,
            resume=resume,
            restart=restart,
            chunk_rows=chunk_rows,
            batch_size=batch_size,
            progress=not quiet,
        )
    if not quiet:
        kept = summary.resumed_rows
        click.echo(
            f"{'read' if summary.failed else 'scored'} {_rows(summary.rows - kept)} in "
            f"{summary.seconds:.1f}s ({summary.rows_per_second:.1f} rows/s)"
            + (f" and kept {_rows(kept)} from the interrupted run" if kept else "")
            + (f"; {summary.failed} could not be scored (below)" if summary.failed else "")
            + " -> "
            + ("stdout" if output_path == "-" else output_path),
            err=True,
        )
        if summary.csv_dialect not in (None, PLAIN_CSV):
            click.echo(
                f"the CSV output is written as the input was: {summary.csv_dialect}", err=True
            )
        if summary.replaced_columns:
            click.echo(
                "the input was scored before: its columns "
                f"{', '.join(summary.replaced_columns)} were replaced by this run's",
                err=True,
            )
        if not text_col:
            click.echo(
                f"read the text of column(s) {', '.join(map(repr, summary.text_columns))} "
                "(--text-col chooses others)",
                err=True,
            )
        if summary.long_texts:
            click.echo(
                f"{summary.long_texts} long {'text was' if summary.long_texts == 1 else 'texts were'}"
                " read in several windows",
                err=True,
            )
    # Warnings show even with --quiet (it silences progress): a failed row must not pass unseen.
    if summary.short_texts:
        message = short_texts_message(summary.short_texts, summary.short_rows)
        click.echo(f"warning: {message}", err=True)
    if summary.placeholder_rows:
        n, examples = summary.placeholder_rows, summary.placeholder_examples
        holds = "holds" if n == 1 else "hold"
        was = "was" if n == 1 else "were"
        click.echo(
            f"note: {_rows(n)} {holds} a placeholder in a text column and {was} scored on the "
            f"other column(s) alone: {', '.join(examples)}{', ...' if n > len(examples) else ''}",
            err=True,
        )
    if summary.blank_rows:
        click.echo(
            f"note: {_rows(summary.blank_rows)} with every cell empty (a spreadsheet's blank "
            "lines) kept as they are, unscored",
            err=True,
        )
    if summary.repeated_ids:
        shown = ", ".join(f"'{i}'" for i in summary.repeated_ids[:3])
        more = ", ..." if len(summary.repeated_ids) > 3 else ""
        click.echo(
            f"warning: {len(summary.repeated_ids)} id(s) of column '{summary.id_column}' name "
            f"more than one row ({shown}{more}): review and profile --corrections place a "
            "person's labels by id, so give every project its own",
            err=True,
        )
    if summary.failed:
        click.echo(f"{_rows(summary.failed)} could not be scored (see the error column):", err=True)
        for failure in summary.failures[:10]:
            click.echo(f"  {failure}", err=True)
        if summary.failed > 10:  # '15 rows could not be scored' listed 10 without a word
            click.echo(f"  ... and {summary.failed - 10} more", err=True)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "rows": summary.rows,
                    "failed": summary.failed,
                    "failures": summary.failures,
                    "failed_rows": summary.failed_rows,
                    "blank_rows": summary.blank_rows,
                    "placeholder_rows": summary.placeholder_rows,
                    "text_columns": summary.text_columns,
                    "long_texts": summary.long_texts,
                    "short_texts": summary.short_texts,
                    "csv_dialect": summary.csv_dialect,
                    "seconds": round(summary.seconds, 3),
                    "rows_per_second": round(summary.rows_per_second, 2),
                    "output": output_path,
                },
                indent=2,
            )
        )
    if summary.failed and summary.failed + summary.blank_rows >= summary.rows:
        # a pipeline that checks the exit code must not read 'every row failed' as success; the
        # output is written all the same, with each row's error
        raise click.ClickException(
            f"none of the {_rows(summary.rows - summary.blank_rows)} could be scored (the "
            "output holds each row's error); check --text-col"
        )


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


STREAM_FORMATS = ("csv", "tsv", "jsonl")


@contextlib.contextmanager
def _through_files(
    input_path: str,
    output_path: str,
    in_format: str | None,
    out_format: str | None,
    resume: bool,
) -> Iterator[tuple[str, str, str | None, str | None]]:
    """Files for '-' (stdin, stdout): scoring reads in chunks and writes atomically, so stdin is
    saved to a temporary file first and the output is copied to stdout once it is complete."""
    streams = [
        name for name, path in (("stdin", input_path), ("stdout", output_path)) if path == "-"
    ]
    if streams and resume:
        raise click.UsageError(f"--resume needs files; {' and '.join(streams)} cannot be resumed")
    for name, fmt in (("stdin", in_format), ("stdout", out_format)):
        if name in streams and fmt not in (None, *STREAM_FORMATS):
            raise click.UsageError(f"{name} can be {', '.join(STREAM_FORMATS)}; not {fmt}")
    if not streams:
        yield input_path, output_path, in_format, out_format
        return
    with tempfile.TemporaryDirectory(prefix="sdg-align-score-") as folder, _named_streams(folder):
        if input_path == "-":
            in_format = in_format or "csv"
            input_path = str(Path(folder) / f"stdin.{in_format}")
            with open(input_path, "wb") as handle:
                shutil.copyfileobj(sys.stdin.buffer, handle)
        to_stdout = output_path == "-"
        if to_stdout:
            out_format = out_format or "csv"
            output_path = str(Path(folder) / f"scored.{out_format}")
        try:
            yield input_path, output_path, in_format, out_format
        except Interrupted:  # its temporary folder goes now: there is nothing to resume
            raise Interrupted(
                f"interrupted; a run on {' and '.join(streams)} cannot be resumed, so nothing is "
                "kept (score a file to be able to --resume)"
            ) from None
        if to_stdout:
            with open(output_path, "rb") as handle:
                shutil.copyfileobj(handle, sys.stdout.buffer)
            sys.stdout.flush()


@contextlib.contextmanager
def _named_streams(folder: str) -> Iterator[None]:
    """Errors about the temporary copies name stdin and stdout, not a path the user never saw."""
    try:
        yield
    except DataError as exc:
        message = str(exc)
        for name in ("stdin", "scored"):
            for suffix in STREAM_FORMATS:
                copy = str(Path(folder) / f"{name}.{suffix}")
                message = message.replace(copy, "stdin" if name == "stdin" else "stdout")
        raise DataError(message) from exc


def _note_dialect(
    input_path: str, in_format: str | None, sep: str | None, encoding: str | None, quiet: bool
) -> None:
    """Say how a CSV was read when it is not plain comma-separated UTF-8 (stderr)."""
    from pathlib import Path

    from ..tables import LEGACY_ENCODINGS, detect_format, sniff

    path = Path(input_path)
    if quiet or not path.is_file():
        return
    fmt = detect_format(path, in_format)
    if fmt not in ("csv", "tsv"):
        return
    dialect = sniff(path, fmt, sep, encoding)
    if (dialect.sep, dialect.encoding) not in ((",", "utf-8"), ("\t", "utf-8")):
        code_page = LEGACY_ENCODINGS.get(dialect.encoding)
        how = f" ({code_page}): pass --encoding if its letters look wrong" if code_page else ""
        click.echo(f"reading {path.name} as {dialect.describe()}{how}", err=True)
