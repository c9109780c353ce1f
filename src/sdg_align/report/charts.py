"""The profile's charts (matplotlib), as inline SVG for the HTML report and as PNGs for slides.

Charts are drawn with glyphs as paths, so an SVG needs no font and no request; every label that
comes from the user's data (group names) goes through :func:`_label`, which keeps it one short line
and disables mathtext.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from ..labels import GOALS, NUM_SDGS
from ..profile.figures import Profile
from ..tables import atomic_path


def _style() -> AbstractContextManager[None]:
    """Glyphs as paths (no fonts in the SVG), stable ids, one small font size."""
    return matplotlib.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": "sdg-align", "font.size": 9}
    )


def _label(text: Any, limit: int = 48) -> str:
    """Untrusted text made safe for a matplotlib label: one line, short, no mathtext."""
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("\\", "\\\\").replace("$", r"\$")


def profile_chart(group: Mapping[str, Any]) -> Figure:
    """The 17-goal profile: share of projects per SDG (bars, with 95% interval) and allocation."""
    items = group["sdgs"]
    fig = Figure(figsize=(7.5, 5.4), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(NUM_SDGS))[::-1]
    shares = [s["share"] for s in items]
    low = [s["share"] - s["share_ci_low"] if s["share_ci_low"] is not None else 0 for s in items]
    high = [s["share_ci_high"] - s["share"] if s["share_ci_high"] is not None else 0 for s in items]
    ax.barh(y, shares, color=[s["colour"] for s in items], height=0.75)
    ax.errorbar(shares, y, xerr=[low, high], fmt="none", ecolor="#333", elinewidth=0.8, capsize=2)
    ax.scatter(
        [s["allocation_share"] for s in items],
        y,
        marker="D",
        s=18,
        color="white",
        edgecolors="#111",
        linewidths=0.8,
        zorder=3,
    )
    ax.set_yticks(y, [f"{s['sdg']} {s['name']}" for s in items])
    for tick, item in zip(ax.get_yticklabels(), items, strict=True):
        tick.set_color(item["colour"])
        tick.set_fontweight("bold")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, max(0.05, max(shares + [s["share_ci_high"] or 0 for s in items]) * 1.1))
    ax.set_xlabel("share of the group's projects")
    ax.set_title(f"{_label(group['name'])}: {group['projects']} projects", loc="left")
    handles = [
        Patch(facecolor="#9aa3ad", label="share of projects (counts), 95% interval"),
        Line2D(
            [],
            [],
            marker="D",
            color="#111",
            markerfacecolor="white",
            linestyle="none",
            label="allocation share",
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def heatmap_chart(groups: list[Mapping[str, Any]]) -> Figure:
    """Groups by SDG: each cell in its SDG's colour, as strong as the share is high."""
    from matplotlib.colors import to_rgb

    top = max((s["share"] for g in groups for s in g["sdgs"]), default=0) or 1.0
    cells = []
    for group in groups:
        row = []
        for item in group["sdgs"]:
            strength = item["share"] / top
            colour = to_rgb(item["colour"])
            row.append([1 - strength * (1 - c) for c in colour])
        cells.append(row)
    fig = Figure(figsize=(9, 1.3 + 0.42 * len(groups)), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(cells, aspect="auto")
    for i, group in enumerate(groups):
        for j, item in enumerate(group["sdgs"]):
            dark = item["share"] / top > 0.55
            ax.text(
                j,
                i,
                f"{item['share']:.0%}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "#222",
            )
    ax.xaxis.tick_top()
    ax.set_xticks(range(NUM_SDGS), [str(g.number) for g in GOALS])
    for tick, goal in zip(ax.xaxis.get_major_ticks(), GOALS, strict=True):
        tick.label2.set_color(goal.colour)
        tick.label2.set_fontweight("bold")
    ax.set_yticks(range(len(groups)), [_label(g["name"], 32) for g in groups])
    ax.set_title("Share of projects advancing each SDG (counts)", loc="left", pad=18)
    return fig


def trend_chart(group: Mapping[str, Any]) -> Figure:
    """Each SDG's share per period; accelerating SDGs drawn bold, the rest thin."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for item in group["sdgs"]:
        trend = item.get("trend")
        if not trend or not item["projects"]:
            continue
        bold = trend["trend"] in ("accelerating", "slowing")
        ax.plot(
            trend["periods"],
            trend["shares"],
            marker="o",
            color=item["colour"],
            linewidth=2.6 if bold else 1.0,
            alpha=1.0 if bold else 0.55,
            markersize=3,
        )
        ax.annotate(
            str(item["sdg"]),
            (trend["periods"][-1], trend["shares"][-1]),
            xytext=(4, 0),
            textcoords="offset points",
            color=item["colour"],
            fontsize=8,
            fontweight="bold",
            va="center",
        )
    periods = [p["period"] for p in group["periods"] or []]
    ax.set_xticks(periods, [str(p) for p in periods])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of the period's projects")
    ax.set_title(f"{_label(group['name'])}: SDG shares per period (bold: clear trend)", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def network_chart(group: Mapping[str, Any]) -> Figure:
    """SDG co-occurrence: goals on a circle, lines as thick as the projects advancing both."""
    import math

    angles = [math.pi / 2 - 2 * math.pi * k / NUM_SDGS for k in range(NUM_SDGS)]
    xy = [(math.cos(a), math.sin(a)) for a in angles]
    fig = Figure(figsize=(4.6, 4.6), layout="constrained")
    ax = fig.add_subplot()
    heaviest = max((e["projects"] for e in group["cooccurrence"]), default=1)
    for edge in group["cooccurrence"]:
        (x1, y1), (x2, y2) = xy[edge["sdgs"][0] - 1], xy[edge["sdgs"][1] - 1]
        width = 0.4 + 5 * edge["projects"] / heaviest
        ax.plot([x1, x2], [y1, y2], color="#555", linewidth=width, alpha=0.45, zorder=1)
    most = max((s["projects"] for s in group["sdgs"]), default=1) or 1
    sizes = [60 + 540 * s["projects"] / most for s in group["sdgs"]]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    ax.scatter(xs, ys, s=sizes, c=[g.colour for g in GOALS], zorder=2)
    for (x, y), goal in zip(xy, GOALS, strict=True):
        ax.text(
            x,
            y,
            str(goal.number),
            ha="center",
            va="center",
            color="white",
            fontsize=7,
            fontweight="bold",
            zorder=3,
        )
    ax.set_xlim(-1.25, 1.25)
    ax.set_ylim(-1.25, 1.25)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{_label(group['name'], 36)}: SDGs advanced together", loc="left", fontsize=9)
    return fig


def comparison_chart(change: Mapping[str, Any]) -> Figure:
    """Change in each SDG's share since the previous profile, in percentage points."""
    items = change["sdgs"]
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(items)))[::-1]
    values = [100 * (s["share_change"] or 0) for s in items]
    ax.barh(y, values, color=[GOALS[s["sdg"] - 1].colour for s in items])
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_yticks(y, [f"SDG {s['sdg']}" for s in items])
    ax.set_xlabel("change in share of projects (percentage points)")
    ax.set_title(f"{_label(change['name'])}: change since the previous profile", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def build_charts(document: Mapping[str, Any]) -> dict[str, Figure]:
    """Every chart the report shows, by a file-safe name (also the PNG names)."""
    groups = [document["overall"], *document["groups"]]
    charts: dict[str, Figure] = {}
    if document["groups"]:
        charts["heatmap"] = heatmap_chart(groups)
    for index, group in enumerate(groups):
        key = f"{index:02d}-{slug(group['name'])}"
        charts[f"profile-{key}"] = profile_chart(group)
        if group.get("periods") and len(group["periods"]) >= 2:
            charts[f"trends-{key}"] = trend_chart(group)
        if group["cooccurrence"]:
            charts[f"network-{key}"] = network_chart(group)
    comparison = document.get("comparison")
    if comparison and comparison["overall"]["status"] == "both":
        charts["comparison"] = comparison_chart(comparison["overall"])
    return charts


def slug(name: str) -> str:
    """A file-name-safe slug of an untrusted group name (no path separators, no dots)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "group"


def svg(fig: Figure) -> Markup:
    """The figure as inline SVG markup: glyphs as paths, comments and metadata removed."""
    buffer = io.StringIO()
    with _style():
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)  # matplotlib copies label text into comments
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return Markup(text.replace("<svg ", '<svg role="img" ', 1))


def write_pngs(profile: Profile | Mapping[str, Any], directory: str | Path) -> list[Path]:
    """Save each chart as a PNG (200 dpi) for slides; returns the files written."""
    document = profile.to_dict() if isinstance(profile, Profile) else profile
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with _style():
        for name, fig in build_charts(document).items():
            target = folder / f"{name}.png"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format="png", dpi=200)
            written.append(target)
    return written
