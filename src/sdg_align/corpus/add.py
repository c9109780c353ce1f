"""Adding new records to the corpus: fresh ids, and splits that keep every SDG and story balanced.

Splits are assigned per *story*: records that share a ``scenario`` slug, or that an embedder finds
to be near-paraphrases (cosine >= 0.955, see check.SCENARIO_SIMILARITY) of each other or of an existing record, form one group and
get one split (an existing record's split, when the group contains one). Groups are placed by
iterative stratification: the group with the rarest SDG first, into the split that most lacks that
SDG relative to 70/15/15. Existing records and their splits never change.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..data.types import normalise_text
from .check import SCENARIO_SIMILARITY, Embedder

SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}
FIELDS = (
    "id",
    "text",
    "sdgs",
    "primary",
    "targets",
    "lang",
    "sector",
    "kind",
    "form",
    "scenario",
    "split",
    "label_version",
)


def _groups(
    new: list[dict], existing: list[dict], embed: Embedder | None
) -> tuple[list[int], dict[int, str]]:
    """A group number per new record, and the split a group must take (from an existing twin)."""
    parent = list(range(len(new)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[str, int] = {}
    for i, record in enumerate(new):
        scenario = record.get("scenario")
        if scenario:
            if scenario in first_of:
                parent[find(i)] = find(first_of[scenario])
            else:
                first_of[scenario] = i
    forced: dict[int, str] = {}
    existing_split = {r.get("scenario"): r["split"] for r in existing if r.get("scenario")}
    for i, record in enumerate(new):
        if record.get("scenario") in existing_split:
            forced[find(i)] = existing_split[record["scenario"]]
    if embed is not None and new:
        vectors = embed([r["text"] for r in new] + [r["text"] for r in existing])
        similarity = vectors[: len(new)] @ vectors.T
        for i in range(len(new)):
            for j in np.flatnonzero(similarity[i] >= SCENARIO_SIMILARITY):
                if j < len(new) and j != i:
                    parent[find(i)] = find(int(j))
        for i in range(len(new)):
            twins = np.flatnonzero(similarity[i, len(new) :] >= SCENARIO_SIMILARITY)
            if len(twins):
                forced[find(i)] = existing[int(twins[0])]["split"]
    roots = [find(i) for i in range(len(new))]
    return roots, {find(k): v for k, v in forced.items()}


def assign_splits(
    new: list[dict], existing: list[dict], *, embed: Embedder | None = None, seed: int = 13
) -> list[str]:
    """A split for each new record (see the module docstring)."""
    rng = random.Random(seed)
    roots, forced = _groups(new, existing, embed)
    members: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        members.setdefault(root, []).append(i)
    labels = {
        root: {s for i in rows for s in new[i]["sdgs"]} or {0} for root, rows in members.items()
    }
    have: dict[str, Counter[int]] = {s: Counter() for s in SHARES}
    totals: Counter[int] = Counter()
    size = Counter(r["split"] for r in existing)
    for r in existing:
        for label in r["sdgs"] or [0]:
            have[r["split"]][label] += 1
            totals[label] += 1
    for root, rows in members.items():
        for label in labels[root]:
            totals[label] += len(rows)
    total_size = len(existing) + len(new)
    order = list(members)
    rng.shuffle(order)
    order.sort(key=lambda root: (root not in forced, min(totals[label] for label in labels[root])))
    split_of: dict[int, str] = {}
    for root in order:
        if root in forced:
            split = forced[root]
        else:
            rarest = min(labels[root], key=lambda label: totals[label])

            def lack(name: str, label: int = rarest) -> tuple[float, float]:
                return (
                    SHARES[name] * totals[label] - have[name][label],
                    SHARES[name] * total_size - size[name],
                )

            split = max(SHARES, key=lack)
        split_of[root] = split
        size[split] += len(members[root])
        for label in labels[root]:
            have[split][label] += len(members[root])
    return [split_of[root] for root in roots]


def add_records(
    existing: list[dict], new: Sequence[dict], *, embed: Embedder | None = None
) -> tuple[list[dict], int]:
    """The corpus with ``new`` appended (ids, splits, label version set); and how many were
    skipped as exact duplicates of a text already present."""
    seen = {normalise_text(r["text"]) for r in existing}
    fresh, skipped = [], 0
    for record in new:
        key = normalise_text(record["text"])
        if key in seen:
            skipped += 1
            continue
        seen.add(key)
        fresh.append(dict(record))
    next_id = max((int(r["id"].split("-")[1]) for r in existing), default=0) + 1
    for record, split in zip(fresh, assign_splits(fresh, existing, embed=embed), strict=True):
        record["id"] = f"cp-{next_id:04d}"
        record["split"] = split
        record["sdgs"] = sorted(set(record["sdgs"]))
        record.setdefault("label_version", 2)
        next_id += 1
    added = [{k: r[k] for k in FIELDS if k in r and (k != "targets" or r[k])} for r in fresh]
    return [*existing, *added], skipped
