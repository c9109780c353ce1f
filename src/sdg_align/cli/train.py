"""``sdg-align train``: fine-tune a classifier and report held-out metrics per SDG."""

from __future__ import annotations

import json

import click

from ._common import friendly_errors


@click.command()
@click.option(
    "-d",
    "--data",
    "data",
    multiple=True,
    required=True,
    help="Training data: a file (CSV/TSV/JSONL/Parquet/Excel, or OSDG TSV) or a named source "
    "(corpus, aurora, dpga, swisstext, zora, sdg-reference). Repeatable.",
)
@click.option(
    "-o",
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where to write the model folder.",
)
@click.option(
    "--base-encoder",
    default="multilingual-e5-small",
    show_default=True,
    help="all-minilm-l6-v2, multilingual-e5-small, or a Hugging Face folder.",
)
@click.option(
    "--init-model",
    type=click.Path(exists=True, file_okay=False),
    help="Continue from this sdg-align model (e.g. the default) instead of a base encoder.",
)
@click.option("--epochs", default=4, show_default=True, type=click.IntRange(1))
@click.option("--learning-rate", default=2e-3, show_default=True, type=float, help="Head.")
@click.option("--encoder-learning-rate", default=1e-4, show_default=True, type=float)
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--max-length", default=128, show_default=True, type=click.IntRange(8, 512))
@click.option(
    "--trainable-layers",
    default=2,
    show_default=True,
    type=click.IntRange(0),
    help="Top encoder layers to fine-tune (0 = head only).",
)
@click.option("--validation-fraction", default=0.1, show_default=True, type=float)
@click.option(
    "--test-fraction",
    default=0.1,
    show_default=True,
    type=float,
    help="Held out for the final report, for rows without a fixed split.",
)
@click.option("--patience", default=2, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--text-col", multiple=True, help="Text column(s) of generic tables (default: text).")
@click.option("--sdgs-col", default="sdgs", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or messages on stderr.")
@friendly_errors
def train(
    data: tuple[str, ...],
    output_dir: str,
    base_encoder: str,
    init_model: str | None,
    epochs: int,
    learning_rate: float,
    encoder_learning_rate: float,
    batch_size: int,
    max_length: int,
    trainable_layers: int,
    validation_fraction: float,
    test_fraction: float,
    patience: int,
    seed: int,
    text_col: tuple[str, ...],
    sdgs_col: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Fine-tune an SDG classifier on labelled data.

    \b
    Examples:
      sdg-align train -d corpus -d dpga -o models/my-model
      sdg-align train -d our_projects.csv --text-col description --init-model models/sdg-align-base -o ours
    """
    from ..data import LabelledSet, deduplicate, load_source
    from ..evaluation import format_metrics_table
    from ..training import TrainingConfig
    from ..training import train as run_training

    try:
        config = TrainingConfig(
            base_encoder=base_encoder,
            init_model=init_model,
            epochs=epochs,
            learning_rate=learning_rate,
            encoder_learning_rate=encoder_learning_rate,
            batch_size=batch_size,
            max_length=max_length,
            trainable_layers=trainable_layers,
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            patience=patience,
            seed=seed,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc

    def log(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    labelled = LabelledSet()
    for name in data:
        part = load_source(name, text_col=list(text_col) or "text", sdgs_col=sdgs_col)
        log(
            f"{name}: {len(part)} examples"
            + (f", {len(part.problems)} rows skipped" if part.problems else "")
        )
        for problem in part.problems[:20]:
            log(f"  skipped: {problem}")
        labelled.extend(part)
    labelled = deduplicate(labelled)
    result = run_training(labelled, config, progress=not quiet, log=log)
    card = {
        "name": f"sdg-align model trained on {', '.join(data)}",
        "training": f"Data: {', '.join(data)} ({result.sizes['train']} train, "
        f"{result.sizes['validation']} validation, {result.sizes['test']} test examples). "
        f"Settings: `{json.dumps(config.to_dict())}`",
    }
    held_out = result.metrics.get("test")
    result.metrics["evaluations"] = (
        {
            "held-out test split": {
                **held_out,
                "description": "Rows never used for training or tuning.",
            }
        }
        if held_out
        else {}
    )
    result.classifier.save_pretrained(output_dir, metrics=result.metrics, card=card)
    log(f"model written to {output_dir}")
    if as_json:
        click.echo(json.dumps(result.metrics, indent=2))
    elif held_out:
        click.echo(
            format_metrics_table(
                held_out, title=f"held-out test split ({held_out['samples']} texts)"
            )
        )
    else:
        click.echo(
            format_metrics_table(
                result.metrics["validation"], title="validation (used for thresholds: optimistic)"
            )
        )
