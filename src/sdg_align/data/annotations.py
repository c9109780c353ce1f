"""Our own labels for external texts: ``training_data/annotations/<source>.jsonl``.

Each record labels one text of a shared data set with all 17 SDGs under labelling guide v2
(``training_data/README.md``). Records store the source's id for the text and a hash of it, never the
text: the loaders join them to the texts they read from ``../shared/data``, and a text whose hash no
longer matches (the shared file changed) keeps its source label and is reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..labels import SDG_NUMBERS
from .types import LabelledSet, text_hash

_TARGET = re.compile(r"(\d{1,2})\.([0-9]{1,2}|[a-d])")


@dataclass(frozen=True)
class Annotation:
    source: str
    source_id: str
    text_sha256: str
    sdgs: tuple[int, ...]
    primary: int | None
    targets: tuple[str, ...] = ()
    split: str | None = None  # "test" for the locked real-test split
    source_label: Any = None
    note: str = ""
    label_version: int = 2

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Annotation:
        """Validate one JSON record; raises ValueError saying what is wrong."""
        for key in ("source", "source_id", "text_sha256", "sdgs"):
            if key not in record:
                raise ValueError(f"missing field {key!r}")
        sdgs = record["sdgs"]
        if not isinstance(sdgs, list) or sdgs != sorted(set(sdgs)):
            raise ValueError("sdgs must be a sorted list without repeats")
        if any(not isinstance(s, int) or s not in SDG_NUMBERS for s in sdgs):
            raise ValueError(f"sdgs out of range 1-17: {sdgs}")
        primary = record.get("primary")
        if sdgs and primary not in sdgs:
            raise ValueError(f"primary {primary} is not among sdgs {sdgs}")
        if not sdgs and primary is not None:
            raise ValueError("primary must be null when sdgs is empty")
        targets = tuple(record.get("targets") or ())
        for target in targets:
            match = _TARGET.fullmatch(str(target))
            if not match or int(match.group(1)) not in sdgs:
                raise ValueError(f"target {target} is not a target of a labelled SDG")
        if not re.fullmatch(r"[0-9a-f]{64}", str(record["text_sha256"])):
            raise ValueError("text_sha256 must be 64 hex digits")
        split = record.get("split")
        if split not in (None, "test"):
            raise ValueError(f"split must be absent or 'test', not {split!r}")
        return cls(
            source=str(record["source"]),
            source_id=str(record["source_id"]),
            text_sha256=str(record["text_sha256"]),
            sdgs=tuple(sdgs),
            primary=primary,
            targets=targets,
            split=split,
            source_label=record.get("source_label"),
            note=str(record.get("note") or ""),
            label_version=int(record.get("label_version", 2)),
        )


def read_annotations(path: Path) -> dict[str, Annotation]:
    """The annotations of one source by source id; a malformed file is a DataError with its line."""
    found: dict[str, Annotation] = {}
    if not path.is_file():
        return found
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            annotation = Annotation.from_record(json.loads(line))
        except (json.JSONDecodeError, ValueError, TypeError) as exc:
            raise DataError(f"{path} line {number}: {exc}") from exc
        if annotation.source_id in found:
            raise DataError(f"{path} line {number}: source id {annotation.source_id} repeated")
        found[annotation.source_id] = annotation
    return found


def apply_annotations(
    labelled: LabelledSet, annotations: dict[str, Annotation], *, keep_unannotated: bool = True
) -> LabelledSet:
    """Replace source labels by our full labels where a text is annotated and unchanged.

    An annotated text becomes a full multi-label example (all 17 goals known, weight 1); the goals
    its source asserted and we did not keep are remembered in ``disputed``, so a recipe can choose
    to train them as unknown instead of negative (``TrainingConfig.disputed_source_labels``). Texts
    without an annotation keep their source labels, or are dropped with ``keep_unannotated=False``
    (sources that carry no labels of their own). Hash mismatches are reported in ``problems``.
    """
    result = LabelledSet(problems=list(labelled.problems), more_skipped=labelled.more_skipped)
    mismatched, dropped = [], 0
    for example in labelled.examples:
        annotation = annotations.get(example.source_id or "")
        if annotation is not None and annotation.text_sha256 != text_hash(example.text):
            mismatched.append(example.source_id)
            annotation = None
        if annotation is None:
            if keep_unannotated:
                result.examples.append(example)
            else:
                dropped += 1
            continue
        result.examples.append(
            replace(
                example,
                sdgs=annotation.sdgs,
                known=None,
                implied_negative_weight=0.0,
                weight=1.0,
                targets=annotation.targets,
                primary=annotation.primary,
                split=annotation.split or example.split,
                disputed=tuple(sorted(set(example.sdgs) - set(annotation.sdgs))),
            )
        )
    if mismatched:
        result.problems.append(
            f"{len(mismatched)} annotated texts changed since they were annotated (hash mismatch; "
            f"source labels kept), e.g. {', '.join(map(str, mismatched[:3]))}"
        )
    if dropped:
        result.problems.append(f"{dropped} texts without an annotation skipped (no labels)")
    return result
