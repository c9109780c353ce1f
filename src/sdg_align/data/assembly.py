"""Putting sources together: duplicates merged (conflicts become unknown) and held-out splits.

The same text often comes from two sources (350 ZORA abstracts are also SwissText abstracts). Their
labels are merged per SDG: a goal one source names for certain and another rules out for certain is
*disputed* and becomes unknown (no loss, no validation count) instead of silently taking the first
source's word; the disputes are counted per pair of sources so a user can see them.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from ..labels import SDG_NUMBERS
from .types import Example, LabelledSet, content_keys


@dataclass
class MergeReport:
    duplicates: int = 0  # texts folded into another copy
    conflicts: Counter[tuple[str, str]] = field(default_factory=Counter)  # texts with disputes
    disputed_labels: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.duplicates} duplicate texts merged into their first copy"]
        for (a, b), count in sorted(self.conflicts.items()):
            between = f"within {a}" if a == b else f"{a} vs {b}"
            out.append(
                f"label conflicts {between}: {count} text{'' if count == 1 else 's'} "
                "(disputed SDGs made unknown)"
            )
        return out


def _merge(group: list[Example]) -> tuple[Example, set[int]]:
    """One example from copies of a text; returns it and the disputed SDG numbers."""
    certain = np.stack([e.certain_mask() for e in group]) > 0
    labels = np.stack([e.label_vector() for e in group]) > 0
    positive: list[bool] = np.any(certain & labels, axis=0).astype(bool).tolist()
    negative: list[bool] = np.any(certain & ~labels, axis=0).astype(bool).tolist()
    disputed = [p and n for p, n in zip(positive, negative, strict=True)]
    first = group[0]
    sdgs = tuple(n for n, p, d in zip(SDG_NUMBERS, positive, disputed, strict=True) if p and not d)
    known_now = [(p or n) and not d for p, n, d in zip(positive, negative, disputed, strict=True)]
    implied = max(e.implied_negative_weight for e in group)
    if all(known_now):
        known: tuple[int, ...] | None = None
    else:
        known = tuple(n for n, k in zip(SDG_NUMBERS, known_now, strict=True) if k)
    splits = {e.split for e in group}
    split = "test" if "test" in splits else first.split  # never train on a copy of a test text
    merged = replace(
        first,
        sdgs=sdgs,
        known=known,
        implied_negative_weight=implied if known is not None else 0.0,
        split=split,
        weight=max(e.weight for e in group),
    )
    disputed_sdgs = {n for n, d in zip(SDG_NUMBERS, disputed, strict=True) if d}
    if disputed_sdgs and known is None:  # disputed goals must not count as known
        merged = replace(merged, known=tuple(n for n in SDG_NUMBERS if n not in disputed_sdgs))
    return merged, disputed_sdgs


def _told_apart(example: Example, group: list[Example]) -> bool:
    """True when the example's own source keeps it apart from the group's texts.

    A source that tells one story in several texts of one group (the contrast pairs: a text and a
    minimal edit of it with the opposite label) means them as different texts, even when they end
    alike; folding them would make exactly the words that differ "disputed".
    """
    return example.group is not None and any(
        other.source == example.source and other.group == example.group for other in group
    )


def merge_duplicates(labelled: LabelledSet) -> tuple[LabelledSet, MergeReport]:
    """Fold copies of the same text (by content keys) into one example; report conflicts.

    Two texts are copies when they are the same after normalising, or when they share their last
    300 characters (the same abstract under another title), except :func:`_told_apart` texts.
    """
    owner: dict[str, int] = {}
    groups: list[list[Example]] = []
    for example in labelled.examples:
        keys = content_keys(example.text)
        index = owner.get(keys[0])
        if index is None:  # the same text under another title, unless its own set tells it apart
            index = next(
                (
                    owner[k]
                    for k in keys[1:]
                    if k in owner and not _told_apart(example, groups[owner[k]])
                ),
                None,
            )
        if index is None:
            index = len(groups)
            groups.append([])
        groups[index].append(example)
        for key in keys:
            owner.setdefault(key, index)
    report = MergeReport()
    merged = LabelledSet(problems=list(labelled.problems), more_skipped=labelled.more_skipped)
    for group in groups:
        if len(group) == 1:
            merged.examples.append(group[0])
            continue
        report.duplicates += len(group) - 1
        example, disputed = _merge(group)
        merged.examples.append(example)
        if disputed:
            report.disputed_labels += len(disputed)
            sources = sorted({e.source for e in group})
            pairs = {(a, b) for i, a in enumerate(sources) for b in sources[i + 1 :]}
            for pair in pairs or {(sources[0], sources[0])}:
                report.conflicts[pair] += 1
    merged.problems.extend(report.lines())
    return merged, report


def deduplicate(labelled: LabelledSet) -> LabelledSet:
    """:func:`merge_duplicates` without the report (its lines are in ``problems``)."""
    return merge_duplicates(labelled)[0]


def split_holdout(
    labelled: LabelledSet, *, validation_fraction: float, test_fraction: float, seed: int
) -> tuple[LabelledSet, LabelledSet, LabelledSet]:
    """Train, validation and test sets. Fixed splits are kept; the rest are drawn at random.

    Texts with the same ``group`` (the same story told twice) are drawn together, so a story never
    sits on both sides of a split.
    """
    train, dev, test = LabelledSet(), LabelledSet(), LabelledSet()
    fixed = {"test": test, "dev": dev, "train": train}
    draws: dict[str, float] = {}
    rng = random.Random(seed)
    for example in labelled.examples:
        if example.split in fixed:
            fixed[example.split].examples.append(example)
            continue
        key = example.group or f"#{id(example)}"
        if key not in draws:
            draws[key] = rng.random()
        draw = draws[key]
        if draw < test_fraction:
            test.examples.append(example)
        elif draw < test_fraction + validation_fraction:
            dev.examples.append(example)
        else:
            train.examples.append(example)
    return train, dev, test
