"""The evaluation-only rule: benchmark texts are never trained or tuned on, in any form.

``train`` refuses a source marked eval-only outright, and every training run drops any text whose
content matches a text of an evaluation-only set (:data:`EVALUATION_ONLY`): the same abstract under
another title, or a registry entry copied into a training file, is found by its content keys.
"""

from __future__ import annotations

from collections import Counter

from ..errors import DataError
from .sources import EVALUATION_ONLY, SOURCES
from .types import LabelledSet, content_keys


def check_trainable(labelled: LabelledSet) -> None:
    """Refuse evaluation-only data in a training run: the benchmarks must stay unseen."""
    leaked = sorted({e.source for e in labelled.examples if e.split == "eval-only"})
    if leaked:
        raise DataError(
            f"evaluation-only data cannot be used for training: {', '.join(leaked)}. "
            "Files under eval-only/ are for `sdg-align evaluate` only."
        )


def evaluation_keys() -> tuple[set[str], list[str]]:
    """Content keys of every evaluation-only text that is present, and the sets that are missing."""
    keys: set[str] = set()
    missing = []
    for name in EVALUATION_ONLY:
        try:
            labelled = SOURCES[name].load()
        except DataError:
            missing.append(name)
            continue
        for text in labelled.texts():
            keys.update(content_keys(text))
    return keys, missing


def drop_evaluation_texts(labelled: LabelledSet, keys: set[str]) -> LabelledSet:
    """The set without any text that matches an evaluation-only text; counts go to ``problems``."""
    kept: list = []
    dropped: Counter[str] = Counter()
    for example in labelled.examples:
        if keys.intersection(content_keys(example.text)):
            dropped[example.source] += 1
        else:
            kept.append(example)
    result = LabelledSet(kept, list(labelled.problems), labelled.more_skipped)
    if dropped:
        detail = ", ".join(f"{source} {count}" for source, count in sorted(dropped.items()))
        total = sum(dropped.values())
        result.skip_many(total, f"{total} texts also in evaluation-only sets dropped ({detail})")
    return result
