"""``sdg-align profile``: the cluster SDG acceleration profile of a scored (or raw) portfolio."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd

from ..errors import DataError
from ..tables import ID_COL_HELP, Dialect, mirrored_dialect, read_input, write_table, write_text
from ._common import (
    backend_option,
    check_dialect_options,
    check_output_locations,
    check_outputs_spare_inputs,
    dialect_options,
    friendly_errors,
    input_format_option,
    model_option,
    quiet_option,
    say_which_sheet,
    sheet_option,
    tags_option,
)


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--by", help="Column to group projects by (e.g. cluster). Default: one portfolio.")
@click.option("--weight-col", help="Numeric column (budget or effort) for weighted figures.")
@click.option(
    "--exchange-rate",
    "exchange_rates",
    multiple=True,
    metavar="CUR=RATE",
    callback=lambda ctx, param, value: _exchange_rates(value),
    help="Convert budgets that name currency CUR at RATE (one CUR in the main currency), e.g. "
    "--exchange-rate PLN=0.23; repeatable.",
)
@click.option("--time-col", help="Year or date column, for counts per year and acceleration.")
@click.option(
    "--partners-col",
    help="Partners ('Name (CC, type); ...') or their count, for partnership figures.",
)
@click.option(
    "--text-col",
    multiple=True,
    help="Raw input only: text column(s) to score first. Default: text, else title and "
    "description.",
)
@click.option("--id-col", help=ID_COL_HELP)
@click.option("--title-col", help="Column with project titles for the tables (default: title).")
@input_format_option
@dialect_options
@sheet_option
@model_option
@tags_option
@backend_option
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON on stdout only.")
@click.option(
    "--json-out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the JSON profile here ('-': stdout).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write a tidy CSV: one row per group and SDG ('-': stdout).",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the profile as Markdown ('-': stdout).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write a self-contained HTML report with charts ('-': stdout).",
)
@click.option("--png-dir", type=click.Path(file_okay=False), help="Write PNG charts for slides.")
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A previous profile (from --json-out) to report changes against.",
)
@click.option(
    "--title",
    default="SDG acceleration profile",
    show_default=True,
    help="Title of the HTML report.",
)
@click.option(
    "--bootstrap",
    default=4000,  # profile.figures.DEFAULT_DRAWS, not imported: the profile package loads slowly
    show_default=True,
    type=click.IntRange(0),
    help="Monte Carlo draws for the prevalence intervals and the corrected trends' intervals "
    "(0: no prevalence interval, and trends use the slope's t interval alone).",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of those draws.")
@click.option(
    "--corrections",
    type=click.Path(exists=True, dir_okay=False),
    help="A filled `sdg-align review` sheet: a person's labels replace the model's for the "
    "projects marked reviewed.",
)
@quiet_option
@friendly_errors
def profile(
    input_path: str,
    by: str | None,
    weight_col: str | None,
    exchange_rates: dict[str, float],
    time_col: str | None,
    partners_col: str | None,
    text_col: tuple[str, ...],
    id_col: str | None,
    title_col: str | None,
    in_format: str | None,
    sep: str | None,
    encoding: str | None,
    sheet: str | None,
    model_path: str | None,
    tags: str,
    backend: str,
    as_json: bool,
    json_out: str | None,
    csv_path: str | None,
    markdown_path: str | None,
    html_path: str | None,
    png_dir: str | None,
    compare_path: str | None,
    title: str,
    bootstrap: int,
    seed: int,
    corrections: str | None,
    quiet: bool,
) -> None:
    """Profile how a portfolio advances the SDGs, per group and per SDG.

    INPUT is the output of `sdg-align score`, or raw project descriptions (scored first with
    the model). Without an output option the profile is printed as Markdown; --json prints
    JSON and nothing else. When the model folder (--model) holds error_rates.json, every share
    also gets an error-corrected prevalence for the --tags operating point. Every figure is
    defined in docs/profile.md and at the end of the HTML report.

    \b
    Examples:
      sdg-align profile scored.csv --by cluster --time-col year --html report.html
      sdg-align profile scored.csv --weight-col budget_eur --json-out 2025.json --compare 2024.json
    """
    from ..profile import ProfileColumns, build_profile, compare_profiles
    from ..profile.error_rates import error_rates_for_model
    from ..report import profile_markdown

    sep, encoding = check_dialect_options(sep, encoding)
    to_stdout = [
        option
        for option, path in (
            ("--json-out", json_out),
            ("--csv", csv_path),
            ("--markdown", markdown_path),
            ("--html", html_path),
        )
        if path == STDOUT
    ]
    if len(to_stdout) + as_json > 1:
        raise click.UsageError(
            "only one output can go to stdout; "
            f"{' and '.join(to_stdout + ['--json'] * as_json)} ask for it"
        )
    outputs = {
        "--json-out": json_out,
        "--csv": csv_path,
        "--markdown": markdown_path,
        "--html": html_path,
    }
    check_outputs_spare_inputs(
        outputs, {"input": input_path, "--compare": compare_path, "--corrections": corrections}
    )
    check_output_locations(outputs, {"--png-dir": png_dir})
    if input_path != "-":
        say_which_sheet(input_path, in_format, sheet)
    columns = ProfileColumns(
        by=by,
        weight_col=weight_col,
        time_col=time_col,
        partners_col=partners_col,
        id_col=id_col,
        title_col=title_col,
    )
    raw = read_input(input_path, in_format, sep=sep, encoding=encoding, sheet=sheet)
    columns.check(raw)  # before scoring: a mistyped --by was reported after minutes of it
    frame = _scored_input(
        raw,
        text_col,
        model_path,
        tags,
        quiet,
        backend,
        id_col,
    )
    if corrections:
        from ..corrections import apply_corrections_file

        frame = apply_corrections_file(
            frame,
            corrections,
            id_col=id_col,
            text_cols=list(text_col) or None,
            log=lambda m: click.echo(m, err=True),
        )
    rates, missing = error_rates_for_model(model_path, tags)
    if exchange_rates and not weight_col:
        raise click.UsageError("--exchange-rate converts the budgets of --weight-col: name it")
    result = build_profile(
        frame,
        columns=columns,
        bootstrap=bootstrap,
        seed=seed,
        error_rates=rates,
        tags=tags,
        exchange_rates=exchange_rates or None,
    )
    if missing:
        result.warnings.insert(0, missing)
    if compare_path:
        result.comparison = compare_profiles(
            result, _read_json(compare_path), old_name=compare_path
        )
    document = result.to_dict()
    for warning in document["warnings"] + (document["comparison"] or {}).get("warnings", []):
        click.echo(f"warning: {warning}", err=True)

    written = _write_outputs(
        document,
        json_out=json_out,
        csv_path=csv_path,
        markdown_path=markdown_path,
        html_path=html_path,
        png_dir=png_dir,
        title=title,
        csv_dialect=mirrored_dialect(input_path, in_format, sep, encoding) if csv_path else None,
    )
    if not quiet:
        for path in written:
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(_dumps(document))
    elif not written and not to_stdout:
        click.echo(profile_markdown(document), nl=False)


def _exchange_rates(values: tuple[str, ...]) -> dict[str, float]:
    """'PLN=0.23' -> {'PLN': 0.23}; a bad one is a usage error that shows the form."""
    rates: dict[str, float] = {}
    for value in values:
        code, _, rate = value.partition("=")
        try:
            number = float(rate.replace(",", "."))
        except ValueError:
            number = 0.0
        if not code.strip() or not number > 0:
            raise click.BadParameter(
                f"{value!r}: write CUR=RATE, one CUR in the main currency (e.g. PLN=0.23)",
                param_hint="--exchange-rate",
            )
        rates[code.strip().upper()] = number
    return rates


def _scored_input(
    frame: pd.DataFrame,
    text_col: tuple[str, ...],
    model_path: str | None,
    tags: str,
    quiet: bool,
    backend: str,
    id_col: str | None = None,
) -> pd.DataFrame:
    """The input as a scored table at the chosen operating point (raw texts are scored first)."""
    from ..profile import is_scored

    if not is_scored(frame):
        return _score(frame, list(text_col), model_path, tags, quiet, backend, id_col)
    if text_col:
        click.echo("warning: the input is already scored; --text-col is ignored", err=True)
    if tags == "balanced":
        return frame
    retagged = _retag(frame, model_path, tags)
    scored = (
        frame["error"].fillna("").astype(str).str.strip() == ""
        if "error" in frame.columns
        else pd.Series(True, index=frame.index)
    )  # a row that could not be scored has no tags to change
    pairs = zip(frame["sdgs"][scored], retagged["sdgs"][scored], strict=True)
    changed = sum(_tag_set(before) != _tag_set(after) for before, after in pairs)
    if not quiet:
        click.echo(
            f"note: --tags {tags}: the scored file is tagged again from its probabilities at the "
            f"'{tags}' thresholds; {changed} of {int(scored.sum())} projects' tags changed",
            err=True,
        )
    _warn_lost_sdgs(frame["sdgs"][scored], retagged["sdgs"][scored], tags)
    return retagged


def _warn_lost_sdgs(before: pd.Series, after: pd.Series, tags: str) -> None:
    """SDGs the file tags but no project reaches at the new operating point: their share reads
    0% (a trial's 150 digital-hub projects lost SDG 9 at 'precise' without a word)."""
    had = {sdg for cell in before for sdg in _tag_set(cell)}
    kept = {sdg for cell in after for sdg in _tag_set(cell)}
    lost = sorted(had - kept, key=int)
    if lost:
        click.echo(
            f"warning: --tags {tags}: no project reaches the '{tags}' threshold of SDG "
            f"{', '.join(lost)}, so their shares read 0% although the file tags them at "
            "'balanced'; read them at 'balanced' or 'broad' before calling them gaps",
            err=True,
        )


def _write_outputs(
    document: dict[str, Any],
    *,
    json_out: str | None,
    csv_path: str | None,
    markdown_path: str | None,
    html_path: str | None,
    png_dir: str | None,
    title: str,
    csv_dialect: Dialect | None = None,
) -> list[str]:
    """Write every output file asked for (atomically); returns what was written. ``--csv`` is
    written as the input CSV was (';' and decimal commas for a German Excel export), as score
    writes its output."""
    from ..report import profile_markdown, tidy_frame

    written: list[str] = []
    if json_out:
        _put(_dumps(document) + "\n", json_out, written)
    if csv_path == STDOUT:
        _put(tidy_frame(document).to_csv(index=False), csv_path, written)
    elif csv_path:
        dialect = write_table(tidy_frame(document), csv_path, fmt="csv", dialect=csv_dialect)
        if dialect is None or dialect == Dialect(",", "utf-8"):
            written.append(csv_path)
        else:
            written.append(f"{csv_path} ({dialect.describe()}, as the input)")
    if markdown_path:
        _put(profile_markdown(document), markdown_path, written)
    if html_path:
        from ..report import render_html

        _put(render_html(document, title=title), html_path, written)
    if png_dir:
        from ..report import stale_charts, write_pngs

        pngs = write_pngs(document, png_dir)
        written.append(f"{png_dir} ({len(pngs)} charts)")
        stale = stale_charts(png_dir, pngs)
        if stale:  # a warning, even with -q: slides of two profiles would mix
            shown = ", ".join(p.name for p in stale[:3]) + (", ..." if len(stale) > 3 else "")
            click.echo(
                f"warning: {png_dir} also holds {len(stale)} chart(s) this run did not write "
                f"({shown}), from an earlier profile: delete them, or use an empty folder",
                err=True,
            )
    return written


STDOUT = "-"


def _put(text: str, path: str, written: list[str]) -> None:
    """Write ``text`` to ``path`` atomically, or to stdout when ``path`` is '-'."""
    if path == STDOUT:
        click.echo(text, nl=False)
    else:
        write_text(text, path)
        written.append(path)


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            raise DataError(
                f"{path} holds several JSON documents, one per line (like `sdg-align classify "
                "--json --lines` output), not a profile; pass a file written by `sdg-align "
                "profile --json-out`"
            ) from exc
        raise DataError(
            f"{path} is not JSON ({exc.msg} at line {exc.lineno}); pass a file written by "
            "`sdg-align profile --json-out`"
        ) from exc


def _tag_set(cell: object) -> frozenset[str]:
    return frozenset(p.strip() for p in str(cell if pd.notna(cell) else "").split(";") if p.strip())


def _retag(frame: pd.DataFrame, model_path: str | None, tags: str) -> pd.DataFrame:
    """Tags of a scored table at another operating point, from its probabilities."""
    from ..modeling import ModelConfig, read_model_config
    from ..scoring import PROBABILITY_COLUMNS, tags_from_probabilities
    from ..tables import decimal_matrix

    config: ModelConfig = read_model_config(model_path)
    thresholds = config.thresholds_for(tags)
    # decimal commas too: a German spreadsheet saves a scored file so (all read as NaN before)
    probs = decimal_matrix(frame, PROBABILITY_COLUMNS)
    out = frame.copy()
    selected = tags_from_probabilities(probs, thresholds)
    out["sdgs"] = [";".join(map(str, s)) for s in selected]
    out["primary_sdg"] = pd.array([s[0] if s else None for s in selected], dtype="Int64")
    return out


def _score(
    frame: pd.DataFrame,
    text_cols: list[str],
    model_path: str | None,
    tags: str,
    quiet: bool,
    backend: str = "onnx",
    id_col: str | None = None,
) -> pd.DataFrame:
    """Score raw project texts with the same function as ``sdg-align score`` (progress on stderr),
    with evidence when the model has an evidence index."""
    from ..tables import check_text_columns, guess_id_column, text_columns_or_default

    hint = ", or give the output of `sdg-align score`"
    text_cols = text_columns_or_default(frame.columns, text_cols, hint=hint)
    check_text_columns(list(frame.columns), text_cols)
    from tqdm.auto import tqdm

    from ..modeling import load_classifier
    from ..scoring import score_rows, short_texts_warning

    classifier = load_classifier(model_path, backend)
    explain = "target_codes" in classifier.extras
    if not explain:
        click.echo("warning: no evidence in the report: this model has no evidence index", err=True)
    with tqdm(total=len(frame), desc="scoring", unit="row", disable=quiet, file=sys.stderr) as bar:
        scored = score_rows(
            frame,
            classifier,
            on_progress=bar.update,
            text_cols=text_cols,
            tags=tags,
            explain=explain,
        ).reset_index(drop=True)
    short = short_texts_warning(frame, text_cols, id_col or guess_id_column(list(frame.columns)))
    if short:
        click.echo(f"warning: {short}", err=True)
    return scored
