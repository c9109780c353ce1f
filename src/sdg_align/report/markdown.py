"""The profile as a Markdown report: a section per group, tables per SDG, and the changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..labels import GOALS
from ..profile.figures import SMALL_GROUP, Profile
from .format import (
    ONE_SIDED_GROUP,
    OPPOSITE_MOVES,
    as_document,
    change_with_interval,
    correction_sentence,
    estimate,
    few_projects_sentence,
    for_readers,
    labels_sentence,
    md_escape,
    moves_apart,
    one_group_sentence,
    pct,
    plural,
    points,
    sdg_list,
    sdg_names,
    shown_groups,
)


def profile_markdown(profile: Profile | Mapping[str, Any]) -> str:
    """The profile as a Markdown report (tables per group; figures defined in docs/profile.md)."""
    document = as_document(profile)
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
    for sentence in (
        labels_sentence(document),
        correction_sentence(settings),
        one_group_sentence(document),
    ):
        if sentence:
            lines += [sentence, ""]
    lines += [f"> {md_escape(for_readers(w))}" for w in document.get("warnings", [])]
    for group in shown_groups(document):
        lines += _group_markdown(group, settings)
    if document.get("comparison"):
        lines += _comparison_markdown(document["comparison"])
    lines += _rows_left_out(source)
    return "\n".join(lines).rstrip() + "\n"


def _rows_left_out(source: Mapping[str, Any]) -> list[str]:
    """The rows that could not be scored, as the HTML report lists them (warnings point here)."""
    rows = source.get("excluded_rows") or []
    if not source.get("excluded"):
        return []
    listed = f" (the first {len(rows)} are listed)" if source["excluded"] > len(rows) else ""
    lines = [
        "",
        "## Rows left out",
        "",
        f"{plural(source['excluded'], 'row')} could not be scored and "
        f"{'is' if source['excluded'] == 1 else 'are'} in no figure{listed}.",
        "",
        "| Row | Id | Error |",
        "|---|---|---|",
    ]
    lines += [
        f"| {row['row']} | {md_escape(row.get('id') or '')} | {md_escape(row['error'])} |"
        for row in rows
    ]
    return lines


def _group_summary(group: Mapping[str, Any]) -> list[str]:
    lines = [
        "",
        f"## {md_escape(group['name'])}",
        "",
        f"- Projects: {group['projects']} (excluded: {group['excluded']})",
        f"- Advance at least one SDG: {pct(group['share_with_sdg'])}; "
        f"cross-sectoral (2+ SDGs): {pct(group['share_cross_sectoral'])}",
        f"- Breadth: {plural(group['breadth'], 'SDG')}; diversity: "
        + ("–" if group["diversity"] is None else f"{group['diversity']:.2f}"),
    ]
    # the gaps the HTML names, here too: a board paper pasted from Markdown lacked them
    if group.get("gaps_absent"):
        lines.append(
            "- Advanced by no project (no tag; the corrected prevalence may still be above 0): "
            + sdg_list(group["gaps_absent"])
        )
    if group.get("gaps_weak"):
        lines.append(
            "- Advanced by fewer than 10% of the projects: " + sdg_list(group["gaps_weak"])
        )
    if group.get("gaps_in_portfolio"):
        lines.append(
            "- Not advanced here, though 10% or more of the whole portfolio's projects do: "
            + sdg_names(group["gaps_in_portfolio"])
        )
    if group.get("periods"):
        lines.append(
            f"- Accelerating: {sdg_list(group['accelerating'])}; "
            f"slowing: {sdg_list(group['slowing'])}"
        )
    if group.get("weight_missing"):
        lines.append(
            f"- Weighted figures leave out {plural(group['weight_missing'], 'project')} "
            "without a readable weight"
        )
    if group.get("note"):
        lines.append(f"- Note: {group['note']}")
    return lines


def _header(group: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    header = ["SDG", "Projects", "Share (95% CI)"]
    if settings.get("prevalence"):
        header.append("Prevalence (95% CI)")
    header += ["Intensity", "Expected", "Allocated", "Primary", "Specialisation"]
    if settings.get("weight_col") is not None:
        # the HTML report's glance shows the allocation share of the weight: named the same way
        # here, beside the weighted count share, so the two reports' figures can be matched
        column = settings["weight_col"]
        header += ["Weighted share (counts)", "Allocated weight", f"Share of {column} (allocation)"]
    if group.get("periods"):
        # The share's slope and last change keep their names; the corrected ones are named as
        # such (as in the HTML report), never shown under the share's heading.
        header.append("Slope/yr (95% CI)")
        if settings.get("prevalence"):
            header.append("Corrected slope/yr (95% CI)")
        header.append("Last change")
        if settings.get("prevalence"):
            header.append("Corrected last change")
        header.append("Trend")
    return header


def _sdg_row(item: Mapping[str, Any], group: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    cells = [
        f"{item['sdg']} {item['name']}",
        str(item["projects"]),
        f"{pct(item['share'])} ({pct(item['share_ci_low'])}–{pct(item['share_ci_high'])})",
    ]
    if settings.get("prevalence"):
        cells.append(
            estimate(
                item.get("prevalence"),
                item.get("prevalence_ci_low"),
                item.get("prevalence_ci_high"),
            )
        )
    cells += [
        f"{item['intensity']:.2f}",
        f"{item['expected_projects']:.1f}",
        f"{item['allocated_projects']:.1f}",
        pct(item["primary_share"]),
        "–" if item["specialisation"] is None else f"{item['specialisation']:.2f}",
    ]
    if settings.get("weight_col") is not None:
        cells += [
            pct(item["weighted_share"]),
            f"{item['allocated_weight']:,.0f}",
            pct(item.get("allocation_weight_share")),
        ]
    trend = item.get("trend")
    if group.get("periods") and trend:
        prefixes = ["", "prevalence_"] if settings.get("prevalence") else [""]
        cells += [_slope(trend, prefix) for prefix in prefixes]
        cells += [points(trend.get(prefix + "last_change")) for prefix in prefixes]
        cells.append(trend["trend"] or "–")
    return "| " + " | ".join(cells) + " |"


def _slope(trend: Mapping[str, Any], prefix: str) -> str:
    """'+1.2 pts (-0.5 pts, +2.9 pts)': the share's slope (prefix '') or the corrected one."""
    if trend.get(prefix + "slope") is None or (not prefix and not any(trend.get("projects") or [])):
        return "–"  # an SDG no project advances has no slope of its share to show
    low, high = trend.get(prefix + "slope_ci_low"), trend.get(prefix + "slope_ci_high")
    return f"{points(trend[prefix + 'slope'])} ({points(low)}, {points(high)})"


def _group_markdown(group: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    lines = _group_summary(group)
    header = _header(group, settings)
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [_sdg_row(item, group, settings) for item in group["sdgs"]]
    if group.get("periods") and settings.get("prevalence"):
        lines += ["", "Trends (accelerating, slowing) are judged on the corrected slope."]
    if group["combinations"]:
        lines += [
            "",
            "Most frequent SDG combinations (projects tagged with exactly these SDGs): "
            + "; ".join(
                f"{' + '.join(map(str, c['sdgs']))} ({c['projects']})"
                for c in group["combinations"]
            ),
        ]
    collab = group.get("collaboration")
    if collab:
        lines += [
            "",
            f"Partnerships ({collab['source']}): {pct(collab['share_multi_partner'])} with 2+ "
            f"partners, {pct(collab['share_international'])} international, "
            f"{pct(collab['share_public_private'])} public-private; mean "
            f"{collab['mean_partners']:.1f} partners; SDG 17 in the text: "
            f"{pct(collab['sdg17_share'])}.",
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
    lines += [f"> {md_escape(for_readers(w))}" for w in comparison["warnings"]]
    for group in [comparison["overall"], *comparison["groups"]]:
        lines += ["", f"### {md_escape(group['name'])} ({group['status']})"]
        if group["status"] != "both":
            lines += ["", ONE_SIDED_GROUP[group["status"]]]
            continue
        corrected = any(item.get("prevalence_change") is not None for item in group["sdgs"])
        extra = " | Prevalence before | Prevalence now | Prevalence change" if corrected else ""
        lines += [
            "",
            f"Projects {group['projects_old']} → {group['projects_new']}; breadth "
            f"{group['breadth_old']} → {group['breadth_new']}; SDGs no longer absent: "
            f"{sdg_list(group['gaps_closed'])}; newly absent: {sdg_list(group['gaps_new'])}."
            + few_projects_sentence(group, SMALL_GROUP),
            "",
            f"| SDG | Projects before | Projects now | Share before | Share now | Share change "
            f"(95% CI){extra} "
            "| Allocation change |",
            "|---|---|---|---|---|---|---|" + ("---|---|---|" if corrected else ""),
        ]
        for item in group["sdgs"]:
            row = (
                f"| {item['sdg']} {GOALS[item['sdg'] - 1].short_name} | "
                f"{'–' if item['projects_old'] is None else item['projects_old']} | "
                f"{item['projects_new']} | {pct(item['share_old'])} | {pct(item['share_new'])} | "
                f"{change_with_interval(item, 'share')} |"
            )
            if corrected:
                row += (
                    f" {pct(item.get('prevalence_old'))} | {pct(item.get('prevalence_new'))} | "
                    f"{points(item.get('prevalence_change'))}"
                    + (f" ({OPPOSITE_MOVES})" if moves_apart(item) else "")
                    + " |"
                )
            lines.append(row + f" {points(item.get('allocation_share_change'))} |")
    return lines
