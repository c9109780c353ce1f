"""``sdg-align evaluate MODEL DATA``: per-SDG and averaged metrics on labelled data."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import SDGAlignError
from ._common import (
    backend_option,
    check_dialect_options,
    check_output_locations,
    check_outputs_spare_inputs,
    check_tags_or_threshold,
    dialect_options,
    friendly_errors,
    say_which_sheet,
    sheet_option,
    tags_option,
    threshold_option,
)


@click.command()
@click.argument("model_path", metavar="MODEL")
@click.argument("data", nargs=-1, required=True)
@click.option(
    "--text-col",
    multiple=True,
    help="Text column(s) of a generic table (default: text, else title and description).",
)
@click.option(
    "--sdgs-col", default="sdgs", show_default=True, help="SDG column of a generic table."
)
@sheet_option
@dialect_options
@tags_option
@backend_option
@threshold_option
@click.option(
    "--disagreements",
    "disagreements_path",
    type=click.Path(dir_okay=False),
    help="Write the texts whose tags differ from their labels (what the model missed and added, "
    "with probabilities) to this table (.csv, .xlsx, .jsonl, .parquet).",
)
@click.option(
    "--against",
    "against_path",
    metavar="MODEL",
    help="Another model (a folder, or default) to compare with on the same texts: both "
    "figures, and how sure the texts are of the difference (a paired bootstrap).",
)
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress messages on stderr; skipped rows are summed up in one warning.",
)
@friendly_errors
def evaluate(
    model_path: str,
    data: tuple[str, ...],
    text_col: tuple[str, ...],
    sdgs_col: str,
    sheet: str | None,
    sep: str | None,
    encoding: str | None,
    tags: str,
    backend: str,
    threshold: float | None,
    disagreements_path: str | None,
    against_path: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Evaluate MODEL (a model folder, or default) on DATA: files, or named sets such as
    oro-gold, dpga-test, corpus-test.

    \b
    Examples:
      sdg-align evaluate default oro-gold dpga-test corpus-test
      sdg-align evaluate my-model labelled.csv --text-col description --json
      sdg-align evaluate default labelled.csv --disagreements to_read.xlsx
      sdg-align evaluate models/ours held_out.csv --against default   # is ours better?
    """
    from ..data import check_reading_options, load_source
    from ..evaluation import evaluate as run_evaluation
    from ..evaluation import format_metrics_table
    from ..modeling import load_classifier
    from ..trained_texts import seen_warning

    check_tags_or_threshold(threshold)
    sep, encoding = check_dialect_options(sep, encoding)
    check_reading_options(data, sheet=sheet, sep=sep, encoding=encoding)
    if disagreements_path:
        inputs: dict[str, str | None] = {f"DATA {i + 1}": d for i, d in enumerate(data)}
        check_outputs_spare_inputs({"--disagreements": disagreements_path}, inputs)
        check_output_locations({"--disagreements": disagreements_path})
    classifier = load_classifier(model_path, backend)
    against = load_classifier(against_path, backend) if against_path else None
    results, failed = {}, []
    disagreeing: list[dict[str, Any]] = []
    for name in data:
        try:
            say_which_sheet(name, None, sheet)
            labelled = load_source(
                name,
                text_col=list(text_col),
                sdgs_col=sdgs_col,
                sheet=sheet,
                sep=sep,
                encoding=encoding,
            )
        except SDGAlignError as exc:  # evaluate the other sets, then fail
            failed.append(name)
            message = str(exc)  # most errors about a file already start with its name
            click.echo(f"error: {message if name in message else f'{name}: {message}'}", err=True)
            continue
        if quiet and labelled.problems:  # -q silences progress, not rows left out of the figures
            click.echo(
                f"warning: {name}: {labelled.skipped_rows} row(s) skipped (first: "
                f"{labelled.problems[0]}); run without -q to see each",
                err=True,
            )
        for problem in labelled.problems if not quiet else ():
            click.echo(f"warning: {problem}", err=True)
        for note in labelled.notes:
            click.echo(f"note: {note}", err=True)
        if not len(labelled):
            failed.append(name)
            click.echo(f"error: {name}: no usable labelled rows", err=True)
            continue
        found: list[dict[str, Any]] = []
        results[name] = run_evaluation(
            classifier, labelled, threshold=threshold, tags=tags, disagreeing=found, against=against
        )
        disagreeing.extend({"set": name, **row} for row in found)
        results[name]["skipped_rows"] = labelled.skipped_rows
        seen = results[name].get("seen_in_training")
        warning = seen_warning(seen, name) if seen else None
        if warning:
            click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        for name, metrics in results.items():
            click.echo(
                format_metrics_table(
                    metrics,
                    title=f"== {name} ({metrics['samples']} text"
                    f"{'' if metrics['samples'] == 1 else 's'})",
                )
            )
            if "against" in metrics:
                click.echo(against_sentence(metrics, model_path))
            click.echo()
    if disagreements_path and results:
        import pandas as pd

        from ..tables import write_table

        columns = ["set", "text_number", "id", "labels", "tags", "missed", "added", "text"]
        write_table(pd.DataFrame(disagreeing, columns=columns), disagreements_path)
        texts = sum(r["samples"] for r in results.values())
        click.echo(
            f"wrote {disagreements_path}: {len(disagreeing)} of {texts} texts whose tags differ "
            "from their labels",
            err=True,
        )
    if failed:
        raise click.ClickException(f"not evaluated: {', '.join(failed)} (see the errors above)")


def against_sentence(metrics: dict[str, Any], model_path: str) -> str:
    """The two models' macro-F1 on the same texts and how sure the texts are of the difference."""
    other, paired = metrics["against"], metrics["against"]["paired"]
    mine, theirs = metrics["macro"]["f1"], other["macro"]["f1"]
    sure = paired["low"] > 0 or paired["high"] < 0
    verdict = (
        f"{model_path} is {'better' if paired['gain'] > 0 else 'worse'}"
        if sure
        else "a difference these texts cannot tell from chance"
    )
    return (
        f"against {other['model']}: macro-F1 {mine:.3f} vs {theirs:.3f}, "
        f"{paired['gain']:+.3f} (95% interval {paired['low']:+.3f} to {paired['high']:+.3f}; "
        f"{model_path} scores higher in {paired['confidence']:.0%} of 1,000 paired resamples of "
        f"these {metrics['samples']} texts): {verdict}"
    )
