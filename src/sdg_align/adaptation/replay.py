"""Replay: a sample of the base model's own training data, mixed into adaptation.

A cluster's texts mention a few SDGs; trained on them alone, the model forgets the others. Texts
of the base model's recipe (equal shares per source) are trained on alongside them, and, held out
in the folds like the user's texts, measure what adapting forgets.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..data import (
    LabelledSet,
    content_keys,
    drop_evaluation_texts,
    evaluation_keys,
    load_source,
    merge_duplicates,
)
from ..errors import DataError
from ..training.config import TRAINING_CONFIG_FILE, TrainingConfig
from ..training.result import Progress


def replay_sample(
    config: TrainingConfig,
    base_folder: Path,
    avoid: LabelledSet,
    *,
    log: Progress,
) -> LabelledSet:
    """``config.replay_examples`` training texts of the base model, equal shares per source.

    The sources are ``config.replay_sources``, else those of the base model's recipe
    (``training_config.yaml``). Test splits, evaluation-only texts and copies of the user's own
    texts (``avoid``) are never drawn.
    """
    if config.replay_examples == 0:
        return LabelledSet()
    recipe_file = base_folder / TRAINING_CONFIG_FILE
    recipe = TrainingConfig.from_file(recipe_file) if recipe_file.is_file() else None
    names = config.replay_sources if config.replay_sources is not None else None
    if names is None:
        if recipe is None:
            log(
                f"replay: none. The base model ({base_folder}) does not record its training data "
                f"({TRAINING_CONFIG_FILE}), so no sample of it is mixed in and goals your texts "
                "never mention may be forgotten; name its sources with --replay-sources"
            )
            return LabelledSet()
        names = list(recipe.sources)
    weights = recipe.source_weights if recipe is not None else {}
    pool = LabelledSet()
    for name in names:
        try:
            part = load_source(
                name,
                text_col=recipe.text_col if recipe else config.text_col,
                sdgs_col=recipe.sdgs_col if recipe else config.sdgs_col,
                sheet=recipe.sheet if recipe else config.sheet,
                sep=recipe.sep if recipe else config.sep,
                encoding=recipe.encoding if recipe else config.encoding,
            )
        except DataError as exc:
            log(f"replay: source {name} skipped ({exc})")
            continue
        weight = weights.get(name, 1.0)
        pool.examples.extend(replace(e, weight=e.weight * weight) for e in part.examples)
    keys, _missing = evaluation_keys()
    merged, _report = merge_duplicates(drop_evaluation_texts(pool, keys))
    taken = {key for text in avoid.texts() for key in content_keys(text)}
    by_source: dict[str, list[Any]] = {}
    for example in merged.examples:
        if example.split in ("test", "eval-only") or taken.intersection(content_keys(example.text)):
            continue
        by_source.setdefault(example.source, []).append(example)
    rng = random.Random(config.seed)
    chosen: list[Any] = []
    remaining = config.replay_examples
    # Equal shares per source; a source with fewer texts than its share gives all it has.
    for i, name in enumerate(sorted(by_source, key=lambda n: len(by_source[n]))):
        share = remaining // (len(by_source) - i)
        picked = rng.sample(by_source[name], min(share, len(by_source[name])))
        chosen.extend(picked)
        remaining -= len(picked)
    replay = LabelledSet([replace(e, split="train") for e in chosen])
    counts = ", ".join(f"{n} {c}" for n, c in sorted(replay.source_counts().items()))
    log(f"replay: {len(replay)} texts of the base model's training data ({counts})")
    return replay
