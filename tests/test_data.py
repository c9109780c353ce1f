from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from sdg_align.data import (
    LabelledSet,
    check_trainable,
    load_generic,
    load_osdg,
    load_source,
    parse_sdgs,
    split_holdout,
)
from sdg_align.errors import DataError

from .conftest import needs_shared


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7;13", (7, 13)),
        ("13,7", (7, 13)),
        ("[7, 13]", (7, 13)),
        ("['SDG07', 'SDG13']", (7, 13)),
        ("SDG 8.00", (8,)),
        (15.0, (15,)),
        ("7.2; 17.19", (7, 17)),  # targets name their goal
        ("7 13", (7, 13)),
        # a new user's sheet: 5 of 20 rows were dropped as unreadable
        ("13.a", (13,)),
        ("SDG 7/SDG 13", (7, 13)),
        ("7 & 13", (7, 13)),
        ("7 and 13", (7, 13)),
        ("SDG 7 und SDG 13", (7, 13)),
        ("", ()),
        ("0", ()),
        ([1, 2], (1, 2)),
        (5, (5,)),
    ],
)
def test_parse_sdgs_accepts_the_usual_spellings(value, expected):
    assert parse_sdgs(value) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("abc", "cannot read"),
        ("18", "out of range"),
        ("7;x", "cannot read"),
        ("[7,", "cannot parse"),
        # were read as {7} without a word: a German Excel's "7,13", and "no SDG" beside SDG 7
        (7.13, "a spreadsheet may have read '7,13' as a decimal number"),
        ("0;7", "0 (no SDG) beside SDGs"),
        ("13.z", "is no SDG target"),
        ("7 und", "cannot read"),
    ],
)
def test_parse_sdgs_rejects_garbage(value, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_sdgs(value)


ROWS = [
    {"text": "Solar pilot", "sdgs": "7", "split": "train"},
    {"text": "", "sdgs": "7", "split": "train"},
    {"text": "Water reuse", "sdgs": "6;99", "split": ""},
    {"text": "Ocean plastics", "sdgs": "14", "split": "holdout"},
    {"text": "Office move", "sdgs": "", "split": "test"},
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"])
def test_generic_format_reports_malformed_rows(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    frame = pd.DataFrame(ROWS)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r) for r in ROWS))
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_excel(path, index=False)
    labelled = load_generic(path)
    assert [e.text for e in labelled.examples] == ["Solar pilot", "Office move"]
    assert labelled.examples[1].sdgs == () and labelled.examples[1].split == "test"
    assert len(labelled.problems) == 3
    assert any("row 2: empty text" in p for p in labelled.problems)
    assert any("row 3" in p and "out of range" in p for p in labelled.problems)
    assert any("row 4" in p and "split" in p for p in labelled.problems)


def test_generic_format_names_missing_columns(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"description": ["x"], "goals": ["1"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="found: description, goals"):
        load_generic(path)
    assert len(load_generic(path, text_col="description", sdgs_col="goals")) == 1


def test_osdg_format_uses_agreement_and_rejections(tmp_path):
    path = tmp_path / "osdg.tsv"
    path.write_text(
        "doi\ttext_id\ttext\tsdg\tlabels_negative\tlabels_positive\tagreement\n"
        "d1\t1\tSolar parks for villages\t7\t0\t5\t1.0\n"
        "d2\t2\tA text volunteers rejected\t3\t4\t1\t0.6\n"
        "d3\t3\tContested text\t5\t2\t3\t0.2\n"
        "d4\t4\tBroken votes\tx\t1\t1\t1\n"
    )
    labelled = load_osdg(path)
    accepted, rejected = labelled.examples
    assert accepted.sdgs == (7,) and accepted.known == (7,)
    assert rejected.sdgs == () and rejected.known == (3,)
    mask = rejected.known_mask()
    assert mask.sum() == 1 and mask[2] == 1
    assert any("contested" in p for p in labelled.problems)
    assert any("row 4" in p for p in labelled.problems)
    # load_source recognises the format by its header
    assert len(load_source(str(path))) == 2


def test_duplicates_merge_and_disputed_labels_become_unknown():
    from sdg_align.data import Example, merge_duplicates

    labelled = LabelledSet(
        [
            Example("Solar pilot!", (7,), "a"),
            Example("solar  PILOT", (7, 13), "b"),
            # same abstract: one source names SDG 13 (others implied), the other says "no SDG"
            Example(
                "Paper. " + "x " * 400, (13,), "zora", known=(13,), implied_negative_weight=0.5
            ),
            Example("Other title. " + "x " * 400, (), "swisstext"),
        ]
    )
    merged, report = merge_duplicates(labelled)
    assert len(merged) == 2 and report.duplicates == 2
    solar = merged.examples[0]
    assert solar.source == "a"
    # "a" knows all 17 and rules out 13 for certain; "b" names it: 13 is disputed
    assert solar.sdgs == (7,) and solar.certain_mask()[12] == 0 and solar.known_mask()[12] == 0
    paper = merged.examples[1]
    assert paper.sdgs == () and paper.certain_mask()[12] == 0  # disputed, unknown
    assert paper.certain_mask()[0] == 1  # swisstext's "no SDG" is certain for the others
    assert report.conflicts[("a", "b")] == 1 and report.conflicts[("swisstext", "zora")] == 1
    assert any("conflicts swisstext vs zora: 1" in line for line in merged.problems)


def test_a_minimal_edit_is_not_folded_into_its_original():
    """Contrast texts of one group end alike but are different texts with opposite labels."""
    from sdg_align.data import Example, merge_duplicates

    ending = " The consortium reports to the cluster board every quarter." * 10
    labelled = LabelledSet(
        [
            Example(
                "The CRM places long-term unemployed people." + ending, (8,), "contrast", group="g"
            ),
            Example("The CRM manages sales leads." + ending, (), "contrast", group="g"),
            Example("Another source, another title." + ending, (8,), "other", group="g"),
        ]
    )
    merged, report = merge_duplicates(labelled)
    assert [e.sdgs for e in merged.examples] == [(8,), ()]  # the third is a copy of the first
    assert report.duplicates == 1


def test_evaluation_texts_are_dropped_by_content():
    from sdg_align.data import Example, content_keys, drop_evaluation_texts

    abstract = "We measure how seagrass meadows recover after dredging " * 20
    keys = set(content_keys("Gold title. " + abstract))
    labelled = LabelledSet(
        [
            Example("Another title. " + abstract, (14,), "zora"),  # same abstract, other title
            Example("Held-out text", (3,), "a"),
        ]
    )
    kept = drop_evaluation_texts(labelled, keys | set(content_keys("held out TEXT")))
    assert len(kept) == 0
    assert "2 texts also in evaluation-only sets dropped" in kept.problems[-1]


def test_split_holdout_keeps_fixed_splits():
    from sdg_align.data import Example

    examples = [
        Example(f"t{i}", (1,), "s", split=s) for i, s in enumerate(["test", "dev", "train"])
    ]
    examples += [Example(f"r{i}", (2,), "s") for i in range(200)]
    train, dev, test = split_holdout(
        LabelledSet(examples), validation_fraction=0.2, test_fraction=0.1, seed=1
    )
    assert "t0" in test.texts() and "t1" in dev.texts() and "t2" in train.texts()
    assert 20 <= len(dev) <= 60 and 5 <= len(test) <= 35
    again = split_holdout(LabelledSet(examples), validation_fraction=0.2, test_fraction=0.1, seed=1)
    assert again[1].texts() == dev.texts()


@needs_shared
def test_eval_only_files_are_refused_for_training():
    with pytest.raises(DataError, match="evaluation-only"):
        check_trainable(load_source("oro-gold"))
    with pytest.raises(DataError, match="evaluation-only"):
        check_trainable(load_source("dpga-test"))
    check_trainable(load_source("dpga"))


@needs_shared
@pytest.mark.parametrize(
    "name", ["aurora", "dpga", "swisstext", "zora", "sdg-reference", "oro-gold"]
)
def test_shared_sources_load(name):
    labelled = load_source(name)
    assert len(labelled) > 100
    assert all(e.text and all(1 <= s <= 17 for s in e.sdgs) for e in labelled.examples)


def test_single_goal_research_labels_imply_soft_negatives():
    """A paper labelled with its goal teaches 'absent' for the others, at a reduced loss weight."""
    from sdg_align.data import Example

    example = Example("An abstract", (3,), "aurora", known=(3,), implied_negative_weight=0.5)
    mask = example.known_mask()
    assert mask[2] == 1.0
    assert mask[0] == 0.5 and mask.sum() == 1.0 + 16 * 0.5
    assert Example("x", (3,), "osdg", known=(3,)).known_mask().sum() == 1.0


def test_a_missing_reference_folder_is_a_data_error(tmp_path, monkeypatch):
    """Adapting a model replays sdg-reference: without the shared data it was a traceback."""
    from sdg_align.data import load_source

    monkeypatch.setenv("SDG_ALIGN_DATA", str(tmp_path))
    with pytest.raises(DataError, match="data folder not found: .*sdg-reference"):
        load_source("sdg-reference")


def test_skipped_rows_count_rows_not_messages(tmp_path):
    """One line says '2 rows not marked reviewed ignored'; evaluate reported 1 skipped row."""
    from sdg_align.data import load_generic

    path = tmp_path / "sheet.csv"
    pd.DataFrame(
        {"text": ["solar farm", "water plant", "bus depot"], "sdgs": ["7", "6", "11"],
         "reviewed": ["yes", "", ""]}
    ).to_csv(path, index=False)  # fmt: skip
    labelled = load_generic(path)
    assert len(labelled) == 1 and len(labelled.problems) == 1 and labelled.skipped_rows == 2
