"""The committed corpus and annotation files pass their checker; broken copies fail; stats match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sdg_align.corpus import (
    CONTRAST,
    CONTRAST_TRAIN,
    CORPUS,
    LOCK,
    PARALLEL,
    check_annotations,
    check_corpus,
    read_records,
)
from sdg_align.corpus.check import (
    CORPUS_MINIMUMS,
    Minimums,
    check_contrast,
    check_scenarios,
    shortcut_aucs,
)
from sdg_align.corpus.stats import readme_block, stats_markdown
from sdg_align.data import ANNOTATIONS_DIR

from .conftest import SHARED, needs_shared

ROOT = Path(__file__).resolve().parents[1]


def _records() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def _write(records: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_committed_corpus_is_valid():
    problems = check_corpus(
        CORPUS,
        LOCK,
        parallel_path=PARALLEL,
        contrast_path=CONTRAST,
        contrast_train_path=CONTRAST_TRAIN,
        minimums=CORPUS_MINIMUMS,
    )
    assert problems == []


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("duplicate", "duplicate"),
        ("near_duplicate", "near-duplicate"),
        ("label_range", "sdgs must be a list of integers 1-17"),
        ("split_moved", "split changed from"),
        ("bad_target", "is not of an SDG in"),
        ("too_few", "texts; at least 2000 expected"),
        ("bad_lang", "lang 'xx'"),
        ("not_json", "not JSON"),
        ("bad_primary", "primary 99 is not among"),
        ("scenario_split", "is split across"),
    ],
)
def test_checker_fails_on_a_broken_copy(tmp_path, breakage, message):
    records = _records()
    first = records[0]
    if breakage == "duplicate":
        records.append({**first, "id": "cp-9999"})
    elif breakage == "near_duplicate":
        records.append(
            {**first, "id": "cp-9999", "text": first["text"].replace(".", "!", 1) + " Indeed."}
        )
    elif breakage == "label_range":
        first["sdgs"] = [0, 18]
    elif breakage == "split_moved":
        test_record = next(r for r in records if r["split"] == "test")
        test_record["split"] = "train"
    elif breakage == "bad_target":
        record = next(r for r in records if r.get("targets"))
        record["targets"] = ["17.19" if 17 not in record["sdgs"] else "1.1"]
    elif breakage == "too_few":
        records = records[:100]
    elif breakage == "bad_lang":
        first["lang"] = "xx"
    elif breakage == "bad_primary":
        record = next(r for r in records if r["sdgs"])
        record["label_version"], record["primary"] = 2, 99
    elif breakage == "scenario_split":
        train = next(r for r in records if r["split"] == "train")
        test = next(r for r in records if r["split"] == "test")
        train["scenario"] = test["scenario"] = "same-story@somewhere"
    path = _write(records, tmp_path / "copy.jsonl")
    if breakage == "not_json":
        path.write_text(path.read_text() + "{not json\n")
    lock = tmp_path / "copy.splits.tsv"
    lock.write_text(
        LOCK.read_text() + ("cp-9999\ttrain\n" if breakage.endswith("duplicate") else "")
    )
    problems = check_corpus(path, lock, parallel_path=PARALLEL, minimums=Minimums())
    assert any(message in p for p in problems), problems


def _contrast() -> list[dict]:
    return [json.loads(line) for line in CONTRAST.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("negative_with_sdgs", "a positive needs SDGs, a negative none"),
        ("edit_keeps_label", "an edit must flip its original's label"),
        ("edit_of_nothing", "neither written nor an edit"),
        ("other_language", "its texts differ in lang"),
        ("not_test", "every record must be in the test split"),
    ],
)
def test_checker_fails_on_a_broken_contrast_set(tmp_path, breakage, message):
    contrast = _contrast()
    negative = next(r for r in contrast if r["contrast"] == "written" and not r["sdgs"])
    edit = next(r for r in contrast if r["contrast"] == "edited")
    if breakage == "negative_with_sdgs":
        negative["sdgs"], negative["primary"] = [8], 8
    elif breakage == "edit_keeps_label":
        edit["kind"] = "positive" if edit["kind"] == "hard_negative" else "hard_negative"
        edit["sdgs"], edit["primary"], edit["targets"] = (
            ([8], 8, ["8.3"]) if edit["kind"] == "positive" else ([], None, [])
        )
    elif breakage == "edit_of_nothing":
        edit["edited_from"] = "ct-9999"
    elif breakage == "other_language":
        edit["lang"] = "sv" if edit["lang"] != "sv" else "pl"
    elif breakage == "not_test":
        negative["split"] = "train"
    records, _ = read_records(_write(contrast, tmp_path / "contrast.jsonl"))
    problems = check_contrast(records)
    assert any(message in p for p in problems), problems


def test_contrast_training_set_keeps_each_item_in_one_split_and_out_of_test(tmp_path):
    rows = [json.loads(line) for line in CONTRAST_TRAIN.read_text(encoding="utf-8").splitlines()]
    rows[0]["split"] = "dev" if rows[0]["split"] == "train" else "train"
    rows[-1]["split"] = "test"
    records, _ = read_records(_write(rows, tmp_path / "train.jsonl"))
    problems = check_contrast(records, id_prefix="cx", splits=("train", "dev"))
    assert any("its texts differ in split" in p for p in problems), problems
    assert any("must be in the train or dev split" in p for p in problems), problems


def test_checker_finds_a_contrast_text_copied_into_the_corpus(tmp_path):
    records = _records()
    records.append({**records[0], "id": "cp-9999", "text": _contrast()[0]["text"]})
    lock = tmp_path / "copy.splits.tsv"
    lock.write_text(LOCK.read_text() + "cp-9999\ttrain\n")
    problems = check_corpus(
        _write(records, tmp_path / "copy.jsonl"),
        lock,
        parallel_path=PARALLEL,
        contrast_path=CONTRAST,
        minimums=Minimums(),
    )
    assert any("cp-9999 and ct-0001: duplicate" in p for p in problems), problems


def test_story_check_with_an_embedder_finds_paraphrases_in_two_splits():
    records = [
        {"id": "cp-0001", "text": "a", "split": "train"},
        {"id": "cp-0002", "text": "b", "split": "test", "form": "news"},
        {"id": "cp-0003", "text": "c", "split": "test", "form": "news"},
    ]
    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])
    problems = check_scenarios(records, embed=lambda texts: vectors)
    assert len(problems) == 1 and "cp-0002 and cp-0001 tell the same story" in problems[0]


def test_shortcut_check_catches_length_and_words():
    """Negatives that are all short and say 'gala' are separable: both AUCs are high."""
    rng = np.random.default_rng(0)
    records = []
    for i in range(120):
        positive = i % 2 == 0
        words = 120 if positive else 20
        body = " ".join(rng.choice(["solar", "water", "skills", "grid", "clinic"], size=words))
        records.append(
            {"text": body if positive else body + " gala dinner", "sdgs": [7] if positive else []}
        )
    aucs = shortcut_aucs(records)
    assert aucs["length"] > 0.9 and aucs["bag_of_words"] > 0.9


def test_readme_statistics_match():
    assert readme_block(ROOT / "training_data" / "README.md") == stats_markdown()


def test_annotation_files_are_valid():
    assert check_annotations(ANNOTATIONS_DIR, data_available=SHARED.is_dir()) == []


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("out_of_range", "sdgs out of range"),
        ("primary", "is not among sdgs"),
        ("unlocked", "in the test split but not locked"),
        ("hash", "hash mismatch"),
    ],
)
def test_annotation_checker_fails_on_a_broken_copy(tmp_path, breakage, message):
    if breakage == "hash" and not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED}")
    folder = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS_DIR, folder)
    path = folder / "dpga.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    target = next(r for r in records if r["sdgs"] and r.get("split") != "test")
    if breakage == "out_of_range":
        target["sdgs"] = [18]
    elif breakage == "primary":
        target["primary"] = 99 if 1 not in target["sdgs"] else 2
        target["targets"] = []
    elif breakage == "unlocked":
        target["split"] = "test"
    elif breakage == "hash":
        target["text_sha256"] = "0" * 64
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    if breakage == "hash":
        import sdg_align.data.sources as sources

        original = sources.ANNOTATIONS_DIR
        sources.ANNOTATIONS_DIR = folder
        try:
            problems = check_annotations(folder, data_available=True)
        finally:
            sources.ANNOTATIONS_DIR = original
    else:
        problems = check_annotations(folder, data_available=False)
    assert any(message in p for p in problems), problems


@needs_shared
def test_annotations_replace_source_labels_and_real_test_is_held_out():
    from sdg_align.data import load_source

    dpga = load_source("dpga")
    annotated = [e for e in dpga.examples if e.known is None]
    assert len(annotated) > 500  # nearly every training-part registry text
    real_test = load_source("real-test")
    assert len(real_test) >= 400
    assert all(e.split == "test" for e in real_test.examples)
    # ZORA's citations without an abstract are no rows of the split ('308 row(s) skipped')
    assert real_test.skipped_rows == 0


def test_the_robustness_probes_are_a_clean_test_set():
    """Each probe names the SDG its wording invites (never one of its labels), is a test record,
    and is no training text: the corpus and the contrast training set do not hold it."""
    root = ROOT / "training_data"
    probes = [
        json.loads(line) for line in (root / "robustness_probes.jsonl").open(encoding="utf-8")
    ]
    assert len({p["id"] for p in probes}) == len(probes) == 65
    assert {p["kind"] for p in probes} == {"page_furniture", "negation", "place_name"}
    for probe in probes:
        assert probe["split"] == "test" and probe["trap"] not in probe["sdgs"]
        assert probe["primary"] == (probe["sdgs"][0] if probe["sdgs"] else None)
    texts = {p["text"].casefold() for p in probes}
    for name in ("cluster_projects.jsonl", "contrast_train.jsonl"):
        for line in (root / name).open(encoding="utf-8"):
            assert json.loads(line)["text"].casefold() not in texts
