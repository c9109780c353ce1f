"""The SDG catalogue: the 17 goals, their official colours and the 169 targets.

Everything here is plain data so that any module (model, profile, report) can name and colour a goal
without loading a model. Official titles in several languages live in ``../shared/data/sdg-reference``
and are read by :func:`load_reference` only when a path is given.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Goal:
    number: int
    short_name: str
    colour: str  # official UN hex colour

    @property
    def label(self) -> str:
        return f"SDG {self.number}"


GOALS: tuple[Goal, ...] = (
    Goal(1, "No poverty", "#E5243B"),
    Goal(2, "Zero hunger", "#DDA63A"),
    Goal(3, "Good health and well-being", "#4C9F38"),
    Goal(4, "Quality education", "#C5192D"),
    Goal(5, "Gender equality", "#FF3A21"),
    Goal(6, "Clean water and sanitation", "#26BDE2"),
    Goal(7, "Affordable and clean energy", "#FCC30B"),
    Goal(8, "Decent work and economic growth", "#A21942"),
    Goal(9, "Industry, innovation and infrastructure", "#FD6925"),
    Goal(10, "Reduced inequalities", "#DD1367"),
    Goal(11, "Sustainable cities and communities", "#FD9D24"),
    Goal(12, "Responsible consumption and production", "#BF8B2E"),
    Goal(13, "Climate action", "#3F7E44"),
    Goal(14, "Life below water", "#0A97D9"),
    Goal(15, "Life on land", "#56C02B"),
    Goal(16, "Peace, justice and strong institutions", "#00689D"),
    Goal(17, "Partnerships for the goals", "#19486A"),
)

SDG_NUMBERS: tuple[int, ...] = tuple(goal.number for goal in GOALS)
NUM_SDGS = len(GOALS)


def goal(number: int) -> Goal:
    """The goal with this number (1-17); a ValueError names the valid range otherwise."""
    if not 1 <= number <= NUM_SDGS:
        raise ValueError(f"SDG numbers run from 1 to {NUM_SDGS}; got {number}")
    return GOALS[number - 1]


@dataclass(frozen=True)
class Target:
    code: str  # "7.2", "17.19", "1.a"
    sdg: int
    short_title: str  # the project's own words; the official titles stay in sdg-reference


@lru_cache(maxsize=1)
def targets() -> tuple[Target, ...]:
    """The 169 SDG targets with short titles written for this project (resources/targets.tsv)."""
    text = resources.files("sdg_align").joinpath("resources/targets.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return tuple(
        Target(row["target"], int(row["target"].split(".")[0]), row["short_title"]) for row in rows
    )


def targets_of(sdg: int) -> tuple[Target, ...]:
    return tuple(t for t in targets() if t.sdg == sdg)


REFERENCE_KINDS = ("goals", "targets", "indicators")


def load_reference(
    folder: str | Path, lang: str = "en", kinds: tuple[str, ...] = REFERENCE_KINDS
) -> dict[str, str]:
    """Official titles from an Open SDG translation folder: {"7": goal, "7.2": target, "7.2.1": ...}.

    ``folder`` holds one sub-folder per language with ``global_{goals,targets,indicators}.yml``.
    """
    import yaml

    base = Path(folder) / lang
    if not base.is_dir():
        available = sorted(p.name for p in Path(folder).iterdir()) if Path(folder).is_dir() else []
        raise FileNotFoundError(
            f"no SDG reference titles for language '{lang}' in {folder}; "
            f"available: {', '.join(available) or 'none'}"
        )
    titles: dict[str, str] = {}
    for kind in kinds:
        path = base / f"global_{kind}.yml"
        if not path.is_file():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if not str(key).endswith("-title") or not value:
                continue
            code = str(key)[: -len("-title")].replace("-", ".")
            titles[code] = " ".join(str(value).split())
    return titles
