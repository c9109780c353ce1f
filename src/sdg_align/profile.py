"""The cluster SDG acceleration profile: per-project SDG tags aggregated per group and per SDG.

A profile answers a cluster manager's and a funder's questions with numbers: which SDGs does the
portfolio advance, how strongly, with how much of the budget, which ones are speeding up, where the
gaps are, and what changed since the last snapshot. Everything here is pure pandas/numpy/scipy on a
scored table (the output of ``sdg-align score``); no model and no file I/O.

Each figure uses one of three views, and says which (see :data:`FIGURES` and docs/profile.md):

- **counts**: a project counts in full for every SDG it advances (shares may add up past 100%);
- **allocation**: a project (or its weight, e.g. its budget) is split across its SDGs in
  proportion to their probabilities, so the SDG totals plus the unallocated part add up to the
  portfolio exactly;
- **probability**: sums or means of the calibrated probabilities, which need no threshold.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import __version__
from .errors import DataError
from .labels import GOALS, NUM_SDGS, SDG_NUMBERS

SCHEMA_VERSION = "1.0"
PROB_COLS: tuple[str, ...] = tuple(f"p_sdg{n}" for n in SDG_NUMBERS)
SCORED_COLS: tuple[str, ...] = ("sdgs", *PROB_COLS)
ALL_LABEL = "All projects"
BLANK_GROUP = "(blank)"
BREADTH_SHARE = 0.10  # an SDG counts toward breadth (and is not "weak") from this share of projects
SMALL_GROUP = 30  # below this many projects a group gets an uncertainty note
TOP_COMBINATIONS = 5
MAX_LISTED_ERRORS = 20
PRIVATE_TYPES = frozenset({"company", "sme", "startup", "investor"})
PUBLIC_TYPES = frozenset({"public", "research", "university"})  # public bodies and academia
PARTNER_TYPES = PRIVATE_TYPES | PUBLIC_TYPES | {"ngo"}

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
        "The most frequent sets of two or more SDGs advanced by the same project.",
    ),
    "cooccurrence": ("counts", "For each pair of SDGs, the number of projects advancing both."),
    "gaps_absent": ("counts", "SDGs that no project of the group advances."),
    "gaps_weak": ("counts", "SDGs advanced by some projects, but by fewer than 10% of them."),
    "accelerating": ("counts", "SDGs whose share rises over the periods (slope CI above 0)."),
    "slowing": ("counts", "SDGs whose share falls over the periods (slope CI below 0)."),
    "note": ("-", f"A warning when the group has fewer than {SMALL_GROUP} projects."),
    "period_projects": ("counts", "Scored projects per period (year) of the time column."),
    "sdg_projects": ("counts", "Projects that advance the SDG (probability above its threshold)."),
    "share": ("counts", "`sdg_projects` divided by `projects`."),
    "share_ci": (
        "counts",
        "95% bootstrap interval of `share` (projects resampled with replacement); "
        "0% and 100% get zero-width intervals, so read them with `note`.",
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
    "slope_ci": ("counts", "95% confidence interval of `slope` (t distribution, n - 2 df)."),
    "last_change": ("counts", "`share` in the last period minus `share` in the period before."),
    "trend": (
        "counts",
        "accelerating when the whole `slope_ci` is above 0, slowing when below 0, else unclear.",
    ),
    "top_projects": (
        "probability",
        "The projects advancing the SDG with the highest probability, with their evidence.",
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
        "Share of projects mixing a private partner (company, sme, startup, investor) with a "
        "public one (public, research, university); needs partner types.",
    ),
    "sdg17_share": ("counts", "Share of projects whose text is tagged SDG 17, for comparison."),
    "change": ("comparison", "The figure now minus the figure in the previous profile."),
}


# -- result types ----------------------------------------------------------------------------------


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


@dataclass
class TopProject:
    row: int
    id: str | None
    title: str | None
    probability: float
    primary: bool
    evidence: dict[str, Any] | None


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


@dataclass
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
    unallocated_projects: float
    unallocated_weight: float | None
    gaps_absent: list[int]
    gaps_weak: list[int]
    combinations: list[dict[str, Any]]
    cooccurrence: list[dict[str, Any]]
    periods: list[dict[str, int]] | None
    accelerating: list[int]
    slowing: list[int]
    collaboration: Collaboration | None
    small_group: bool
    note: str | None
    sdgs: list[SDGFigures]


@dataclass
class Profile:
    """A whole profile: settings, the portfolio overall, each group, and an optional comparison."""

    settings: dict[str, Any]
    input: dict[str, Any]
    overall: GroupProfile
    groups: list[GroupProfile]
    warnings: list[str] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    generated_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )

    def all_groups(self) -> list[GroupProfile]:
        """The overall portfolio first, then each group."""
        return [self.overall, *self.groups]

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (resources/profile.schema.json); NaN becomes null."""
        return _clean(
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
            }
        )

    def to_tidy_frame(self) -> pd.DataFrame:
        """One row per group and SDG (the overall portfolio first), scalar figures only."""
        return tidy_frame(self.to_dict())

    def to_markdown(self) -> str:
        return profile_markdown(self.to_dict())


# -- input parsing ---------------------------------------------------------------------------------


def is_scored(frame: pd.DataFrame) -> bool:
    """Whether the table holds ``sdg-align score`` output (probability columns), else raw text.

    A labelled dataset with only an ``sdgs`` column counts as raw: it has no probabilities.
    """
    return any(c in frame.columns for c in PROB_COLS)


def _text(series: pd.Series) -> pd.Series:
    """Cells as strings, missing ones as ''; whole floats lose their '.0' (JSON Lines input)."""
    if pd.api.types.is_float_dtype(series.dtype) and bool((series.dropna() % 1 == 0).all()):
        series = series.astype("Int64")
    return series.astype(object).where(series.notna(), "").astype(str)


@dataclass(frozen=True)
class _Rows:
    """How error messages name rows: input row numbers (data rows from 1) and ids when known."""

    numbers: np.ndarray
    ids: Sequence[str] | None = None

    def where(self, mask: np.ndarray, series: pd.Series) -> str:
        """Quote the first offending cells: 'n/a' in row 3 (P-03), ..."""
        positions = np.flatnonzero(mask)
        values = _text(series.iloc[positions[:5]]).tolist()
        parts = []
        for pos, value in zip(positions[:5], values, strict=False):
            label = f" ({self.ids[pos]})" if self.ids is not None and self.ids[pos] else ""
            shown = value if len(value) <= 30 else value[:27] + "..."
            parts.append(f"{shown!r} in row {self.numbers[pos]}{label}")
        more = len(positions) - 5
        return ", ".join(parts) + (f" and {more} more rows" if more > 0 else "")


def _check_columns(frame: pd.DataFrame, named: Mapping[str, str | None]) -> None:
    """Each column named by an option must exist; the error lists those that do."""
    found = ", ".join(map(str, frame.columns))
    for option, column in named.items():
        if column is not None and column not in frame.columns:
            raise DataError(
                f"{option} column '{column}' not found; the input has: {found}. "
                f"Use --{option.replace('_', '-')} to choose one."
            )


def _parse_tags(series: pd.Series, rows: _Rows) -> np.ndarray:
    """The ``sdgs`` cells ('7;13') as a boolean (rows, 17) matrix."""
    text = _text(series).str.replace(r"\s+", "", regex=True)
    dummies = text.str.get_dummies(sep=";")
    tags = np.zeros((len(series), NUM_SDGS), dtype=bool)
    bad = np.zeros(len(series), dtype=bool)
    for token in dummies.columns:
        hit = dummies[token].to_numpy(dtype=bool)
        try:
            number = float(token)
        except ValueError:
            number = math.nan
        if number.is_integer() and 1 <= number <= NUM_SDGS:
            tags[:, int(number) - 1] |= hit
        elif token:
            bad |= hit
    if bad.any():
        raise DataError(
            "column 'sdgs' must hold SDG numbers 1-17 separated by ';'; found "
            + rows.where(bad, series)
        )
    return tags


def _parse_numbers(
    series: pd.Series, column: str, rows: _Rows, *, low: float, high: float
) -> np.ndarray:
    """Numbers in [low, high]; empty or other cells raise an error naming the rows."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        array = series.to_numpy(dtype=float)
    else:
        array = pd.to_numeric(series.astype(str).str.strip(), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if bad.any():
        limits = f"between {low:g} and {high:g}" if math.isfinite(high) else f"of at least {low:g}"
        raise DataError(
            f"column '{column}' must hold numbers {limits} in every scored row; found "
            + rows.where(bad, series)
            + ". Fix those cells (plain numbers like 125000, no currency signs) or drop the rows."
        )
    return array


def _parse_primary(series: pd.Series, rows: _Rows) -> np.ndarray:
    """``primary_sdg`` as ints, 0 where empty."""
    text = _text(series).str.strip()
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    empty = (text == "").to_numpy()
    bad = ~empty & ~(np.isfinite(values) & (values >= 1) & (values <= NUM_SDGS))
    if bad.any():
        raise DataError(
            "column 'primary_sdg' must hold one SDG number (1-17) or nothing; found "
            + rows.where(bad, series)
        )
    return np.where(empty, 0, np.nan_to_num(values)).astype(int)


def _parse_periods(series: pd.Series, column: str, rows: _Rows) -> np.ndarray:
    """Years (2021) or dates (2021-03-15, read as their year) as ints."""
    text = _text(series).str.strip()
    years = pd.Series(np.nan, index=text.index)
    is_year = text.str.fullmatch(r"\d{4}")
    years[is_year] = text[is_year].astype(int)
    rest = ~is_year & (text != "")
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(text[rest], errors="coerce", format="mixed")
        years[rest] = dates.dt.year
    bad = years.isna().to_numpy()
    if bad.any():
        raise DataError(
            f"time column '{column}' must hold a year (2021) or a date (2021-03-15) in every row; "
            "found " + rows.where(bad, series)
        )
    return years.to_numpy(dtype=int)


@dataclass
class _Partners:
    source: str
    count: np.ndarray
    countries: np.ndarray | None  # distinct country codes per project
    public_private: np.ndarray | None


def _parse_partners(series: pd.Series) -> _Partners:
    """A count per project, or a '; '-separated list of 'Name (CC, type)' entries."""
    text = _text(series).str.strip().reset_index(drop=True)
    filled = text[text != ""]
    as_number = pd.to_numeric(filled, errors="coerce")
    if (
        as_number.notna().all()
        and bool((as_number % 1 == 0).all())
        and bool((as_number >= 0).all())
    ):
        counts = pd.to_numeric(text.replace("", "0")).to_numpy(dtype=int)
        return _Partners("count", counts, None, None)
    items = text.str.split(";").explode().str.strip()
    items = items[items.notna() & (items != "")]
    meta = items.str.extract(r"\(([^()]*)\)\s*$", expand=False).fillna("").str.lower()
    country = meta.str.extract(r"(?:^|,)\s*([a-z]{2})\s*(?=,|$)", expand=False)
    kind = meta.str.extract(
        r"(?:^|,)\s*(" + "|".join(sorted(PARTNER_TYPES)) + r")\s*(?=,|$)", expand=False
    )
    table = pd.DataFrame(
        {
            "owner": items.index,
            "country": country,
            "private": kind.isin(PRIVATE_TYPES),
            "public": kind.isin(PUBLIC_TYPES),
        }
    )
    by_owner = table.groupby("owner")
    rows = pd.RangeIndex(len(text))
    counts = by_owner.size().reindex(rows, fill_value=0).to_numpy(dtype=int)
    countries = by_owner["country"].nunique().reindex(rows, fill_value=0).to_numpy(dtype=int)
    private = by_owner["private"].any().reindex(rows, fill_value=False).to_numpy(dtype=bool)
    public = by_owner["public"].any().reindex(rows, fill_value=False).to_numpy(dtype=bool)
    return _Partners(
        "list",
        counts,
        countries if country.notna().any() else None,
        (private & public) if kind.notna().any() else None,
    )


@dataclass
class _Data:
    """The scored rows as arrays, one row per project kept."""

    tags: np.ndarray  # bool (n, 17)
    probs: np.ndarray  # float (n, 17)
    primary: np.ndarray  # int (n,), 0 = none
    rows: np.ndarray  # 1-based row numbers in the input
    ids: list[str] | None
    titles: list[str] | None
    evidence: list[Any] | None
    groups: np.ndarray | None
    weights: np.ndarray | None
    periods: np.ndarray | None
    partners: _Partners | None
    bad_evidence: set[int] = field(default_factory=set)  # rows whose evidence is not JSON


def _guess(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in frame.columns), None)


# -- the profile -----------------------------------------------------------------------------------


def build_profile(
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    weight_col: str | None = None,
    time_col: str | None = None,
    partners_col: str | None = None,
    id_col: str | None = None,
    title_col: str | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    top_projects: int = 3,
) -> Profile:
    """Profile a scored table: the whole input, and each value of ``by`` when given.

    ``id_col`` and ``title_col`` name projects in errors and in the top-projects tables; they
    default to ``project_id``/``id`` and ``title`` when present.
    """
    if len(frame) == 0:
        raise DataError("the input has no rows")
    missing = [c for c in SCORED_COLS if c not in frame.columns]
    if missing:
        raise DataError(
            f"the input lacks the scored column(s) {', '.join(missing)}; the input has: "
            f"{', '.join(map(str, frame.columns))}. Score it with `sdg-align score` first, or give "
            "raw text columns with --text-col."
        )
    _check_columns(
        frame,
        {
            "by": by,
            "weight_col": weight_col,
            "time_col": time_col,
            "partners_col": partners_col,
            "id_col": id_col,
            "title_col": title_col,
        },
    )
    if bootstrap < 0:
        raise DataError(f"bootstrap must be 0 (off) or a number of resamples; got {bootstrap}")
    id_col = id_col or _guess(frame, ("project_id", "id"))
    title_col = title_col or _guess(frame, ("title", "name", "project_title"))
    frame = frame.reset_index(drop=True)
    all_ids = _text(frame[id_col]).tolist() if id_col else None
    all_groups = _group_labels(frame[by]) if by else None

    failed = (
        (_text(frame["error"]).str.strip() != "").to_numpy()
        if "error" in frame.columns
        else np.zeros(len(frame), dtype=bool)
    )
    excluded_rows = [
        {
            "row": int(pos) + 1,
            "id": all_ids[pos] if all_ids else None,
            "error": str(frame.at[pos, "error"]),
        }
        for pos in np.flatnonzero(failed)[:MAX_LISTED_ERRORS]
    ]
    kept = frame[~failed].reset_index(drop=True)
    if kept.empty:
        first = excluded_rows[0]["error"]
        raise DataError(
            f"none of the {len(frame)} rows was scored; every row has an error (row 1: {first!r})"
        )
    data = _load(
        kept,
        np.flatnonzero(~failed) + 1,
        by=by,
        weight_col=weight_col,
        time_col=time_col,
        partners_col=partners_col,
        id_col=id_col,
        title_col=title_col,
    )

    rng = np.random.default_rng(seed)
    settings = {
        "by": by,
        "weight_col": weight_col,
        "time_col": time_col,
        "partners_col": partners_col,
        "id_col": id_col,
        "title_col": title_col,
        "bootstrap": bootstrap,
        "seed": seed,
        "breadth_share": BREADTH_SHARE,
        "small_group": SMALL_GROUP,
        "top_projects": top_projects,
    }
    everyone = np.arange(len(kept))
    overall_share = data.tags.mean(axis=0)
    overall = _group_profile(
        ALL_LABEL,
        True,
        everyone,
        int(failed.sum()),
        data,
        overall_share,
        rng=rng,
        bootstrap=bootstrap,
        top_n=top_projects,
    )
    groups = []
    if by and data.groups is not None and all_groups is not None:
        excluded_per_group = pd.Series(all_groups[failed]).value_counts()
        names = sorted(set(all_groups.tolist()))
        for name in names:
            members = np.flatnonzero(data.groups == name)
            excluded = int(excluded_per_group.get(name, 0))
            if members.size == 0:
                continue  # every row of this group failed; it is still counted in input.excluded
            groups.append(
                _group_profile(
                    name,
                    False,
                    members,
                    excluded,
                    data,
                    overall_share,
                    rng=rng,
                    bootstrap=bootstrap,
                    top_n=top_projects,
                )
            )
    profile_warnings = []
    if failed.any():
        profile_warnings.append(
            f"{int(failed.sum())} of {len(frame)} rows could not be scored and are left out "
            "of every figure (see input.excluded_rows)"
        )
    if by and all_groups is not None:
        lost = sorted(set(all_groups[failed].tolist()) - {g.name for g in groups})
        if lost:
            profile_warnings.append(
                f"no scored project in group(s) {', '.join(lost)}: every row there has an error"
            )
    if data.bad_evidence:
        shown = ", ".join(map(str, sorted(data.bad_evidence)[:5]))
        profile_warnings.append(
            f"the evidence cell is not valid JSON in row(s) {shown}; those projects are shown "
            "without evidence"
        )
    return Profile(
        settings=settings,
        input={
            "rows": len(frame),
            "scored": len(kept),
            "excluded": int(failed.sum()),
            "groups": len(groups),
            "excluded_rows": excluded_rows,
        },
        overall=overall,
        groups=groups,
        warnings=profile_warnings,
    )


def _group_labels(series: pd.Series) -> np.ndarray:
    labels = _text(series).str.strip()
    return labels.where(labels != "", BLANK_GROUP).to_numpy(dtype=object)


def _load(
    kept: pd.DataFrame,
    rows: np.ndarray,
    *,
    by: str | None,
    weight_col: str | None,
    time_col: str | None,
    partners_col: str | None,
    id_col: str | None,
    title_col: str | None,
) -> _Data:
    """Parse and check every column the profile uses; errors name the column and rows."""
    ids = _text(kept[id_col]).tolist() if id_col else None
    where = _Rows(rows, ids)
    probs = np.column_stack(
        [_parse_numbers(kept[c], c, where, low=0.0, high=1.0) for c in PROB_COLS]
    )
    tags = _parse_tags(kept["sdgs"], where)
    if "primary_sdg" in kept.columns:
        primary = _parse_primary(kept["primary_sdg"], where)
    else:  # the most probable tagged SDG, as `score` defines it
        masked = np.where(tags, probs, -1.0)
        primary = np.where(tags.any(axis=1), masked.argmax(axis=1) + 1, 0)
    weights = (
        _parse_numbers(kept[weight_col], weight_col, where, low=0.0, high=math.inf)
        if weight_col
        else None
    )
    periods = _parse_periods(kept[time_col], time_col, where) if time_col else None
    return _Data(
        tags=tags,
        probs=probs,
        primary=primary,
        rows=rows,
        ids=ids,
        titles=_text(kept[title_col]).tolist() if title_col else None,
        evidence=kept["evidence"].tolist() if "evidence" in kept.columns else None,
        groups=_group_labels(kept[by]) if by else None,
        weights=weights,
        periods=periods,
        partners=_parse_partners(kept[partners_col]) if partners_col else None,
    )


def _group_profile(
    name: str,
    is_overall: bool,
    members: np.ndarray,
    excluded: int,
    data: _Data,
    overall_share: np.ndarray,
    *,
    rng: np.random.Generator,
    bootstrap: int,
    top_n: int,
) -> GroupProfile:
    """Every figure of one group (``members`` index the kept rows)."""
    tags = data.tags[members]
    probs = data.probs[members]
    n = len(members)
    counts = tags.sum(axis=0)
    share = counts / n
    tag_sum = tags.sum(axis=1)

    # Allocation: each project's unit (and weight) is split over its SDGs by probability.
    tagged_probs = np.where(tags, probs, 0.0)
    totals = tagged_probs.sum(axis=1, keepdims=True)
    even = tags / np.maximum(tag_sum, 1)[:, None]  # tagged SDGs whose probabilities are all 0
    split = np.where(totals > 0, tagged_probs / np.where(totals > 0, totals, 1.0), even)
    allocated = split.sum(axis=0)
    weights = data.weights[members] if data.weights is not None else None
    total_weight = float(weights.sum()) if weights is not None else None

    if bootstrap:
        # Resampling n projects with replacement draws each SDG's count from Binomial(n, share):
        # the exact bootstrap distribution of a share, at the cost of 17 numbers per resample.
        draws = rng.binomial(n, share, size=(bootstrap, NUM_SDGS)) / n
        ci_low, ci_high = np.quantile(draws, [0.025, 0.975], axis=0)
    else:
        ci_low = ci_high = np.full(NUM_SDGS, np.nan)

    trends = _trends(data.periods[members], tags) if data.periods is not None else None
    primary = data.primary[members]
    sdgs = []
    for k, goal in enumerate(GOALS):
        figures = SDGFigures(
            sdg=goal.number,
            name=goal.short_name,
            colour=goal.colour,
            projects=int(counts[k]),
            share=float(share[k]),
            share_ci_low=_num(ci_low[k]),
            share_ci_high=_num(ci_high[k]),
            intensity=float(probs[:, k].mean()),
            expected_projects=float(probs[:, k].sum()),
            allocated_projects=float(allocated[k]),
            allocation_share=float(allocated[k] / n),
            primary_projects=int((primary == goal.number).sum()),
            primary_share=float((primary == goal.number).mean()),
            specialisation=float(share[k] / overall_share[k]) if overall_share[k] > 0 else None,
            trend=trends[k] if trends else None,
            top_projects=_top_projects(members, k, data, top_n),
        )
        if weights is not None and total_weight is not None:
            allocated_weight = float(weights @ split[:, k])
            figures.weighted_share = _ratio(float(weights[tags[:, k]].sum()), total_weight)
            figures.allocated_weight = allocated_weight
            figures.allocation_weight_share = _ratio(allocated_weight, total_weight)
        sdgs.append(figures)

    untagged = tag_sum == 0
    tag_total = counts.sum()
    if tag_total:
        p = counts[counts > 0] / tag_total
        diversity: float | None = float(-(p * np.log(p)).sum() / math.log(NUM_SDGS))
    else:
        diversity = None
    return GroupProfile(
        name=name,
        is_overall=is_overall,
        projects=n,
        excluded=excluded,
        share_with_sdg=float((~untagged).mean()),
        share_cross_sectoral=float((tag_sum >= 2).mean()),
        breadth=int((share >= BREADTH_SHARE).sum()),
        diversity=diversity,
        total_weight=total_weight,
        unallocated_projects=float(untagged.sum()),
        unallocated_weight=float(weights[untagged].sum()) if weights is not None else None,
        gaps_absent=[g.number for g, c in zip(GOALS, counts, strict=True) if c == 0],
        gaps_weak=[g.number for g, s in zip(GOALS, share, strict=True) if 0 < s < BREADTH_SHARE],
        combinations=_combinations(tags),
        cooccurrence=_cooccurrence(tags),
        periods=_period_counts(data.periods[members]) if data.periods is not None else None,
        accelerating=[s.sdg for s in sdgs if s.trend and s.trend.trend == "accelerating"],
        slowing=[s.sdg for s in sdgs if s.trend and s.trend.trend == "slowing"],
        collaboration=_collaboration(data.partners, members, share[-1]) if data.partners else None,
        small_group=n < SMALL_GROUP,
        note=_small_group_note(n),
        sdgs=sdgs,
    )


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _small_group_note(n: int) -> str | None:
    if n >= SMALL_GROUP:
        return None
    return (
        f"Only {n} project{'s' if n != 1 else ''}: one project moves a share by "
        f"{100 / n:.0f} points, so read shares with their intervals; a share of 0 here only says "
        f"the SDG is rarer than about {min(3 / n, 1):.0%} of projects (rule of three)."
    )


def _combinations(tags: np.ndarray) -> list[dict[str, Any]]:
    """The most frequent multi-SDG sets, each project's set encoded as a 17-bit integer."""
    multi = tags[tags.sum(axis=1) >= 2]
    if not len(multi):
        return []
    codes = multi.astype(np.int64) @ (1 << np.arange(NUM_SDGS, dtype=np.int64))
    found = pd.Series(codes).value_counts()
    sets = [
        ([k + 1 for k in range(NUM_SDGS) if int(code) >> k & 1], int(count))
        for code, count in found.items()
    ]
    sets.sort(key=lambda item: (-item[1], item[0]))  # most frequent first, ties by SDG numbers
    return [
        {"sdgs": sdgs, "projects": count, "share": count / len(tags)}
        for sdgs, count in sets[:TOP_COMBINATIONS]
    ]


def _cooccurrence(tags: np.ndarray) -> list[dict[str, Any]]:
    """Edges of the SDG network: pairs of SDGs advanced by the same projects, heaviest first."""
    as_int = tags.astype(np.int64)
    matrix = as_int.T @ as_int
    i, j = np.triu_indices(NUM_SDGS, k=1)
    edges = [
        {"sdgs": [int(a) + 1, int(b) + 1], "projects": int(matrix[a, b])}
        for a, b in zip(i, j, strict=True)
        if matrix[a, b] > 0
    ]
    return sorted(edges, key=lambda e: (-e["projects"], e["sdgs"]))


def _period_counts(periods: np.ndarray) -> list[dict[str, int]]:
    values, counts = np.unique(periods, return_counts=True)
    return [{"period": int(v), "projects": int(c)} for v, c in zip(values, counts, strict=True)]


def _trends(periods: np.ndarray, tags: np.ndarray) -> list[Trend]:
    """Per SDG: shares per period and the slope of a linear probability model, all 17 at once."""
    values, inverse = np.unique(periods, return_inverse=True)
    per_period = np.zeros((len(values), NUM_SDGS))
    np.add.at(per_period, inverse, tags)
    sizes = np.bincount(inverse)
    shares = per_period / sizes[:, None]
    n = len(periods)
    nothing = np.full(NUM_SDGS, np.nan)
    slope, ci_low, ci_high = nothing, nothing, nothing
    if len(values) >= 2:
        t = periods - periods.mean()
        sxx = float(t @ t)
        y = tags.astype(float)
        slope = (t @ y) / sxx
        if n > 2:
            centred = y - y.mean(axis=0)
            residual = np.maximum((centred**2).sum(axis=0) - slope**2 * sxx, 0.0)
            half = stats.t.ppf(0.975, n - 2) * np.sqrt(residual / (n - 2) / sxx)
            ci_low, ci_high = slope - half, slope + half
    last = shares[-1] - shares[-2] if len(values) >= 2 else np.full(NUM_SDGS, np.nan)
    trends = []
    for k in range(NUM_SDGS):
        if np.isnan(ci_low[k]) or not per_period[:, k].any():
            label = None  # no slope to judge, or an SDG the group never advances
        elif ci_low[k] > 0:
            label = "accelerating"
        elif ci_high[k] < 0:
            label = "slowing"
        else:
            label = "unclear"
        trends.append(
            Trend(
                periods=[int(v) for v in values],
                projects=[int(c) for c in per_period[:, k]],
                shares=[float(s) for s in shares[:, k]],
                slope=_num(slope[k]),
                slope_ci_low=_num(ci_low[k]),
                slope_ci_high=_num(ci_high[k]),
                last_change=_num(last[k]),
                trend=label,
            )
        )
    return trends


def _collaboration(partners: _Partners, members: np.ndarray, sdg17_share: float) -> Collaboration:
    count = partners.count[members]
    return Collaboration(
        source=partners.source,
        projects_with_partners=int((count > 0).sum()),
        mean_partners=float(count.mean()),
        share_multi_partner=float((count >= 2).mean()),
        share_international=(
            float((partners.countries[members] >= 2).mean())
            if partners.countries is not None
            else None
        ),
        share_public_private=(
            float(partners.public_private[members].mean())
            if partners.public_private is not None
            else None
        ),
        sdg17_share=float(sdg17_share),
    )


def _top_projects(members: np.ndarray, k: int, data: _Data, top_n: int) -> list[TopProject]:
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


def _evidence(data: _Data, pos: int, sdg: int) -> dict[str, Any] | None:
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


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, floats rounded to 6 places."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6) if math.isfinite(value) else None
    return value


# -- tidy table and Markdown -----------------------------------------------------------------------

TIDY_FIGURES = (
    "projects",
    "share",
    "share_ci_low",
    "share_ci_high",
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
TREND_FIGURES = ("slope", "slope_ci_low", "slope_ci_high", "last_change", "trend")


def tidy_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per group and SDG from a profile document (``Profile.to_dict()`` or its JSON)."""
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
                for period, count, share in zip(
                    trend["periods"], trend["projects"], trend["shares"], strict=True
                ):
                    row[f"projects_{period}"] = count
                    row[f"share_{period}"] = share
            if changes:
                change = changes.get((group["name"], item["sdg"]), {})
                row["previous_share"] = change.get("share_old")
                row["share_change"] = change.get("share_change")
                row["previous_projects"] = change.get("projects_old")
            rows.append(row)
    return pd.DataFrame(rows)


def _comparison_index(comparison: Mapping[str, Any] | None) -> dict[tuple[str, int], dict]:
    if not comparison:
        return {}
    index = {}
    for group in [comparison["overall"], *comparison["groups"]]:
        for item in group.get("sdgs", []):
            index[(group["name"], item["sdg"])] = item
    return index


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _points(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f} pts"


def md_escape(text: Any) -> str:
    """Untrusted text made inert in a Markdown table cell (no HTML, no table breaks)."""
    value = " ".join(str(text).split())
    for char, repl in (
        ("\\", "\\\\"),
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("|", "\\|"),
        ("`", "\\`"),
        ("*", "\\*"),
        ("_", "\\_"),
        ("[", "\\["),
        ("]", "\\]"),
    ):
        value = value.replace(char, repl)
    return value


def _sdg_list(numbers: Sequence[int]) -> str:
    return ", ".join(f"SDG {n}" for n in numbers) or "none"


def profile_markdown(document: Mapping[str, Any]) -> str:
    """The profile as a Markdown report (tables per group; figures defined in docs/profile.md)."""
    settings = document["settings"]
    source = document["input"]
    lines = [
        "# SDG acceleration profile",
        "",
        f"{source['scored']} of {source['rows']} projects scored"
        + (f", grouped by `{md_escape(settings['by'])}`" if settings.get("by") else "")
        + f". Generated {document['generated_at']} by {document['generator']}. "
        "Figures are defined in docs/profile.md; *counts* count a project for every SDG it "
        "advances, *allocation* splits it across its SDGs so totals add up.",
        "",
    ]
    lines += [f"> {md_escape(w)}" for w in document.get("warnings", [])]
    for group in [document["overall"], *document["groups"]]:
        lines += _group_markdown(group, settings)
    if document.get("comparison"):
        lines += _comparison_markdown(document["comparison"])
    return "\n".join(lines).rstrip() + "\n"


def _group_markdown(group: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    lines = [
        "",
        f"## {md_escape(group['name'])}",
        "",
        f"- Projects: {group['projects']} (excluded: {group['excluded']})",
        f"- Advance at least one SDG: {_pct(group['share_with_sdg'])}; "
        f"cross-sectoral (2+ SDGs): {_pct(group['share_cross_sectoral'])}",
        f"- Breadth: {group['breadth']} SDGs; diversity: "
        + ("–" if group["diversity"] is None else f"{group['diversity']:.2f}"),
        f"- Gaps: absent {_sdg_list(group['gaps_absent'])}; weak {_sdg_list(group['gaps_weak'])}",
    ]
    if group.get("periods"):
        lines.append(
            f"- Accelerating: {_sdg_list(group['accelerating'])}; "
            f"slowing: {_sdg_list(group['slowing'])}"
        )
    if group.get("note"):
        lines.append(f"- Note: {group['note']}")
    weighted = settings.get("weight_col") is not None
    header = [
        "SDG",
        "Projects",
        "Share (95% CI)",
        "Intensity",
        "Expected",
        "Allocated",
        "Primary",
        "Specialisation",
    ]
    if weighted:
        header += ["Weighted share", "Allocated weight"]
    if group.get("periods"):
        header += ["Slope/yr (95% CI)", "Last change", "Trend"]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for item in group["sdgs"]:
        cells = [
            f"{item['sdg']} {item['name']}",
            str(item["projects"]),
            f"{_pct(item['share'])} ({_pct(item['share_ci_low'])}–{_pct(item['share_ci_high'])})",
            f"{item['intensity']:.2f}",
            f"{item['expected_projects']:.1f}",
            f"{item['allocated_projects']:.1f}",
            _pct(item["primary_share"]),
            "–" if item["specialisation"] is None else f"{item['specialisation']:.2f}",
        ]
        if weighted:
            cells += [_pct(item["weighted_share"]), f"{item['allocated_weight']:,.0f}"]
        trend = item.get("trend")
        if group.get("periods") and trend:
            cells += [
                f"{_points(trend['slope'])} ({_points(trend['slope_ci_low'])}, "
                f"{_points(trend['slope_ci_high'])})",
                _points(trend["last_change"]),
                trend["trend"] or "–",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    if group["combinations"]:
        lines += [
            "",
            "Most frequent SDG combinations: "
            + "; ".join(
                f"{' + '.join(map(str, c['sdgs']))} ({c['projects']})"
                for c in group["combinations"]
            ),
        ]
    collab = group.get("collaboration")
    if collab:
        lines += [
            "",
            f"Partnerships ({collab['source']}): {_pct(collab['share_multi_partner'])} with 2+ "
            f"partners, {_pct(collab['share_international'])} international, "
            f"{_pct(collab['share_public_private'])} public-private; mean "
            f"{collab['mean_partners']:.1f} partners; SDG 17 in the text: "
            f"{_pct(collab['sdg17_share'])}.",
        ]
    return lines


def _comparison_markdown(comparison: Mapping[str, Any]) -> list[str]:
    previous = comparison["previous"]
    lines = [
        "",
        "## Changes since the previous profile",
        "",
        f"Previous profile generated {md_escape(previous.get('generated_at'))} "
        f"({previous.get('scored')} projects scored).",
    ]
    lines += [f"> {md_escape(w)}" for w in comparison["warnings"]]
    for group in [comparison["overall"], *comparison["groups"]]:
        lines += ["", f"### {md_escape(group['name'])} ({group['status']})"]
        if group["status"] != "both":
            continue
        lines += [
            "",
            f"Projects {group['projects_old']} → {group['projects_new']}; breadth "
            f"{group['breadth_old']} → {group['breadth_new']}; gaps closed: "
            f"{_sdg_list(group['gaps_closed'])}; new gaps: {_sdg_list(group['gaps_new'])}.",
            "",
            "| SDG | Share before | Share now | Change | Projects before | Projects now |",
            "|---|---|---|---|---|---|",
        ]
        for item in group["sdgs"]:
            lines.append(
                f"| {item['sdg']} | {_pct(item['share_old'])} | {_pct(item['share_new'])} | "
                f"{_points(item['share_change'])} | {item['projects_old']} | "
                f"{item['projects_new']} |"
            )
    return lines


# -- comparing snapshots ---------------------------------------------------------------------------


def check_document(document: Any, name: str = "the previous profile") -> dict[str, Any]:
    """A loaded profile JSON checked just enough to compare against; errors say what is wrong."""
    if not isinstance(document, dict) or "schema_version" not in document:
        raise DataError(
            f"{name} is not a profile written by `sdg-align profile --json` (no schema_version)"
        )
    major = str(document["schema_version"]).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise DataError(
            f"{name} has schema version {document['schema_version']}; this version reads "
            f"{SCHEMA_VERSION.split('.')[0]}.x. Re-run the old profile with this version."
        )
    for key in ("overall", "groups", "settings", "input"):
        if key not in document:
            raise DataError(f"{name} lacks '{key}'; it is not a complete profile document")
    return document


def compare_profiles(
    new: Profile | Mapping[str, Any],
    old: Profile | Mapping[str, Any],
    *,
    old_name: str = "previous profile",
) -> dict[str, Any]:
    """What changed since ``old`` (a profile, or its loaded JSON), per group and per SDG.

    Groups are matched by name; a group in only one profile is listed as ``added`` or ``removed``.
    """
    current = new.to_dict() if isinstance(new, Profile) else dict(new)
    previous = check_document(old.to_dict() if isinstance(old, Profile) else dict(old), old_name)
    notes = []
    for key in ("by", "weight_col", "time_col"):
        if current["settings"].get(key) != previous["settings"].get(key):
            notes.append(
                f"{key} differs: {previous['settings'].get(key)!r} before, "
                f"{current['settings'].get(key)!r} now; compare with care"
            )
    old_groups = {g["name"]: g for g in previous["groups"]}
    new_groups = {g["name"]: g for g in current["groups"]}
    groups = [
        _compare_group(new_groups.get(name), old_groups.get(name), name)
        for name in sorted(set(old_groups) | set(new_groups))
    ]
    return {
        "previous": {
            "generated_at": previous.get("generated_at"),
            "schema_version": previous["schema_version"],
            "rows": previous["input"].get("rows"),
            "scored": previous["input"].get("scored"),
        },
        "warnings": notes,
        "overall": _compare_group(current["overall"], previous["overall"], ALL_LABEL),
        "groups": groups,
    }


def _compare_group(
    new: Mapping[str, Any] | None, old: Mapping[str, Any] | None, name: str
) -> dict[str, Any]:
    if new is None or old is None:
        return {"name": name, "status": "added" if old is None else "removed", "sdgs": []}

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    old_sdgs = {s["sdg"]: s for s in old["sdgs"]}
    items = []
    for item in new["sdgs"]:
        before = old_sdgs.get(item["sdg"], {})
        items.append(
            {
                "sdg": item["sdg"],
                "share_old": before.get("share"),
                "share_new": item["share"],
                "share_change": diff(item["share"], before.get("share")),
                "projects_old": before.get("projects"),
                "projects_new": item["projects"],
                "allocation_share_change": diff(
                    item["allocation_share"], before.get("allocation_share")
                ),
                "weighted_share_change": diff(
                    item.get("weighted_share"), before.get("weighted_share")
                ),
                "specialisation_change": diff(
                    item.get("specialisation"), before.get("specialisation")
                ),
            }
        )
    return {
        "name": name,
        "status": "both",
        "projects_old": old["projects"],
        "projects_new": new["projects"],
        "share_with_sdg_change": diff(new["share_with_sdg"], old["share_with_sdg"]),
        "breadth_old": old["breadth"],
        "breadth_new": new["breadth"],
        "diversity_change": diff(new["diversity"], old["diversity"]),
        "gaps_closed": sorted(set(old["gaps_absent"]) - set(new["gaps_absent"])),
        "gaps_new": sorted(set(new["gaps_absent"]) - set(old["gaps_absent"])),
        "sdgs": items,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Profile.to_dict` (resources/profile.schema.json)."""
    from importlib import resources

    text = resources.files("sdg_align").joinpath("resources/profile.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
