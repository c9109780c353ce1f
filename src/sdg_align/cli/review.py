"""``sdg-align review``: pick the projects worth labelling and write a sheet to fill in."""

from __future__ import annotations

from collections import Counter

import click

from ..tables import ID_COL_HELP
from ._common import (
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
)


@click.command()
@click.argument("input_path", metavar="SCORED", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The sheet to fill in: .xlsx (with an instructions sheet), or .csv/.tsv/.jsonl/.parquet.",
)
@click.option(
    "--n",
    "count",
    default=50,
    show_default=True,
    type=click.IntRange(1),
    help="How many projects to pick for the sheet.",
)
@click.option("--by", help="Column to spread the picks over (e.g. cluster).")
@click.option("--id-col", help=ID_COL_HELP)
@click.option(
    "--text-col",
    multiple=True,
    help="Text column(s) shown to the reviewer (default: text, else title and description).",
)
@click.option(
    "--random",
    "at_random",
    is_flag=True,
    help="Pick the projects at random instead (an audit): a person's labels of a random sample "
    "let `profile --corrections` measure the model's errors on this portfolio itself; from 50 "
    "reviewed projects in a group its corrected prevalence rests on them.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of --random.")
@click.option(
    "--skip",
    "skip_sheets",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A filled sheet of an earlier round: its reviewed projects are not picked again "
    "(matched by id; repeatable).",
)
@input_format_option
@dialect_options
@sheet_option
@model_option
@quiet_option
@friendly_errors
def review(
    input_path: str,
    output_path: str,
    count: int,
    by: str | None,
    id_col: str | None,
    text_col: tuple[str, ...],
    at_random: bool,
    seed: int,
    skip_sheets: tuple[str, ...],
    in_format: str | None,
    sep: str | None,
    encoding: str | None,
    sheet: str | None,
    model_path: str | None,
    quiet: bool,
) -> None:
    """Pick the projects of SCORED whose labels would teach the model most; write a sheet.

    SCORED is the output of `sdg-align score` with the same --model (a file, or - for stdin:
    CSV, or --format tsv/jsonl). The picks are the projects
    whose probabilities sit nearest the model's thresholds, spread over the 17 SDGs and over the
    groups of --by. Fill in the sheet (instructions inside), then give it to `sdg-align train -d`
    or `sdg-align profile --corrections`.

    \b
    Examples:
      sdg-align review scored.csv -o to_label.xlsx --n 50 --by cluster
      sdg-align review scored.csv -o audit.xlsx --n 50 --random    # a random audit
      sdg-align review scored.csv -o round2.xlsx --skip to_label.xlsx   # the next round
      sdg-align score projects.csv -o - | sdg-align review - -o to_label.xlsx
      sdg-align train -d to_label.xlsx --init-model default -o models/ours
      sdg-align profile scored.csv --corrections to_label.xlsx --html report.html
    """
    import numpy as np

    from ..modeling import read_model_config
    from ..profile.figures import BLANK_GROUP
    from ..review import (
        MAX_MARGIN,
        labelled_ids,
        other_model_rows,
        pick_for_review,
        random_picks,
        refuse_to_overwrite_labels,
        review_frame,
        scored_inputs,
        unique_rows,
        write_review_sheet,
    )
    from ..tables import read_input

    sep, encoding = check_dialect_options(sep, encoding)
    if skip_sheets and at_random:
        raise click.UsageError(
            "--skip is for the next round of picks; an audit (--random) draws from every project"
        )
    check_outputs_spare_inputs({"-o": output_path}, {"input": input_path})
    check_output_locations({"-o": output_path})
    refuse_to_overwrite_labels(output_path)
    say_which_sheet(input_path, in_format, sheet)
    frame = read_input(input_path, in_format, sep=sep, encoding=encoding, sheet=sheet)
    probs, texts, ids, id_name, groups = scored_inputs(
        frame, text_cols=list(text_col), id_col=id_col, by=by
    )
    thresholds = read_model_config(model_path).thresholds
    differ = other_model_rows(frame, probs, thresholds)
    if differ > 0.01 * len(frame):  # picks near thresholds another model does not use
        click.echo(
            f"warning: the tags of {differ} of {len(frame)} projects differ from what this "
            "model's thresholds give for their probabilities: was the table scored with another "
            "--model? Give review the same --model",
            err=True,
        )
    if at_random:
        picks = random_picks(probs, n=count, seed=seed)
    else:
        allowed = unique_rows(texts, judgeable=True)
        short = int((unique_rows(texts) & ~allowed).sum())
        done = labelled_ids(skip_sheets, id_name) if skip_sheets else set()
        skipped = np.isin(ids, sorted(done)) & allowed
        allowed &= ~skipped
        picks = pick_for_review(probs, thresholds, n=count, groups=groups, allowed=allowed)
    if not picks:
        raise click.ClickException(f"{input_path}: no scored project to pick (all rows failed?)")
    sheet = review_frame(
        picks,
        ids=ids,
        texts=texts,
        probs=probs,
        thresholds=thresholds,
        id_col=id_name,
        groups=groups,
        group_col=by,
    )
    write_review_sheet(sheet, output_path)
    if id_name == "row":  # a warning, shown with --quiet too
        click.echo(
            "warning: the table has no id column (project_id or id; --id-col names one), so the "
            "sheet names projects by row number: use it with this scored table as it is (not "
            "sorted, no rows deleted)",
            err=True,
        )
    if not quiet:
        scored = int(np.isfinite(probs).all(axis=1).sum())
        failed = len(frame) - scored
        of = f"{len(picks)} of {scored} scored projects" + (
            f" ({failed} row{'s' if failed > 1 else ''} could not be scored)" if failed else ""
        )
        if at_random:
            click.echo(
                f"picked {of} at random (an audit: review every one of them, or the sample is "
                "no longer random)",
                err=True,
            )
        else:
            unsure = [p for p in picks if p.sdg is not None and p.margin <= MAX_MARGIN]
            spread = Counter(p.sdg for p in unsure)
            click.echo(
                f"picked {of}; unsure about "
                + (
                    "SDG " + ", ".join(f"{s} ({c})" for s, c in sorted(spread.items()))
                    if spread
                    else "no SDG"
                )
                + (
                    f"; {len(picks) - len(unsure)} fill-in(s) the model is fairly sure about "
                    "(fewer projects were unsure than --n asked for)"
                    if len(unsure) < len(picks)
                    else ""
                ),
                err=True,
            )
            if short:
                click.echo(
                    f"{short} project(s) with texts too short to judge (such as 'TBD') were "
                    "not picked",
                    err=True,
                )
            if skip_sheets:
                click.echo(
                    f"{int(skipped.sum())} project(s) already reviewed in "
                    f"{', '.join(skip_sheets)} were not picked (--skip)",
                    err=True,
                )
        if groups is not None:
            per_group = Counter(groups[p.row] or BLANK_GROUP for p in picks)
            click.echo(
                "per group: " + ", ".join(f"{g} {c}" for g, c in sorted(per_group.items())),
                err=True,
            )
        then = "profile --corrections" if at_random else "train or profile --corrections"
        click.echo(f"wrote {output_path}: fill it in, mark rows reviewed, then {then}", err=True)
