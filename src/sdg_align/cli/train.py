"""``sdg-align train``: fine-tune a classifier from a recipe and report held-out metrics per SDG."""

from __future__ import annotations

import json
from typing import Any

import click

from ._common import friendly_errors

# Flags that map one to one onto TrainingConfig fields; None means "not given: keep the recipe's".
_FIELD_FLAGS = (
    "base_encoder",
    "init_model",
    "epochs",
    "learning_rate",
    "encoder_learning_rate",
    "batch_size",
    "max_length",
    "trainable_layers",
    "pooling",
    "max_windows",
    "validation_fraction",
    "test_fraction",
    "patience",
    "seed",
    "sdgs_col",
)


@click.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A training recipe (TOML, YAML or JSON; e.g. training_data/recipes/sdg-align-base.toml "
    "or a model folder's training_config.yaml). Flags given on the command line override it.",
)
@click.option(
    "-d",
    "--data",
    "data",
    multiple=True,
    help="Training data: a file (CSV/TSV/JSONL/Parquet/Excel, or OSDG TSV) or a named source "
    "(corpus, aurora, aurora-titles, dpga, swisstext, zora, snsf, sdg-reference). Repeatable; "
    "replaces the recipe's sources.",
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
    default=None,
    help="all-minilm-l6-v2, multilingual-e5-small (default), or a Hugging Face folder.",
)
@click.option(
    "--init-model",
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
    help="Continue from this sdg-align model (e.g. the default) instead of a base encoder.",
)
@click.option("--epochs", type=click.IntRange(1), help="Passes over the training data (default 4).")
@click.option("--learning-rate", type=float, help="Learning rate of the head (default 2e-3).")
@click.option(
    "--encoder-learning-rate",
    type=float,
    help="Learning rate of the encoder layers (default 1e-4).",
)
@click.option("--batch-size", type=click.IntRange(1), help="Texts per step (default 32).")
@click.option("--max-length", type=click.IntRange(8, 512), help="Tokens per window (default 128).")
@click.option(
    "--trainable-layers",
    type=click.IntRange(0),
    help="Top encoder layers to fine-tune (default 2; 0 = head only).",
)
@click.option(
    "--pooling",
    type=click.Choice(["mean", "max", "mean-max", "noisy-or"]),
    help="How a long text's windows are combined, in training and inference (default mean).",
)
@click.option(
    "--max-windows",
    type=click.IntRange(1),
    help="Windows of a long text sampled per training step (default 4).",
)
@click.option(
    "--validation-fraction",
    type=float,
    help="Share of rows without a fixed split used for validation (default 0.1).",
)
@click.option(
    "--test-fraction",
    type=float,
    help="Share of rows without a fixed split held out for the final report (default 0.1).",
)
@click.option(
    "--patience", type=click.IntRange(1), help="Epochs without validation gain before stopping."
)
@click.option("--seed", type=int, help="Random seed (default 0).")
@click.option("--text-col", multiple=True, help="Text column(s) of generic tables (default: text).")
@click.option("--sdgs-col", default=None, help="SDG column of generic tables (default: sdgs).")
@click.option(
    "--evaluate",
    "evaluate_sets",
    multiple=True,
    help="Named sets to evaluate the saved model on (e.g. corpus-test, oro-gold). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or messages on stderr.")
@friendly_errors
def train(
    config_path: str | None,
    data: tuple[str, ...],
    output_dir: str,
    text_col: tuple[str, ...],
    evaluate_sets: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    **flags: Any,
) -> None:
    """Fine-tune an SDG classifier on labelled data.

    \b
    Examples:
      sdg-align train --config training_data/recipes/sdg-align-base.toml -o models/sdg-align-base
      sdg-align train -d corpus -d dpga -o models/my-model
      sdg-align train -d our_projects.csv --text-col description --init-model models/sdg-align-base -o ours
    """
    from ..evaluation import format_metrics_table
    from ..training import TrainingConfig, assemble_training_data, save_model
    from ..training import train as run_training

    try:
        base = TrainingConfig.from_file(config_path).to_dict() if config_path else {}
        if data:
            base["sources"] = list(data)
        if text_col:
            base["text_col"] = list(text_col)
        if evaluate_sets:
            base["evaluate"] = list(evaluate_sets)
        base.update({k: v for k, v in flags.items() if k in _FIELD_FLAGS and v is not None})
        if "sources" not in base:
            raise click.UsageError("name the training data with -d/--data or a --config recipe")
        config = TrainingConfig.from_dict(base)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc

    def log(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    labelled = assemble_training_data(config, log=log)
    result = run_training(labelled, config, progress=not quiet, log=log)
    card = {
        "name": f"sdg-align model trained on {', '.join(config.sources)}",
        "training": f"Data: {', '.join(config.sources)} ({result.sizes['train']} train, "
        f"{result.sizes['validation']} validation, {result.sizes['test']} test examples). "
        f"The recipe is `training_config.yaml` in this folder.",
    }
    held_out = result.metrics.get("test")
    folder = save_model(result, output_dir, card, log=log)
    log(f"model written to {folder}")
    if as_json:
        click.echo(json.dumps(result.metrics, indent=2))
        return
    if held_out:
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
    for name, metrics in result.metrics.get("evaluations", {}).items():
        click.echo()
        click.echo(format_metrics_table(metrics, title=f"== {name} ({metrics['samples']} texts)"))
