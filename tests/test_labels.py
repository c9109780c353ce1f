from __future__ import annotations

import re

import pytest

from sdg_align.labels import GOALS, NUM_SDGS, goal, load_reference, targets, targets_of

from .conftest import SHARED, needs_shared


def test_seventeen_goals_with_official_colours():
    assert [g.number for g in GOALS] == list(range(1, 18))
    assert all(re.fullmatch(r"#[0-9A-F]{6}", g.colour) for g in GOALS)
    assert goal(7).short_name == "Affordable and clean energy"
    with pytest.raises(ValueError, match="1 to 17"):
        goal(18)


def test_169_targets_with_short_titles():
    catalogue = targets()
    assert len(catalogue) == 169
    assert len({t.code for t in catalogue}) == 169
    assert all(t.short_title.strip() for t in catalogue)
    assert sum(len(targets_of(n)) for n in range(1, NUM_SDGS + 1)) == 169
    assert [t.code for t in targets_of(7)] == ["7.1", "7.2", "7.3", "7.a", "7.b"]


@needs_shared
def test_reference_titles_in_several_languages_match_the_catalogue():
    codes = {t.code for t in targets()}
    for lang in ("en", "de", "fr", "es", "it", "cs", "ro"):
        titles = load_reference(SHARED / "sdg-reference", lang)
        assert {c for c in titles if c.count(".") == 1} == codes
        assert titles["7"]
    with pytest.raises(FileNotFoundError, match="available"):
        load_reference(SHARED / "sdg-reference", "xx")
