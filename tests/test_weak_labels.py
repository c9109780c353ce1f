from __future__ import annotations

import pytest

from sdg_align.data import load_source
from sdg_align.errors import DataError
from sdg_align.weak_labels import (
    WEAK_WEIGHT,
    Document,
    Phrase,
    QuerySystems,
    parse_query,
    weak_label,
)

from .conftest import needs_shared


def matches(query: str, text: str) -> bool:
    return bool(Document(text).match(parse_query(query)))


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ('"solar energy"', "A new Solar-Energy plant", True),
        ('"solar energy"', "energy from the solar roof", False),
        ("{renewable energ*}", "renewable energies for towns", True),
        ("<urbani?ation>", "rapid urbanisation", True),
        ("<urbani?ation>", "rapid urbanization", True),
        ("<urbani?ation>", "rapid urbanity", False),
        ('"water" AND "sanitation"', "water and soap for sanitation", True),
        ('"water" AND "sanitation"', "water for towns", False),
        ('"biodiversit*" AND NOT ("marine" OR "ocean*")', "forest biodiversity", True),
        ('"biodiversit*" AND NOT ("marine" OR "ocean*")', "biodiversity of oceans", False),
        ("(migration NOT disease)", "labour migration", True),
        ('("poverty") W/3 ("eradicat*" OR "end")', "to end extreme poverty", True),
        ('("poverty") W/3 ("eradicat*" OR "end")', "the end of a long study on poverty", False),
        ('"a" OR ("b" AND ("c" OR "d"))', "b and d", True),
        (r"(\"cyclonic ni\u00f1o\")", "the cyclonic niño season", True),
    ],
)
def test_queries_match_like_the_query_systems_intend(query, text, expected):
    assert matches(query, text) is expected


def test_parser_builds_a_tree_and_refuses_broken_queries():
    assert parse_query('"clean water"') == Phrase(("clean", "water"))
    with pytest.raises(DataError, match="parentheses"):
        parse_query('("water" OR "sanitation"')
    with pytest.raises(DataError, match="too early"):
        parse_query('"water" AND')


def test_weak_labels_need_agreement_and_leave_single_votes_unknown(tmp_path):
    queries = tmp_path / "queries.csv"
    queries.write_text(
        "system,sdg,query\n"
        'aurora,SDG-07,"""solar"" OR ""wind power"""\n'
        'siris,SDG-07,"""solar"""\n'
        'siris,SDG-13,"""climate"""\n'
        'sdsn,SDG-06,"""water"""\n',
        encoding="utf-8",
    )
    systems = QuerySystems.load(queries, systems=("aurora", "siris", "sdsn"))
    labelled = weak_label(["Solar roofs against climate change", "A bakery"], systems)
    solar, bakery = labelled.examples
    assert solar.sdgs == (7,)  # two systems agree
    assert 13 not in solar.known and 7 in solar.known  # one vote: unknown, not negative
    assert solar.known_mask()[12] == 0.0 and solar.known_mask()[5] == 1.0
    assert bakery.sdgs == () and bakery.known == tuple(range(1, 18))
    assert solar.weight == WEAK_WEIGHT


def test_missing_query_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="keyword query file not found"):
        QuerySystems.load(tmp_path / "none.csv")


@needs_shared
def test_all_published_queries_parse_and_label_snsf_projects():
    labelled = load_source("snsf-weak")
    assert len(labelled) == 500
    assert not [p for p in labelled.problems if "SDG" in p]  # every query parsed
    assert any(e.sdgs for e in labelled.examples)
    assert all(e.source == "snsf-weak" and e.split is None for e in labelled.examples)
