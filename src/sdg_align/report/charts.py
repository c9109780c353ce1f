"""The profile's charts (matplotlib), as inline SVG for the HTML report and as PNGs for slides.

Charts are drawn with glyphs as paths, so an SVG needs no font and no request; every label that
comes from the user's data (group names) goes through :func:`_label`, which keeps it one short line
and disables mathtext.
"""

from __future__ import annotations

import io
import re
import textwrap
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
from ..profile.figures import THIN_PERIOD, Profile
from ..tables import atomic_path, without_accents
from .format import as_document, change_class, plural, shown_groups


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
    """The 17-goal profile: share of projects per SDG (bars, with 95% interval), allocation, and
    the corrected prevalence with its interval when the model has error rates."""
    items = group["sdgs"]
    corrected = any(s.get("prevalence") is not None for s in items)
    fig = Figure(figsize=(7.5, 5.6), layout="constrained")
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
    right = shares + [s["share_ci_high"] or 0 for s in items]
    if corrected:
        _prevalence_marks(ax, items, y)
        right += [s.get("prevalence_ci_high") or 0 for s in items]
    ax.set_yticks(y, [f"{s['sdg']} {s['name']}" for s in items])
    for tick, item in zip(ax.get_yticklabels(), items, strict=True):
        tick.set_color(item["colour"])
        tick.set_fontweight("bold")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, min(1.0, max(0.05, max(right) * 1.1)))
    ax.set_xlabel("share of the group's projects")
    ax.set_title(f"{_label(group['name'])}: {plural(group['projects'], 'project')}", loc="left")
    handles = [
        Patch(facecolor="#9aa3ad", label="share of projects (tags), 95% interval"),
        Line2D([], [], marker="D", color="#111", markerfacecolor="white", linestyle="none",
               label="allocation share"),
    ]  # fmt: skip
    if corrected:
        handles.append(
            Line2D([], [], marker="|", color="#111", markersize=9, markeredgewidth=2,
                   label="corrected prevalence, 95% interval")
        )  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _prevalence_marks(ax: Any, items: list[Mapping[str, Any]], y: list[int]) -> None:
    """A thick tick at each corrected prevalence, a thin line for its interval, under the bar."""
    for item, row in zip(items, y, strict=True):
        value = item.get("prevalence")
        if value is None:
            continue
        low, high = item.get("prevalence_ci_low"), item.get("prevalence_ci_high")
        if low is not None and high is not None:
            ax.plot([low, high], [row - 0.3, row - 0.3], color="#111", linewidth=1.0, zorder=4)
        ax.plot([value], [row - 0.3], marker="|", markersize=9, markeredgewidth=2,
                color="#111", zorder=5)  # fmt: skip


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
    # n beside each name: a group of one shows solid 100% cells beside a group of sixty
    ax.set_yticks(
        range(len(groups)), [f"{_label(g['name'], 32)} (n={g['projects']})" for g in groups]
    )
    ax.set_title("Share of projects advancing each SDG (counts)", loc="left", pad=18)
    return fig


MAX_TREND_PANELS = 6
MAX_EDGES = 30


def trend_sdgs(group: Mapping[str, Any], limit: int = MAX_TREND_PANELS) -> list[Mapping[str, Any]]:
    """The SDGs worth a trend panel: clear trends first, then the largest shares; never empty ones."""
    moving = [s for s in group["sdgs"] if s.get("trend") and s["trend"]["trend"] in
              ("accelerating", "slowing")]  # fmt: skip
    rest = sorted(
        (s for s in group["sdgs"] if s not in moving and s.get("trend") and s["projects"]),
        key=lambda s: -s["share"],
    )
    return [*moving, *rest][:limit]


def trend_chart(group: Mapping[str, Any]) -> Figure:
    """Small multiples: one panel per SDG that matters, each with its own title, shared axes."""
    chosen = trend_sdgs(group)
    columns = min(3, len(chosen))
    rows = -(-len(chosen) // columns)
    fig = Figure(figsize=(7.5, 1.2 + 2.0 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
    periods = [p["period"] for p in group["periods"] or []]
    counts = {p["period"]: p["projects"] for p in group["periods"] or []}
    step = 1 if len(periods) <= 6 else 2
    top = 0.05
    corrected = False
    thin_seen = False
    for ax, item in zip(axes, chosen, strict=False):
        trend = item["trend"]
        ax.plot(trend["periods"], trend["shares"], marker="o", markersize=3, linewidth=2,
                color=item["colour"])  # fmt: skip
        # a year of a project or two swings from 0 to 100%: its point is hollow, as on a slide
        # such a swing read as a real trend (the thin-period note was in the text only)
        thin = [(x, v) for x, v in zip(trend["periods"], trend["shares"], strict=True)
                if counts.get(x, 0) < THIN_PERIOD]  # fmt: skip
        if thin:
            thin_seen = True
            ax.scatter(*zip(*thin, strict=True), s=22, facecolor="white",
                       edgecolors=item["colour"], linewidths=1.2, zorder=3)  # fmt: skip
        top = max(top, *trend["shares"])
        if trend.get("prevalences"):
            corrected = True
            values = [v if v is not None else float("nan") for v in trend["prevalences"]]
            ax.plot(trend["periods"], values, linestyle="--", linewidth=1.2, color="#333")
            top = max(top, *(v for v in values if v == v))
        # the profile's own words (JSON, tables, glance), so a chart and a table never differ
        # the name wrapped, not cut ('Sustainable cities and communi...'), and the trend on a
        # line of its own: beside the name it ran into the next panel's title
        label = trend["trend"] if trend["trend"] in ("accelerating", "slowing") else ""
        name = textwrap.wrap(f"{item['sdg']} {item['name']}", 28)
        title = "\n".join([*name[:2], label]).rstrip("\n")
        ax.set_title(title, loc="left", fontsize=8, color=item["colour"], fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=7)
    for ax in axes[len(chosen) :]:
        ax.set_visible(False)
    axes[0].set_xticks(periods[::step], [f"{p}\nn={counts[p]}" for p in periods[::step]])
    axes[0].set_ylim(0, min(1.0, top * 1.15))
    axes[0].yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    for position, ax in enumerate(axes[: len(chosen)]):
        ax.label_outer()
        if position + columns >= len(chosen):  # nothing drawn below it: it keeps its years
            ax.xaxis.set_tick_params(labelbottom=True)
    handles = [Line2D([], [], color="#555", marker="o", markersize=3, linewidth=2,
                      label="share of projects (tags)")]  # fmt: skip
    if corrected:
        handles.append(Line2D([], [], color="#333", linestyle="--", label="corrected prevalence"))
    if thin_seen:
        handles.append(
            Line2D([], [], color="#555", marker="o", markerfacecolor="white", linestyle="none",
                   label=f"period of fewer than {THIN_PERIOD} projects (n below each year)")
        )  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    fig.suptitle(f"{_label(group['name'])}: SDG shares per period", x=0.01, ha="left",
                 fontsize=9)  # fmt: skip
    return fig


def network_chart(group: Mapping[str, Any]) -> Figure:
    """SDG co-occurrence: the SDGs with projects on a circle, lines as thick as the projects
    advancing both; SDGs no project advances are left out."""
    import math

    present = [s for s in group["sdgs"] if s["projects"]]
    count = len(present)
    angles = [math.pi / 2 - 2 * math.pi * k / count for k in range(count)]
    place = {s["sdg"]: (math.cos(a), math.sin(a)) for s, a in zip(present, angles, strict=True)}
    fig = Figure(figsize=(4.6, 4.6), layout="constrained")
    ax = fig.add_subplot()
    edges = group["cooccurrence"]
    if len(edges) > MAX_EDGES:  # a hairball says nothing: keep the pairs that recur
        edges = [e for e in edges if e["projects"] >= 2] or edges[:MAX_EDGES]
    heaviest = max((e["projects"] for e in edges), default=1)
    for edge in edges:
        (x1, y1), (x2, y2) = place[edge["sdgs"][0]], place[edge["sdgs"][1]]
        width = 0.4 + 5 * edge["projects"] / heaviest
        ax.plot([x1, x2], [y1, y2], color="#555", linewidth=width, alpha=0.45, zorder=1)
    most = max(s["projects"] for s in present)
    biggest = min(600, 3600 / count)  # neighbours on the circle never touch
    sizes = [biggest / 6 + biggest * 5 / 6 * s["projects"] / most for s in present]
    xs, ys = zip(*(place[s["sdg"]] for s in present), strict=True)
    ax.scatter(xs, ys, s=sizes, c=[s["colour"] for s in present], zorder=2)
    for item in present:
        x, y = place[item["sdg"]]
        ax.annotate(str(item["sdg"]), (x, y), xytext=(x * 1.2, y * 1.2), ha="center", va="center",
                    color=item["colour"], fontsize=8, fontweight="bold", zorder=3)  # fmt: skip
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.6, 1.35)  # room for the key below the circle
    ax.set_aspect("equal")
    ax.axis("off")
    # the key travels with the PNG (on a slide there is no HTML caption beside it)
    ax.text(-1.35, -1.6, f"circle: projects advancing the SDG (largest {most})\n"
            f"line: projects advancing both (thickest {heaviest})", fontsize=7, color="#555",
            ha="left", va="bottom")  # fmt: skip
    which = "" if len(edges) == len(group["cooccurrence"]) else "\n(pairs advanced by 2+ projects)"
    ax.set_title(f"{_label(group['name'], 36)}: SDGs advanced together{which}", loc="left",
                 fontsize=9)  # fmt: skip
    return fig


def comparison_chart(change: Mapping[str, Any]) -> Figure:
    """Change in each SDG's share (or corrected prevalence) since the previous profile."""
    items = change["sdgs"]
    corrected = any(s.get("prevalence_change") is not None for s in items)
    key = "prevalence_change" if corrected else "share_change"
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(items)))[::-1]
    values = [100 * (s.get(key) or 0) for s in items]
    # as in the report's table: only a change beyond chance keeps its SDG's colour (on slides,
    # plain bars read as real moves when every interval held 0)
    real = [bool(change_class(s)) for s in items]
    colours = [
        GOALS[s["sdg"] - 1].colour if r else "#c8c8c8" for s, r in zip(items, real, strict=True)
    ]
    ax.barh(y, values, color=colours)
    if not corrected:  # the share's 95% interval of the change
        low = [100 * (s.get("share_change_ci_low") or 0) for s in items]
        high = [100 * (s.get("share_change_ci_high") or 0) for s in items]
        spread = [[max(v - lo, 0) for v, lo in zip(values, low, strict=True)],
                  [max(hi - v, 0) for v, hi in zip(values, high, strict=True)]]  # fmt: skip
        ax.errorbar(values, y, xerr=spread, fmt="none", ecolor="#555", elinewidth=0.8, capsize=2)
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_yticks(y, [f"{s['sdg']} {GOALS[s['sdg'] - 1].short_name}" for s in items])
    what = "corrected prevalence" if corrected else "share of projects"
    ax.set_xlabel(  # two lines: on one it ran past the figure's edge ('grey: within ch')
        f"change in {what} (percentage points)\ngrey: within chance"
        + ("" if corrected else "; whiskers: 95% interval"),
        fontsize=9,
    )
    ax.set_title(f"{_label(change['name'])}: change since the previous profile", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def build_charts(document: Mapping[str, Any]) -> dict[str, Figure]:
    """Every chart the report shows, by a file-safe name (also the PNG names)."""
    groups = shown_groups(document)
    charts: dict[str, Figure] = {}
    if len(groups) > 1:
        charts["heatmap"] = heatmap_chart(groups)
    for index, group in enumerate(groups):
        key = f"{index:02d}-{slug(group['name'])}"
        charts[f"profile-{key}"] = profile_chart(group)
        if group.get("periods") and len(group["periods"]) >= 2 and trend_sdgs(group):
            charts[f"trends-{key}"] = trend_chart(group)
        if group["cooccurrence"]:
            charts[f"network-{key}"] = network_chart(group)
    comparison = document.get("comparison")
    if comparison and comparison["overall"]["status"] == "both":
        charts["comparison"] = comparison_chart(comparison["overall"])
    return charts


def slug(name: str) -> str:
    """A file-name-safe slug of an untrusted group name (no path separators, no dots); accents
    are dropped, not the letters ('Mobilität' -> 'mobilitat', not 'mobilit-t')."""
    plain = without_accents(name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40] or "group"


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


CHART_FILE = re.compile(r"(?:heatmap|comparison|(?:profile|trends|network)-\d{2}-[a-z0-9-]+)\.png")


def stale_charts(directory: str | Path, written: list[Path]) -> list[Path]:
    """Charts in the folder that this run did not write: an earlier profile's, named as ours.
    Numbered by group position, they mixed into this run's slides unnoticed."""
    folder = Path(directory)
    fresh = {p.name for p in written}
    return sorted(
        p for p in folder.glob("*.png") if CHART_FILE.fullmatch(p.name) and p.name not in fresh
    )


def write_pngs(profile: Profile | Mapping[str, Any], directory: str | Path) -> list[Path]:
    """Save each chart as a PNG (200 dpi) for slides; returns the files written."""
    document = as_document(profile)
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
