"""The profile's figures on small hand-made scored tables whose right answers are known."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sdg_align.errors import DataError
from sdg_align.profile import (
    ALL_LABEL,
    FIGURES,
    SCHEMA_VERSION,
    ProfileColumns,
    build_profile,
    check_document,
    compare_profiles,
    json_schema,
    profile_markdown,
)

from .conftest import error_rates_document

DOCS = Path(__file__).resolve().parents[1] / "docs" / "profile.md"


def scored(rows: list[dict]) -> pd.DataFrame:
    """A scored table as `sdg-align score` writes it (all cells strings) from short row specs.

    Each row: ``probs`` ({sdg: p}, others 0), ``tags`` (SDGs above threshold; default: p >= 0.5),
    and any other columns as they are.
    """
    records = []
    for i, spec in enumerate(rows):
        spec = dict(spec)
        probs = spec.pop("probs", {})
        tags = spec.pop(
            "tags", sorted((k for k, p in probs.items() if p >= 0.5), key=lambda k: -probs[k])
        )
        record = {"project_id": f"P{i + 1}", **{k: str(v) for k, v in spec.items()}}
        record["sdgs"] = ";".join(map(str, tags))
        record["primary_sdg"] = str(tags[0]) if tags else ""
        for k in range(1, 18):
            record[f"p_sdg{k}"] = str(probs.get(k, 0.0))
        record.setdefault("error", "")
        records.append(record)
    return pd.DataFrame(records)


@pytest.fixture
def four() -> pd.DataFrame:
    """Two groups of two projects; budgets 100, 300, 100, 500; years 2020 and 2021."""
    return scored([
        {"cluster": "X", "budget": 100, "year": 2020, "probs": {7: 0.8, 13: 0.2}, "tags": [7, 13]},
        {"cluster": "X", "budget": 300, "year": 2021, "probs": {7: 0.6}},
        {"cluster": "Y", "budget": 100, "year": 2020, "probs": {3: 0.1}},
        {"cluster": "Y", "budget": 500, "year": 2021, "probs": {3: 0.9}},
    ])  # fmt: skip


def sdg(group, number: int) -> dict:
    return group["sdgs"][number - 1]


def test_counts_shares_and_probability_figures(four):
    doc = build_profile(four, columns=ProfileColumns(by="cluster")).to_dict()
    overall = doc["overall"]
    assert overall["name"] == ALL_LABEL and overall["projects"] == 4
    assert [s["sdg"] for s in overall["sdgs"]] == list(range(1, 18))
    assert (sdg(overall, 7)["projects"], sdg(overall, 7)["share"]) == (2, 0.5)
    assert sdg(overall, 13)["share"] == 0.25 and sdg(overall, 3)["share"] == 0.25
    assert sdg(overall, 7)["intensity"] == pytest.approx(1.4 / 4)
    assert sdg(overall, 3)["expected_projects"] == pytest.approx(1.0)  # 0.1 + 0.9, no threshold
    assert sdg(overall, 7)["primary_share"] == 0.5 and sdg(overall, 13)["primary_projects"] == 0
    assert overall["share_with_sdg"] == 0.75
    assert overall["share_cross_sectoral"] == 0.25
    assert [g["name"] for g in doc["groups"]] == ["X", "Y"]
    assert sdg(doc["groups"][0], 7)["share"] == 1.0


def test_allocation_adds_up_to_the_portfolio(four):
    doc = build_profile(four, columns=ProfileColumns(by="cluster", weight_col="budget")).to_dict()
    for group in [doc["overall"], *doc["groups"]]:
        allocated = sum(s["allocated_projects"] for s in group["sdgs"])
        assert allocated + group["unallocated_projects"] == pytest.approx(group["projects"])
        weight = sum(s["allocated_weight"] for s in group["sdgs"])
        assert weight + group["unallocated_weight"] == pytest.approx(group["total_weight"])
    overall = doc["overall"]
    # project 1 (budget 100) splits 0.8 / 0.2 between SDG 7 and 13
    assert sdg(overall, 7)["allocated_projects"] == pytest.approx(1.8)
    assert sdg(overall, 13)["allocated_projects"] == pytest.approx(0.2)
    assert sdg(overall, 7)["allocated_weight"] == pytest.approx(80 + 300)
    assert sdg(overall, 13)["allocated_weight"] == pytest.approx(20)
    assert overall["unallocated_weight"] == 100 and overall["total_weight"] == 1000
    assert sdg(overall, 7)["allocation_weight_share"] == pytest.approx(0.38)
    # counts view, weighted: every project in full
    assert sdg(overall, 7)["weighted_share"] == pytest.approx(0.4)
    assert sdg(overall, 13)["weighted_share"] == pytest.approx(0.1)
    assert sdg(overall, 3)["weighted_share"] == pytest.approx(0.5)


def test_allocation_splits_evenly_when_tagged_probabilities_are_zero():
    frame = scored([{"probs": {}, "tags": [4, 5]}, {"probs": {4: 0.9}}])
    overall = build_profile(frame).to_dict()["overall"]
    assert sdg(overall, 4)["allocated_projects"] == pytest.approx(1.5)
    assert sdg(overall, 5)["allocated_projects"] == pytest.approx(0.5)


def test_specialisation_breadth_diversity_and_gaps(four):
    doc = build_profile(four, columns=ProfileColumns(by="cluster")).to_dict()
    x, y = doc["groups"]
    assert sdg(x, 7)["specialisation"] == pytest.approx(2.0)  # 100% in X vs 50% overall
    assert sdg(x, 3)["specialisation"] == 0.0
    assert sdg(y, 3)["specialisation"] == pytest.approx(2.0)
    assert sdg(x, 1)["specialisation"] is None  # no project overall: undefined, not infinite
    overall = doc["overall"]
    assert overall["breadth"] == 3  # SDGs 3, 7 and 13 reach 10% of projects
    p = np.array([0.5, 0.25, 0.25])  # tags: SDG 7 twice, 13 and 3 once
    assert overall["diversity"] == pytest.approx(-(p * np.log(p)).sum() / math.log(17), abs=1e-6)
    assert overall["gaps_absent"] == [k for k in range(1, 18) if k not in (3, 7, 13)]
    assert overall["gaps_weak"] == []
    assert y["diversity"] == 0.0 and math.copysign(1.0, y["diversity"]) == 1.0  # not -0.0


def test_weak_gaps_use_the_breadth_share():
    rows = [{"probs": {7: 0.9}} for _ in range(19)] + [{"probs": {7: 0.9, 6: 0.7}}]
    overall = build_profile(scored(rows)).to_dict()["overall"]
    assert overall["gaps_weak"] == [6]  # 1 of 20 projects = 5% < 10%
    assert overall["breadth"] == 1


def test_combinations_and_cooccurrence():
    frame = scored([
        {"probs": {7: 0.9, 13: 0.8}},
        {"probs": {13: 0.9, 7: 0.8}},
        {"probs": {7: 0.9, 13: 0.8, 9: 0.6}},
        {"probs": {3: 0.9}},
    ])  # fmt: skip
    overall = build_profile(frame).to_dict()["overall"]
    assert overall["combinations"] == [
        {"sdgs": [7, 13], "projects": 2, "share": 0.5},
        {"sdgs": [7, 9, 13], "projects": 1, "share": 0.25},
    ]
    assert overall["cooccurrence"] == [
        {"sdgs": [7, 13], "projects": 3},
        {"sdgs": [7, 9], "projects": 1},
        {"sdgs": [9, 13], "projects": 1},
    ]


def trend_frame(nines_per_year=(0, 2, 4), per_year=4) -> pd.DataFrame:
    """Four projects a year, 2020-2022: SDG 9 in 0, 2, 4 of them; SDG 2 in the others (dates too)."""
    rows = []
    for year, nines in zip((2020, 2021, 2022), nines_per_year, strict=True):
        for i in range(per_year):
            probs = {9: 0.8} if i < nines else {2: 0.8}
            when = str(year) if i % 2 else f"{year}-{i % 12 + 1:02d}-15"
            rows.append({"year": when, "probs": probs})
    return scored(rows)


def test_acceleration_slope_and_its_interval():
    group = build_profile(trend_frame(), columns=ProfileColumns(time_col="year")).to_dict()[
        "overall"
    ]
    assert group["periods"] == [
        {"period": 2020, "projects": 4}, {"period": 2021, "projects": 4},
        {"period": 2022, "projects": 4},
    ]  # fmt: skip
    nine = sdg(group, 9)["trend"]
    assert nine["projects"] == [0, 2, 4] and nine["shares"] == [0.0, 0.5, 1.0]
    assert nine["slope"] == pytest.approx(0.5)  # +50 points a year
    assert nine["last_change"] == pytest.approx(0.5)
    years = np.repeat([2020, 2021, 2022], 4)
    y = np.array([0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1])
    fit = stats.linregress(years, y)
    half = stats.t.ppf(0.975, len(y) - 2) * fit.stderr
    assert nine["slope_ci_low"] == pytest.approx(fit.slope - half, abs=1e-6)
    # 0, 50, 100%: no share can climb faster, so the interval stops at +50 points a year
    assert fit.slope + half > 0.5 and nine["slope_ci_high"] == pytest.approx(0.5)
    assert nine["trend"] == "accelerating"
    assert sdg(group, 2)["trend"]["trend"] == "slowing"
    assert sdg(group, 5)["trend"]["trend"] is None  # never advanced: nothing to judge
    assert sdg(group, 5)["trend"]["slope"] == 0
    assert group["accelerating"] == [9] and group["slowing"] == [2]


def test_one_period_has_no_slope():
    frame = scored([{"year": 2021, "probs": {7: 0.9}}, {"year": 2021, "probs": {}}])
    trend = sdg(
        build_profile(frame, columns=ProfileColumns(time_col="year")).to_dict()["overall"], 7
    )["trend"]
    assert trend["shares"] == [0.5] and trend["slope"] is None and trend["trend"] is None


def test_share_interval_agrees_with_resampling_where_that_works_and_not_where_it_fails():
    rows = [{"probs": {7: 0.9}} for _ in range(30)] + [{"probs": {}} for _ in range(70)]
    item = sdg(build_profile(scored(rows)).to_dict()["overall"], 7)
    # 30 of 100: resampling the projects gives nearly the same interval
    rng = np.random.default_rng(0)
    indicator = np.array([1] * 30 + [0] * 70)
    naive = indicator[rng.integers(0, 100, size=(4000, 100))].mean(axis=1)
    low, high = np.quantile(naive, [0.025, 0.975])
    assert item["share_ci_low"] == pytest.approx(low, abs=0.015)
    assert item["share_ci_high"] == pytest.approx(high, abs=0.015)
    # no resampling: the same with another seed and with the draws turned off
    assert sdg(build_profile(scored(rows), seed=5).to_dict()["overall"], 7) == item
    no_draws = sdg(build_profile(scored(rows), bootstrap=0).to_dict()["overall"], 7)
    assert (no_draws["share_ci_low"], no_draws["share_ci_high"]) == (
        item["share_ci_low"],
        item["share_ci_high"],
    )
    # 0 of 2 and 2 of 2: resampling gives 0%-0% and 100%-100%; two projects say far less
    two = build_profile(scored([{"probs": {7: 0.9}}, {"probs": {7: 0.9}}])).to_dict()["overall"]
    none, both = sdg(two, 1), sdg(two, 7)
    assert none["share_ci_low"] == 0 and none["share_ci_high"] == pytest.approx(0.667, abs=1e-3)
    assert both["share_ci_high"] == 1 and both["share_ci_low"] == pytest.approx(0.333, abs=1e-3)
    # 0 of 12: rarer than about 19% of projects (the rule of three says 25%)
    twelve = build_profile(scored([{"probs": {}}] * 12)).to_dict()["overall"]
    assert sdg(twelve, 3)["share_ci_high"] == pytest.approx(0.185, abs=1e-3)


def test_small_groups_get_a_note(four):
    doc = build_profile(four, columns=ProfileColumns(by="cluster")).to_dict()
    assert doc["groups"][0]["small_group"] is True
    assert "Only 2 projects" in doc["groups"][0]["note"]
    big = build_profile(scored([{"probs": {7: 0.9}}] * 30)).to_dict()["overall"]
    assert big["small_group"] is False and big["note"] is None


def test_partner_lists_give_collaboration_figures():
    frame = scored([
        {"partners": "Acme (DE, sme); Uni Lyon (FR, university)", "probs": {17: 0.9}},
        {"partners": "Acme (DE, company)", "probs": {}},
        {"partners": "Acme (DE, company);  Fund (DE, investor)", "probs": {}},
        {"partners": "", "probs": {}},
    ])  # fmt: skip
    collab = build_profile(frame, columns=ProfileColumns(partners_col="partners")).to_dict()[
        "overall"
    ]["collaboration"]
    assert collab == {
        "source": "list",
        "projects_with_partners": 3,
        "mean_partners": 1.25,
        "share_multi_partner": 0.5,
        "share_international": 0.25,
        "share_public_private": 0.25,
        "sdg17_share": 0.25,
    }


def test_partner_lists_as_json_arrays_count_each_partner():
    """A JSON Lines (or Parquet) list was read as one partner, '[]' as one too: every project
    then had one partner and no international or public-private figure."""
    frame = scored([{"probs": {17: 0.9}}, *[{"probs": {}}] * 4])
    frame["partners"] = [
        ["Acme (DE, sme)", "Uni Lyon (FR, university)"],
        ["Acme (DE, company)"],
        ["Acme (DE, company)", "Fund (DE, investor)"],
        [],
        None,
    ]
    columns = ProfileColumns(by="funding", partners_col="partners")
    frame["funding"] = [{"programme": "EFRE"}] * 2 + ["Interreg"] * 3
    profile = build_profile(frame, columns=columns).to_dict()
    collab = profile["overall"]["collaboration"]
    assert collab["projects_with_partners"] == 3 and collab["mean_partners"] == 1.0
    assert collab["share_international"] == 0.2 and collab["share_public_private"] == 0.2
    assert {g["name"] for g in profile["groups"]} == {'{"programme": "EFRE"}', "Interreg"}
    # the same arrays as JSON text, in a CSV that score wrote from the JSON Lines file
    frame["partners"] = [json.dumps(p) if p is not None else "" for p in frame["partners"]]
    as_text = build_profile(frame, columns=columns).to_dict()["overall"]["collaboration"]
    assert as_text == collab


def test_partner_counts_and_bare_names():
    counts = scored([{"n": v, "probs": {}} for v in ("3", "1", "0", "")])
    collab = build_profile(counts, columns=ProfileColumns(partners_col="n")).to_dict()["overall"][
        "collaboration"
    ]
    assert collab["source"] == "count" and collab["share_multi_partner"] == 0.25
    assert collab["share_international"] is None and collab["share_public_private"] is None
    names = scored([{"p": "A; B", "probs": {}}, {"p": "C", "probs": {}}])
    collab = build_profile(names, columns=ProfileColumns(partners_col="p")).to_dict()["overall"][
        "collaboration"
    ]
    assert collab["share_multi_partner"] == 0.5 and collab["share_international"] is None


def test_a_count_column_with_an_n_a_stays_counts_and_says_so():
    """One 'n/a' turned a column of counts into a list of names: '3' read as one partner."""
    counts = scored([{"n": v, "probs": {}} for v in ("3", "2", "n/a", "", "2.0")])
    profile = build_profile(counts, columns=ProfileColumns(partners_col="n")).to_dict()
    collab = profile["overall"]["collaboration"]
    assert collab["source"] == "count" and collab["share_multi_partner"] == 0.6
    assert collab["mean_partners"] == pytest.approx(7 / 5)
    assert any("'n/a' in row 3" in w and "count as no partner" in w for w in profile["warnings"])
    names = scored([{"p": v, "probs": {}} for v in ("2", "Acme (DE, sme); Uni", "n/a")])
    listed = build_profile(names, columns=ProfileColumns(partners_col="p")).to_dict()
    assert listed["overall"]["collaboration"]["source"] == "list"


def test_partner_types_as_people_write_them_count_and_unknown_ones_are_named():
    """'industry', 'education', 'association' were not types: a portfolio typed that way showed a
    public-private mix of 0% without a word."""
    frame = scored([
        {"p": "Molkerei Berger GmbH (AT, industry); TU Graz (AT, education)", "probs": {}},
        {"p": "Wassercluster (AT, association); Stadt Linz (AT, municipality)", "probs": {}},
        {"p": "Agrar eG (DE, Genossenschaft); Land Tirol (AT, PUB)", "probs": {}},
        {"p": "Acme (DE, partner firm); ACME Labs (DE, ACL)", "probs": {}},
    ])  # fmt: skip
    profile = build_profile(frame, columns=ProfileColumns(partners_col="p")).to_dict()
    assert profile["overall"]["collaboration"]["share_public_private"] == 0.5
    unknown = [w for w in profile["warnings"] if "type sdg-align does not know" in w]
    assert len(unknown) == 1 and "'partner firm' (1)" in unknown[0] and "ACL" not in unknown[0]


def test_partners_on_separate_lines_or_joined_by_slash_count_apart():
    """Partners typed on separate lines of a cell (Alt+Enter) or as 'A (AT, university) / B (AT,
    company)' counted as one partner without a word; Italian types and 'AUT' were not read."""
    frame = scored([
        {"p": "Uni Innsbruck (AT, university)\nAlpenholz GmbH (AT, company)", "probs": {}},
        {"p": "Uni (AT, university) / Holz (AT, company)", "probs": {}},
        {"p": "Comune di Bolzano (ITA, comune) e Rossi Srl (CHE, impresa)", "probs": {}},
        {"p": "Uni (AT, university) Holz (CH, company)", "probs": {}},
    ])  # fmt: skip
    profile = build_profile(frame, columns=ProfileColumns(partners_col="p")).to_dict()
    collab = profile["overall"]["collaboration"]
    assert collab["mean_partners"] == 1.75 and collab["share_multi_partner"] == 0.75
    assert collab["share_public_private"] == 0.75 and collab["share_international"] == 0.25
    assert any("1 entry holds two '(...)' groups" in w for w in profile["warnings"])
    assert not any("does not know" in w for w in profile["warnings"])


def test_partners_of_polish_dutch_and_swedish_sheets_and_legal_forms_have_types():
    """92 partners typed 'uczelnia', 'gmina', 'bedrijf', 'gemeente' ... were unknown, and the mix
    of the 5 typed in English was shown as the portfolio's (3%); a name's legal form ('B.V.',
    'sp. z o.o.') or a university's or municipality's name says its type too."""
    frame = scored([
        {"p": "Chłodnie Sp. z o.o. (PL); Politechnika Poznańska (PL)", "probs": {}},
        {"p": "Agro (NL, bedrijf); Gemeente Venlo (NL); Stichting Vers (NL, stichting)", "probs": {}},
        {"p": "Fresh Foods AB (SE); Lund kommun (SE)", "probs": {}},
        {"p": "Bank Żywności (PL, stowarzyszenie); Gmina Suchy Las (PL, gmina)", "probs": {}},
    ])  # fmt: skip
    profile = build_profile(frame, columns=ProfileColumns(partners_col="p")).to_dict()
    assert profile["overall"]["collaboration"]["share_public_private"] == 0.75
    assert not any("does not know" in w for w in profile["warnings"])
    untyped = scored([{"p": "Alpha (PL); Beta (PL); Gamma (NL, company)", "probs": {}}] * 2)
    profile = build_profile(untyped, columns=ProfileColumns(partners_col="p")).to_dict()
    assert profile["overall"]["collaboration"]["share_public_private"] is None
    assert any("only 2 of 6 partners have a type" in w for w in profile["warnings"])


def test_a_number_in_a_list_of_partners_is_a_count_of_unknown_kind():
    """A merged portfolio: one cluster sent counts ('3'), the others lists; each count was read
    as one partner named '3' (mean 1.0 partners, 0% international, without a word)."""
    frame = scored([
        {"p": "Acme GmbH (DE); TU Graz (AT, university)", "probs": {}},
        {"p": "Foo S.L. (ES); Universidad de Sevilla (ES)", "probs": {}},
        {"p": "3", "probs": {}},
        {"p": "6", "probs": {}},
    ])  # fmt: skip
    profile = build_profile(frame, columns=ProfileColumns(partners_col="p")).to_dict()
    collab = profile["overall"]["collaboration"]
    assert collab["mean_partners"] == pytest.approx(13 / 4)
    assert collab["share_international"] == 0.5  # of the two projects that list their partners
    assert collab["share_public_private"] == 1.0
    assert any("2 of 4 scored rows give a number of partners" in w for w in profile["warnings"])


def test_error_rows_are_left_out_and_counted(four):
    four.loc[1, "error"] = "empty text"
    for k in range(1, 18):
        four.loc[1, f"p_sdg{k}"] = ""  # score leaves probabilities empty on failed rows
    four.loc[1, "sdgs"] = ""
    doc = build_profile(four, columns=ProfileColumns(by="cluster")).to_dict()
    assert doc["input"] == {
        "rows": 4, "scored": 3, "excluded": 1, "groups": 2,
        "excluded_rows": [{"row": 2, "id": "P2", "error": "empty text"}], "projects_listed": 3,
        "labelled_by_person": 0,
    }  # fmt: skip
    assert doc["overall"]["projects"] == 3 and doc["overall"]["excluded"] == 1
    assert doc["groups"][0]["excluded"] == 1 and doc["groups"][0]["projects"] == 1
    assert "1 of 4 rows could not be scored and are left out of every figure (row 2 (P2): empty text)" in doc["warnings"][0]  # fmt: skip


def test_a_project_id_on_several_rows_is_warned_about(four):
    four.loc[2, "project_id"] = "P1"
    doc = build_profile(four).to_dict()
    assert doc["overall"]["projects"] == 4  # still counted: the rows may be different projects
    assert any("names 1 project(s) in more than one row ('P1' in rows 1, 3)" in w for w in doc["warnings"])  # fmt: skip
    assert not any("more than one row" in w for w in build_profile(four.iloc[:2]).to_dict()["warnings"])  # fmt: skip


def test_top_projects_carry_their_evidence():
    evidence = {
        "7": {
            "targets": [{"target": "7.2", "title": "Renewables", "score": 0.6}],
            "sentences": [{"text": "Solar roofs.", "score": 0.4, "index": 0}],
        }
    }
    frame = scored([
        {"title": "Solar", "evidence": json.dumps(evidence), "probs": {7: 0.8}},
        {"title": "Wind", "evidence": "", "probs": {7: 0.9}},
        {"title": "Grid", "evidence": "{not json", "probs": {7: 0.7}},
        {"title": "Other", "evidence": "", "probs": {7: 0.6}},
    ])  # fmt: skip
    profile = build_profile(frame, top_projects=3)
    top = sdg(profile.to_dict()["overall"], 7)["top_projects"]
    assert [t["title"] for t in top] == ["Wind", "Solar", "Grid"]
    assert top[1]["evidence"] == {
        "targets": [{"target": "7.2", "title": "Renewables", "score": 0.6}],
        "sentences": [{"text": "Solar roofs.", "score": 0.4}],
    }
    assert top[0]["evidence"] is None and top[0]["row"] == 2 and top[0]["id"] == "P2"
    assert any("row(s) 3" in w for w in profile.warnings)


def test_json_numbers_and_integers_from_json_lines_input(four):
    frame = four.copy()
    frame["year"] = [2020.0, 2021.0, 2020.0, 2021.0]  # JSON Lines with gaps give floats
    frame["sdgs"] = ["7;13", 7, "", 3]
    doc = build_profile(frame, columns=ProfileColumns(time_col="year")).to_dict()
    assert [p["period"] for p in doc["overall"]["periods"]] == [2020, 2021]
    assert sdg(doc["overall"], 13)["projects"] == 1


def test_document_matches_the_schema(four):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    full = build_profile(
        four, columns=ProfileColumns(by="cluster", weight_col="budget", time_col="year")
    )
    full.comparison = compare_profiles(full, build_profile(four).to_dict())
    for profile in (build_profile(four), full):
        document = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
        assert document["schema_version"] == SCHEMA_VERSION
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []


def test_tidy_frame_has_one_row_per_group_and_sdg(four):
    profile = build_profile(
        four, columns=ProfileColumns(by="cluster", weight_col="budget", time_col="year")
    )
    tidy = profile.to_tidy_frame()
    assert len(tidy) == 17 * 3
    assert tidy["group"].tolist()[:17] == [ALL_LABEL] * 17 and tidy["is_overall"].sum() == 17
    assert tidy.loc[tidy["sdg"] == 7, "projects"].tolist() == [2, 2, 0]
    assert {"projects_2020", "share_2021", "slope", "trend", "allocated_weight"} <= set(tidy)
    # a group without a period: its count is empty, and the others stay whole numbers in a CSV
    four.loc[3, "year"] = "2022"
    csv = build_profile(four, columns=ProfileColumns(by="cluster", time_col="year")).to_tidy_frame()
    assert str(csv["projects_2022"].dtype) == "Int64"
    counts = csv[["projects_2020", "projects_2021", "projects_2022"]].to_csv(index=False)
    assert ".0" not in counts and ",," in counts.replace("\n", ",")


def test_markdown_escapes_untrusted_names(four):
    four["cluster"] = ["<script>alert(1)</script>", "a|b", "Y", "Y"]
    text = build_profile(four, columns=ProfileColumns(by="cluster")).to_markdown()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "a\\|b" in text and "| 7 Affordable and clean energy |" in text


def test_compare_profiles_reports_changes(four):
    old = build_profile(four, columns=ProfileColumns(by="cluster")).to_dict()
    newer = four.copy()
    newer.loc[2, ["p_sdg3", "sdgs", "primary_sdg"]] = ["0.7", "3", "3"]  # Y's gap on 3 fills more
    newer.loc[0, "cluster"] = "Z"
    comparison = compare_profiles(build_profile(newer, columns=ProfileColumns(by="cluster")), old)
    overall = comparison["overall"]
    assert sdg(overall, 3)["share_old"] == 0.25 and sdg(overall, 3)["share_new"] == 0.5
    assert sdg(overall, 3)["share_change"] == pytest.approx(0.25)
    assert {g["name"]: g["status"] for g in comparison["groups"]} == {
        "X": "both", "Y": "both", "Z": "added",
    }  # fmt: skip
    x = comparison["groups"][0]
    assert x["gaps_new"] == [13] and x["gaps_closed"] == []
    document = build_profile(newer, columns=ProfileColumns(by="cluster")).to_dict()
    document["comparison"] = comparison
    assert "## Changes since the previous profile" in profile_markdown(document)


def test_compare_warns_when_the_profiles_count_other_operating_points(four):
    """A broad profile against a balanced one showed 'newly absent' SDGs that had not changed."""
    broad = build_profile(four, tags="broad")
    assert broad.to_dict()["settings"]["tags"] == "broad"
    warnings = compare_profiles(build_profile(four, tags="balanced"), broad)["warnings"]
    assert any("'broad' tags and this one the 'balanced' tags" in w for w in warnings)
    older = broad.to_dict()
    del older["settings"]["tags"]  # a profile of schema 1.3 does not say: no warning
    older["projects"] = []  # nor about projects in both (below)
    assert compare_profiles(build_profile(four, tags="balanced"), older)["warnings"] == []
    older["settings"]["tags"] = "broad"
    assert compare_profiles(build_profile(four, tags="broad"), older)["warnings"] == []


def test_compare_says_when_the_two_profiles_share_projects(four):
    """A profile of 2021-2025 against one of 2021-2024: 109 of 139 projects in both, and the
    change intervals treated them as separate portfolios without a word."""
    later = four.copy()
    later["project_id"] = ["P1", "P2", "Q3", "Q4"]
    (note,) = compare_profiles(build_profile(later), build_profile(four))["warnings"]
    assert note.startswith("2 of this profile's projects are in the previous one too")
    later["project_id"] = ["Q1", "Q2", "Q3", "Q4"]
    assert compare_profiles(build_profile(later), build_profile(four))["warnings"] == []


def test_compare_rejects_documents_that_are_not_profiles(four):
    with pytest.raises(DataError, match="not a profile"):
        compare_profiles(build_profile(four), {"rows": 3}, old_name="old.json")
    old = build_profile(four).to_dict() | {"schema_version": "2.0"}
    with pytest.raises(DataError, match="schema version 2.0"):
        check_document(old)


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda f: f.drop(columns=["p_sdg4", "sdgs"]), {}, r"lacks the scored column\(s\) sdgs, p_sdg4; the input has: project_id"),  # noqa: E501
        (lambda f: f, {"by": "nope"}, r"by column 'nope' not found; the input has: project_id, cluster"),  # noqa: E501
        (lambda f: f, {"weight_col": "budget_eur"}, r"--weight-col column 'budget_eur' not found \(did you mean 'budget'\?\).*budget"),  # noqa: E501
        (lambda f: f.assign(budget=["n/a", "", "", "x"]), {"weight_col": "budget"}, r"--weight-col column 'budget' holds no number we can read; found 'n/a' in row 1 \(P1\), '' in row 2 \(P2\)"),  # noqa: E501
        (lambda f: f.assign(year=["", "soon", "2021-02-30x", "?"]), {"time_col": "year"}, r"--time-col column 'year' holds no year .* '' in row 1 \(P1\), 'soon' in row 2 \(P2\), '2021-02-30x' in row 3"),  # noqa: E501
        (lambda f: f.assign(sdgs=["7;x", "7", "", "3"]), {}, r"column 'sdgs' must hold SDG numbers .* '7;x' in row 1"),  # noqa: E501
        (lambda f: f.assign(sdgs=["7;18", "7", "", "3"]), {}, r"'7;18' in row 1"),
        (lambda f: f.assign(p_sdg5=["0.1", "1.5", "0", "0"]), {}, r"column 'p_sdg5' must hold numbers between 0 and 1.*'1.5' in row 2"),  # noqa: E501
        (lambda f: f.assign(primary_sdg=["7", "x", "", "3"]), {}, r"column 'primary_sdg' .* 'x' in row 2"),  # noqa: E501
        (lambda f: f.iloc[:0], {}, r"no rows"),
        (lambda f: f.assign(error="model missing"), {}, r"none of the 4 rows was scored"),
    ],
)  # fmt: skip
def test_bad_input_names_the_column_and_rows(four, change, kwargs, message):
    with pytest.raises(DataError, match=message):
        build_profile(change(four), columns=ProfileColumns(**kwargs))


def test_row_numbers_count_input_rows_even_after_excluded_ones(four):
    four.loc[0, "error"] = "empty text"
    four["budget"] = ["x", "100", "oops", "5"]  # row 1 failed scoring: its budget does not matter
    warnings = build_profile(four, columns=ProfileColumns(weight_col="budget")).warnings
    skipped = [w for w in warnings if "--weight-col" in w]
    assert len(skipped) == 1 and "'oops' in row 3 (P3)" in skipped[0]
    assert "row 1" not in skipped[0]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["80.000 €", "1,2 Mio.", "€ 45 000", "1.234,56"], [80_000, 1_200_000, 45_000, 1234.56]),
        (["$1,200", "1,234.56", "2.5k", "3 Mrd."], [1200, 1234.56, 2500, 3e9]),
        (["CHF 1'200", "CHF 2.500.000", "1.5e6", "0"], [1200, 2_500_000, 1.5e6, 0]),
        # thousands of euros, and the ',-' of a whole amount
        (["45 TEUR", "45 T€", "120.000,-", "500 kEUR"], [45_000, 45_000, 120_000, 500_000]),
        # the scale before the number, and Polish/Dutch 'mln' (all were skipped)
        (["TEUR 350", "kEUR 450", "1,5 mln", "2 mld"], [350_000, 450_000, 1_500_000, 2e9]),
        (["80.000", "1.200", "5", "7"], [80_000, 1200, 5, 7]),  # one mark, 3 digits: groups
        # a scaled amount's decimals say nothing of the plain cells (80.000 was read as 80)
        (["80.000 €", "2.5 Mio €", "45.000 €", "300.000"], [80_000, 2_500_000, 45_000, 300_000]),
        ([100, 250.5, 0, 3], [100, 250.5, 0, 3]),  # numbers stay numbers
        # Nordic kronor: 'kr', thousands 'tkr', millions 'mkr' (were 'not an amount')
        (["1 900 000 kr", "250 tkr", "1,2 mkr", "kr 50 000"], [1_900_000, 250_000, 1_200_000, 50_000]),
        # an 'about' before the amount (69 rows of a trial fell out of the weighted figures)
        (["ca. 1,67 Mio EUR", "~ 350 T€", "rund 80.000 €", "approx. 2.5k"], [1_670_000, 350_000, 80_000, 2_500]),
    ],
)  # fmt: skip
def test_weights_read_as_european_spreadsheets_write_them(four, cells, expected):
    four["budget"] = cells
    profile = build_profile(four, columns=ProfileColumns(weight_col="budget"))
    assert profile.overall.total_weight == pytest.approx(sum(expected))
    assert profile.overall.weight_missing == 0 and profile.warnings == []


def test_budgets_in_several_currencies_are_warned_about(four):
    four["budget"] = ["80.000 €", "USD 50.000", "£30k", "1.200 EUR"]
    profile = build_profile(four, columns=ProfileColumns(weight_col="budget"))
    assert profile.overall.total_weight == pytest.approx(80_000 + 50_000 + 30_000 + 1200)
    (warning,) = profile.warnings
    assert "the budgets name 3 currencies (EUR in 2 rows, USD in 1 row, GBP in 1 row)" in warning
    assert "convert them to one currency first" in warning


@pytest.mark.parametrize("cell", ["300,000", "$300,000"])
def test_three_digits_read_as_decimals_by_the_column_are_warned_about(four, cell):
    four["budget"] = [cell, "1,5", "5", "7"]  # the column writes decimals with a comma
    profile = build_profile(four, columns=ProfileColumns(weight_col="budget"))
    assert profile.overall.total_weight == pytest.approx(300 + 1.5 + 5 + 7)
    (warning,) = profile.warnings
    assert "1 cell(s) with one mark before three digits were read as decimals" in warning
    assert f"'{cell}' in row 1 (P1)" in warning and f"'{cell}' is 300;" in warning


def test_a_year_typo_is_left_out_of_the_trends_not_read_as_a_year(four):
    """One '2203' made a whole portfolio read 'Accelerating: SDG 4'."""
    four["year"] = ["2020", "2203", "1021", "2021"]
    profile = build_profile(four, columns=ProfileColumns(time_col="year"))
    periods = profile.to_dict()["overall"]["periods"]
    assert periods == [{"period": 2020, "projects": 1}, {"period": 2021, "projects": 1}]
    (warning,) = [w for w in profile.warnings if "--time-col 'year'" in w]
    assert "2 of 4 scored rows hold a year outside 1950-" in warning
    assert "'2203' in row 2 (P2)" in warning and "'1021' in row 3 (P3)" in warning


def test_years_with_a_label_are_read_as_the_year_they_name(four):
    # 'FY2023', '2021/22', 'Q1 2021' and 'März 2021' were left out of the trends as unreadable
    four["year"] = ["FY2020", "2021/22", "Q1 2020", "März 2021"]
    profile = build_profile(four, columns=ProfileColumns(time_col="year"))
    periods = profile.to_dict()["overall"]["periods"]
    assert periods == [{"period": 2020, "projects": 2}, {"period": 2021, "projects": 2}]
    (note,) = profile.warnings
    assert "4 cell(s) with a label or a second year were read as the (first) year" in note
    assert "'2021/22' as 2021" in note
    four["year"] = ["2024/25"] * 4  # each spelling is named once
    (note,) = build_profile(four, columns=ProfileColumns(time_col="year")).warnings
    assert note.endswith("(first) year they name ('2024/25' as 2024)")


def test_a_month_and_year_and_a_formatted_year_are_read_as_years(four):
    """'03.2024' was called a year outside 1950-2041 (pandas read it as the year 1), '11.2023'
    and '2023–24' (Excel's long dash) were not a year or a date, '2.023' neither."""
    four["year"] = ["03.2020", "11.2021", "2020–21", "2.021"]
    profile = build_profile(four, columns=ProfileColumns(time_col="year"), bootstrap=0)
    periods = profile.to_dict()["overall"]["periods"]
    assert periods == [{"period": 2020, "projects": 2}, {"period": 2021, "projects": 2}]
    assert not any("not a year" in w or "outside" in w for w in profile.warnings)


def test_a_period_of_one_project_is_named_in_the_group_note():
    """One 2026 project tagged SDG 16 showed 'last change +100 points' without a word."""
    rows = [{"cluster": "X", "year": y, "probs": {7: 0.8}} for y in [2020] * 5 + [2021] * 5]
    rows.append({"cluster": "X", "year": 2022, "probs": {16: 0.9}})
    profile = build_profile(scored(rows), columns=ProfileColumns(by="cluster", time_col="year"))
    note = profile.to_dict()["groups"][0]["note"]
    assert "Thin periods: 2022 (1 project)." in note and "2020" not in note


def test_undated_projects_count_everywhere_but_in_the_trends(four):
    four["year"] = ["2020.0", "", "soon", "2021"]  # 2020.0: a year as spreadsheets export it
    profile = build_profile(four, columns=ProfileColumns(time_col="year"))
    overall = profile.to_dict()["overall"]
    assert overall["projects"] == 4
    assert overall["periods"] == [{"period": 2020, "projects": 1}, {"period": 2021, "projects": 1}]
    blank, bad = [w for w in profile.warnings if "--time-col 'year'" in w]
    assert "1 of 4 scored rows have no value ('' in row 2 (P2))" in blank
    assert "1 of 4 scored rows are not a year or a date ('soon' in row 3 (P3))" in bad
    assert "every figure except the trends" in bad
    four["cluster"] = ["a", "b", "b", "a"]  # group b has no dated project: no trend, no error
    by = build_profile(four, columns=ProfileColumns(by="cluster", time_col="year")).to_dict()
    group_b = next(g for g in by["groups"] if g["name"] == "b")
    assert group_b["periods"] == [] and all(s["trend"] is None for s in group_b["sdgs"])
    from sdg_align.report import profile_markdown, render_html, tidy_frame

    assert "Projects per period" in render_html(by) and "## b" in profile_markdown(by)
    assert len(tidy_frame(by)) == 17 * 3


def test_blank_and_unreadable_weights_are_skipped_and_counted(four):
    four["budget"] = ["100", "", "lots", "-5"]
    profile = build_profile(four, columns=ProfileColumns(weight_col="budget"))
    assert profile.overall.total_weight == 100 and profile.overall.weight_missing == 3
    blank, bad = [w for w in profile.warnings if "--weight-col 'budget'" in w]
    assert "1 of 4 scored rows have no value ('' in row 2 (P2))" in blank
    assert "2 of 4 scored rows are not an amount we can read (a number of at least 0" in bad
    assert "'lots' in row 3 (P3), '-5' in row 4 (P4)" in bad
    assert "every figure except the weighted ones" in bad
    four["budget"] = ["", "n/a", "?", ""]
    with pytest.raises(DataError, match="--weight-col column 'budget' holds no number"):
        build_profile(four, columns=ProfileColumns(weight_col="budget"))


def test_every_figure_is_defined_in_the_docs():
    text = DOCS.read_text(encoding="utf-8")
    for name, (view, definition) in FIGURES.items():
        assert re.search(rf"^### {re.escape(name)}$", text, flags=re.M), name
        assert f"*{view}* — {definition}" in text, name


def test_a_large_portfolio_is_fast():
    rng = np.random.default_rng(0)
    n = 20_000
    probs = rng.beta(0.3, 3, size=(n, 17)).round(4)
    frame = pd.DataFrame({f"p_sdg{k + 1}": probs[:, k] for k in range(17)})
    frame["sdgs"] = [";".join(str(k + 1) for k in np.flatnonzero(row > 0.3)) for row in probs]
    frame["cluster"] = rng.choice(list("ABCDEFGHIJ"), n)
    frame["year"] = rng.choice(["2021", "2022", "2023"], n)
    frame["budget"] = rng.integers(1_000, 1_000_000, n)
    frame["partners"] = rng.choice(["A (DE, sme); B (FR, public)", "C (DE, ngo)"], n)
    start = time.perf_counter()
    build_profile(frame, columns=ProfileColumns(by="cluster", weight_col="budget", time_col="year", partners_col="partners"))  # fmt: skip
    assert time.perf_counter() - start < 10  # about 0.6 s on a laptop; 100k rows take ~3 s


def validation_rates():
    """Error rates as training writes them: recall 0.8, 4% false alarms, on 200 texts per SDG."""
    from sdg_align.profile.error_rates import ErrorRates

    return ErrorRates.from_dict(error_rates_document())


def test_prevalence_corrects_every_group_and_matches_the_schema(four):
    jsonschema = pytest.importorskip("jsonschema")
    columns = ProfileColumns(by="cluster", weight_col="budget", time_col="year")
    profile = build_profile(four, columns=columns, error_rates=validation_rates())
    profile.comparison = compare_profiles(
        profile, build_profile(four, columns=columns, error_rates=validation_rates())
    )
    document = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    jsonschema.Draft202012Validator(json_schema()).validate(document)
    assert document["settings"]["prevalence"]["method"] == "pacc"
    for group in [document["overall"], *document["groups"]]:
        for item in group["sdgs"]:
            low, mid, high = (
                item[k] for k in ("prevalence_ci_low", "prevalence", "prevalence_ci_high")
            )
            assert 0 <= low <= mid <= high <= 1
            assert round(mid, 3) == mid  # no more precision than 0.1 point
    seven = sdg(document["overall"], 7)  # mean p = (0.8 + 0.6) / 4 = 0.35
    assert seven["prevalence"] == pytest.approx((0.35 - 0.05) / 0.65, abs=1e-3)
    assert sdg(document["overall"], 5)["prevalence"] == 0.0  # no probability above 0.05
    change = sdg(document["comparison"]["overall"], 7)
    assert change["prevalence_change"] == 0 and change["prevalence_old"] == seven["prevalence"]
    without = build_profile(four, columns=columns).to_dict()
    assert sdg(without["overall"], 7)["share"] == seven["share"]  # share keeps what tags say
    assert sdg(without["overall"], 7)["share_ci_low"] == seven["share_ci_low"]


def test_trends_follow_the_corrected_prevalence():
    profile = build_profile(
        trend_frame(), columns=ProfileColumns(time_col="year"), error_rates=validation_rates()
    )
    nine = sdg(profile.to_dict()["overall"], 9)["trend"]
    # probabilities 0.8 in 0, 2, 4 of 4 projects: slope of p is 0.4 a year; corrected / 0.65
    # would be 0.62, steeper than prevalences can climb over two years (0 to 100%): 0.5
    assert nine["prevalence_slope"] == pytest.approx(0.5, abs=1e-3)
    assert nine["prevalence_slope_ci_high"] == pytest.approx(0.5, abs=1e-3)
    assert nine["prevalences"] == pytest.approx([0.0, (0.4 - 0.05) / 0.65, 1.0], abs=1e-3)
    assert nine["prevalence_slope_ci_low"] > 0 and nine["trend"] == "accelerating"
    # the error rates' uncertainty widens the corrected interval beyond the scaled t interval
    # (on a gentler trend, whose interval stays clear of the steepest slope)
    gentle = build_profile(
        trend_frame((2, 4, 6), per_year=12),
        columns=ProfileColumns(time_col="year"),
        error_rates=validation_rates(),
    )
    nine = sdg(gentle.to_dict()["overall"], 9)["trend"]
    assert nine["prevalence_slope_ci_high"] <= 0.5 + 1e-9  # never steeper than shares can climb
    assert (
        nine["prevalence_slope_ci_high"] - nine["prevalence_slope_ci_low"]
        > (nine["slope_ci_high"] - nine["slope_ci_low"]) * (0.4 / 0.5) / 0.65
    )


def test_three_projects_one_a_year_get_no_trend_and_a_constant_share_is_not_slowing():
    """A trial's group of 3 projects (2022, 2024, 2025) read 'accelerating' for SDG 14 at +32
    to +36 points a year (the line through 3 probabilities fitted almost exactly), and a share of
    100% in every year read 'slowing' (its slope was -0.0)."""
    frame = scored([
        {"year": "2022", "probs": {11: 0.9, 14: 0.05, 8: 0.95}},
        {"year": "2024", "probs": {8: 0.95, 14: 0.9}},
        {"year": "2025", "probs": {14: 0.97, 8: 0.95}},
    ])  # fmt: skip
    document = build_profile(
        frame, columns=ProfileColumns(time_col="year"), error_rates=validation_rates()
    ).to_dict()
    assert sdg(document["overall"], 14)["trend"]["trend"] == "unclear"
    assert sdg(document["overall"], 8)["trend"]["trend"] == "unclear"
    assert document["overall"]["accelerating"] == [] and document["overall"]["slowing"] == []


def test_an_sdg_the_error_rates_cannot_correct_has_no_prevalence_and_a_warning(four):
    from sdg_align.profile.error_rates import ErrorRates

    document = error_rates_document()
    block = document["operating_points"]["balanced"]
    block["positives"][4] = block["true_positives"][4] = 0  # no validation text advanced SDG 5
    block["mean_probability_positives"][4] = None
    profile = build_profile(four, error_rates=ErrorRates.from_dict(document))
    assert profile.overall.sdgs[4].prevalence is None and profile.overall.sdgs[6].prevalence
    assert any("cannot correct SDG 5 " in w for w in profile.warnings)


def test_tags_made_at_another_operating_point_are_flagged(four):
    rates = validation_rates()
    import dataclasses

    strict = dataclasses.replace(rates, thresholds=np.full(17, 0.95))  # no tag would pass 0.95
    warnings = build_profile(four, error_rates=strict).warnings
    assert any("differ from what the model's 'balanced' thresholds give" in w for w in warnings)
    fitting = dataclasses.replace(rates, thresholds=np.full(17, 0.5))
    assert build_profile(four.assign(sdgs=["7", "7", "", "3"]), error_rates=fitting).warnings == []


@pytest.mark.parametrize("marks", [[True] * 4, ["yes", "yes", "yes", "yes"]])
def test_a_persons_labels_count_as_they_are_in_the_corrected_prevalence(four, marks):
    # profile --corrections: a person's labels replace the tags, with probabilities 1 and 0
    tagged = [{int(s) for s in str(cell).split(";") if s.strip()} for cell in four["sdgs"]]
    reviewed = four.assign(labelled_by_person=marks)
    for k in range(1, 18):
        reviewed[f"p_sdg{k}"] = [1.0 if k in t else 0.0 for t in tagged]
    overall = build_profile(reviewed, error_rates=validation_rates()).to_dict()["overall"]
    for item in overall["sdgs"]:  # not (share - 0.05) / 0.65, as if the model had tagged them
        assert item["prevalence"] == pytest.approx(item["share"], abs=1e-3)


def test_a_group_audited_at_random_says_its_prevalence_rests_on_the_audit():
    from sdg_align.corrections import MODEL_PROBABILITY_COLUMNS

    # 80 projects; the model gives SDG 7 p=0.3 (untagged) to all, a person found 40 advance it;
    # the first 60 were picked at random and labelled (probabilities 1/0), the rest untouched
    rows = [{"probs": {7: 0.3}, "tags": []} for _ in range(80)]
    frame = scored(rows)
    truth = [i % 2 == 0 for i in range(80)]
    frame[MODEL_PROBABILITY_COLUMNS] = frame[[f"p_sdg{k}" for k in range(1, 18)]].to_numpy()
    audited = [i < 60 for i in range(80)]
    frame["labelled_by_person"] = audited
    frame["reviewed_at_random"] = audited
    frame.loc[:59, "p_sdg7"] = ["1.0" if t else "0.0" for t in truth[:60]]
    frame.loc[:59, "sdgs"] = ["7" if t else "" for t in truth[:60]]
    overall = build_profile(frame, error_rates=validation_rates()).to_dict()["overall"]
    assert (
        "60 of these projects were labelled after a random pick, so the corrected"
        in (overall["note"])
    )
    # the audit's residual (half the projects advance SDG 7, the correction says (0.3 - 0.05) /
    # 0.65 = 0.38) moves the 20 others from 0.38 to 0.5, so the whole group is at about 0.5
    assert sdg(overall, 7)["prevalence"] == pytest.approx(0.5, abs=0.01)


def test_the_api_names_the_bundled_models_error_rates_as_the_cli_does():
    from sdg_align.profile import error_rates_for_model

    rates, why_not = error_rates_for_model("default", "balanced")
    assert rates is not None and why_not is None
    assert rates.operating_point == "balanced" and rates.thresholds is not None
    again, _ = error_rates_for_model(None, "balanced")
    assert again is not None and again.source == rates.source


def test_group_names_that_differ_only_in_case_or_spacing_are_one_group(four):
    """A cluster typed 'North', 'north ' and 'NORTH' by hand became three groups."""
    four["cluster"] = ["North", "north ", "NORTH", "South  East"]
    doc = build_profile(four, columns=ProfileColumns(by="cluster"), bootstrap=0).to_dict()
    assert [(g["name"], g["projects"]) for g in doc["groups"]] == [("North", 3), ("South East", 1)]
    assert any(
        "read as one group ('NORTH', 'North', 'north' as 'North')" in w for w in doc["warnings"]
    )
    four["cluster"] = ["North", "North", "South", ""]
    doc = build_profile(four, columns=ProfileColumns(by="cluster"), bootstrap=0).to_dict()
    assert not any("read as one group" in w for w in doc["warnings"])
    # how names join words: 'Wasserstoff & Brennstoffzelle' and '.../...' were two groups
    four["cluster"] = ["H2 & Fuel cells", "H2/Fuel cells", "H2 und Fuel cells", "E-Mobility"]
    doc = build_profile(four, columns=ProfileColumns(by="cluster"), bootstrap=0).to_dict()
    assert [(g["name"], g["projects"]) for g in doc["groups"]] == [
        ("E-Mobility", 1),
        ("H2 & Fuel cells", 3),
    ]


def test_rows_that_repeat_another_in_every_cell_are_named_without_an_id_column(four):
    """A project pasted twice counted twice, its budget too, without a word."""
    plain = four.drop(columns=["project_id"])
    copied = pd.concat([plain, plain.iloc[[1]]], ignore_index=True)
    doc = build_profile(copied, bootstrap=0).to_dict()
    assert any("1 row(s) repeat an earlier row in every cell (row 5)" in w for w in doc["warnings"])
    assert not any("repeat an earlier row" in w for w in build_profile(plain).to_dict()["warnings"])


def test_a_partners_cell_without_semicolons_is_split_at_its_commas():
    """'Acme GmbH, TU Graz, Stadt Graz' counted as one partner, without a word."""
    frame = scored([
        {"partners": "Acme GmbH, TU Graz, Stadt Graz", "probs": {}},
        {"partners": "Acme GmbH; TU Graz", "probs": {}},
        {"partners": "Acme (DE, sme), Uni Lyon (FR, university)", "probs": {}},
        {"partners": "Acme (DE, sme)", "probs": {}},
    ])  # fmt: skip
    doc = build_profile(frame, columns=ProfileColumns(partners_col="partners")).to_dict()
    assert doc["overall"]["collaboration"]["mean_partners"] == (3 + 2 + 2 + 1) / 4
    assert doc["overall"]["collaboration"]["share_international"] == 0.25  # DE and FR
    assert any("2 cell(s) separate partners with commas" in w for w in doc["warnings"])


def test_dates_with_time_zones_are_read_as_their_year():
    """Dates in a European zone switch between +01:00 and +02:00: pandas raised 'Mixed
    timezones detected' and profile stopped with 'This is a bug in sdg-align'."""
    local = pd.to_datetime(["2021-03-01 10:00", "2022-07-01 10:00", "2020-12-31 23:30"])
    frame = scored([{"probs": {}}] * 3)
    frame["start"] = local.tz_localize("Europe/Amsterdam").astype(str)
    periods = build_profile(frame, columns=ProfileColumns(time_col="start")).to_dict()["overall"]
    assert [p["period"] for p in periods["periods"]] == [2020, 2021, 2022]
    frame["start"] = ["2021-03-01T10:00:00Z", "2022-07-01 10:00:00+02:00", "2024"]
    periods = build_profile(frame, columns=ProfileColumns(time_col="start")).to_dict()["overall"]
    assert [p["period"] for p in periods["periods"]] == [2021, 2022, 2024]


def test_an_unknown_operating_point_is_refused_by_the_api():
    """build_profile(tags='precisee') went into the settings without a word."""
    from sdg_align.errors import DataError

    with pytest.raises(DataError, match="unknown tags 'precisee'"):
        build_profile(scored([{"probs": {}}]), tags="precisee")


def test_the_json_never_says_minus_zero():
    """A trial's profile held "prevalence_slope": -0.0 (a tiny negative slope, rounded)."""
    from sdg_align.profile.figures import clean

    assert json.dumps(clean({"slope": -1e-9, "zero": -0.0, "share": 0.25})) == (
        '{"slope": 0.0, "zero": 0.0, "share": 0.25}'
    )


def test_budgets_in_other_currencies_are_converted_at_the_given_rates():
    """Zloty and euro budgets were added up as written, with only a warning."""
    frame = scored([
        {"probs": {7: 0.9}, "budget": "1,2 mln zł"},
        {"probs": {7: 0.9}, "budget": "€ 100 000"},
        {"probs": {13: 0.9}, "budget": "PLN 400 000"},
        {"probs": {13: 0.9}, "budget": "50000"},  # no currency: the main one
    ])  # fmt: skip
    columns = ProfileColumns(weight_col="budget")
    mixed = build_profile(frame, columns=columns, bootstrap=0)
    assert mixed.overall.total_weight == pytest.approx(1_750_000)
    assert any("--exchange-rate EUR=RATE (one EUR in PLN)" in w for w in mixed.warnings)
    converted = build_profile(frame, columns=columns, bootstrap=0, exchange_rates={"pln": 0.25})
    assert converted.overall.total_weight == pytest.approx(300_000 + 100_000 + 100_000 + 50_000)
    assert converted.settings["exchange_rates"] == {"PLN": 0.25}
    assert any("2 budgets in PLN converted at 0.25" in w for w in converted.warnings)
    assert not any("added up as written" in w for w in converted.warnings)
    unused = build_profile(frame, columns=columns, bootstrap=0, exchange_rates={"SEK": 0.09})
    assert any(
        "--exchange-rate SEK: no budget of 'budget' names that" in w for w in unused.warnings
    )
    with pytest.raises(DataError, match="exchange rates must be positive"):
        build_profile(frame, columns=columns, exchange_rates={"PLN": 0.0})


def test_partners_as_a_crm_exports_them_are_read_as_name_country_and_type():
    """A list of {"name", "country", "type"} objects was read as JSON text split at its commas:
    mean partners 2.26 instead of 2.07, and no international or public-private share."""
    frame = scored([
        {"probs": {}, "p": json.dumps([{"name": "Universidad Complutense", "country": "ES",
                                         "type": "universidad"},
                                        {"name": "Acme S.L.", "country": "PT", "type": "empresa"}])},
        {"probs": {}, "p": json.dumps([{"name": "Foo SpA", "country": "IT", "type": "impresa"}])},
    ])  # fmt: skip
    profile = build_profile(frame, columns=ProfileColumns(partners_col="p")).to_dict()
    collab = profile["overall"]["collaboration"]
    assert collab["mean_partners"] == 1.5 and collab["share_international"] == 0.5
    assert collab["share_public_private"] == 0.5
    assert not any("commas" in w for w in profile["warnings"])


def test_a_period_in_the_time_column_is_read_as_the_year_it_starts(four):
    """A CRM's 'Laufzeit' ('01.03.2021 - 28.02.2024') left 1,353 of 1,470 projects out of the
    trends as 'not a year or a date'."""
    four["Laufzeit"] = [
        "01.03.2020 - 28.02.2023", "03/2021 bis 02/2024", "März 2020 – Juni 2022", "2021",
    ]  # fmt: skip
    profile = build_profile(four, columns=ProfileColumns(time_col="Laufzeit"), bootstrap=0)
    periods = profile.to_dict()["overall"]["periods"]
    assert periods == [{"period": 2020, "projects": 2}, {"period": 2021, "projects": 2}]
    assert any("3 cell(s) hold a period ('01.03.2020 - 28.02.2023')" in w for w in profile.warnings)


def test_bavarian_partner_lists_are_read_as_written():
    """Fraunhofer, DLR, OTH, Landkreis and Landeshauptstadt were not public, a legal form in the
    brackets ('Fendt (AGCO GmbH)') was an unknown type, and 'BMW AG / Audi AG' one partner: the
    public-private mix read 11% where a trial counted 25%."""
    frame = scored([
        {"probs": {}, "p": "Fraunhofer IVI (DE); BMW AG (DE)"},
        {"probs": {}, "p": "Landkreis Kelheim; Fendt (AGCO GmbH)"},
        {"probs": {}, "p": "Audi AG / TU München"},
        {"probs": {}, "p": "DLR e.V.; Cluster Bayern e.V."},
    ])  # fmt: skip
    profile = build_profile(frame, columns=ProfileColumns(partners_col="p")).to_dict()
    collab = profile["overall"]["collaboration"]
    assert collab["mean_partners"] == 2.0 and collab["share_public_private"] == 0.75
    assert not any("does not know" in w for w in profile["warnings"])


def test_source_date_epoch_fixes_the_generation_time(four, monkeypatch):
    """A nightly pipeline's profiles differed only in generated_at (reproducible-builds' variable)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first = build_profile(four, bootstrap=0).to_dict()
    assert first["generated_at"] == "2026-01-01T00:00:00+00:00"
    assert build_profile(four, bootstrap=0).to_dict() == first
