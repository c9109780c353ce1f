"""The profile as a Markdown report: a section per group, tables per SDG, and the changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .format import md_escape, pct, points, sdg_list


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
        f"- Advance at least one SDG: {pct(group['share_with_sdg'])}; "
        f"cross-sectoral (2+ SDGs): {pct(group['share_cross_sectoral'])}",
        f"- Breadth: {group['breadth']} SDGs; diversity: "
        + ("–" if group["diversity"] is None else f"{group['diversity']:.2f}"),
        f"- Gaps: absent {sdg_list(group['gaps_absent'])}; weak {sdg_list(group['gaps_weak'])}",
    ]
    if group.get("periods"):
        lines.append(
            f"- Accelerating: {sdg_list(group['accelerating'])}; "
            f"slowing: {sdg_list(group['slowing'])}"
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
            f"{pct(item['share'])} ({pct(item['share_ci_low'])}–{pct(item['share_ci_high'])})",
            f"{item['intensity']:.2f}",
            f"{item['expected_projects']:.1f}",
            f"{item['allocated_projects']:.1f}",
            pct(item["primary_share"]),
            "–" if item["specialisation"] is None else f"{item['specialisation']:.2f}",
        ]
        if weighted:
            cells += [pct(item["weighted_share"]), f"{item['allocated_weight']:,.0f}"]
        trend = item.get("trend")
        if group.get("periods") and trend:
            cells += [
                f"{points(trend['slope'])} ({points(trend['slope_ci_low'])}, "
                f"{points(trend['slope_ci_high'])})",
                points(trend["last_change"]),
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
    lines += [f"> {md_escape(w)}" for w in comparison["warnings"]]
    for group in [comparison["overall"], *comparison["groups"]]:
        lines += ["", f"### {md_escape(group['name'])} ({group['status']})"]
        if group["status"] != "both":
            continue
        lines += [
            "",
            f"Projects {group['projects_old']} → {group['projects_new']}; breadth "
            f"{group['breadth_old']} → {group['breadth_new']}; gaps closed: "
            f"{sdg_list(group['gaps_closed'])}; new gaps: {sdg_list(group['gaps_new'])}.",
            "",
            "| SDG | Share before | Share now | Change | Projects before | Projects now |",
            "|---|---|---|---|---|---|",
        ]
        for item in group["sdgs"]:
            lines.append(
                f"| {item['sdg']} | {pct(item['share_old'])} | {pct(item['share_new'])} | "
                f"{points(item['share_change'])} | {item['projects_old']} | "
                f"{item['projects_new']} |"
            )
    return lines
