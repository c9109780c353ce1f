"""`sdg-align score`: formats round-trip, bad rows are reported, resume equals an uninterrupted run."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sdg_align.cli import main
from sdg_align.data.types import join_parts
from sdg_align.errors import DataError, Interrupted
from sdg_align.modeling import SDGClassifier
from sdg_align.scoring import OUTPUT_COLUMNS, PROBABILITY_COLUMNS, score_file, score_frame
from sdg_align.tables import read_table, write_table

PORTFOLIO = pd.DataFrame(
    {
        "id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "title": ["Solar", "Ocean", "", "Skills", "Health", "2024"],
        "description": [
            "wind battery grid",
            "fish coral",
            "",
            "school training",
            "hospital vaccine",
            "1234",
        ],
        "budget": ["1000", "2000", "3000", "4000", "5000", "6000"],
    }
)


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return SDGClassifier.from_pretrained(tiny_model_dir)


def test_score_frame_adds_the_contract_columns(model):
    scored = score_frame(PORTFOLIO, model, text_cols=["title", "description"])
    assert list(scored.columns) == [*PORTFOLIO.columns, *OUTPUT_COLUMNS]
    pd.testing.assert_frame_equal(scored[PORTFOLIO.columns], PORTFOLIO)
    assert scored.loc[2, "error"] == "empty text" and np.isnan(scored.loc[2, "p_sdg1"])
    assert scored.loc[5, "error"] == "no words in the text cell(s)"
    good = scored[scored["error"] == ""]
    assert good[PROBABILITY_COLUMNS].notna().all().all()
    for _, row in good.iterrows():
        sdgs = [int(s) for s in row["sdgs"].split(";")] if row["sdgs"] else []
        assert (row["primary_sdg"] if sdgs else None) == (sdgs[0] if sdgs else None) or pd.isna(
            row["primary_sdg"]
        )


def test_placeholders_are_failed_rows_not_tagged_texts(model):
    """'TBD' was scored (SDG 3 at 0.65 with the default model: tuberculosis)."""
    frame = pd.DataFrame(
        {
            "title": [
                "", "Solar roofs for forty schools in Graz", "N/A", "", "Test bench for batteries",
                "Noch offen", "Neues Projekt",
            ],
            "description": ["TBD", "(to do)", "n/a", "Keine Angabe.", "", "siehe Anhang", "k.A."],
        }
    )  # fmt: skip
    scored = score_frame(frame, model, text_cols=["title", "description"])
    assert list(scored["error"]) == [
        "placeholder text ('TBD'), not a description",
        "",  # the title alone is scored, as if the placeholder cell were empty
        "placeholder text ('N/A'), not a description",
        "placeholder text ('Keine Angabe.'), not a description",
        "",
        "placeholder text ('Noch offen'), not a description",  # German: 'still open'
        # a title that names no project is a placeholder too ('Neues Projekt' was tagged SDG 9)
        "placeholder text ('Neues Projekt'), not a description",
    ]
    np.testing.assert_allclose(
        scored.loc[1, PROBABILITY_COLUMNS].to_numpy(float),
        model.predict_proba("Solar roofs for forty schools in Graz"),
        atol=1e-4,
    )
    assert scored.loc[[0, 2, 3, 6], PROBABILITY_COLUMNS].isna().all().all()


def test_a_totals_row_and_placeholders_of_more_languages_are_failed_rows(model):
    """A sheet's 'RAZEM / Totaal' row was scored as a project (a group '(blank)' with 'gaps', and
    its summed budget halved every weighted share); 'b.d.', 'volgt' and '-' were scored too."""
    frame = pd.DataFrame(
        {
            "title": ["Chłodnia dla banku żywności w Poznaniu", "RAZEM / Totaal", "Projekt 2025",
                      "Total", "Total energy retrofit of the town hall"],
            "description": ["b.d.", "", "-", "12 500 000", "volgt"],
        }
    )  # fmt: skip
    errors = score_frame(frame, model, text_cols=["title", "description"])["error"].tolist()
    assert errors == [
        "",  # the title alone is scored
        "a totals row ('RAZEM / Totaal'), not a project",
        "placeholder text ('-') beside only a few words ('Projekt 2025'): too little to judge",
        "a totals row ('Total. 12 500 000'), not a project",
        "",
    ]
    # 'Summe' in another column of a row without text was reported as 'empty text'
    elsewhere = pd.DataFrame({"id": ["P1", "Summe"], "text": ["Solar roofs for schools.", ""]})
    assert score_frame(elsewhere, model)["error"].tolist() == [
        "",
        "a totals row ('Summe'), not a project",
    ]


def test_score_says_which_columns_it_read_and_which_rows_beside_a_placeholder(
    tiny_model_dir, tmp_path
):
    """'Por definir' beside a title was scored on the title alone without a word."""
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": ["AND-11", "AND-12"],
            "titulo": ["Huertos solares comunitarios en Almería", "Formación dual en Jaén"],
            "descripcion": ["Por definir", "Un programa de formación dual con diez empresas."],
        }
    ).to_csv(source, index=False)
    args = ["score", str(source), "-o", str(tmp_path / "o.csv"), "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert "read the text of column(s) 'titulo', 'descripcion'" in result.stderr
    assert (
        "note: 1 row holds a placeholder in a text column and was scored on the other column(s) "
        "alone: AND-11 ('Por definir')" in result.stderr
    )
    summary = json.loads(result.stdout)
    assert summary["placeholder_rows"] == 1
    assert summary["text_columns"] == ["titulo", "descripcion"]
    assert summary["failed_rows"] == []  # records for a pipeline, beside the 'row X: why' lines
    pd.DataFrame({"id": ["A", "B"], "text": ["Solar roofs for schools.", ""]}).to_csv(
        source, index=False
    )
    failed = json.loads(CliRunner().invoke(main, [*args, "--json", "-q"]).stdout)["failed_rows"]
    assert failed == [{"row": 2, "id": "B", "error": "empty text"}]


def test_score_reads_a_text_as_classify_and_training_do(model):
    """A cell's final period stays (it was cut, and tags moved by up to 0.29 against classify)."""
    frame = pd.DataFrame(
        {"title": ["Solar.", "Ocean", ""], "text": ["wind battery grid.", "fish coral.", "Reef."]}
    )
    one = score_frame(frame, model, text_cols=["text"])[PROBABILITY_COLUMNS].to_numpy()
    np.testing.assert_allclose(one, model.predict_proba(list(frame["text"])), atol=1e-4)
    joined = score_frame(frame, model, text_cols=["title", "text"])[PROBABILITY_COLUMNS]
    expected = ["Solar. wind battery grid.", "Ocean. fish coral.", "Reef."]
    assert [join_parts(*row) for row in frame[["title", "text"]].to_numpy()] == expected
    np.testing.assert_allclose(joined.to_numpy(), model.predict_proba(expected), atol=1e-4)


def test_failed_rows_are_named_by_the_id_column_without_id_col(model, tmp_path):
    # score, profile and review name a project the same way: project_id, else id
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    summary = score_file(
        source, tmp_path / "out.csv", model, text_cols=["title", "description"], progress=False
    )
    assert summary.failures == ["row a3: empty text", "row a6: no words in the text cell(s)"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"])
def test_every_format_round_trips_with_extra_columns(model, tmp_path, suffix):
    source = tmp_path / f"in{suffix}"
    write_table(PORTFOLIO, source)
    out = tmp_path / f"out{suffix}"
    summary = score_file(
        source,
        out,
        model,
        text_cols=["title", "description"],
        id_col="id",
        progress=False,
        chunk_rows=4,
    )
    assert summary.rows == 6 and summary.failed == 2
    assert summary.failures == ["row a3: empty text", "row a6: no words in the text cell(s)"]
    result = read_table(out)
    assert list(result.columns) == [*PORTFOLIO.columns, *OUTPUT_COLUMNS]
    assert [str(v) for v in result["id"]] == list(PORTFOLIO["id"])
    assert [str(v) for v in result["budget"]] == list(PORTFOLIO["budget"])
    assert not list(tmp_path.glob(".*parts*"))


def test_wrong_text_column_lists_the_columns(model, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    with pytest.raises(DataError, match="the input has: id, title, description, budget"):
        score_file(source, tmp_path / "o.csv", model, text_cols=["text"], progress=False)
    assert not (tmp_path / "o.csv").exists()


def test_resume_after_interruption_equals_an_uninterrupted_run(model, tmp_path, monkeypatch):
    big = pd.concat([PORTFOLIO] * 5, ignore_index=True)
    big["id"] = [f"r{i}" for i in range(len(big))]
    source = tmp_path / "in.csv"
    write_table(big, source)
    reference = tmp_path / "reference.csv"
    whole = score_file(
        source, reference, model, text_cols=["title", "description"], progress=False, chunk_rows=7
    )

    import sdg_align.scoring as scoring

    real = scoring.score_frame
    calls = {"n": 0}

    def crash_on_third_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    out = tmp_path / "out.csv"
    monkeypatch.setattr(scoring, "score_frame", crash_on_third_chunk)
    with pytest.raises(Interrupted, match="--resume"):
        score_file(
            source, out, model, text_cols=["title", "description"], progress=False, chunk_rows=7
        )
    assert not out.exists()  # never a half output in place of the real one
    monkeypatch.setattr(scoring, "score_frame", real)
    # run again with --resume forgotten: the 14 rows kept are not thrown away without a word
    common = {"text_cols": ["title", "description"], "progress": False, "chunk_rows": 7}
    with pytest.raises(DataError, match="left 14 scored rows .* add --resume .* or --restart"):
        score_file(source, out, model, **common)
    with pytest.raises(DataError, match="not both"):
        score_file(source, out, model, **common, resume=True, restart=True)
    source.write_bytes(source.read_bytes())  # copied back unchanged: a new modification time
    os.utime(source, (1_000_000_000, 1_000_000_000))
    summary = score_file(
        source,
        out,
        model,
        text_cols=["title", "description"],
        progress=False,
        chunk_rows=7,
        resume=True,
    )
    assert summary.resumed_rows == 14
    assert out.read_text() == reference.read_text()
    # the summary counts the resumed chunks' failed, short and long texts too (it skipped them)
    assert (summary.failed, summary.failures) == (whole.failed, whole.failures)
    assert (summary.short_texts, summary.short_rows) == (whole.short_texts, whole.short_rows)
    assert summary.long_texts == whole.long_texts and whole.failed == 10


def test_cli_score_reports_bad_rows_and_keeps_stdout_clean(tiny_model_dir, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    out = tmp_path / "out.parquet"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "score",
            str(source),
            "-o",
            str(out),
            "--text-col",
            "title",
            "--text-col",
            "description",
            "--id-col",
            "id",
            "-m",
            str(tiny_model_dir),
            "--json",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 6 and summary["failed"] == 2
    assert len(pd.read_parquet(out)) == 6


def test_short_texts_are_warned_about_even_when_quiet(tiny_model_dir, tmp_path):
    """'TBD' gets confident tags (it reads as tuberculosis): a failed or placeholder row must show."""
    source = tmp_path / "in.csv"
    # 'Drinking water for villages.' (28 characters) was not short while 'Water for villages.' was
    rows = [
        "Drinking water for villages.",
        "Solar pumps replace diesel irrigation in forty farms",
        "",
    ]
    rows.append("Project 12")
    rows.append(
        "该集群与三所职业学校合作，为电池技术人员建立再培训学院。"
    )  # one "word", a full sentence
    rows.append("TBD")  # a placeholder: a failed row, not a short text
    ids = ["a", "b", "c", "d", "e", "f"]
    pd.DataFrame({"id": ids, "text": rows}).to_csv(source, index=False)
    args = ["score", str(source), "-o", str(tmp_path / "o.csv"), "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, [*args, "--id-col", "id", "-q", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["short_texts"] == 2
    assert "2 texts have fewer than 5 words (rows a, d)" in result.stderr
    assert "2 rows could not be scored" in result.stderr and "row c: empty text" in result.stderr
    assert "row f: placeholder text ('TBD'), not a description" in result.stderr
    classified = CliRunner().invoke(
        main,
        ["classify", "--lines", "-q", "-m", str(tiny_model_dir)],
        input="Project 12\n" + rows[1],
    )
    assert "1 text has fewer than 5 words (line 1): its tags" in classified.stderr
    profiled = CliRunner().invoke(
        main, ["profile", str(source), "-q", "-m", str(tiny_model_dir), "--json-out", "-"]
    )
    assert profiled.exit_code == 0, profiled.output
    # named by the id column, as score names them (it said 'rows 1, 4' beside score's 'a, d')
    assert "2 texts have fewer than 5 words (rows a, d)" in profiled.stderr


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("missing", ["--text-col", "text"], "input file not found"),
        ("csv", ["--text-col", "abstract"], "the input has: id, title, description, budget"),
        ("latin1", ["--text-col", "text", "--encoding", "utf-8"], "pass the file's encoding"),
        (
            "csv",
            ["--text-col", "title", "--id-col", "nope"],
            "id column 'nope' (--id-col) not found",
        ),
        ("weird", ["--text-col", "text"], "cannot tell the format"),
    ],
)
def test_cli_score_bad_input(tiny_model_dir, tmp_path, setup, args, message):
    source = tmp_path / ("in.weird" if setup == "weird" else "in.csv")
    if setup == "csv":
        write_table(PORTFOLIO, source)
    elif setup == "latin1":
        source.write_bytes("text\nCaf\xe9 solaire \xe0 Lyon\n".encode("latin-1"))
    elif setup == "weird":
        source.write_text("x")
    result = CliRunner().invoke(
        main,
        [
            "score",
            str(source),
            "-o",
            str(tmp_path / "o.csv"),
            "-m",
            str(tiny_model_dir),
            "-q",
            *args,
        ],
    )
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()


def test_explain_column_parses_in_every_format(model, tmp_path):
    for suffix in (".csv", ".jsonl", ".parquet", ".xlsx"):
        source = tmp_path / f"in{suffix}"
        write_table(PORTFOLIO, source)
        out = tmp_path / f"out{suffix}"
        score_file(
            source,
            out,
            model,
            text_cols=["title", "description"],
            explain=True,
            threshold=0.0,
            progress=False,
        )
        result = read_table(out)
        for _, row in result.iterrows():
            if row["error"]:
                continue
            cell = row["evidence"]  # JSON text; an object in JSON Lines
            evidence = cell if suffix == ".jsonl" else json.loads(cell)
            assert isinstance(evidence, dict)
            assert set(evidence) == set(str(row["sdgs"]).split(";"))


def test_onnx_backend_gives_the_float32_results_and_is_exported_once(
    tiny_model_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("SDG_ALIGN_CACHE", str(tmp_path / "cache"))  # other tests export too
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    outputs = {}
    for backend in ("float32", "onnx", "onnx"):
        out = tmp_path / f"{backend}-{len(outputs)}.csv"
        args = ["score", str(source), "-o", str(out), "--text-col", "title"]
        args += ["--text-col", "description", "-m", str(tiny_model_dir), "--backend", backend]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        exported = "exporting the model to ONNX" in result.stderr
        assert exported == (backend == "onnx" and len(outputs) == 1)  # cached after the first
        outputs[len(outputs)] = read_table(out)
    reference, first, second = outputs[0], outputs[1], outputs[2]
    np.testing.assert_allclose(
        first[PROBABILITY_COLUMNS].apply(pd.to_numeric, errors="coerce").to_numpy(),
        reference[PROBABILITY_COLUMNS].apply(pd.to_numeric, errors="coerce").to_numpy(),
        atol=2e-4,
    )
    assert first["sdgs"].fillna("").tolist() == reference["sdgs"].fillna("").tolist()
    pd.testing.assert_frame_equal(first, second)


def test_unwritable_cache_is_a_one_line_error(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("SDG_ALIGN_CACHE", str(blocked / "cache"))
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    result = CliRunner().invoke(main, ["score", str(source), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "cannot write the encoder cache" in result.output and "SDG_ALIGN_CACHE" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ({"threshold": 0.0}, {"threshold": 1.0}, "threshold was 0.0, now 1.0"),
        ({"tags": "broad"}, {"tags": "precise"}, "tags was 'broad', now 'precise'"),
        ({"explain": False}, {"explain": True}, "explain was False, now True"),
    ],
)
def test_resume_refuses_other_settings_instead_of_mixing_rows(
    model, tmp_path, monkeypatch, first, second, message
):
    big = pd.concat([PORTFOLIO] * 3, ignore_index=True)
    source = tmp_path / "in.csv"
    write_table(big, source)
    import sdg_align.scoring as scoring

    real = scoring.score_frame
    calls = {"n": 0}

    def crash_on_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    out = tmp_path / "out.csv"
    common = {"text_cols": ["title", "description"], "progress": False, "chunk_rows": 5}
    monkeypatch.setattr(scoring, "score_frame", crash_on_second_chunk)
    with pytest.raises(Interrupted, match="--resume"):
        score_file(source, out, model, **common, **first)
    monkeypatch.setattr(scoring, "score_frame", real)
    with pytest.raises(DataError, match="cannot resume") as error:
        score_file(source, out, model, **common, **second, resume=True)
    assert message in str(error.value)
    # the same settings resume fine
    summary = score_file(source, out, model, **common, **first, resume=True)
    assert summary.resumed_rows == 5


def test_resume_refuses_an_input_whose_content_changed(model, tmp_path, monkeypatch):
    source = tmp_path / "in.csv"
    write_table(pd.concat([PORTFOLIO] * 3, ignore_index=True), source)
    import sdg_align.scoring as scoring

    real = scoring.score_frame
    monkeypatch.setattr(
        scoring, "score_frame", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    common = {"text_cols": ["title", "description"], "progress": False, "chunk_rows": 5}
    out = tmp_path / "out.csv"
    with pytest.raises(Interrupted):
        score_file(source, out, model, **common)
    monkeypatch.setattr(scoring, "score_frame", real)
    stat = source.stat()
    source.write_text(source.read_text().replace("Solar", "Sonne"))  # same size, other text
    os.utime(source, (stat.st_atime, stat.st_mtime))
    with pytest.raises(DataError, match="input content"):
        score_file(source, out, model, **common, resume=True)
    restarted = score_file(source, out, model, **common, restart=True)  # the way out: start over
    assert restarted.resumed_rows == 0 and restarted.rows == 18 and out.exists()


def test_resume_refuses_another_model(model, tmp_path, monkeypatch):
    source = tmp_path / "in.csv"
    write_table(pd.concat([PORTFOLIO] * 3, ignore_index=True), source)
    import sdg_align.scoring as scoring

    real = scoring.score_frame
    calls = {"n": 0}

    def crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    out = tmp_path / "out.csv"
    common = {"text_cols": ["title", "description"], "progress": False, "chunk_rows": 5}
    monkeypatch.setattr(scoring, "score_frame", crash)
    with pytest.raises(Interrupted, match="--resume"):
        score_file(source, out, model, **common)
    monkeypatch.setattr(scoring, "score_frame", real)
    other = SDGClassifier.from_pretrained(model.source_dir)
    other.config.thresholds = [0.99] * 17
    other.forget_hash()
    with pytest.raises(DataError, match="model \\(hash of its weights and thresholds\\) was"):
        score_file(source, out, other, **common, resume=True)
    with pytest.raises(DataError, match="backend was 'float32', now 'int8'"):
        score_file(source, out, model.quantized(), **common, resume=True)


def test_operating_points_nest_precise_in_balanced_in_broad(model):
    texts = PORTFOLIO["title"] + " " + PORTFOLIO["description"]
    probs = model.predict_proba([t for t in texts if t.strip()])  # a blank text is refused
    for row in probs:
        precise = set(model.select(row, tags="precise"))
        balanced = set(model.select(row, tags="balanced"))
        broad = set(model.select(row, tags="broad"))
        assert precise <= balanced <= broad
    cut = {t: model.cut(t) for t in ("precise", "balanced", "broad")}
    assert (cut["precise"] >= cut["balanced"]).all() and (cut["balanced"] >= cut["broad"]).all()


def test_cli_tags_option_and_a_model_without_operating_points(tiny_model_dir, tmp_path):
    runner = CliRunner()
    for tags in ("precise", "broad"):
        result = runner.invoke(
            main, ["classify", "solar wind battery", "--model", str(tiny_model_dir), "--tags", tags]
        )
        assert result.exit_code == 0, result.output
    old = tmp_path / "old-model"
    import shutil

    shutil.copytree(tiny_model_dir, old)
    config = json.loads((old / "config.json").read_text())
    config.pop("operating_points")
    (old / "config.json").write_text(json.dumps(config))
    result = runner.invoke(main, ["classify", "solar", "--model", str(old), "--tags", "broad"])
    assert result.exit_code == 1
    assert "no 'broad' operating point" in result.output and "Traceback" not in result.output


NUMBERS_AS_TEXT = pd.DataFrame(
    {
        "id": ["007", "010", "011", "012", "013", "014"],  # leading zeros: an id, stays text
        "text": ["wind battery", "fish coral", "school", "hospital", "grid", "vaccine"],
        "year": ["2021", "", "2023", "2024", "2025", "2026"],  # numbers, one empty cell
        "budget": ["1000", "2000", "3000", "4000", "n/a", "6000"],  # text in the second chunk
        "share": ["0.5", "2.25", "-1", "3", "0", "0.125"],  # decimals
        "code": ["2.50", "1.0", "3.5", "4.5", "5.5", "6.5"],  # '2.50' is not what 2.5 prints
    }
)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_typed_outputs_carry_plain_number_columns_as_numbers(model, tmp_path, suffix):
    """A CSV or Excel input is read as text; Parquet, Excel and JSON Lines outputs get numbers
    back only where every cell of the column is a plain number, and CSV stays as read."""
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    source = tmp_path / f"in{suffix}"
    write_table(NUMBERS_AS_TEXT, source)
    out = {fmt: tmp_path / f"out.{fmt}" for fmt in ("parquet", "xlsx", "jsonl", "csv")}
    for path in out.values():
        score_file(source, path, model, text_cols=["text"], progress=False, chunk_rows=4)

    types = {field.name: str(field.type) for field in pq.read_schema(out["parquet"])}
    assert types["year"] == "int64" and types["share"] == "double"
    assert {types["id"], types["budget"], types["code"]} <= {"string", "large_string"}
    frame = pd.read_parquet(out["parquet"])
    assert frame["year"].tolist()[:3] == [2021, pd.NA, 2023]
    assert frame["id"].tolist()[0] == "007" and frame["code"].tolist()[0] == "2.50"

    sheet = load_workbook(out["xlsx"]).active
    row = {cell.value: value.value for cell, value in zip(sheet[1], sheet[2], strict=False)}
    assert row["year"] == 2021 and row["share"] == 0.5
    assert row["id"] == "007" and row["budget"] == "1000" and row["code"] == "2.50"

    first, second = (json.loads(line) for line in out["jsonl"].read_text().splitlines()[:2])
    assert first["year"] == 2021 and second["year"] is None and first["share"] == 0.5
    assert first["id"] == "007" and first["budget"] == "1000"

    written = pd.read_csv(out["csv"], dtype=str, keep_default_na=False)
    for column in NUMBERS_AS_TEXT.columns:
        assert written[column].tolist() == NUMBERS_AS_TEXT[column].tolist(), column


def test_score_profile_and_review_share_one_default_text_column(tiny_model_dir, tmp_path):
    """Without --text-col: 'text' when the table has it, else title and description."""
    from sdg_align.tables import default_text_columns

    assert default_text_columns(["id", "text", "title"]) == ["text"]
    assert default_text_columns(["description", "id", "title"]) == ["title", "description"]
    assert default_text_columns(["id", "summary"]) == ["text"]  # absent: its error names columns
    # a French sheet's 'titre' was dropped beside its 'description' (6 of 21 projects changed tags)
    assert default_text_columns(["titre", "description"]) == ["titre", "description"]
    assert default_text_columns(["Título", "Descripción"]) == ["Título", "Descripción"]
    assert default_text_columns(["Tytuł", "Opis", "Budżet"]) == ["Tytuł", "Opis"]

    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)  # title and description, no text column
    runner = CliRunner()
    out = tmp_path / "out.csv"
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "--quiet"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    explicit = tmp_path / "explicit.csv"
    result = runner.invoke(
        main,
        [*args[:3], str(explicit), *args[4:], "--text-col", "title", "--text-col", "description"],
    )
    assert result.exit_code == 0, result.output
    assert out.read_text() == explicit.read_text()

    only_summary = tmp_path / "summary.csv"
    PORTFOLIO.rename(columns={"title": "name", "description": "summary"}).to_csv(
        only_summary, index=False
    )
    result = runner.invoke(
        main, ["score", str(only_summary), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 1
    assert (
        "expected a text column 'text', or 'title' and 'description' (or 'titre', 'Titel', "
        "'descripción', 'Beschreibung', ...); the input has: id, name, summary, budget. Use "
        "--text-col to choose" in result.stderr
    )
    assert "scoring" not in result.stderr  # refused before the progress bar starts
    workbook = tmp_path / "two.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        PORTFOLIO[["id"]].to_excel(writer, sheet_name="notes", index=False)
        PORTFOLIO.to_excel(writer, sheet_name="projects", index=False)
    result = runner.invoke(
        main, ["score", str(workbook), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 1 and "(or --sheet: another sheet of the workbook)" in result.stderr


def test_cli_score_reads_stdin_and_writes_stdout(tiny_model_dir, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    runner = CliRunner()
    common = ["-m", str(tiny_model_dir), "--text-col", "title", "--text-col", "description"]
    to_file = runner.invoke(main, ["score", str(source), "-o", str(tmp_path / "o.csv"), *common])
    assert to_file.exit_code == 0, to_file.output
    piped = runner.invoke(main, ["score", "-", "-o", "-", *common], input=source.read_text())
    assert piped.exit_code == 0, piped.output
    assert piped.stdout == (tmp_path / "o.csv").read_text()  # the scores and nothing else
    assert "-> stdout" in piped.stderr and not (tmp_path / "-").exists()
    lines = runner.invoke(
        main, ["score", "-", "-o", "-", "--output-format", "jsonl", "--quiet", *common],
        input=source.read_text(),
    )  # fmt: skip
    assert [json.loads(line)["id"] for line in lines.stdout.splitlines()] == list(PORTFOLIO["id"])
    for args, message in [
        (["-o", "-", "--output-format", "xlsx"], "stdout can be csv, tsv, jsonl; not xlsx"),
        (["-o", "-", "--json"], "--json prints a run summary on stdout"),
        (["-o", str(tmp_path / "r.csv"), "--resume"], "stdin cannot be resumed"),
    ]:
        source_arg = str(source) if "--resume" not in args else "-"
        result = runner.invoke(main, ["score", source_arg, *args, *common], input="")
        assert result.exit_code == 2 and message in result.stderr, result.output


def _score(tiny_model_dir, source, out, *extra):
    return CliRunner().invoke(
        main,
        ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), *extra],
    )


def test_score_refuses_to_write_over_its_own_input(tiny_model_dir, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    before = source.read_bytes()
    result = _score(tiny_model_dir, source, tmp_path / "." / "in.csv", "-q")
    assert result.exit_code == 1 and "the output is the input file itself" in result.output
    assert source.read_bytes() == before


def test_a_users_own_column_named_like_an_output_column_is_not_overwritten(
    tiny_model_dir, tmp_path
):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO.assign(error=["typo in budget", "", "", "", "", ""]), source)
    result = _score(tiny_model_dir, source, tmp_path / "o.csv", "-q")
    assert result.exit_code == 1, result.output
    assert "the input already has column(s) error, which score writes" in result.output
    assert not (tmp_path / "o.csv").exists() and "sdg-align evaluate" not in result.output
    write_table(PORTFOLIO.assign(sdgs="7"), source)  # a labelled file: evaluate measures it
    labelled = _score(tiny_model_dir, source, tmp_path / "o.csv", "-q")
    assert labelled.exit_code == 1 and "run `sdg-align evaluate default FILE`" in labelled.output
    with pytest.raises(DataError, match="column.s. evidence, which score writes"):
        score_frame(PORTFOLIO.assign(evidence="x"), SDGClassifier.from_pretrained(tiny_model_dir),
                    text_cols=["title"], explain=True)  # fmt: skip


def test_a_scored_file_scored_again_gets_its_score_columns_replaced(tiny_model_dir, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    first, again = tmp_path / "scored.csv", tmp_path / "again.csv"
    assert _score(tiny_model_dir, source, first, "--explain", "-q").exit_code == 0
    result = _score(tiny_model_dir, first, again)
    assert result.exit_code == 0, result.output
    assert "the input was scored before: its columns sdgs, primary_sdg" in result.stderr
    rescored, scored = read_table(again), read_table(first)
    assert list(rescored.columns) == [c for c in scored.columns if c != "evidence"]
    pd.testing.assert_frame_equal(rescored, scored.drop(columns="evidence"))


def test_format_hints_name_the_commands_own_option(tiny_model_dir, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    result = _score(tiny_model_dir, source, tmp_path / "o.foo", "-q")
    assert result.exit_code == 1 and "or pass --output-format" in result.output
    labelled = tmp_path / "labelled.dat"
    labelled.write_text("text,sdgs\nwater pumps,6\n")
    for args in (["evaluate", str(tiny_model_dir), str(labelled)],
                 ["train", "-d", str(labelled), "-o", str(tmp_path / "m")]):  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "cannot tell the format" in result.output, result.output
        assert "--format" not in result.output


def test_evaluate_and_train_read_title_and_description_like_score(tiny_model_dir, tmp_path):
    """A labelled portfolio with title and description needs no --text-col in any command."""
    from sdg_align.data import load_source

    labelled = tmp_path / "labelled.csv"
    PORTFOLIO.assign(sdgs=["7", "14", "", "4", "3", ""]).to_csv(labelled, index=False)
    loaded = load_source(str(labelled))
    assert [e.text for e in loaded.examples][:2] == [
        "Solar. wind battery grid",
        "Ocean. fish coral",
    ]
    result = CliRunner().invoke(main, ["evaluate", str(tiny_model_dir), str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[str(labelled)]["samples"] == 5  # row 3 has no text


def test_nested_json_lines_values_stay_json(model, tmp_path):
    """A JSON Lines input's objects and arrays come back as they were, never as Python repr."""
    source = tmp_path / "in.jsonl"
    rows = [
        {"id": 1, "text": "solar battery grid", "meta": {"budget": 100, "tags": ["a"]}, "p": ["X"]},
        {"id": 2, "text": {"en": "fish coral"}, "meta": None, "p": []},
        {"id": 3, "text": "school training", "meta": "plain", "p": None},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    score_file(source, out, model, progress=False, chunk_rows=2)
    back = [json.loads(line) for line in out.read_text().splitlines()]
    for row, original in zip(back, rows, strict=True):
        assert {k: row[k] for k in original} == original
    assert back[1]["error"] == "a text cell holds a JSON object or list, not text"
    assert back[0]["error"] == "" and back[2]["error"] == ""
    csv_out = tmp_path / "out.csv"
    score_file(source, csv_out, model, progress=False)
    written = pd.read_csv(csv_out, dtype=str, keep_default_na=False)
    assert written["meta"].tolist() == ['{"budget": 100, "tags": ["a"]}', "", "plain"]


def test_parquet_lists_stay_lists_and_are_json_in_a_csv(model, tmp_path):
    """A Parquet list cell came back as numpy's "['Acme' 'Uni Graz']" in every output."""
    source = tmp_path / "in.parquet"
    pd.DataFrame(
        {
            "text": ["solar battery grid", "fish coral", "school training"],
            "partners": [["Acme (DE)", "Uni Graz (AT)"], None, ["Linz (AT)"]],
        }
    ).to_parquet(source)
    score_file(source, tmp_path / "out.parquet", model, progress=False, chunk_rows=2)
    back = pd.read_parquet(tmp_path / "out.parquet")["partners"]
    assert [None if v is None else list(v) for v in back] == [
        ["Acme (DE)", "Uni Graz (AT)"],
        None,
        ["Linz (AT)"],
    ]
    score_file(source, tmp_path / "out.csv", model, progress=False)
    written = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert written["partners"].tolist() == ['["Acme (DE)", "Uni Graz (AT)"]', "", '["Linz (AT)"]']


def test_errors_about_stdin_name_stdin_not_a_temporary_copy(tiny_model_dir):
    args = ["score", "-", "-o", "-", "-m", str(tiny_model_dir), "-q"]
    for stdin, message in (("", "stdin is empty"), ("id,text\n", "stdin has no rows")):
        result = CliRunner().invoke(main, args, input=stdin)
        assert result.exit_code == 1 and message in result.stderr
        assert "sdg-align-score-" not in result.stderr


def test_the_run_summary_does_not_call_failed_rows_scored(tiny_model_dir, tmp_path):
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)  # two of its six rows cannot be scored
    result = _score(tiny_model_dir, source, tmp_path / "o.csv", "--text-col", "title",
                    "--text-col", "description")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "read 6 rows in" in result.stderr and "; 2 could not be scored (below)" in result.stderr


def test_score_warns_when_ids_repeat(tiny_model_dir, tmp_path):
    """A portfolio with one id on two rows scored silently; review and profile --corrections
    then cannot place a person's labels."""
    source = tmp_path / "in.csv"
    frame = pd.DataFrame(
        {"project_id": ["A", "B", "A", ""], "text": ["solar", "water", "wind", "soil"]}
    )
    frame.to_csv(source, index=False)
    args = ["score", str(source), "-o", str(tmp_path / "out.csv"), "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, [*args, "-q"])
    assert result.exit_code == 0, result.output
    assert "1 id(s) of column 'project_id' name more than one row ('A')" in result.stderr
    frame.assign(project_id=["A", "B", "C", ""]).to_csv(source, index=False)
    result = CliRunner().invoke(main, [*args, "-q"])
    assert "more than one row" not in result.stderr


def test_blank_rows_are_no_failed_projects(tiny_model_dir, tmp_path):
    """A spreadsheet's trailing ';;;;' lines were reported as projects that could not be scored,
    and the profile listed them under 'Rows left out'."""
    source = tmp_path / "in.csv"
    source.write_text("id;text;budget\n1;solar panels on forty schools;100\n2;;50\n;;\n;;\n")
    out = tmp_path / "out.csv"
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "--json", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["failed"], summary["blank_rows"]) == (4, 1, 2)
    assert "2 rows with every cell empty" in result.stderr
    profiled = CliRunner().invoke(main, ["profile", str(out), "--json", "-q"])
    assert profiled.exit_code == 0, profiled.output
    document = json.loads(profiled.stdout)
    assert document["overall"]["projects"] == 1 and document["overall"]["excluded"] == 1
    assert any("2 rows at the end of the table with every cell empty" in w
               for w in document["warnings"])  # fmt: skip


def test_a_blank_row_in_the_middle_is_no_failed_project_or_group(tiny_model_dir, tmp_path):
    """A blank line mid-table showed as a row that could not be scored and as a '(blank)' group
    without projects; it is left out and counted, and the rows after it keep their numbers."""
    source = tmp_path / "in.csv"
    source.write_text(
        "id,text,cluster\nP1,solar panels on forty schools,A\n,,\nP2,,A\nP3,ocean fish coral,B\n"
    )
    out = tmp_path / "out.csv"
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    profiled = CliRunner().invoke(main, ["profile", str(out), "--by", "cluster", "--json", "-q"])
    assert profiled.exit_code == 0, profiled.output
    document = json.loads(profiled.stdout)
    assert document["input"]["rows"] == 3 and document["input"]["excluded"] == 1
    assert [row["row"] for row in document["input"]["excluded_rows"]] == [3]  # P2, after the gap
    assert {g["name"] for g in document["groups"]} == {"A", "B"}
    assert any("1 row(s) with every cell empty (row 2) left out" in w for w in document["warnings"])
    assert not any("no scored project in group" in w for w in document["warnings"])


def test_json_lines_output_writes_dates_as_iso_text(tiny_model_dir, tmp_path):
    """A Parquet timestamp came back from score as epoch milliseconds, which profile --time-col
    could not read as a year."""
    source = tmp_path / "in.parquet"
    pd.DataFrame(
        {
            "text": ["solar panels on forty schools", "ocean fish coral reef restoration"],
            "start": pd.to_datetime(["2021-03-01 10:00", "2023-07-01 00:00"]),
        }
    ).to_parquet(source)
    out = tmp_path / "out.jsonl"
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["start"][:10] for r in rows] == ["2021-03-01", "2023-07-01"]


def test_score_frame_takes_one_column_name_as_a_string(tiny_model_dir):
    """text_cols='description' was read as the columns d, e, s, c, r, ..."""
    from sdg_align.modeling import load_classifier

    frame = pd.DataFrame({"description": ["solar panels on forty schools in the region"]})
    scored = score_frame(frame, load_classifier(tiny_model_dir), text_cols="description")
    assert scored["error"].tolist() == [""] and scored["sdgs"].notna().all()


def test_a_locked_output_keeps_the_scored_rows_for_resume(tiny_model_dir, tmp_path, monkeypatch):
    """A write-protected output: the error named an internal '.partial' file and not --resume."""
    import sdg_align.scoring as scoring

    source = tmp_path / "in.csv"
    source.write_text("text\nsolar panels on forty schools\nocean fish coral reef\n")
    out = tmp_path / "out.csv"

    def locked(*args, **kwargs):
        raise PermissionError(13, "Operation not permitted")

    monkeypatch.setattr(scoring, "_assemble", locked)
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "cannot write" in result.output and "--resume" in result.output
    assert "Operation not permitted" in result.output and ".partial" not in result.output
    monkeypatch.undo()
    resumed = CliRunner().invoke(main, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert len(pd.read_csv(out)) == 2


def test_every_row_failing_is_an_error_and_headers_alone_leave_nothing(tiny_model_dir, tmp_path):
    """score exited 0 when no row could be scored; a header-only file left a parts folder."""
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,123\n2,456\n")
    args = ["score", str(source), "-o", str(tmp_path / "o.csv"), "-m", str(tiny_model_dir), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "none of the 2 rows could be scored" in result.output
    assert (tmp_path / "o.csv").is_file()  # each row's error is written all the same
    source.write_text("id,text\n")
    assert CliRunner().invoke(main, args).exit_code == 1
    assert not list(tmp_path.glob(".*parts"))


def test_a_parquet_input_keeps_its_column_types(tiny_model_dir, tmp_path):
    """date32, decimal and boolean columns came back from score as text ('125000.50', 'True'); a
    column empty in the first chunk stopped the Parquet output with 'cast to null'."""
    import datetime
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "typed.parquet"
    table = pa.table(
        {
            "text": ["ocean fish coral reef restoration", "solar panels on forty schools"],
            "start": pa.array([None, datetime.date(2021, 3, 1)], type=pa.date32()),
            "budget": pa.array([decimal.Decimal("125000.50"), None], type=pa.decimal128(12, 2)),
            "flag": pa.array([None, True]),
        }
    )
    pq.write_table(table, source)
    out = tmp_path / "out.parquet"
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "-q"]
    result = CliRunner().invoke(main, [*args, "--chunk-rows", "1"])
    assert result.exit_code == 0, result.output
    schema = pq.read_schema(out)
    assert str(schema.field("start").type) == "date32[day]"
    assert str(schema.field("budget").type) == "double" and str(schema.field("flag").type) == "bool"
    back = pd.read_parquet(out)
    assert back["budget"].iloc[0] == 125000.5 and back["flag"].iloc[1] == True  # noqa: E712


def test_json_lines_evidence_is_an_object_that_profile_reads(tiny_model_dir, tmp_path):
    """jq users had to run fromjson on every evidence cell of a JSON Lines output."""
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,solar panels on forty schools\n2,ocean fish coral reef\n")
    out = tmp_path / "out.jsonl"
    args = ["score", str(source), "-o", str(out), "-m", str(tiny_model_dir), "-q", "--explain"]
    assert CliRunner().invoke(main, args).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(isinstance(r["evidence"], dict) and r["evidence"] for r in rows)
    profiled = CliRunner().invoke(main, ["profile", str(out), "--json-out", "-", "-q"])
    assert profiled.exit_code == 0, profiled.output
    tops = [t for s in json.loads(profiled.stdout)["overall"]["sdgs"] for t in s["top_projects"]]
    assert any(t["evidence"] for t in tops)


def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(model, tmp_path):
    """Two runs writing one output shared its parts: the first exited 0 with 196 of its 420 rows
    from the other's input."""
    from sdg_align.scoring import claim_output, release_output

    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    write_table(PORTFOLIO, source)
    held = claim_output(out)  # a first run, still scoring
    with pytest.raises(DataError, match="another sdg-align run is writing .*out.csv"):
        score_file(source, out, model, text_cols=["title", "description"], progress=False)
    release_output(held)
    score_file(source, out, model, text_cols=["title", "description"], progress=False)
    assert out.is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_json_lines_keep_their_types_through_a_score(model, tmp_path):
    """A whole number beside a null came back as 2023.0 and a boolean as 'True'."""
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(
        '{"id": "a", "text": "solar wind battery grid", "year": 2023, "active": true}\n'
        '{"id": "b", "text": "ocean fish coral reef", "year": null, "active": null}\n'
    )
    score_file(source, out, model, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["year"], r["active"]) for r in rows] == [(2023, True), (None, None)]


def test_score_says_how_many_failed_rows_it_does_not_list(tiny_model_dir, tmp_path):
    """'15 rows could not be scored' listed ten of them and said nothing of the other five."""
    source = tmp_path / "in.csv"
    texts = ["Solar roofs for forty schools in Graz."] + [""] * 12
    pd.DataFrame({"id": [f"p{i}" for i in range(13)], "text": texts}).to_csv(source, index=False)
    args = ["score", str(source), "-o", str(tmp_path / "o.csv"), "-m", str(tiny_model_dir), "-q"]
    result = CliRunner().invoke(main, args)
    assert "12 rows could not be scored" in result.stderr
    assert "  ... and 2 more" in result.stderr


def test_an_output_named_json_is_one_json_array(model, tmp_path):
    """'-o scored.json' wrote JSON Lines, which json.load refused ('Extra data')."""
    source = tmp_path / "in.csv"
    write_table(PORTFOLIO, source)
    for name in ("out.json", "out.jsonl"):
        score_file(
            source, tmp_path / name, model, text_cols=["title", "description"], progress=False
        )
    records = json.loads((tmp_path / "out.json").read_text())
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert records == lines and len(records) == len(PORTFOLIO)
    write_table(pd.DataFrame({"a": [1, 2]}), tmp_path / "small.json")
    assert json.loads((tmp_path / "small.json").read_text()) == [{"a": 1}, {"a": 2}]
