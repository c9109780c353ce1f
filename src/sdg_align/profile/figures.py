"""What a profile holds: the figure catalogue, the settings it rests on, and the result types.

Every figure has a view (*counts*, *allocation*, *probability*, ...) and a one-line definition in
:data:`FIGURES`; docs/profile.md repeats them (a test checks) and the HTML report carries them, so a
report read far from this repository still defines its own numbers. The dataclasses below are the
JSON document's shape (resources/profile.schema.json); :meth:`Profile.to_dict` is the only way out.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..labels import SDG_NUMBERS

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = "1.7"
PROB_COLS: tuple[str, ...] = tuple(f"p_sdg{n}" for n in SDG_NUMBERS)
SCORED_COLS: tuple[str, ...] = ("sdgs", *PROB_COLS)
ALL_LABEL = "All projects"
BLANK_GROUP = "(blank)"
BREADTH_SHARE = 0.10  # an SDG counts toward breadth (and is not "weak") from this share of projects
SMALL_GROUP = 30  # below this many projects a group gets an uncertainty note
THIN_PERIOD = 5  # a period with fewer projects decides its share and the last change alone
# Monte Carlo draws of the prevalence and trend intervals: with 1,000, 4 of 85 trend labels of the
# example portfolio changed with --seed alone; with 4,000, 1 (scripts/eval_trend_stability.py)
DEFAULT_DRAWS = 4000
TOP_COMBINATIONS = 5
MAX_LISTED_ERRORS = 20
MAX_LISTED_PROJECTS = 1000  # the per-project list of tags in the document and the report

# The views a figure can take, one sentence each; the report's definitions start with these.
VIEWS: dict[str, str] = {
    "counts": "a project counts in full for every SDG it advances (its probability is above the "
    "model's threshold for that SDG), so SDG shares can add up to more than 100%.",
    "allocation": "each project, and its weight, is split across the SDGs it advances in "
    "proportion to their probabilities, so the totals add up to the portfolio.",
    "probability": "sums and means of the calibrated probabilities, free of any threshold.",
    "corrected": "shares corrected for the model's own misses and false alarms, as measured on "
    "its validation texts.",
    "weight": "sums of the weight column (e.g. a budget).",
    "metadata": "from the partners column, not from the project text.",
    "comparison": "the figure now minus the figure in the previous profile.",
}

# Every figure: its view and a one-line definition; docs/profile.md repeats them (a test checks).
FIGURES: dict[str, tuple[str, str]] = {
    "projects": ("counts", "Scored projects in the group; rows with an error are left out."),
    "excluded": ("counts", "Rows of the group that could not be scored (non-empty `error`)."),
    "share_with_sdg": ("counts", "Share of projects that advance at least one SDG."),
    "share_cross_sectoral": ("counts", "Share of projects that advance two or more SDGs."),
    "breadth": ("counts", "Number of SDGs advanced by at least 10% of the group's projects."),
    "diversity": (
        "counts",
        "Shannon entropy of the group's SDG tags divided by log(17): 0 = all on one SDG, "
        "1 = spread evenly over all 17.",
    ),
    "total_weight": ("weight", "Sum of the weight column (e.g. budget) over the group's projects."),
    "weight_missing": (
        "weight",
        "Projects whose weight cell is blank or not a number; they are in every figure except the "
        "weighted ones.",
    ),
    "unallocated_projects": (
        "allocation",
        "Projects that advance no SDG; with the SDGs' allocated projects they sum to `projects`.",
    ),
    "unallocated_weight": (
        "allocation",
        "Weight of projects that advance no SDG; with the SDGs' allocated weight it adds up to "
        "`total_weight`.",
    ),
    "combinations": (
        "counts",
        "The most frequent sets of two or more SDGs advanced by the same project: projects "
        "tagged with exactly that set (see `cooccurrence` for a pair whatever else is tagged).",
    ),
    "cooccurrence": ("counts", "For each pair of SDGs, the number of projects advancing both."),
    "gaps_absent": ("counts", "SDGs that no project of the group advances."),
    "gaps_weak": ("counts", "SDGs advanced by some projects, but by fewer than 10% of them."),
    "gaps_in_portfolio": (
        "counts",
        "SDGs that no project of the group advances although at least 10% of the whole "
        "portfolio's projects do: a gap against the group's peers, not against all 17 goals, "
        "which no sector covers.",
    ),
    "accelerating": ("counts", "SDGs whose share rises over the periods (slope CI above 0)."),
    "slowing": ("counts", "SDGs whose share falls over the periods (slope CI below 0)."),
    "note": (
        "-",
        f"What limits the group's figures: fewer than {SMALL_GROUP} projects, periods of fewer "
        f"than {THIN_PERIOD} projects (thin periods), or what a random audit of its projects "
        "corrects.",
    ),
    "period_projects": ("counts", "Scored projects per period (year) of the time column."),
    "sdg_projects": ("counts", "Projects that advance the SDG (probability above its threshold)."),
    "share": ("counts", "`sdg_projects` divided by `projects`."),
    "share_ci": (
        "counts",
        "95% interval of `share` for projects like the group's (Jeffreys' interval of k of n "
        "projects): sampling noise only, not the model's errors (see `prevalence_ci`).",
    ),
    "intensity": ("probability", "Mean probability of the SDG over the group's projects."),
    "expected_projects": (
        "probability",
        "Sum of the SDG's probabilities: the expected number of projects, free of any threshold.",
    ),
    "allocated_projects": (
        "allocation",
        "Projects split across their SDGs in proportion to the probabilities; sums to "
        "`projects` with `unallocated_projects`.",
    ),
    "allocation_share": ("allocation", "`allocated_projects` divided by `projects`."),
    "weighted_share": (
        "counts",
        "Share of the group's weight (e.g. budget) held by projects that advance the SDG.",
    ),
    "allocated_weight": (
        "allocation",
        "Weight split across each project's SDGs in proportion to the probabilities; sums to "
        "`total_weight` with `unallocated_weight`.",
    ),
    "allocation_weight_share": ("allocation", "`allocated_weight` divided by `total_weight`."),
    "primary_projects": ("counts", "Projects whose primary (most probable) SDG is this one."),
    "primary_share": ("counts", "`primary_projects` divided by `projects`."),
    "specialisation": (
        "counts",
        "`share` in the group divided by `share` in the whole input: above 1 = more focused on "
        "the SDG than the portfolio as a whole.",
    ),
    "period_shares": ("counts", "`share` of the SDG in each period (year)."),
    "slope": (
        "counts",
        "Acceleration: change of `share` per year, from a least-squares line through the projects "
        "(1 if the project advances the SDG, else 0) against their year.",
    ),
    "slope_ci": (
        "counts",
        "95% confidence interval of `slope` (t distribution, n - 2 df), cut to the steepest "
        "slope any shares could give at those years.",
    ),
    "last_change": ("counts", "`share` in the last period minus `share` in the period before."),
    "trend": (
        "counts",
        "accelerating when the whole slope interval is above 0, slowing when below 0, else "
        "unclear; the interval is `prevalence_slope_ci` when the model has error rates, else "
        "`slope_ci`.",
    ),
    "prevalence": (
        "corrected",
        "Estimated share of the group's projects that truly advance the SDG: the tags corrected "
        "for the model's own misses and false alarms, as measured on its validation texts "
        "(probabilistic adjusted count), clipped to 0-100%. Empty when the model has no error "
        "rates.",
    ),
    "prevalence_ci": (
        "corrected",
        "95% interval of `prevalence`: it carries both the group's sampling noise (projects "
        "resampled, with one unseen project so that small groups stay honest) and the "
        "uncertainty of the model's error rates (drawn from their Beta posteriors, wider where "
        "the rates differ between the kinds of validation text).",
    ),
    "period_prevalences": ("corrected", "`prevalence` of the SDG in each period (year)."),
    "prevalence_slope": (
        "corrected",
        "Acceleration of `prevalence`: the slope per year of the least-squares line through the "
        "projects' corrected values against their year, no steeper than a share can be.",
    ),
    "prevalence_slope_ci": (
        "corrected",
        "95% interval of `prevalence_slope`: the line's t interval with the error rates' "
        "uncertainty added, cut like `slope_ci`.",
    ),
    "prevalence_last_change": (
        "corrected",
        "`prevalence` in the last period minus `prevalence` in the period before.",
    ),
    "top_projects": (
        "probability",
        "The projects advancing the SDG with the highest probability, with their evidence (or, "
        "when scored without --explain, every SDG they are tagged with).",
    ),
    "project_tags": (
        "probability",
        f"Every project (the first {MAX_LISTED_PROJECTS:,}) with the SDGs it is tagged with and "
        "their probabilities.",
    ),
    "projects_with_partners": ("metadata", "Projects whose partners cell is not empty or 0."),
    "mean_partners": ("metadata", "Mean number of partners per project."),
    "share_multi_partner": ("metadata", "Share of projects with two or more partners."),
    "share_international": (
        "metadata",
        "Share of projects whose partners come from two or more countries (needs country codes).",
    ),
    "share_public_private": (
        "metadata",
        "Share of projects mixing a private partner (company, sme, startup, industry, ...) with "
        "a public one (public, research, university, education, municipality, ...); needs "
        "partner types.",
    ),
    "sdg17_share": ("counts", "Share of projects whose text is tagged SDG 17, for comparison."),
    "change": ("comparison", "The figure now minus the figure in the previous profile."),
    "change_ci": (
        "comparison",
        "95% interval of a change of share, from the two profiles' share intervals (Newcombe's "
        "square-and-add, the profiles taken as independent samples); a change whose interval holds "
        "0 is within what chance alone moves, and neither it nor the prevalence change beside it "
        "is coloured as a gain or a loss.",
    ),
}


@dataclass
class Trend:
    """One SDG's share over the periods, and how fast it moves."""

    periods: list[int]
    projects: list[int]
    shares: list[float]
    slope: float | None
    slope_ci_low: float | None
    slope_ci_high: float | None
    last_change: float | None
    trend: str | None
    prevalences: list[float | None] | None = None  # corrected, per period
    prevalence_slope: float | None = None
    prevalence_slope_ci_low: float | None = None
    prevalence_slope_ci_high: float | None = None
    prevalence_last_change: float | None = None


@dataclass
class TopProject:
    row: int
    id: str | None
    title: str | None
    probability: float
    primary: bool
    evidence: dict[str, Any] | None
    tags: list[dict[str, Any]] = field(default_factory=list)  # every tag: {sdg, probability}
    # (1.6) tags from a person's review (profile --corrections): their 1.00 is a judgement
    labelled_by_person: bool = False


@dataclass
class ProjectTags:
    """One project and the SDGs it is tagged with, most probable first."""

    row: int
    id: str | None
    title: str | None
    group: str | None
    tags: list[dict[str, Any]]  # {sdg, probability}


@dataclass
class SDGFigures:
    """All figures of one SDG in one group."""

    sdg: int
    name: str
    colour: str
    projects: int
    share: float
    share_ci_low: float | None
    share_ci_high: float | None
    intensity: float
    expected_projects: float
    allocated_projects: float
    allocation_share: float
    primary_projects: int
    primary_share: float
    specialisation: float | None
    prevalence: float | None = None  # corrected for the model's errors; None without error rates
    prevalence_ci_low: float | None = None
    prevalence_ci_high: float | None = None
    weighted_share: float | None = None
    allocated_weight: float | None = None
    allocation_weight_share: float | None = None
    trend: Trend | None = None
    top_projects: list[TopProject] = field(default_factory=list)


@dataclass
class Collaboration:
    """Partnership figures from metadata, shown beside the text-based SDG 17 tag."""

    source: str  # "list" (partner names) or "count"
    projects_with_partners: int
    mean_partners: float
    share_multi_partner: float
    share_international: float | None
    share_public_private: float | None
    sdg17_share: float


@dataclass(repr=False)
class GroupProfile:
    name: str
    is_overall: bool
    projects: int
    excluded: int
    share_with_sdg: float
    share_cross_sectoral: float
    breadth: int
    diversity: float | None
    total_weight: float | None
    weight_missing: int | None  # projects whose weight cell was blank or unreadable
    unallocated_projects: float
    unallocated_weight: float | None
    gaps_absent: list[int]
    gaps_weak: list[int]
    gaps_in_portfolio: list[int]
    combinations: list[dict[str, Any]]
    cooccurrence: list[dict[str, Any]]
    periods: list[dict[str, int]] | None
    accelerating: list[int]
    slowing: list[int]
    collaboration: Collaboration | None
    small_group: bool
    note: str | None
    sdgs: list[SDGFigures]

    def __repr__(self) -> str:
        """One line: the whole group printed 45 KB into a notebook cell."""
        top = sorted((s for s in self.sdgs if s.projects), key=lambda s: -s.share)[:3]
        shown = ", ".join(f"SDG {s.sdg} {s.share:.0%}" for s in top) or "no SDG tagged"
        return f"<GroupProfile {self.name!r}: {self.projects} projects; {shown}>"


@dataclass(repr=False)
class Profile:
    """A whole profile: settings, the portfolio overall, each group, and an optional comparison."""

    settings: dict[str, Any]
    input: dict[str, Any]
    overall: GroupProfile
    groups: list[GroupProfile]
    warnings: list[str] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    projects: list[ProjectTags] = field(default_factory=list)
    generated_at: str = field(default_factory=lambda: generation_time())

    def __repr__(self) -> str:
        """A short summary, not the whole document (269 KB for 180 projects)."""
        by = self.settings.get("by")
        n = len(self.groups)
        groups = f" in {n} group{'' if n == 1 else 's'} by {by!r}" if by else ""
        return (
            f"<Profile: {self.overall.projects} projects{groups}, {len(self.warnings)} "
            "warning(s); see .overall, .groups, .warnings, .to_dict(), .to_tidy_frame(), "
            ".to_markdown()>"
        )

    def all_groups(self) -> list[GroupProfile]:
        """The overall portfolio first, then each group."""
        return [self.overall, *self.groups]

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (resources/profile.schema.json); NaN becomes null."""
        return clean(
            {
                "schema_version": SCHEMA_VERSION,
                "generator": f"sdg-align {__version__}",
                "generated_at": self.generated_at,
                "settings": self.settings,
                "input": self.input,
                "overall": asdict(self.overall),
                "groups": [asdict(g) for g in self.groups],
                "warnings": self.warnings,
                "comparison": self.comparison,
                "projects": [asdict(p) for p in self.projects],
            }
        )

    def to_tidy_frame(self) -> pd.DataFrame:
        """One row per group and SDG (the overall portfolio first), scalar figures only."""
        from ..report.tidy import tidy_frame

        return tidy_frame(self.to_dict())

    def to_markdown(self) -> str:
        from ..report.markdown import profile_markdown

        return profile_markdown(self.to_dict())


def generation_time() -> str:
    """Now, in UTC, or the time ``SOURCE_DATE_EPOCH`` names: the reproducible-builds convention,
    so a nightly pipeline's profiles are byte-identical when nothing changed."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (
        datetime.fromtimestamp(int(epoch), timezone.utc)
        if epoch.isdigit()
        else datetime.now(timezone.utc)
    )
    return moment.isoformat(timespec="seconds")


def clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, floats rounded to 6 places (and
    -0.0, which a rounded tiny negative slope becomes, to 0.0)."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6) + 0.0 if math.isfinite(value) else None
    return value


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Profile.to_dict` (resources/profile.schema.json)."""
    from importlib import resources

    text = resources.files("sdg_align").joinpath("resources/profile.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
