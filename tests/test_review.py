"""The review loop: the picker, the sheet, and the filled sheet read by train and profile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sdg_align.cli import main
from sdg_align.corrections import Corrections, apply_corrections
from sdg_align.data import load_generic
from sdg_align.errors import DataError
from sdg_align.review import SDG_COLUMNS, Pick, pick_for_review, review_frame
from sdg_align.scoring import PROBABILITY_COLUMNS

THRESHOLDS = [0.5] * 17


def _probs(rows: list[dict[int, float]]) -> np.ndarray:
    probs = np.full((len(rows), 17), 0.01)
    for i, row in enumerate(rows):
        for sdg, p in row.items():
            probs[i, sdg - 1] = p
    return probs


def test_picker_prefers_probabilities_near_the_threshold_and_spreads_over_sdgs():
    # Ten projects unsure about SDG 7, one about SDG 6, the rest sure of everything.
    rows = [{7: 0.45 + 0.01 * i} for i in range(10)] + [{6: 0.6}] + [{3: 0.99}] * 20
    picks = pick_for_review(_probs(rows), THRESHOLDS, n=3)
    # The nearest doubt first (SDG 7 at 0.50), then SDG 6's only one before SDG 7's second.
    assert [p.row for p in picks][:2] == [5, 10] and picks[2].row in (4, 6)
    assert [p.sdg for p in picks] == [7, 6, 7]
    assert picks[0].margin == pytest.approx(0.0, abs=1e-9)  # p = 0.50 at threshold 0.5
    sure = pick_for_review(_probs([{3: 0.99}] * 5), THRESHOLDS, n=2)
    assert len(sure) == 2  # nobody unsure: the nearest are still offered


def test_picker_spreads_over_groups_and_skips_rows_it_may_not_pick():
    rows = [{7: 0.5}] * 6 + [{7: 0.3}] * 3
    groups = ["A"] * 6 + ["B"] * 3
    picks = pick_for_review(_probs(rows), THRESHOLDS, n=4, groups=groups)
    assert sorted(groups[p.row] for p in picks) == ["A", "A", "B", "B"]
    allowed = np.ones(9, dtype=bool)
    allowed[:6] = False
    nan_row = _probs([{7: 0.5}])
    nan_row[0, 2] = np.nan
    assert {p.row for p in pick_for_review(_probs(rows), THRESHOLDS, n=9, allowed=allowed)} == {
        6,
        7,
        8,
    }
    assert pick_for_review(nan_row, THRESHOLDS, n=1) == []  # no probabilities: never picked


def test_the_sheet_names_closer_calls_beside_the_sdg_a_row_was_picked_for():
    probs = np.full((1, 17), 0.01)
    probs[0, 12], probs[0, 6], probs[0, 5] = 0.30, 0.48, 0.05  # SDG 13 picked; 7 is closer
    cut = [0.5] * 17
    pick = Pick(row=0, sdg=13, probability=0.30, threshold=0.5, margin=0.85)
    sheet = review_frame(
        [pick], ids=["p1"], texts=["a text"], probs=probs, thresholds=cut, id_col="id"
    )
    named = sheet["unsure_about"][0]
    assert named.startswith("SDG 13 ") and "SDG 7 " in named and "0.48 (threshold 0.50)" in named
    assert "SDG 6 " not in named  # further from its threshold than SDG 13: not a closer call


def test_generic_reader_reads_one_column_per_sdg(tmp_path):
    path = tmp_path / "sheet.csv"
    frame = pd.DataFrame(
        {
            "text": ["solar for schools", "clean rivers", "nothing here"],
            **{c: ["", "", ""] for c in SDG_COLUMNS},
        }
    )
    frame.loc[0, "SDG 7"] = "1"
    frame.loc[0, "SDG 4"] = "yes"
    frame.loc[1, "SDG 6"] = "x"
    frame.to_csv(path, index=False)
    labelled = load_generic(path)
    assert [e.sdgs for e in labelled.examples] == [(4, 7), (6,), ()]
    assert all(e.known is None for e in labelled.examples)  # all 17 columns: full labels
    frame.loc[2, "SDG 1"] = "maybe"
    frame.to_csv(path, index=False)
    assert "holds 'maybe'" in load_generic(path).problems[0]
    partial = tmp_path / "partial.csv"
    pd.DataFrame({"text": ["a", "b"], "sdg7": ["1", "0"], "sdg_13": ["", "1"]}).to_csv(
        partial, index=False
    )
    examples = load_generic(partial).examples
    assert [e.sdgs for e in examples] == [(7,), (13,)] and examples[0].known == (7, 13)
    # 'Goal 3' columns were refused with advice to use --sdgs-col, which names one column
    goals = tmp_path / "goals.csv"
    pd.DataFrame(
        {"project_id": ["P1", "P2", "P3"], "text": ["a", "b", "c"],
         **{f"Goal {n}": ["", "", ""] for n in range(1, 18)}}
    ).assign(**{"Goal 3": ["x", "", ""], "Goal 9": ["x", "0", ""]}).to_csv(goals, index=False)  # fmt: skip
    read = load_generic(goals)
    assert [e.sdgs for e in read.examples] == [(3, 9), (), ()]
    # a row with no mark at all is read as 'no SDG', and a note says so (by id): P2 says 0
    assert read.notes == [
        "goals.csv: 1 row(s) mark no SDG at all (P3): read as advancing none, which teaches and "
        "counts 'no SDG'; leave out rows nobody labelled yet"
    ]
    pd.read_csv(goals, dtype=str).assign(**{"Goal 1": ["?", "", ""]}).to_csv(goals, index=False)
    assert load_generic(goals).problems[0].startswith("goals.csv row 1 (P1): ")  # named by id


@pytest.fixture
def scored_csv(tmp_path, tiny_model_dir):
    """Forty toy projects in two clusters, scored by the tiny model."""
    from sdg_align.modeling import load_classifier
    from sdg_align.scoring import score_frame

    from .conftest import make_texts

    rows = make_texts(40, seed=21)
    frame = pd.DataFrame(
        {
            "project_id": [f"P{i:02d}" for i in range(40)],
            "cluster": ["north" if i % 2 else "south" for i in range(40)],
            "description": [r["text"] for r in rows],
            "truth": [";".join(map(str, r["sdgs"])) for r in rows],
        }
    )
    scored = score_frame(
        frame, load_classifier(tiny_model_dir, "float32"), text_cols=["description"]
    )
    path = tmp_path / "scored.csv"
    scored.to_csv(path, index=False)
    return path


def _fill(sheet_path, truth: dict[str, str], reviewed: int) -> None:
    """A person's work: the true SDGs in the first ``reviewed`` rows, marked reviewed."""
    from openpyxl import load_workbook

    book = load_workbook(sheet_path)
    sheet = book["to label"]
    header = [c.value for c in sheet[1]]
    for r, row in enumerate(sheet.iter_rows(min_row=2), start=0):
        if r >= reviewed:
            break
        sdgs = {int(s) for s in truth[row[0].value].split(";") if s}
        for sdg in range(1, 18):
            row[header.index(f"SDG {sdg}")].value = 1 if sdg in sdgs else None
        row[header.index("reviewed")].value = "yes"
    book.save(sheet_path)


def test_review_sheet_round_trip_through_train_and_profile(scored_csv, tiny_model_dir, tmp_path):
    runner = CliRunner()
    sheet_path = tmp_path / "to_label.xlsx"
    result = runner.invoke(
        main,
        ["review", str(scored_csv), "-o", str(sheet_path), "--n", "24", "--by", "cluster",
         "--model", str(tiny_model_dir), "--text-col", "description"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "picked 24 of 40 scored projects" in result.output
    sheet = pd.read_excel(sheet_path, sheet_name=None)
    assert set(sheet) == {"to label", "instructions"}
    table = sheet["to label"]
    assert list(table.columns[:3]) == ["project_id", "cluster", "text"]
    assert {"model_tags", "unsure_about", *SDG_COLUMNS, "reviewed", "notes"} <= set(table.columns)
    assert sorted(table["cluster"].value_counts().tolist()) == [12, 12]
    assert table["project_id"].is_unique

    scored = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    truth = dict(zip(scored["project_id"], scored["truth"], strict=True))
    _fill(sheet_path, truth, reviewed=20)

    # train reads the filled sheet as it is: the 20 reviewed rows, with the person's labels
    labelled = load_generic(sheet_path)
    assert len(labelled) == 20 and "4 rows not marked 'reviewed' ignored" in labelled.problems[0]
    by_text = dict(zip(scored["description"], scored["truth"], strict=True))
    assert all(";".join(map(str, e.sdgs)) == by_text[e.text] for e in labelled.examples)
    out = tmp_path / "ours"
    trained = runner.invoke(
        main,
        ["train", "-d", str(sheet_path), "--init-model", str(tiny_model_dir), "-o", str(out),
         "--epochs", "1", "--cv-folds", "2", "--replay-examples", "0", "--batch-size", "8", "-q"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "out of fold (20 texts" in trained.output
    assert "too few to trust" in trained.stderr

    # profile uses the person's labels for the reviewed projects and says how many changed
    profiled = runner.invoke(
        main, ["profile", str(scored_csv), "--corrections", str(sheet_path), "--json"]
    )
    assert profiled.exit_code == 0, profiled.output
    corrections = Corrections.read(sheet_path)
    frame, report = apply_corrections(scored, corrections)
    changed = sum(
        set(filter(None, scored.loc[scored["project_id"] == i, "sdgs"].iloc[0].split(";")))
        != {str(s) for s in sdgs}
        for i, sdgs in corrections.labels.items()
    )
    assert report.reviewed == 20 and report.changed == changed and report.ignored == 4
    assert f"20 projects labelled by a person ({changed} corrected" in profiled.stderr
    document = json.loads(profiled.stdout)
    overall = document["overall"]
    # the reports say that a person's labels stand in for the model's (they were silent)
    assert document["input"]["labelled_by_person"] == 20
    from sdg_align.report import profile_markdown

    assert "20 of the 40 projects carry a person's labels" in profile_markdown(document)
    tagged = [{int(s) for s in tags.split(";") if s} for tags in frame["sdgs"]]
    assert [row["projects"] for row in overall["sdgs"]] == [
        sum(k in t for t in tagged) for k in range(1, 18)
    ]
    for identifier, sdgs in corrections.labels.items():
        row = frame[frame["project_id"] == identifier].iloc[0]
        assert {int(s) for s in row["sdgs"].split(";") if s} == set(sdgs)
        assert all(row[f"p_sdg{k}"] == (1.0 if k in sdgs else 0.0) for k in range(1, 18))
    untouched = frame[~frame["labelled_by_person"]]
    assert (
        untouched["sdgs"]
        == scored.set_index("project_id").loc[untouched["project_id"], "sdgs"].values
    ).all()


def _sheet(tmp_path, **cells) -> str:
    frame = pd.DataFrame({"project_id": ["P00", "P01"], "text": ["a b", "c d"]})
    for column in SDG_COLUMNS:
        frame[column] = ""
    frame["reviewed"] = ["yes", ""]
    for key, value in cells.items():
        frame[key.replace("_", " ") if key.startswith("SDG") else key] = value
    path = tmp_path / "sheet.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"reviewed": ["", ""]}, "no row is marked"),
        ({"SDG_7": ["perhaps", ""]}, "hold 'perhaps' in SDG 7"),
        (  # every unreadable cell at once, not the first alone
            {"SDG_3": ["2", "?"], "SDG_9": ["2", ""], "reviewed": ["yes", "yes"]},
            "SDG cells hold '2' in SDG 3, SDG 9 (sheet row 2); '?' in SDG 3 (sheet row 3): write 1",
        ),
        ({"project_id": ["NOPE", "P01"]}, "not in the table"),
        (
            {"project_id": ["P01", "P01"], "reviewed": ["yes", "yes"]},
            "sheet row 3: project 'P01' appears twice (also sheet row 2, both reviewed); keep one",
        ),
    ],
)
def test_bad_corrections_sheets_give_one_line_errors(scored_csv, tmp_path, cells, message):
    result = CliRunner().invoke(
        main, ["profile", str(scored_csv), "--corrections", _sheet(tmp_path, **cells), "--json"]
    )
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_review_reads_a_scored_table_from_stdin(scored_csv, tiny_model_dir, tmp_path):
    """`score ... -o - | review - -o sheet.xlsx` picks what the file would give."""
    args = ["--n", "10", "--model", str(tiny_model_dir), "--text-col", "description", "-q"]
    runner = CliRunner()
    from_file = runner.invoke(
        main, ["review", str(scored_csv), "-o", str(tmp_path / "a.csv"), *args]
    )
    piped = runner.invoke(
        main, ["review", "-", "-o", str(tmp_path / "b.csv"), *args], input=scored_csv.read_bytes()
    )
    assert from_file.exit_code == 0 and piped.exit_code == 0, piped.output
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    refused = runner.invoke(
        main, ["review", "-", "-o", str(tmp_path / "c.csv"), "--sheet", "1", *args], input=""
    )
    assert refused.exit_code == 1 and "--sheet is for Excel inputs" in refused.output


def test_the_next_round_skips_the_projects_reviewed_in_the_last(
    scored_csv, tiny_model_dir, tmp_path
):
    """A second round re-picked 35 of 40 projects a person had labelled, pre-filled with the
    model's tags; --skip leaves out the reviewed rows of a filled sheet."""
    args = ["--n", "10", "--model", str(tiny_model_dir), "--text-col", "description"]
    runner = CliRunner()
    first = tmp_path / "round1.csv"
    assert runner.invoke(main, ["review", str(scored_csv), "-o", str(first), *args]).exit_code == 0
    filled = pd.read_csv(first, dtype=str, keep_default_na=False)
    filled.loc[:5, "reviewed"] = "yes"  # six of the ten reviewed, four left for later
    filled.to_csv(first, index=False)
    second = tmp_path / "round2.csv"
    result = runner.invoke(
        main, ["review", str(scored_csv), "-o", str(second), *args, "--skip", str(first)]
    )
    assert result.exit_code == 0, result.output
    assert "6 project(s) already reviewed in" in result.stderr
    picked = set(pd.read_csv(second, dtype=str)["project_id"])
    assert not picked & set(filled["project_id"][:6]) and len(picked) == 10
    audit = runner.invoke(
        main, ["review", str(scored_csv), "-o", str(tmp_path / "a.csv"), *args, "--random",
               "--skip", str(first)],
    )  # fmt: skip
    assert audit.exit_code == 2 and "an audit (--random) draws from every project" in audit.output
    assert "scored with another" not in result.stderr  # the same --model as score's


def test_review_says_when_the_table_was_scored_with_another_model(scored_csv, tmp_path):
    """Without --model, review used the default model's thresholds on a table another model had
    scored, without a word (profile warns in the same case)."""
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, ["review", str(scored_csv), "-o", str(out), "--n", "5"])
    assert result.exit_code == 0, result.output
    assert "was the table scored with another --model? Give review the same --model" in (
        result.stderr
    )


def test_review_refuses_an_id_column_that_repeats_ids(scored_csv, tiny_model_dir, tmp_path):
    """Duplicate ids would make a sheet that profile --corrections cannot match."""
    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    frame.loc[5, "project_id"] = frame.loc[3, "project_id"]
    frame.loc[7, "project_id"] = ""
    frame.to_csv(tmp_path / "dup.csv", index=False)
    out = tmp_path / "sheet.csv"
    result = CliRunner().invoke(
        main, ["review", str(tmp_path / "dup.csv"), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 1 and not out.exists()
    expected = "column 'project_id' does not name each project once ('P03' in rows 4, 6; no id in"
    assert f"{expected} row 8)" in result.output and "--id-col" in result.output


def test_review_refuses_an_unscored_table(tmp_path):
    raw = tmp_path / "raw.csv"
    pd.DataFrame({"text": ["a"]}).to_csv(raw, index=False)
    result = CliRunner().invoke(main, ["review", str(raw), "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1 and "sdg-align score" in result.output
    with pytest.raises(DataError, match="no row is marked"):
        load_generic(_sheet(tmp_path, reviewed=["", ""]))


def test_a_random_review_is_an_audit_the_profile_knows(scored_csv, rated_model_dir, tmp_path):
    from sdg_align.corrections import AUDIT_COLUMN, MODEL_PROBABILITY_COLUMNS

    runner = CliRunner()
    sheets = []
    for name in ("a.xlsx", "b.xlsx"):
        sheets.append(tmp_path / name)
        result = runner.invoke(
            main,
            ["review", str(scored_csv), "-o", str(sheets[-1]), "--n", "30", "--random",
             "--seed", "4", "--model", str(rated_model_dir), "--text-col", "description"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "picked 30 of 40 scored projects at random" in result.output
    first, second = (pd.read_excel(s, sheet_name="to label") for s in sheets)
    assert first["project_id"].tolist() == second["project_id"].tolist()  # the seed decides
    assert (first["picked"] == "at random").all() and first["project_id"].is_unique

    scored = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    truth = dict(zip(scored["project_id"], scored["truth"], strict=True))
    _fill(sheets[1], truth, reviewed=25)  # five random picks left unreviewed: said
    partial = apply_corrections(pd.read_csv(scored_csv), Corrections.read(sheets[1]))[1].line()
    assert "5 projects picked at random were not reviewed" in partial
    _fill(sheets[0], truth, reviewed=30)
    corrections = Corrections.read(sheets[0])
    assert corrections.at_random == frozenset(first["project_id"])
    frame, report = apply_corrections(pd.read_csv(scored_csv), corrections)
    assert frame[AUDIT_COLUMN].sum() == 30 and "30 of them picked at random" in report.line()
    assert "not reviewed" not in report.line()
    before = pd.read_csv(scored_csv)
    assert np.allclose(
        frame[MODEL_PROBABILITY_COLUMNS].to_numpy(), before[PROBABILITY_COLUMNS].to_numpy()
    )

    profiled = runner.invoke(
        main,
        ["profile", str(scored_csv), "--corrections", str(sheets[0]), "--model",
         str(rated_model_dir), "--json"],
    )  # fmt: skip
    assert profiled.exit_code == 0, profiled.output
    document = json.loads(profiled.stdout)
    settings = document["settings"]["prevalence"]
    assert settings["audited_projects"] == 30 and settings["min_audit"] == 50
    assert (
        "30 of these projects were labelled after a random pick, fewer than the 50"
        in (document["overall"]["note"])
    )


def test_review_reads_a_semicolon_csv_and_names_its_options(scored_csv, tiny_model_dir, tmp_path):
    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    probability = [c for c in frame.columns if c.startswith("p_sdg")]
    frame[probability] = frame[probability].apply(lambda c: c.str.replace(".", ",", regex=False))
    european = tmp_path / "scored_semicolon.csv"
    frame.to_csv(european, index=False, sep=";", encoding="cp1252")
    args = ["-m", str(tiny_model_dir), "--n", "5", "--text-col", "description", "-q"]
    result = CliRunner().invoke(
        main,
        ["review", str(european), "-o", str(tmp_path / "s.csv"), "--sep", ";",
         "--encoding", "cp1252", *args],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    plain = CliRunner().invoke(
        main, ["review", str(scored_csv), "-o", str(tmp_path / "u.csv"), *args]
    )
    assert (
        plain.exit_code == 0
        and (tmp_path / "s.csv").read_text() == (tmp_path / "u.csv").read_text()
    )
    result = CliRunner().invoke(
        main, ["review", str(scored_csv), "-o", str(tmp_path / "t.csv"), "--by", "nope", *args]
    )
    assert result.exit_code == 1 and "--by column 'nope' not found" in result.output


def test_review_refuses_to_write_over_its_input(scored_csv, tiny_model_dir):
    before = scored_csv.read_bytes()
    args = ["review", str(scored_csv), "-o", str(scored_csv), "-m", str(tiny_model_dir), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "-o names the input file itself" in result.stderr
    assert scored_csv.read_bytes() == before


def test_review_counts_scored_projects_and_names_the_blank_group(scored_csv, tiny_model_dir):
    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    frame.loc[0, "cluster"] = ""
    frame.loc[1, "error"] = "empty text"
    for k in range(1, 18):
        frame.loc[1, f"p_sdg{k}"] = ""
    frame.to_csv(scored_csv, index=False)
    result = CliRunner().invoke(
        main,
        ["review", str(scored_csv), "-o", str(scored_csv.with_name("audit.xlsx")), "--random",
         "--n", "60", "--by", "cluster", "--model", str(tiny_model_dir), "--text-col", "description"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "picked 39 of 39 scored projects (1 row could not be scored) at random" in result.output
    assert "per group: (blank) 1, north 19, south 19" in result.output


def test_a_sheet_keyed_by_row_number_is_checked_against_the_texts(
    scored_csv, tiny_model_dir, tmp_path
):
    """Keyed by row number, a sheet used on a table sorted since put its labels on other
    projects without a word; rerunning review wrote a blank sheet over the filled one."""
    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    table = tmp_path / "no_ids.csv"
    frame.drop(columns=["project_id"]).to_csv(table, index=False)
    sheet = tmp_path / "to_label.xlsx"
    args = ["review", str(table), "-o", str(sheet), "--n", "6", "-m", str(tiny_model_dir), "-q"]
    runner = CliRunner()
    written = runner.invoke(main, args)
    assert written.exit_code == 0, written.output
    assert "names projects by row number" in written.stderr  # a warning, even with -q
    truth = dict(enumerate(frame["truth"], start=1))
    _fill(sheet, {str(k): v for k, v in truth.items()}, reviewed=6)
    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "holds 6 row(s) marked reviewed" in again.stderr
    assert len(Corrections.read(sheet).labels) == 6  # the person's work is still there

    kept = runner.invoke(main, ["profile", str(table), "--corrections", str(sheet), "--json"])
    assert kept.exit_code == 0, kept.output
    assert "6 projects labelled by a person" in kept.stderr
    frame.drop(columns=["project_id"]).iloc[::-1].to_csv(table, index=False)  # sorted since
    moved = runner.invoke(main, ["profile", str(table), "--corrections", str(sheet), "--json"])
    assert moved.exit_code == 1 and "now hold another project" in moved.stderr


def test_a_sheet_keyed_by_id_says_which_texts_changed(scored_csv, tmp_path):
    scored = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    path = _sheet(tmp_path, text=[scored["description"][0], "c d"])
    scored.loc[0, "description"] = "A wholly rewritten description of a new project"
    _, report = apply_corrections(scored, Corrections.read(path))
    assert len(report.text_changed) == 1 and "have another text in the table" in report.line()
    same = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    assert apply_corrections(same, Corrections.read(path))[1].text_changed == []


def test_the_marks_people_write_are_read_and_odd_ones_named(scored_csv, tmp_path):
    # 'Yes!' was refused while '✓' was read: a mark's trailing '!' or '.' does not matter
    frame = pd.read_csv(_sheet(tmp_path, reviewed=["Yes!", "OK."], SDG_7=["x.", "nee"]))
    frame = frame.rename(columns={"reviewed": "Reviewed "})  # a header typed by hand
    path = tmp_path / "marks.csv"
    frame.to_csv(path, index=False)
    corrections = Corrections.read(path)
    assert corrections.labels == {"P00": (7,), "P01": ()} and corrections.ignored == 0
    assert len(load_generic(path)) == 2
    frame["Reviewed "] = ["yes", "later"]
    frame.to_csv(path, index=False)
    for read in (Corrections.read, load_generic):
        with pytest.raises(DataError, match=r"holds 'later' \((sheet row 3|row 2)\)"):
            read(path)


def test_an_id_column_the_sheet_lacks_is_named_not_replaced(scored_csv, tmp_path):
    """--id-col naming no column of the sheet fell back to its first column, and the error then
    said 'pass --id-col' to someone who had."""
    path = _sheet(tmp_path)
    with pytest.raises(DataError, match="'code' is not a column of the corrections sheet"):
        Corrections.read(path, id_col="code")
    scored = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    scored = scored.rename(columns={"project_id": "Project ID"})
    assert Corrections.read(path, id_col="project id").id_col == "project_id"
    table, report = apply_corrections(scored, Corrections.read(path))  # the same name, spelt so
    assert "person" in report.line()
    with pytest.raises(DataError, match="a column the table does not have"):
        apply_corrections(scored.drop(columns=["Project ID"]), Corrections.read(path))


def test_review_leaves_placeholders_out_and_names_fill_ins(scored_csv, tiny_model_dir, tmp_path):
    """A sheet asked a person to label 'TBD', and called rows far from every threshold
    'unsure' when --n was near the portfolio's size."""
    from sdg_align.review import FILL_IN, UNSURE

    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    frame.loc[0, "description"] = "TBD"
    table = tmp_path / "with_tbd.csv"
    frame.to_csv(table, index=False)
    sheet = tmp_path / "sheet.csv"
    args = ["review", str(table), "-o", str(sheet), "--n", "40", "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 project(s) with texts too short to judge (such as 'TBD') were not picked" in (
        result.stderr
    )
    written = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    assert "P00" not in set(written["project_id"]) and len(written) == 39

    probs = np.full((1, 17), 0.001)
    far = Pick(row=0, sdg=7, probability=0.001, threshold=0.5, margin=6.9)
    near = Pick(row=0, sdg=7, probability=0.001, threshold=0.5, margin=0.5)
    for pick, label in ((far, FILL_IN), (near, UNSURE)):
        made = review_frame(
            [pick], ids=["p1"], texts=["a text"], probs=probs, thresholds=[0.5] * 17, id_col="id"
        )
        assert made["picked"][0] == label


def test_review_groups_read_spellings_as_profile_does(scored_csv):
    """'North' and 'north ' were two groups for review's spread but one in the profile."""
    from sdg_align.review import scored_inputs

    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    frame["cluster"] = ["North", "north "] * 20
    groups = scored_inputs(frame, text_cols=["description"], id_col=None, by="cluster")[4]
    assert set(groups) == {"North"}


@pytest.mark.parametrize("mark", ["OK", "ok ", "done", "erledigt"])
def test_a_sheet_marked_ok_or_done_is_not_written_over(tmp_path, mark):
    """--corrections reads 'OK' and 'done' as reviewed, but review wrote a new sheet over one
    marked so: every label of the trial's 12 reviewed rows was lost."""
    from sdg_align.errors import DataError
    from sdg_align.review import refuse_to_overwrite_labels

    sheet = tmp_path / "to_label.xlsx"
    pd.DataFrame({"id": ["a", "b", "c"], "reviewed": [mark, "", "no"]}).to_excel(sheet, index=False)
    with pytest.raises(DataError, match="holds 1 row"):
        refuse_to_overwrite_labels(sheet)
    pd.DataFrame({"id": ["a"], "reviewed": [""]}).to_excel(sheet, index=False)
    refuse_to_overwrite_labels(sheet)  # a blank sheet may be written over
