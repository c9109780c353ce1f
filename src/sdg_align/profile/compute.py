"""The profile's computations: per-project SDG tags aggregated per group and per SDG.

A profile answers a cluster manager's and a funder's questions with numbers: which SDGs does the
portfolio advance, how strongly, with how much of the budget, which ones are speeding up, and where
the gaps are. Everything here is pure numpy/scipy on a checked input (:mod:`.inputs`); no model and
no file I/O.

Each figure uses one of three views, and says which (see :data:`.figures.FIGURES`):

- **counts**: a project counts in full for every SDG it advances (shares may add up past 100%);
- **allocation**: a project (or its weight, e.g. its budget) is split across its SDGs in
  proportion to their probabilities, so the SDG totals plus the unallocated part add up to the
  portfolio exactly;
- **probability**: sums or means of the calibrated probabilities, which need no threshold.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..decisions import OPERATING_POINTS, off_thresholds
from ..errors import DataError, SDGAlignWarning
from ..labels import GOALS, NUM_SDGS
from .error_rates import ErrorRates
from .figures import (
    ALL_LABEL,
    BREADTH_SHARE,
    DEFAULT_DRAWS,
    MAX_LISTED_PROJECTS,
    SMALL_GROUP,
    THIN_PERIOD,
    TOP_COMBINATIONS,
    Collaboration,
    GroupProfile,
    Profile,
    SDGFigures,
)
from .inputs import NO_PERIOD, Partners, ProfileColumns, ProfileInput, Projects, read_input
from .intervals import share_interval
from .prevalence import METHOD, MIN_AUDIT, Audit, anchors, estimate_prevalence
from .projects import listed_projects, top_projects
from .trends import trends as period_trends


@dataclass(frozen=True)
class _Options:
    """How every group is computed: Monte Carlo draws and their generator, top projects, error rates."""

    bootstrap: int  # draws for the prevalence and trend intervals (0: none)
    top_n: int
    rates: ErrorRates | None = None
    prevalence_rng: np.random.Generator | None = None


def build_profile(
    frame: pd.DataFrame,
    *,
    columns: ProfileColumns | dict[str, str | None] | None = None,
    bootstrap: int = DEFAULT_DRAWS,
    seed: int = 0,
    top_projects: int = 3,
    error_rates: ErrorRates | None = None,
    tags: str | None = None,
    exchange_rates: dict[str, float] | None = None,
) -> Profile:
    """Profile a scored table: the whole input, and each value of ``columns.by`` when given.

    ``columns.id_col`` and ``columns.title_col`` name projects in errors and in the top-projects
    tables; they default to ``project_id``/``id`` and ``title`` when present. With the model's
    ``error_rates`` (of the operating point the tags were made with) every group and SDG also gets
    its error-corrected ``prevalence``, and trends follow it. ``tags`` names that operating point
    in the settings, so that ``--compare`` can tell when two profiles count different tags; it
    does not tag again (``sdg-align profile --tags`` does, from the probabilities).
    ``exchange_rates`` ({'PLN': 0.23}) converts budgets that name those currencies into the main
    one before any weighted figure is computed.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"build_profile takes a scored DataFrame (score_frame's output), not "
            f"{type(frame).__name__}"
        )
    if isinstance(columns, dict):  # {'by': 'cluster'} reads as well as ProfileColumns(by=...)
        columns = ProfileColumns.from_dict(columns)
    if columns is not None and not isinstance(columns, ProfileColumns):
        raise DataError(f"columns must be a ProfileColumns or a dict, not {type(columns).__name__}")
    if error_rates is not None and not isinstance(error_rates, ErrorRates):
        raise DataError(
            f"error_rates must be ErrorRates, not {type(error_rates).__name__}: "
            "error_rates_for_model returns (rates, note), pass its first item"
        )
    if bootstrap < 0:
        raise DataError(f"bootstrap must be 0 (off) or a number of resamples; got {bootstrap}")
    if tags is not None and tags not in OPERATING_POINTS:  # 'precisee' went into the settings
        raise DataError(f"unknown tags {tags!r}: choose one of {', '.join(OPERATING_POINTS)}")
    if exchange_rates and any(not rate > 0 for rate in exchange_rates.values()):
        raise DataError(f"exchange rates must be positive numbers; got {exchange_rates}")
    checked = read_input(frame, columns or ProfileColumns(), exchange_rates)
    data = checked.projects
    options = _Options(bootstrap, top_projects, error_rates, np.random.default_rng([seed, 1]))
    overall_share = data.tags.mean(axis=0)
    everyone = np.arange(len(data.rows))
    overall = _group_profile(
        ALL_LABEL, everyone, int(checked.failed.sum()), data, overall_share, options
    )
    overall.is_overall = True
    groups = _groups(checked, overall_share, options)
    settings = {
        **checked.columns.named(),
        "bootstrap": bootstrap,
        "seed": seed,
        "breadth_share": BREADTH_SHARE,
        "small_group": SMALL_GROUP,
        "top_projects": top_projects,
        "tags": tags,
        "exchange_rates": {k.upper(): v for k, v in (exchange_rates or {}).items()} or None,
        "prevalence": (
            {
                "method": METHOD,
                **error_rates.to_settings(),
                "audited_projects": int(data.audited.sum()) if data.audited is not None else 0,
                "min_audit": MIN_AUDIT,
            }
            if error_rates
            else None
        ),
    }
    profile = Profile(
        settings=settings,
        input={
            "rows": checked.rows,
            "scored": len(data.rows),
            "excluded": int(checked.failed.sum()),
            "groups": len(groups),
            "excluded_rows": checked.excluded_rows,
            "projects_listed": min(len(data.rows), MAX_LISTED_PROJECTS),
            "labelled_by_person": int(data.labelled.sum()) if data.labelled is not None else 0,
        },
        overall=overall,
        groups=groups,
        warnings=checked.warnings
        + _warnings(checked, groups)
        + _correction_warnings(data, error_rates),
        projects=listed_projects(data),
    )
    for warning in profile.warnings:  # a notebook shows them; the CLI prints its own lines
        warnings.warn(warning, SDGAlignWarning, stacklevel=2)
    return profile


def _groups(
    checked: ProfileInput, overall_share: np.ndarray, options: _Options
) -> list[GroupProfile]:
    """One profile per value of the ``by`` column, sorted by name."""
    data, all_groups = checked.projects, checked.all_groups
    if data.groups is None or all_groups is None:
        return []
    excluded_per_group = pd.Series(all_groups[checked.failed]).value_counts()
    groups = []
    for name in sorted(set(all_groups.tolist())):
        members = np.flatnonzero(data.groups == name)
        if members.size == 0:
            continue  # every row of this group failed; it is still counted in input.excluded
        excluded = int(excluded_per_group.get(name, 0))
        groups.append(_group_profile(name, members, excluded, data, overall_share, options))
    return groups


def _excluded_row(row: dict[str, Any]) -> str:
    """'row 17 (HV-017): empty text'."""
    named = f" ({row['id']})" if row["id"] else ""
    return f"row {row['row']}{named}: {row['error']}"


def _warnings(checked: ProfileInput, groups: list[GroupProfile]) -> list[str]:
    failed, all_groups = checked.failed, checked.all_groups
    found = []
    if failed.any():
        count = int(failed.sum())
        first = "; ".join(_excluded_row(row) for row in checked.excluded_rows[:3])
        found.append(
            f"{count} of {checked.rows} rows could not be scored and are left out of every "
            f"figure ({first}{'; ...' if count > 3 else ''}); the report lists them under "
            "'Rows left out'"
        )
    if all_groups is not None:
        lost = sorted(set(all_groups[failed].tolist()) - {g.name for g in groups})
        if lost:
            found.append(
                f"no scored project in group(s) {', '.join(lost)}: every row there has an error"
            )
    bad_evidence = checked.projects.bad_evidence
    if bad_evidence:
        shown = ", ".join(map(str, sorted(bad_evidence)[:5]))
        found.append(
            f"the evidence cell is not valid JSON in row(s) {shown}; those projects are shown "
            "without evidence"
        )
    return found


def _correction_warnings(data: Projects, rates: ErrorRates | None) -> list[str]:
    """What limits the correction: SDGs the error rates cannot correct, tags made elsewhere."""
    if rates is None:
        return []
    found = []
    low, high = anchors(METHOD, rates)
    missing = [
        k + 1 for k in range(NUM_SDGS) if not (np.isfinite(high[k] - low[k]) and high[k] > low[k])
    ]
    if missing:
        found.append(
            f"the model's error rates cannot correct SDG {', '.join(map(str, missing))} (no "
            "validation texts with or without it, or tags that do not separate them): no "
            "prevalence there"
        )
    if rates.thresholds is None:
        return found
    differ = int(off_thresholds(data.tags, data.probs, rates.thresholds).sum())
    if differ > 0.01 * len(data.tags):
        found.append(
            f"the tags of {differ} of {len(data.tags)} projects differ from what the model's "
            f"'{rates.operating_point}' thresholds give for their probabilities (scored with "
            "another model or --tags?); the corrected prevalence assumes they match"
        )
    return found


def _prevalence(
    tags: np.ndarray,
    probs: np.ndarray,
    labelled: np.ndarray | None,
    audit: Audit | None,
    options: _Options,
) -> list[tuple]:
    """Each SDG's corrected prevalence and interval, rounded to 0.1 point; Nones without rates.

    Projects a person labelled (``labelled``) count as they are; only the others are corrected,
    by a random audit's residuals where the group has enough audited projects (``audit``).
    """
    if options.rates is None:
        return [(None, None, None)] * NUM_SDGS
    found = estimate_prevalence(
        tags,
        probs,
        options.rates,
        draws=options.bootstrap,
        rng=options.prevalence_rng,
        known=labelled,
        audit=audit,
    )
    return [
        tuple(_rounded(v[k]) for v in (found.estimate, found.low, found.high))
        for k in range(NUM_SDGS)
    ]


def _rounded(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def _allocation(tags: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Each project's unit split over its SDGs by probability: rows sum to 1 (or 0 if untagged)."""
    tagged_probs = np.where(tags, probs, 0.0)
    totals = tagged_probs.sum(axis=1, keepdims=True)
    even = tags / np.maximum(tags.sum(axis=1), 1)[:, None]  # tagged SDGs whose probabilities are 0
    return np.where(totals > 0, tagged_probs / np.where(totals > 0, totals, 1.0), even)


def _sdg_figures(
    members: np.ndarray, data: Projects, overall_share: np.ndarray, options: _Options
) -> list[SDGFigures]:
    """The 17 SDGs' figures of one group (``members`` index the kept projects)."""
    tags, probs = data.tags[members], data.probs[members]
    n = len(members)
    counts = tags.sum(axis=0)
    share = counts / n
    split = _allocation(tags, probs)
    allocated = split.sum(axis=0)
    ci_low, ci_high = share_interval(counts, n)
    labelled = data.labelled[members] if data.labelled is not None else None
    trends = None
    dated = data.periods[members] != NO_PERIOD if data.periods is not None else None
    if data.periods is not None and dated is not None and dated.any():
        # undated projects count in every figure but the trends
        trends = period_trends(
            data.periods[members][dated],
            tags[dated],
            probs[dated],
            rates=options.rates,
            rng=options.prevalence_rng,
            draws=options.bootstrap,
            labelled=labelled[dated] if labelled is not None else None,
        )
    prevalence = _prevalence(tags, probs, labelled, _audit(data, members), options)
    primary = data.primary[members]
    weights = data.weights[members] if data.weights is not None else None
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
            prevalence=prevalence[k][0],
            prevalence_ci_low=prevalence[k][1],
            prevalence_ci_high=prevalence[k][2],
            trend=trends[k] if trends else None,
            top_projects=top_projects(members, k, data, options.top_n),
        )
        if weights is not None:
            total_weight = float(weights.sum())
            allocated_weight = float(weights @ split[:, k])
            figures.weighted_share = _ratio(float(weights[tags[:, k]].sum()), total_weight)
            figures.allocated_weight = allocated_weight
            figures.allocation_weight_share = _ratio(allocated_weight, total_weight)
        sdgs.append(figures)
    return sdgs


def _group_profile(
    name: str,
    members: np.ndarray,
    excluded: int,
    data: Projects,
    overall_share: np.ndarray,
    options: _Options,
) -> GroupProfile:
    """Every figure of one group (``members`` index the kept projects)."""
    tags = data.tags[members]
    n = len(members)
    counts = tags.sum(axis=0)
    share = counts / n
    tag_sum = tags.sum(axis=1)
    untagged = tag_sum == 0
    weights = data.weights[members] if data.weights is not None else None
    sdgs = _sdg_figures(members, data, overall_share, options)
    periods = _period_counts(data.periods[members]) if data.periods is not None else None
    return GroupProfile(
        name=name,
        is_overall=False,
        projects=n,
        excluded=excluded,
        share_with_sdg=float((~untagged).mean()),
        share_cross_sectoral=float((tag_sum >= 2).mean()),
        breadth=int((share >= BREADTH_SHARE).sum()),
        diversity=_diversity(counts),
        total_weight=float(weights.sum()) if weights is not None else None,
        weight_missing=(
            int((~data.weight_known[members]).sum()) if data.weight_known is not None else None
        ),
        unallocated_projects=float(untagged.sum()),
        unallocated_weight=float(weights[untagged].sum()) if weights is not None else None,
        gaps_absent=[g.number for g, c in zip(GOALS, counts, strict=True) if c == 0],
        gaps_weak=[g.number for g, s in zip(GOALS, share, strict=True) if 0 < s < BREADTH_SHARE],
        gaps_in_portfolio=[
            g.number
            for g, c, whole in zip(GOALS, counts, overall_share, strict=True)
            if c == 0 and whole >= BREADTH_SHARE
        ],
        combinations=_combinations(tags),
        cooccurrence=_cooccurrence(tags),
        periods=periods,
        accelerating=[s.sdg for s in sdgs if s.trend and s.trend.trend == "accelerating"],
        slowing=[s.sdg for s in sdgs if s.trend and s.trend.trend == "slowing"],
        collaboration=_collaboration(data.partners, members, share[-1]) if data.partners else None,
        small_group=n < SMALL_GROUP,
        note=_group_note(n, periods, data, members, options),
        sdgs=sdgs,
    )


def _diversity(counts: np.ndarray) -> float | None:
    """Shannon entropy of the tag counts over log(17); None when nothing is tagged."""
    total = counts.sum()
    if not total:
        return None
    p = counts[counts > 0] / total
    # + 0.0 turns the -0.0 of a single SDG into 0.0, which JSON and the reports print as "0.00".
    return float(-(p * np.log(p)).sum() / math.log(NUM_SDGS)) + 0.0


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _group_note(
    n: int,
    periods: list[dict[str, int]] | None,
    data: Projects,
    members: np.ndarray,
    options: _Options,
) -> str | None:
    """What limits a group's figures: its size, thin periods, what its prevalence rests on."""
    notes = [_small_group_note(n), _thin_period_note(periods), _audit_note(data, members, options)]
    return " ".join(note for note in notes if note) or None


def _thin_period_note(periods: list[dict[str, int]] | None) -> str | None:
    """Periods too thin to read alone (one new 2026 project made a cluster 'accelerating')."""
    if periods is None or len(periods) < 2:
        return None
    thin = [
        f"{c['period']} ({c['projects']} project{'s' if c['projects'] != 1 else ''})"
        for c in periods
        if c["projects"] < THIN_PERIOD
    ]
    if not thin:
        return None
    return (
        f"Thin periods: {', '.join(thin)}. One project decides their shares and any change "
        "that involves them, so read those with care."
    )


def _audit(data: Projects, members: np.ndarray) -> Audit | None:
    """The group's randomly audited projects (with the model's own probabilities), if any."""
    if data.audited is None or data.model_probs is None:
        return None
    return Audit(data.audited[members], data.model_probs[members])


def _audit_note(data: Projects, members: np.ndarray, options: _Options) -> str | None:
    """Whether a random audit of this group's projects corrects its prevalence (profile doc)."""
    audit = _audit(data, members)
    if options.rates is None or audit is None or not audit.rows.any():
        return None
    audited = int(audit.rows.sum())
    if audit.enough:
        return (
            f"{audited} of these projects were labelled after a random pick, so the corrected "
            "prevalence here measures the model's errors on them."
        )
    return (
        f"{audited} of these projects were labelled after a random pick, fewer than the "
        f"{MIN_AUDIT} an audit needs: they count as labelled, and the others are corrected with "
        "the validation error rates."
    )


def _small_group_note(n: int) -> str | None:
    if n >= SMALL_GROUP:
        return None
    return (
        f"Only {n} project{'s' if n != 1 else ''}: one project moves a share by "
        f"{100 / n:.0f} points, so read shares with their intervals (a share of 0 here says only "
        "that the SDG is probably rarer than its interval's upper end)."
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
    values, counts = np.unique(periods[periods != NO_PERIOD], return_counts=True)
    return [{"period": int(v), "projects": int(c)} for v, c in zip(values, counts, strict=True)]


def _collaboration(partners: Partners, members: np.ndarray, sdg17_share: float) -> Collaboration:
    count = partners.count[members]
    # of the projects that list their partners: a number says nothing of countries and types
    listed = members[partners.listed[members]] if partners.listed is not None else members
    return Collaboration(
        source=partners.source,
        projects_with_partners=int((count > 0).sum()),
        mean_partners=float(count.mean()),
        share_multi_partner=float((count >= 2).mean()),
        share_international=(
            float((partners.countries[listed] >= 2).mean())
            if partners.countries is not None and len(listed)
            else None
        ),
        share_public_private=(
            float(partners.public_private[listed].mean())
            if partners.public_private is not None and len(listed)
            else None
        ),
        sdg17_share=float(sdg17_share),
    )
