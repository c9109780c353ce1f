"""Comparing snapshots: what changed since a previous profile, per group and per SDG.

The previous profile is read from its JSON (``--json-out``), so any two runs compare, and is checked
just enough to say clearly when a file is not a profile at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import DataError
from .figures import ALL_LABEL, SCHEMA_VERSION, Profile
from .inputs import option_name


def _document(profile: Profile | Mapping[str, Any] | str | Path, name: str) -> Any:
    """A profile as its JSON document; a path is read (a path was taken for a document).
    What a file holds is checked by :func:`check_document`."""
    if isinstance(profile, Profile):
        return profile.to_dict()
    if isinstance(profile, (str, Path)):
        try:
            loaded = json.loads(Path(profile).read_text(encoding="utf-8"))
        except OSError as exc:
            raise DataError(f"cannot read {name}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise DataError(f"{name} is not JSON ({exc.msg}, line {exc.lineno})") from None
        return loaded
    return dict(profile) if isinstance(profile, Mapping) else profile


def check_document(document: Any, name: str = "the previous profile") -> dict[str, Any]:
    """A loaded profile JSON checked just enough to compare against; errors say what is wrong."""
    if isinstance(document, list):
        raise DataError(
            f"{name} holds a JSON list (like the output of `sdg-align classify --json --lines`), "
            "not a profile; pass a file written by `sdg-align profile --json-out`"
        )
    if not isinstance(document, dict) or "schema_version" not in document:
        raise DataError(
            f"{name} is not a profile written by `sdg-align profile --json` (no schema_version)"
        )
    major = str(document["schema_version"]).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise DataError(
            f"{name} has schema version {document['schema_version']}; this version reads "
            f"{SCHEMA_VERSION.split('.')[0]}.x. Re-run the old profile with this version."
        )
    for key in ("overall", "groups", "settings", "input"):
        if key not in document:
            raise DataError(f"{name} lacks '{key}'; it is not a complete profile document")
    return document


def compare_profiles(
    new: Profile | Mapping[str, Any] | str | Path,
    old: Profile | Mapping[str, Any] | str | Path,
    *,
    old_name: str = "previous profile",
) -> dict[str, Any]:
    """What changed since ``old`` (a profile, its loaded JSON, or the path of its JSON file), per
    group and per SDG; set it as ``new.comparison`` to show it in the reports.

    Groups are matched by name; a group in only one profile is listed as ``added`` or ``removed``.
    """
    if isinstance(old, (str, Path)):
        old_name = str(old) if old_name == "previous profile" else old_name
    current = _document(new, "this profile")
    previous = check_document(_document(old, old_name), old_name)
    notes = [
        _setting_note(key, previous["settings"].get(key), current["settings"].get(key))
        for key in ("by", "weight_col", "time_col")
        if current["settings"].get(key) != previous["settings"].get(key)
    ]
    tags_before, tags_now = previous["settings"].get("tags"), current["settings"].get("tags")
    if tags_before and tags_now and tags_before != tags_now:  # profiles before 1.4 do not say
        notes.append(
            f"the previous profile counted the '{tags_before}' tags and this one the '{tags_now}' "
            "tags (--tags): shares and gaps change with the operating point alone; compare with "
            "care"
        )
    if bool(current["settings"].get("prevalence")) != bool(previous["settings"].get("prevalence")):
        notes.append(
            "only one of the two profiles is corrected for the model's errors, so prevalence "
            "changes are not shown; compare shares"
        )
    shared = _shared_projects(current, previous)
    if shared:
        notes.append(
            f"{shared} of this profile's projects are in the previous one too (the same id): "
            "the change intervals treat the two as separate portfolios, so a change between "
            "overlapping ones (a year against all years to date) is judged too loosely; compare "
            "profiles of separate periods, or read the trends of one profile with --time-col"
        )
    old_groups = {g["name"]: g for g in previous["groups"]}
    new_groups = {g["name"]: g for g in current["groups"]}
    groups = [
        _compare_group(new_groups.get(name), old_groups.get(name), name)
        for name in sorted(set(old_groups) | set(new_groups))
    ]
    return {
        "previous": {
            "generated_at": previous.get("generated_at"),
            "schema_version": previous["schema_version"],
            "rows": previous["input"].get("rows"),
            "scored": previous["input"].get("scored"),
        },
        "warnings": notes,
        "overall": _compare_group(current["overall"], previous["overall"], ALL_LABEL),
        "groups": groups,
    }


def _shared_projects(current: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
    """How many projects both profiles list by id ('at least N' when a list was cut), or None.

    109 of 139 projects were in both profiles of a trial's comparison, and nothing said so."""
    ids = [
        {p["id"] for p in document.get("projects") or [] if p.get("id")}
        for document in (current, previous)
    ]
    shared = len(ids[0] & ids[1])
    if not shared:
        return None
    cut = any(
        (document["input"].get("projects_listed") or 0) < (document["input"].get("scored") or 0)
        for document in (current, previous)
    )
    return f"at least {shared:,}" if cut else f"{shared:,}"


def _setting_note(key: str, before: Any, now: Any) -> str:
    """'--by was not set in the previous profile and is 'cluster' now; compare with care'."""

    def said(value: Any) -> str:
        return f"'{value}'" if value else "not set"

    return (
        f"{option_name(key)} was {said(before)} in the previous profile and is {said(now)} now; "
        "compare with care"
    )


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def change_interval(
    new: Mapping[str, Any], old: Mapping[str, Any], figure: str
) -> tuple[float | None, float | None]:
    """A 95% interval for ``figure`` now minus then, from the two profiles' own intervals
    (Newcombe's square-and-add; the profiles are taken as independent samples). A change whose
    interval holds 0 is within what chance alone moves: 1 -> 5 projects of 12 is such a change.

    Used for the share only: the prevalence intervals also hold the doubt about the model's error
    rates, which two profiles read by the same model share, so combining them as independent
    gave two identical portfolios a change of 0 +- 21 points.
    """
    keys = (figure, f"{figure}_ci_low", f"{figure}_ci_high")
    found = [d.get(key) for d in (new, old) for key in keys]
    if any(v is None for v in found):
        return None, None
    now, now_low, now_high, then, then_low, then_high = (float(v) for v in found if v is not None)
    change = now - then
    low = change - ((now - now_low) ** 2 + (then_high - then) ** 2) ** 0.5
    high = change + ((now_high - now) ** 2 + (then - then_low) ** 2) ** 0.5
    return round(low, 6), round(high, 6)


def _compare_sdg(item: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    share_low, share_high = change_interval(item, before, "share")
    return {
        "sdg": item["sdg"],
        "share_old": before.get("share"),
        "share_new": item["share"],
        "share_change": _diff(item["share"], before.get("share")),
        "share_change_ci_low": share_low,
        "share_change_ci_high": share_high,
        "projects_old": before.get("projects"),
        "projects_new": item["projects"],
        "allocation_share_change": _diff(item["allocation_share"], before.get("allocation_share")),
        "weighted_share_change": _diff(item.get("weighted_share"), before.get("weighted_share")),
        "specialisation_change": _diff(item.get("specialisation"), before.get("specialisation")),
        "prevalence_old": before.get("prevalence"),
        "prevalence_new": item.get("prevalence"),
        "prevalence_change": _diff(item.get("prevalence"), before.get("prevalence")),
    }


def _compare_group(
    new: Mapping[str, Any] | None, old: Mapping[str, Any] | None, name: str
) -> dict[str, Any]:
    if new is None or old is None:
        return {"name": name, "status": "added" if old is None else "removed", "sdgs": []}
    old_sdgs = {s["sdg"]: s for s in old["sdgs"]}
    return {
        "name": name,
        "status": "both",
        "projects_old": old["projects"],
        "projects_new": new["projects"],
        "share_with_sdg_change": _diff(new["share_with_sdg"], old["share_with_sdg"]),
        "breadth_old": old["breadth"],
        "breadth_new": new["breadth"],
        "diversity_change": _diff(new["diversity"], old["diversity"]),
        "gaps_closed": sorted(set(old["gaps_absent"]) - set(new["gaps_absent"])),
        "gaps_new": sorted(set(new["gaps_absent"]) - set(old["gaps_absent"])),
        "sdgs": [_compare_sdg(item, old_sdgs.get(item["sdg"], {})) for item in new["sdgs"]],
    }
