"""The profile as a tidy table: one row per group and SDG, scalar figures only (``--csv``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..profile.figures import Profile
from .format import as_document

TIDY_FIGURES = (
    "projects",
    "share",
    "share_ci_low",
    "share_ci_high",
    "prevalence",
    "prevalence_ci_low",
    "prevalence_ci_high",
    "intensity",
    "expected_projects",
    "allocated_projects",
    "allocation_share",
    "weighted_share",
    "allocated_weight",
    "allocation_weight_share",
    "primary_projects",
    "primary_share",
    "specialisation",
)
TREND_FIGURES = (
    "slope",
    "slope_ci_low",
    "slope_ci_high",
    "last_change",
    "prevalence_slope",
    "prevalence_slope_ci_low",
    "prevalence_slope_ci_high",
    "prevalence_last_change",
    "trend",
)


def tidy_frame(profile: Profile | Mapping[str, Any]) -> pd.DataFrame:
    """One row per group and SDG from a profile (a ``Profile``, its ``to_dict()`` or its JSON)."""
    document = as_document(profile)
    rows = []
    changes = _comparison_index(document.get("comparison"))
    for group in [document["overall"], *document["groups"]]:
        for item in group["sdgs"]:
            row: dict[str, Any] = {
                "group": group["name"],
                "is_overall": group["is_overall"],
                "group_projects": group["projects"],
                "sdg": item["sdg"],
                "sdg_name": item["name"],
            }
            row.update({name: item.get(name) for name in TIDY_FIGURES})
            trend = item.get("trend")
            if trend:
                row.update({name: trend.get(name) for name in TREND_FIGURES})
                corrected = trend.get("prevalences") or [None] * len(trend["periods"])
                for period, count, share, prevalence in zip(
                    trend["periods"], trend["projects"], trend["shares"], corrected, strict=True
                ):
                    row[f"projects_{period}"] = count
                    row[f"share_{period}"] = share
                    row[f"prevalence_{period}"] = prevalence
            if changes:
                change = changes.get((group["name"], item["sdg"]), {})
                row["previous_share"] = change.get("share_old")
                row["share_change"] = change.get("share_change")
                row["share_change_ci_low"] = change.get("share_change_ci_low")
                row["share_change_ci_high"] = change.get("share_change_ci_high")
                row["previous_projects"] = change.get("projects_old")
                row["previous_prevalence"] = change.get("prevalence_old")
                row["prevalence_change"] = change.get("prevalence_change")
            rows.append(row)
    frame = pd.DataFrame(rows)
    # counts stay whole numbers where a group lacks a period (NaN made the column '1.0')
    counts = [c for c in frame.columns if c.startswith("projects_") or c == "previous_projects"]
    return frame.astype({c: "Int64" for c in counts})


def _comparison_index(comparison: Mapping[str, Any] | None) -> dict[tuple[str, int], dict]:
    if not comparison:
        return {}
    index = {}
    for group in [comparison["overall"], *comparison["groups"]]:
        for item in group.get("sdgs", []):
            index[(group["name"], item["sdg"])] = item
    return index
