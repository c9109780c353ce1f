"""The profile as one self-contained HTML report (no scripts, fonts or requests).

CSS is inline, charts are inline SVG (:mod:`.charts`), and a Content-Security-Policy forbids loading
anything. Project texts, titles, group names and evidence are untrusted: Jinja autoescaping escapes
every value, and chart labels reach the SVG only as glyph paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader

from ..labels import GOALS
from ..profile.figures import FIGURES, Profile
from ..tables import write_text
from .charts import build_charts, slug, svg
from .format import number, pct, points

DOCS_HREF = "docs/profile.md"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sdg_align", "templates"),
        autoescape=True,  # every value is escaped unless marked safe (only our own SVG is)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., str]] = {"pct": pct, "points": points, "number": number}
    env.filters.update(filters)
    return env


def render_html(
    profile: Profile | Mapping[str, Any],
    *,
    title: str = "SDG acceleration profile",
    docs_href: str = DOCS_HREF,
) -> str:
    """The whole report as one HTML string (``docs_href``: where docs/profile.md is, relative)."""
    document = profile.to_dict() if isinstance(profile, Profile) else profile
    charts = {name: svg(fig) for name, fig in build_charts(document).items()}
    groups = [document["overall"], *document["groups"]]
    keys = [f"{i:02d}-{slug(g['name'])}" for i, g in enumerate(groups)]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=document,
            title=title,
            groups=list(zip(keys, groups, strict=True)),
            charts=charts,
            figures=FIGURES,
            docs_href=docs_href,
            goals=GOALS,
        )
    )


def write_html(
    profile: Profile | Mapping[str, Any],
    path: str | Path,
    *,
    title: str = "SDG acceleration profile",
    docs_href: str = DOCS_HREF,
) -> None:
    """Render the report and write it atomically."""
    write_text(render_html(profile, title=title, docs_href=docs_href), path)
