"""The profile as one self-contained HTML report (no scripts, fonts, requests or outside links).

CSS is inline, charts are inline SVG (:mod:`.charts`), and a Content-Security-Policy forbids loading
anything. Project texts, titles, group names and evidence are untrusted: Jinja autoescaping escapes
every value, and chart labels reach the SVG only as glyph paths. The definitions of every figure
travel inside the report (from :data:`~sdg_align.profile.figures.FIGURES`), so it still explains
itself when it is mailed to a board.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader

from ..labels import GOALS
from ..profile.figures import FIGURES, SMALL_GROUP, VIEWS, Profile
from ..tables import write_text
from .charts import build_charts, slug, svg
from .format import (
    ONE_SIDED_GROUP,
    OPPOSITE_MOVES,
    as_document,
    change_class,
    correction_sentence,
    estimate,
    few_projects_sentence,
    for_readers,
    labels_sentence,
    moves_apart,
    number,
    one_group_sentence,
    pct,
    points,
    shown_groups,
)

GLANCE_FROM = 0.005  # an SDG is in a group's summary table from this corrected prevalence


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sdg_align", "templates"),
        autoescape=True,  # every value is escaped unless marked safe (only our own SVG is)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., str]] = {
        "pct": pct,
        "points": points,
        "number": number,
        "for_readers": for_readers,
    }
    env.filters.update(filters)
    env.globals.update(
        {
            "estimate": estimate,
            "change_class": change_class,
            "moves_apart": moves_apart,
            "opposite_moves": OPPOSITE_MOVES,
            "few_projects_sentence": few_projects_sentence,
        }
    )
    return env


def glance(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The SDGs a board should see for a group: tagged in some project, or, in a group of
    :data:`SMALL_GROUP` projects or more, with a corrected prevalence of at least half a point
    whose interval rules out none; the largest first. A group of one untagged placeholder
    project listed SDG 9 'about 10% (5-100%)' as a main one: so few projects say nothing of what
    the model missed."""
    shown = [
        s
        for s in group["sdgs"]
        if s["projects"]
        or (
            group.get("projects", 0) >= SMALL_GROUP
            and (s.get("prevalence") or 0) >= GLANCE_FROM
            and (s.get("prevalence_ci_low") or 0) > 0
        )
    ]
    return sorted(
        shown, key=lambda s: -(s["prevalence"] if s.get("prevalence") is not None else s["share"])
    )


def render_html(
    profile: Profile | Mapping[str, Any], *, title: str = "SDG acceleration profile"
) -> str:
    """The whole report as one HTML string; it links to nothing outside itself."""
    document = as_document(profile)
    charts = {name: svg(fig) for name, fig in build_charts(document).items()}
    groups = shown_groups(document)
    keys = [f"{i:02d}-{slug(g['name'])}" for i, g in enumerate(groups)]
    summaries = {key: glance(group) for key, group in zip(keys, groups, strict=True)}
    # untagged SDGs whose corrected prevalence is under the glance's half point: the report says
    # so of them, so an SDG left out of a small group's glance is not listed here
    quiet = {
        key: [
            s["sdg"]
            for s in group["sdgs"]
            if not s["projects"] and (s.get("prevalence") or 0) < GLANCE_FROM
        ]
        for key, group in zip(keys, groups, strict=True)
    }
    # untagged SDGs above that half point but left out of the glance (a small group, or an
    # interval that reaches 0): named too, so the glance never reads as the whole portfolio
    unlisted = {
        key: [
            s
            for s in group["sdgs"]
            if not s["projects"]
            and (s.get("prevalence") or 0) >= GLANCE_FROM
            and s not in summaries[key]
        ]
        for key, group in zip(keys, groups, strict=True)
    }
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=document,
            title=title,
            groups=list(zip(keys, groups, strict=True)),
            glance=summaries,
            quiet=quiet,
            unlisted=unlisted,
            small_group=SMALL_GROUP,
            charts=charts,
            figures=FIGURES,
            views={
                v: VIEWS[v]
                for v in dict.fromkeys(view for view, _ in FIGURES.values())
                if v in VIEWS
            },
            correction=correction_sentence(document["settings"]),
            labels_note=labels_sentence(document),
            one_group_note=one_group_sentence(document),
            goals=GOALS,
            one_sided=ONE_SIDED_GROUP,
        )
    )


def write_html(
    profile: Profile | Mapping[str, Any],
    path: str | Path,
    *,
    title: str = "SDG acceleration profile",
) -> None:
    """Render the report and write it atomically."""
    write_text(render_html(profile, title=title), path)
