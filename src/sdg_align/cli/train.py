"""``sdg-align train``: fine-tune a classifier from a recipe and report held-out metrics per SDG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ._common import (
    check_dialect_options,
    check_output_locations,
    dialect_options,
    friendly_errors,
    say_which_sheet,
    sheet_option,
)

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
    "device",
    "sdgs_col",
    "sheet",
    "sep",
    "encoding",
    "small_data_limit",
    "cv_folds",
    "replay_examples",
    "anchor_weight",
    "replay_tolerance",
    "refit_min_positives",
    "adapt_min_confidence",
    "adapt_trainable_layers",
    "adapt_learning_rate",
)


def _init_model(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A model folder, resolved from where the user stands, or "default" (the bundled model)."""
    if value is None or value == "default":
        return value
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise click.BadParameter(
            f"no model folder at {value} (from {Path.cwd()}); give a path to a model folder, "
            "or 'default' for the bundled default model"
        )
    return str(folder.resolve())


def _absolute_files(names: list[str]) -> list[str]:
    """File sources as absolute paths (named sources stay names), so a stored recipe runs anywhere."""
    from ..data import SOURCES

    return [n if n in SOURCES or not Path(n).exists() else str(Path(n).resolve()) for n in names]


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
    callback=_init_model,
    help="Continue from this sdg-align model folder ('default': the bundled default model) "
    "instead of a base encoder. With fewer than --small-data-limit examples this adapts it "
    "(cross-validation, replay, anchoring; see README).",
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
    help="Top encoder layers to fine-tune (default 2; 0 = head only; the default model's recipe, "
    "training_data/recipes/sdg-align-base.toml, uses 8 on a GPU).",
)
@click.option(
    "--pooling",
    type=click.Choice(["mean", "max", "mean-max", "noisy-or"]),
    help="How a long text's windows are combined, in training and inference (default mean; the "
    "default model's recipe uses noisy-or).",
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
@click.option(
    "--device",
    help="Where to train and evaluate: auto (a CUDA GPU when torch sees one, else the CPU; "
    "the default), cpu, cuda or cuda:N. The saved model runs on any machine.",
)
@click.option(
    "--small-data-limit",
    type=click.IntRange(0),
    help="Continuing from a model on fewer examples than this adapts it (default 500).",
)
@click.option(
    "--cv-folds",
    type=click.IntRange(2),
    help="Cross-validation folds over your texts when adapting (default 5).",
)
@click.option(
    "--replay-examples",
    type=click.IntRange(0),
    help="Texts of the base model's own training data mixed in when adapting (default 300).",
)
@click.option(
    "--replay-sources",
    multiple=True,
    help="Where the replay texts come from (named sources or files; repeatable). Default: the "
    "sources in the base model's training_config.yaml.",
)
@click.option(
    "--replay-tolerance",
    type=click.FloatRange(0),
    help="Largest drop of out-of-fold macro-F1 on the replay texts (what the model forgets of "
    "its general skill) that an adapted model may cost (default 0.01).",
)
@click.option(
    "--anchor-weight",
    type=click.FloatRange(0),
    help="Strength of the pull toward the base model's weights when adapting (default 0.01).",
)
@click.option(
    "--refit-min-positives",
    type=click.IntRange(1),
    help="Out-of-fold positives (and negatives) an SDG needs before its calibration and "
    "thresholds are refitted; below it the base model's are kept (default 10).",
)
@click.option(
    "--adapt-min-confidence",
    type=click.FloatRange(0, 1, max_open=True),
    help="When adapting, a trained candidate replaces the base model only if it beats it in "
    "this share of paired bootstrap resamples of your texts' out-of-fold tags (default 0.9; "
    "0 takes any gain, however small).",
)
@click.option(
    "--adapt-trainable-layers",
    type=click.IntRange(0),
    help="Top encoder layers fine-tuned when adapting (default 1; 0: the head only).",
)
@click.option(
    "--adapt-learning-rate",
    type=float,
    help="Learning rate of the head when adapting (default 1e-3).",
)
@click.option(
    "--text-col",
    multiple=True,
    help="Text column(s) of generic tables (default: text, else title and description).",
)
@click.option("--sdgs-col", default=None, help="SDG column of generic tables (default: sdgs).")
@sheet_option
@dialect_options
@click.option(
    "--evaluate",
    "evaluate_sets",
    multiple=True,
    help="Named sets to evaluate the saved model on (e.g. corpus-test, oro-gold). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the model already in the -o folder (without it, such a folder is refused).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or messages on stderr.")
@friendly_errors
def train(
    config_path: str | None,
    data: tuple[str, ...],
    output_dir: str,
    text_col: tuple[str, ...],
    replay_sources: tuple[str, ...],
    evaluate_sets: tuple[str, ...],
    as_json: bool,
    overwrite: bool,
    quiet: bool,
    **flags: Any,
) -> None:
    """Fine-tune an SDG classifier on labelled data.

    \b
    Examples:
      sdg-align train --config training_data/recipes/sdg-align-base.toml -o models/new-base
      sdg-align train -d corpus -d dpga -o models/my-model
      sdg-align train -d our_projects.csv --text-col description --init-model default -o ours
      sdg-align train -d to_label.xlsx --init-model default -o ours   # a filled review sheet
    """
    from ..data import check_reading_options
    from ..evaluation import format_comparison, format_metrics_table
    from ..runtime import torch_device
    from ..training import (
        TrainingConfig,
        assemble_training_data,
        check_output_folder,
        compare_with_base,
        save_model,
        uses_adaptation,
    )
    from ..training import train as run_training

    flags["sep"], flags["encoding"] = check_dialect_options(flags["sep"], flags["encoding"])
    try:
        base = TrainingConfig.from_file(config_path).to_dict() if config_path else {}
        if data:
            base["sources"] = list(data)
        if replay_sources:
            base["replay_sources"] = list(replay_sources)
        if text_col:
            base["text_col"] = list(text_col)
        if evaluate_sets:
            base["evaluate"] = list(evaluate_sets)
        base.update({k: v for k, v in flags.items() if k in _FIELD_FLAGS and v is not None})
        if "sources" not in base:
            raise click.UsageError("name the training data with -d/--data or a --config recipe")
        config = TrainingConfig.from_dict(base)
        torch_device(config.device)  # a GPU asked for but absent fails here, before any data
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    config.sources = _absolute_files(config.sources)
    check_reading_options(
        config.sources, sheet=config.sheet, sep=config.sep, encoding=config.encoding
    )
    if config.replay_sources:
        config.replay_sources = _absolute_files(config.replay_sources)
    if config.init_model and config.init_model != "default":
        config.init_model = str(Path(config.init_model).expanduser().resolve())
    if config.init_model:  # a folder that is no model failed only after the data were read
        from ..modeling import read_model_config, resolve_model_path

        read_model_config(resolve_model_path(config.init_model))
    if config.init_model and Path(output_dir).resolve() == Path(config.init_model):
        raise click.UsageError("--output must differ from --init-model: the base model is kept")
    check_output_locations({}, {"-o": output_dir})
    if check_output_folder(output_dir):  # before training, not after an hour of it
        if not overwrite:  # a warning scrolled away, and an adapted model was lost for good
            raise click.UsageError(
                f"{output_dir} holds a model: add --overwrite to replace it, or name another "
                "folder with -o"
            )
        click.echo(  # even with -q: a model someone may still use is about to go
            f"note: {output_dir} holds a model; this run replaces it when it saves (--overwrite)",
            err=True,
        )

    def log(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    for name in config.sources:
        say_which_sheet(name, None, config.sheet)
    labelled = assemble_training_data(config, log=log)
    result = run_training(labelled, config, progress=not quiet, log=log)
    comparisons = compare_with_base(result, log=log)
    folder = save_model(
        result, output_dir, _card(result, adapted=uses_adaptation(config, len(labelled))), log=log
    )
    log(f"model written to {folder}")
    if as_json:
        click.echo(json.dumps(result.metrics, indent=2))
    else:
        held_out = result.metrics.get("test")
        if held_out:
            title = f"held-out test split ({held_out['samples']} texts)"
            click.echo(format_metrics_table(held_out, title=title))
        elif "adaptation" in result.metrics:
            title = f"out of fold ({result.sizes['train']} texts, each predicted by a model that did not train on it)"
            click.echo(format_metrics_table(result.metrics["validation"], title=title))
        else:
            click.echo(
                format_metrics_table(
                    result.metrics["validation"],
                    title="validation (used for thresholds: optimistic)",
                )
            )
        for comparison in comparisons:
            click.echo()
            click.echo(format_comparison(comparison))
        for name, metrics in result.metrics.get("evaluations", {}).items():
            click.echo()
            click.echo(
                format_metrics_table(metrics, title=f"== {name} ({metrics['samples']} texts)")
            )
            base_block = result.metrics.get("base_evaluations", {}).get(name)
            if base_block:
                click.echo(
                    f"base model on {name}: macro-F1 {base_block['macro']['f1']:.3f}, "
                    f"new model {metrics['macro']['f1']:.3f}"
                )
    if not comparisons:
        click.echo(
            "warning: no held-out texts, so the new model is not measured against the base model "
            "(set --test-fraction, or mark rows with split 'test')",
            err=True,
        )
    for comparison in comparisons:
        for warning in comparison["warnings"]:
            click.echo(f"warning: {warning}", err=True)
    for name, base_block in result.metrics.get("base_evaluations", {}).items():
        new_f1 = result.metrics["evaluations"][name]["macro"]["f1"]
        if new_f1 < base_block["macro"]["f1"]:
            click.echo(
                f"warning: the new model is WORSE than the base model on {name}: macro-F1 "
                f"{new_f1:.3f} vs {base_block['macro']['f1']:.3f}",
                err=True,
            )


def _card(result: Any, *, adapted: bool) -> dict[str, str]:
    """What the model card says about the training; it names only files in the model folder."""
    from ..adaptation import refit_sentence

    config, sizes = result.config, result.sizes
    sources = ", ".join(Path(s).name if Path(s).exists() else s for s in config.sources)
    if adapted:
        adaptation = result.metrics["adaptation"]
        training = (
            f"Adapted from the model `{Path(adaptation['base_model']).name}` on {sizes['train']} "
            f"labelled texts ({sources}) with {adaptation['folds']}-fold cross-validation, "
            f"{sizes['replay']} replayed texts of the base model's training data and an L2 pull "
            f"toward its weights ({config.anchor_weight:g}); {adaptation['epochs_chosen']} "
            "epoch(s) chosen out of fold, among those that lost at most "
            f"{config.replay_tolerance:g} out-of-fold macro-F1 on the replayed texts and beat "
            "the base model in at least "
            f"{config.adapt_min_confidence:.0%} of paired bootstrap resamples of the labelled "
            "texts (the base model itself is kept otherwise). "
            + refit_sentence(adaptation["refit_sdgs"])
        )
    else:
        training = (
            f"Data: {sources} ({sizes['train']} train, {sizes['validation']} validation, "
            f"{sizes['test']} test examples)."
        )
    training += (
        " The recipe is `training_config.yaml` in this folder; hashes of the training texts are "
        "in `training_texts.json.gz`."
    )
    return {"name": f"sdg-align model trained on {sources}", "training": training}
