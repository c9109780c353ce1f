"""Single projects inside a profile: the top projects of each SDG and the evidence behind them.

The aggregate figures say how much; these say which projects, so a reader can check a figure
against the projects that make it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .figures import MAX_LISTED_PROJECTS, ProjectTags, TopProject
from .inputs import Projects


def project_tags(data: Projects, pos: int) -> list[dict[str, Any]]:
    """A project's tags with their probabilities, most probable first."""
    tagged = np.flatnonzero(data.tags[pos])
    order = tagged[np.argsort(-data.probs[pos, tagged], kind="stable")]
    return [{"sdg": int(k) + 1, "probability": float(data.probs[pos, k])} for k in order]


def listed_projects(data: Projects) -> list[ProjectTags]:
    """The first projects in input order with their tags, for the per-project table."""
    return [
        ProjectTags(
            row=int(data.rows[pos]),
            id=data.ids[pos] if data.ids else None,
            title=data.titles[pos] if data.titles else None,
            group=str(data.groups[pos]) if data.groups is not None else None,
            tags=project_tags(data, pos),
        )
        for pos in range(min(len(data.rows), MAX_LISTED_PROJECTS))
    ]


def top_projects(members: np.ndarray, k: int, data: Projects, top_n: int) -> list[TopProject]:
    """The group's projects advancing SDG k with the highest probability (ties: input order)."""
    if top_n <= 0:
        return []
    advancing = members[data.tags[members, k]]
    if not advancing.size:
        return []
    order = np.argsort(-data.probs[advancing, k], kind="stable")[:top_n]
    top = []
    for pos in advancing[order]:
        top.append(
            TopProject(
                row=int(data.rows[pos]),
                id=data.ids[pos] if data.ids else None,
                title=data.titles[pos] if data.titles else None,
                probability=float(data.probs[pos, k]),
                primary=bool(data.primary[pos] == k + 1),
                evidence=_evidence(data, pos, k + 1),
                tags=project_tags(data, pos),
                labelled_by_person=bool(data.labelled is not None and data.labelled[pos]),
            )
        )
    return top


def _evidence_block(cell: Any) -> dict[str, Any] | None:
    """A project's evidence cell as a dict, or None when it is empty or not JSON."""
    if isinstance(cell, dict):
        return cell
    if not isinstance(cell, str) or not cell.strip():
        return None
    try:
        block = json.loads(cell)
    except ValueError:
        return None
    return block if isinstance(block, dict) else None


def _evidence(data: Projects, pos: int, sdg: int) -> dict[str, Any] | None:
    """The targets and sentences behind one SDG of one project, reduced to plain fields."""
    if data.evidence is None:
        return None
    cell = data.evidence[pos]
    block = _evidence_block(cell)
    if block is None and isinstance(cell, str) and cell.strip():
        data.bad_evidence.add(int(data.rows[pos]))
    entry = block.get(str(sdg)) if block else None
    if not isinstance(entry, dict):
        return None

    def items(key: str, fields: Sequence[str]) -> list[dict[str, Any]]:
        found = entry.get(key)
        out: list[dict[str, Any]] = []
        if not isinstance(found, list):
            return out
        for item in found[:3]:
            if isinstance(item, dict):
                out.append({f: _evidence_value(item.get(f)) for f in fields})
        return out

    return {
        "targets": items("targets", ("target", "title", "score")),
        "sentences": items("sentences", ("text", "score")),
    }


def _evidence_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    return str(value)
