"""Fine-tuning: the recipe (:class:`TrainingConfig`), the data it names, :func:`train` and saving.

One module per step, so each stays readable on its own:

- :mod:`.config`: the recipe, read from TOML/YAML/JSON and stored in every model folder;
- :mod:`.assemble`: the recipe's data (sources weighed, evaluation texts dropped, duplicates merged);
- :mod:`.loop`: one optimisation run over cached frozen-layer states (:class:`FitRun`);
- :mod:`.protocol`: :func:`train`, the full-data protocol (splits, early stopping, decision rule);
  continuing from a model on little data goes to :mod:`sdg_align.adaptation` instead;
- :mod:`.result`: what a run hands back (:class:`TrainingResult`);
- :mod:`.save`: the model folder, and the new model measured against its base.

The names below are the package's public interface; scripts and the CLI import them from here.
"""

from __future__ import annotations

from .assemble import assemble_training_data, split_like_training, splits_of_saved_model
from .config import (
    DEFAULT_INIT,
    TRAINING_CONFIG_FILE,
    TrainingConfig,
    resolve_init_model,
    uses_adaptation,
)
from .loop import (
    FitRun,
    continue_from,
    masked_loss,
    positive_weights,
    restore,
    round_like_saved,
    snapshot,
    trainable_parameters,
)
from .protocol import fit_decision_rule, train
from .result import Progress, TrainingResult, stderr_log
from .save import (
    base_model_folder,
    check_output_folder,
    compare_with_base,
    evaluate_named,
    save_model,
)

__all__ = [
    "DEFAULT_INIT",
    "TRAINING_CONFIG_FILE",
    "FitRun",
    "Progress",
    "TrainingConfig",
    "TrainingResult",
    "assemble_training_data",
    "split_like_training",
    "splits_of_saved_model",
    "base_model_folder",
    "check_output_folder",
    "compare_with_base",
    "continue_from",
    "evaluate_named",
    "fit_decision_rule",
    "masked_loss",
    "positive_weights",
    "resolve_init_model",
    "restore",
    "round_like_saved",
    "save_model",
    "snapshot",
    "stderr_log",
    "train",
    "trainable_parameters",
    "uses_adaptation",
]
