"""The cluster SDG acceleration profile: per-project SDG tags aggregated per group and per SDG.

The package's modules are its seams:

- :mod:`.figures`: the figure catalogue (every figure's view and definition) and the result types;
- :mod:`.inputs`: reading and checking a scored table (:class:`ProfileColumns` names its columns);
- :mod:`.compute`: the figures themselves (:func:`build_profile`);
- :mod:`.projects`: single projects inside a profile (top projects and their evidence);
- :mod:`.compare`: what changed since a previous profile (:func:`compare_profiles`).

Rendering (tidy CSV, Markdown, HTML, PNG) lives in :mod:`sdg_align.report`;
``profile_markdown`` and ``tidy_frame`` are importable from here too, loaded on first use.
"""

from __future__ import annotations

from typing import Any

from .compare import check_document, compare_profiles
from .compute import build_profile
from .error_rates import error_rates_for_model
from .figures import (
    ALL_LABEL,
    FIGURES,
    SCHEMA_VERSION,
    GroupProfile,
    Profile,
    SDGFigures,
    json_schema,
)
from .inputs import ProfileColumns, is_scored

__all__ = [
    "ALL_LABEL",
    "FIGURES",
    "SCHEMA_VERSION",
    "GroupProfile",
    "Profile",
    "ProfileColumns",
    "SDGFigures",
    "build_profile",
    "check_document",
    "compare_profiles",
    "error_rates_for_model",
    "is_scored",
    "json_schema",
    "profile_markdown",
    "tidy_frame",
]


def __getattr__(name: str) -> Any:
    """``profile_markdown`` and ``tidy_frame`` render a profile; they live in sdg_align.report."""
    if name == "profile_markdown":
        from ..report.markdown import profile_markdown

        return profile_markdown
    if name == "tidy_frame":
        from ..report.tidy import tidy_frame

        return tidy_frame
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
