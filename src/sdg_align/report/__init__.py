"""Rendering a profile: a tidy CSV table, Markdown, a self-contained HTML report and PNG charts.

Modules by output: :mod:`.tidy` (``--csv``), :mod:`.markdown` (``--markdown``), :mod:`.html`
(``--html``), :mod:`.charts` (the charts inside the HTML and ``--png-dir``); :mod:`.format` holds
how numbers look in all of them. The HTML and chart functions load matplotlib and Jinja on first
use, so the CSV and Markdown outputs stay quick to import.
"""

from __future__ import annotations

from typing import Any

from .markdown import profile_markdown
from .tidy import tidy_frame

__all__ = [
    "profile_markdown",
    "render_html",
    "stale_charts",
    "tidy_frame",
    "write_html",
    "write_pngs",
]

_LAZY = {
    "render_html": "html",
    "write_html": "html",
    "write_pngs": "charts",
    "stale_charts": "charts",
    "build_charts": "charts",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
