"""The data a recipe names: its sources loaded and weighed, evaluation texts dropped, duplicates merged.

Separate from the optimisation so scripts can inspect or reuse exactly the texts a recipe trains on
(``scripts/eval_pooling.py``, ``scripts/train_default.py``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..data import (
    Example,
    LabelledSet,
    check_trainable,
    drop_evaluation_texts,
    evaluation_keys,
    load_source,
    merge_duplicates,
    split_holdout,
)
from ..errors import DataError
from ..labels import SDG_NUMBERS
from .config import TRAINING_CONFIG_FILE, TrainingConfig
from .result import Progress, stderr_log


def assemble_training_data(config: TrainingConfig, *, log: Progress = stderr_log) -> LabelledSet:
    """Load the recipe's sources, weigh them, drop evaluation texts and merge duplicates."""
    labelled = LabelledSet()
    for name in config.sources:
        part = load_source(
            name,
            text_col=config.text_col,
            sdgs_col=config.sdgs_col,
            sheet=config.sheet,
            sep=config.sep,
            encoding=config.encoding,
        )
        weight = config.source_weights.get(name, 1.0)
        if weight != 1.0 or config.implied_negative_weight is not None:
            part.examples = [
                replace(
                    e,
                    weight=e.weight * weight,
                    implied_negative_weight=(
                        config.implied_negative_weight
                        if config.implied_negative_weight is not None and e.implied_negative_weight
                        else e.implied_negative_weight
                    ),
                )
                for e in part.examples
            ]
        disputed = 0
        if config.disputed_source_labels == "unknown":
            part.examples, disputed = _disputed_as_unknown(part.examples)
        log(
            f"{name}: {len(part)} examples"
            + (f" (weight {weight:g})" if weight != 1.0 else "")
            + (f", {disputed} disputed source labels trained as unknown" if disputed else "")
            + (f", {_rows(part.skipped_rows)} skipped" if part.problems else "")
        )
        for problem in part.problems[:10]:
            log(f"  {problem}")
        for note in part.notes:
            log(f"note: {note}")
        labelled.examples.extend(part.examples)
    check_trainable(labelled)
    if config.exclude_evaluation_texts:
        keys, missing = evaluation_keys()
        if missing:
            log(f"evaluation-only sets not present, so not excluded: {', '.join(missing)}")
        labelled = drop_evaluation_texts(labelled, keys)
    merged, report = merge_duplicates(labelled)
    for line in merged.problems:
        log(line)
    return merged


def _disputed_as_unknown(examples: list[Example]) -> tuple[list[Example], int]:
    """Make the SDGs a source asserts and our annotation rejects unknown (no loss) instead of
    negative; returns the examples and how many labels changed."""
    out, changed = [], 0
    for example in examples:
        if not example.disputed:
            out.append(example)
            continue
        known = example.known if example.known is not None else SDG_NUMBERS
        kept = tuple(n for n in known if n not in example.disputed)
        changed += len(known) - len(kept)
        out.append(replace(example, known=kept, implied_negative_weight=0.0))
    return out, changed


def split_like_training(
    labelled: LabelledSet, config: TrainingConfig
) -> tuple[LabelledSet, LabelledSet, LabelledSet]:
    """Train, validation and test parts exactly as training splits them (the recipe's fractions
    and seed), so scripts can find the texts a model learned from or was tuned on."""
    return split_holdout(
        labelled,
        validation_fraction=config.validation_fraction,
        test_fraction=config.test_fraction,
        seed=config.seed,
    )


def splits_of_saved_model(model_dir: Path) -> tuple[LabelledSet, LabelledSet, LabelledSet]:
    """A saved model's train, validation and test parts, rebuilt from its recipe.

    Refused when the sizes differ from those the model's metrics.json reports: the data changed
    since, so the parts would not be the ones the model learned from and was tuned on.
    """
    config = TrainingConfig.from_file(model_dir / TRAINING_CONFIG_FILE)
    train_set, dev_set, test_set = split_like_training(assemble_training_data(config), config)
    expected = json.loads((model_dir / "metrics.json").read_text())["sizes"]
    found = {"train": len(train_set), "validation": len(dev_set)}
    if any(found[key] != expected[key] for key in found):
        raise DataError(f"the recipe now gives {found}, the model was trained on {expected}")
    return train_set, dev_set, test_set


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"
