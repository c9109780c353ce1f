"""How numbers and names look in every report (Markdown, HTML, charts): written once here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def pct(value: float | None, digits: int = 0) -> str:
    """A fraction as a percentage ('12%'); '–' when missing."""
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def points(value: float | None) -> str:
    """A change of a fraction in percentage points ('+3.5 pts'); '–' when missing."""
    return "–" if value is None else f"{100 * value:+.1f} pts"


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators; '–' when missing."""
    return "–" if value is None else f"{value:,.{digits}f}"


def sdg_list(numbers: Sequence[int]) -> str:
    return ", ".join(f"SDG {n}" for n in numbers) or "none"


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
