"""How numbers and names look in every report (Markdown, HTML, charts): written once here."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..labels import GOALS
from ..profile.figures import Profile


def as_document(profile: Profile | Mapping[str, Any]) -> Mapping[str, Any]:
    """Every report function takes a :class:`Profile` or its document (``to_dict()``, or the JSON)."""
    return profile.to_dict() if isinstance(profile, Profile) else profile


# What a --compare section says of a group found in only one of the two profiles.
ONE_SIDED_GROUP = {
    "added": "A group new in this profile: nothing to compare it with.",
    "removed": "A group of the previous profile with no project in this one.",
}


def pct(value: float | None, digits: int = 0) -> str:
    """A fraction as a percentage ('12%'); '–' when missing."""
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def points(value: float | None) -> str:
    """A change of a fraction in percentage points ('+3.5 pts'); '–' when missing."""
    if value is None:
        return "–"
    shown = round(100 * value, 1) + 0.0  # never '-0.0'
    # an interval's end that rounds to zero reads '0.0', not '+0.0': '(+0.0 pts, +28.5 pts)'
    # beside 'unclear' looked like an interval that excludes 0
    return "0.0 pts" if shown == 0 else f"{shown:+.1f} pts"


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators; '–' when missing."""
    return "–" if value is None else f"{value:,.{digits}f}"


def sdg_list(numbers: Sequence[int]) -> str:
    return ", ".join(f"SDG {n}" for n in numbers) or "none"


def md_escape(text: Any) -> str:
    """Untrusted text made inert in a Markdown table cell (no HTML, no table breaks)."""
    value = " ".join(str(text).split())
    # an '&' that starts an entity ('&lt;') is escaped; 'Holz & Bau' stays readable as written
    value = re.sub(r"&(?=#?\w+;)", "&amp;", value.replace("\\", "\\\\"))
    for char, repl in (
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


def estimate(value: float | None, low: float | None, high: float | None) -> str:
    """A corrected share with its 95% interval, never more precise than the interval allows.

    '12% (8–17%)'; an interval under 2 points wide keeps one decimal, one over 20 points wide is
    rounded to 5 points ('about 30% (5–60%)'), so a wide interval does not look exact.
    """
    if value is None:
        return "–"
    if low is None or high is None:
        return pct(value)
    width = high - low
    step = 0.1 if width < 0.02 else 1.0 if width <= 0.2 else 5.0
    digits = 1 if step < 1 else 0

    def show(x: float, how: str) -> str:
        scaled = 100 * x / step
        rounded = (
            math.floor(scaled)
            if how == "down"
            else math.ceil(scaled)
            if how == "up"
            else round(scaled)
        )
        return f"{rounded * step:.{digits}f}"

    middle = show(value, "near")
    about = "about " if step == 5.0 and float(middle) > 0 else ""
    return f"{about}{middle}% ({show(low, 'down')}–{show(high, 'up')}%)"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 SDG', '2 SDGs', '1 long text'."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def sdg_names(numbers: Sequence[int]) -> str:
    """'SDG 7 Affordable and clean energy, SDG 13 Climate action' (or 'none')."""
    return ", ".join(f"SDG {n} {GOALS[n - 1].short_name}" for n in numbers) or "none"


_COLUMN_OPTION = re.compile(r"^--(weight|time|partners|id|title)-col '([^']*)': ")
_COLUMN_KIND = {
    "weight": "budget",
    "time": "time",
    "partners": "partners",
    "id": "id",
    "title": "title",
}


def for_readers(warning: str) -> str:
    """A warning as a report reader meets it: "--partners-col 'partners': ..." reads "The
    partners column 'partners' (--partners-col): ..." (a board paper showed the CLI's jargon)."""
    found = _COLUMN_OPTION.match(warning)
    if not found:
        return warning
    kind, column = found.groups()
    return f"The {_COLUMN_KIND[kind]} column '{column}' (--{kind}-col): {warning[found.end() :]}"


OPPOSITE_MOVES = "the tags moved the other way: no clear change"


def moves_apart(item: Mapping[str, Any]) -> bool:
    """Whether an SDG's share and its corrected prevalence changed in opposite directions, each
    by half a point or more: a trial's small group showed -23.8 points beside +4.5 unremarked."""
    share, prevalence = item.get("share_change"), item.get("prevalence_change")
    if share is None or prevalence is None:
        return False
    return share * prevalence < 0 and min(abs(share), abs(prevalence)) >= 0.005


def few_projects_sentence(change: Mapping[str, Any], small_group: int) -> str:
    """Said of a compared group with too few projects for its gaps to mean a trend."""
    if min(change["projects_old"], change["projects_new"]) >= small_group:
        return ""
    return (
        f" With fewer than {small_group} projects in a profile, one project opens or closes such "
        "a gap: read these as what the projects were, not as a trend."
    )


def only_group(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one group of a ``--by`` that put every project in the same group, else None: its
    figures are those of the whole portfolio, and a report printed every table twice."""
    groups, overall = document["groups"], document["overall"]
    if len(groups) == 1 and groups[0]["projects"] == overall["projects"]:
        return groups[0]
    return None


def shown_groups(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The portfolio and its groups as the reports show them (see :func:`only_group`)."""
    return [document["overall"], *([] if only_group(document) else document["groups"])]


def one_group_sentence(document: Mapping[str, Any]) -> str | None:
    group = only_group(document)
    if group is None:
        return None
    return (
        f"Every project is in the one group '{group['name']}' of {document['settings']['by']}: "
        "its figures are those of all projects, shown once."
    )


def labels_sentence(document: Mapping[str, Any]) -> str | None:
    """Says that a person's labels stand in for the model's tags, and for how many projects."""
    labelled = document.get("input", {}).get("labelled_by_person") or 0
    if not labelled:
        return None
    scored = document["input"]["scored"]
    return (
        f"{labelled:,} of the {scored:,} projects carry a person's labels (profile --corrections) "
        "instead of the model's tags; every figure counts those labels."
    )


def correction_sentence(settings: Mapping[str, Any]) -> str | None:
    """What the prevalence correction does, in one sentence (None when the profile has none)."""
    prevalence = settings.get("prevalence")
    if not prevalence:
        return None
    kinds = len(prevalence.get("validation_sources") or [])
    doubt = (
        f"the doubt about those error rates, including how much they differ between {kinds} "
        "kinds of validation text; it assumes the projects' style is no further from the "
        "validation texts than those kinds are from each other."
        if kinds > 1
        else "the doubt about those error rates; it assumes the projects are written like those "
        "validation texts."
    )
    adapted = prevalence.get("adapted_sdgs") or []
    counted = f"on {prevalence['validation_texts']:,} validation texts"
    if adapted:  # a model adapted to a user's texts counted these SDGs on them
        counted = (
            f"on {prevalence['validation_texts']:,} validation texts (for "
            f"{sdg_list(adapted)}: out of fold on the {prevalence.get('adaptation_texts') or 0:,} "
            "texts the model was adapted to, a sample that may not be like the portfolio)"
        )
    sentence = (
        "Prevalence corrects each share for the model's own misses and false alarms, as counted "
        f"{counted} at its '{prevalence['operating_point']}' operating point, and its 95% "
        f"interval carries both the group's sampling noise and {doubt}"
    )
    audited, needed = prevalence.get("audited_projects") or 0, prevalence.get("min_audit") or 0
    if needed and audited >= needed:
        sentence += (
            f" {audited:,} projects were labelled by a person after a random pick (an audit); "
            f"in every group with at least {needed} of them the correction measures the model's "
            "errors on those projects instead, which needs no assumption about the style of text."
        )
    return sentence


def change_with_interval(item: Mapping[str, Any], figure: str) -> str:
    """'+13.1 pts (-20.3, +45.0)': a comparison's change of ``figure`` and its 95% interval."""
    change = points(item.get(f"{figure}_change"))
    low, high = item.get(f"{figure}_change_ci_low"), item.get(f"{figure}_change_ci_high")
    if low is None or high is None:
        return change
    return f"{change} ({points(low).removesuffix(' pts')}, {points(high).removesuffix(' pts')})"


def change_class(item: Mapping[str, Any]) -> str:
    """'up' or 'down' when a share moved beyond chance and its project count moved the same way.

    A share can fall only because the group grew: with an unchanged project count that is not a
    loss, so it is not coloured as one; nor is a change whose 95% interval holds 0.
    """
    prefix = "prevalence_" if item.get("prevalence_change") is not None else "share_"
    change = item.get(prefix + "change")
    # chance is judged on the share: both profiles' prevalences share the model's error rates
    low, high = item.get("share_change_ci_low"), item.get("share_change_ci_high")
    before, now = item.get("projects_old"), item.get("projects_new")
    if not change or before is None or now is None or now == before:
        return ""
    if low is not None and high is not None and low <= 0 <= high:
        return ""  # within what chance alone moves
    if change > 0 and now > before:
        return "up"
    if change < 0 and now < before:
        return "down"
    return ""
