"""The classify, train and evaluate commands through click's CliRunner, bad input included."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from sdg_align.cli import main

from .conftest import needs_shared


@pytest.fixture
def runner():
    return CliRunner()


def test_root_help_and_version(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("classify", "train", "evaluate", "score", "profile"):
        assert command in result.output
    assert runner.invoke(main, ["--version"]).output.startswith("sdg-align, version")


def test_classify_argument_table(runner, tiny_model_dir):
    result = runner.invoke(main, ["classify", "solar wind battery grid", "-m", str(tiny_model_dir)])
    assert result.exit_code == 0, result.output
    assert "SDG" in result.output


def test_classify_json_is_always_a_list_with_all_17_probabilities(runner, tiny_model_dir):
    result = runner.invoke(
        main, ["classify", "ocean fish coral", "-m", str(tiny_model_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)  # one text: still a list, one shape for every input
    assert set(record["probabilities"]) == {str(n) for n in range(1, 18)}
    assert set(record["thresholds"]) == {str(n) for n in range(1, 18)}
    assert record["sdgs"] == sorted(record["sdgs"], key=lambda n: -record["probabilities"][str(n)])
    assert all(
        record["probabilities"][str(n)] >= record["thresholds"][str(n)] for n in record["sdgs"]
    )
    assert record["index"] == 0 and "line" not in record and record["tags"] == "balanced"


def test_classify_from_file_and_stdin_lines_keep_line_numbers(runner, tiny_model_dir, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("solar wind battery\n\nocean fish coral\n")
    from_file = runner.invoke(
        main, ["classify", "-f", str(path), "-m", str(tiny_model_dir), "--json"]
    )
    assert from_file.exit_code == 0 and len(json.loads(from_file.stdout)) == 1
    lines = runner.invoke(
        main, ["classify", "--lines", "-m", str(tiny_model_dir), "--json"], input=path.read_text()
    )
    assert lines.exit_code == 0, lines.output
    records = json.loads(lines.stdout)
    assert [r["line"] for r in records] == [1, 3]  # the blank line 2 is skipped, not renumbered
    assert records[1]["text"] == "ocean fish coral"
    dash = runner.invoke(
        main, ["classify", "-", "-m", str(tiny_model_dir), "--json"], input="ocean"
    )
    assert dash.exit_code == 0, dash.output
    assert json.loads(dash.stdout)[0]["text"] == "ocean"  # '-' is stdin, not a text of one dash


def test_classify_leaves_out_placeholders_and_names_them(runner, tiny_model_dir):
    # 'TBD' was tagged (SDG 3 at 0.65 with the default model) while score refused it
    model = ["-m", str(tiny_model_dir)]
    alone = runner.invoke(main, ["classify", "TBD", *model])
    assert alone.exit_code == 1
    assert "holds a placeholder ('TBD'), not a description" in alone.output
    lines = runner.invoke(
        main,
        ["classify", "--lines", "--json", *model],
        input="solar wind battery\nNoch offen\nsiehe Anhang.\nocean fish coral\n",
    )
    assert lines.exit_code == 0, lines.output
    assert [r["line"] for r in json.loads(lines.stdout)] == [1, 4]
    assert "2 lines (2, 3) hold a placeholder such as 'Noch offen'" in lines.stderr


def test_classify_top_k_marks_tags_and_threshold(runner, tiny_model_dir):
    result = runner.invoke(
        main, ["classify", "solar", "-m", str(tiny_model_dir), "--top-k", "3", "--json"]
    )
    (record,) = json.loads(result.stdout)
    assert len(record["top_k"]) == 3
    assert all(entry["tagged"] == (entry["sdg"] in record["sdgs"]) for entry in record["top_k"])
    table = runner.invoke(main, ["classify", "solar", "-m", str(tiny_model_dir), "--top-k", "3"])
    marks = [line for line in table.output.splitlines() if line.strip().startswith("SDG")]
    shown = {int(m.split()[1]) for m in marks}
    assert shown == set(record["sdgs"]) | {entry["sdg"] for entry in record["top_k"]}
    assert all(m.endswith("tag") or ("below its threshold" in m) for m in marks)
    result = runner.invoke(
        main, ["classify", "solar", "-m", str(tiny_model_dir), "--threshold", "1", "--json"]
    )
    assert json.loads(result.stdout)[0]["sdgs"] == []
    none = runner.invoke(main, ["classify", "solar", "-m", str(tiny_model_dir), "--threshold", "1"])
    assert "no SDG reaches its threshold" in none.output and "threshold 1.00" in none.output


def test_classify_top_k_never_hides_a_tag(runner, tiny_model_dir):
    """--top-k is 'also show': with k smaller than the number of tags it hid tags."""
    marks = {}
    for threshold in ("0", "1"):
        table = runner.invoke(
            main,
            [
                "classify",
                "solar",
                "-m",
                str(tiny_model_dir),
                "--top-k",
                "2",
                "--threshold",
                threshold,
            ],
        )
        marks[threshold] = [line for line in table.output.splitlines() if line.startswith("  SDG")]
    assert len(marks["0"]) == 17 and all(line.endswith("tag") for line in marks["0"])
    assert len(marks["1"]) == 2 and all("below its threshold" in line for line in marks["1"])


def test_a_text_that_starts_with_a_dash_is_told_to_go_after_double_dash(runner, tiny_model_dir):
    result = runner.invoke(main, ["classify", "- Solar panels", "-m", str(tiny_model_dir)])
    assert result.exit_code == 2 and "goes after '--'" in result.output
    typo = runner.invoke(main, ["classify", "--tops", "3", "solar"])
    assert "--top-k" in typo.output and "goes after" not in typo.output
    dashed = runner.invoke(main, ["classify", "-m", str(tiny_model_dir), "--", "- Solar panels"])
    assert dashed.exit_code == 0, dashed.output


@pytest.mark.parametrize("command", ["classify", "score", "evaluate"])
def test_tags_beside_threshold_is_refused_not_ignored(runner, tiny_model_dir, command):
    """--threshold replaces the operating point, so a --tags given with it would be dropped."""
    first = {"classify": ["solar"], "score": ["x.csv", "-o", "y.csv"], "evaluate": ["x.csv"]}
    args = [command, *first[command], "--tags", "broad", "--threshold", "0.3"]
    if command == "evaluate":
        args.insert(1, str(tiny_model_dir))
    else:
        args += ["-m", str(tiny_model_dir)]
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert "--tags and --threshold" in result.output and "Traceback" not in result.output
    alone = runner.invoke(
        main, ["classify", "solar", "-m", str(tiny_model_dir), "--threshold", "1"]
    )
    assert alone.exit_code == 0, alone.output  # the default --tags does not count as given


def test_classify_explain_json(runner, tiny_model_dir):
    result = runner.invoke(
        main,
        [
            "classify",
            "Solar wind battery. Ocean fish coral.",
            "-m",
            str(tiny_model_dir),
            "--threshold",
            "0",
            "--explain",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert set(record["evidence"]) == {str(n) for n in record["sdgs"]}


def test_classify_explain_without_a_tag_still_shows_the_most_likely_goal(runner, tiny_model_dir):
    result = runner.invoke(
        main,
        [
            "classify",
            "Solar wind battery.",
            "-m",
            str(tiny_model_dir),
            "--threshold",
            "1",
            "--explain",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "no SDG reaches its threshold" in result.output and "target" in result.output


def test_one_text_length_policy_for_classify_and_score(runner, tiny_model_dir, tmp_path):
    from sdg_align.modeling.windows import MAX_TEXT_CHARS

    huge = "solar wind " * (MAX_TEXT_CHARS // 10 + 1)
    path = tmp_path / "huge.txt"
    path.write_text(huge)
    classified = runner.invoke(main, ["classify", "-f", str(path), "-m", str(tiny_model_dir)])
    assert classified.exit_code == 1 and "longer than the limit of 200,000" in classified.output
    table = tmp_path / "in.csv"
    table.write_text("text\n" + huge + "\nsolar\n")
    scored = runner.invoke(
        main,
        ["score", str(table), "-o", str(tmp_path / "out.csv"), "-m", str(tiny_model_dir), "-q"],
    )
    assert scored.exit_code == 0, scored.output
    assert "longer than the limit of 200,000" in (tmp_path / "out.csv").read_text()


def test_evaluate_quiet_still_says_rows_were_skipped(runner, tiny_model_dir, tmp_path):
    """With -q a row left out of the figures left no trace but a field in the JSON."""
    data = tmp_path / "labelled.csv"
    pd.DataFrame(
        {"text": ["Solar panels on school roofs", "Clean water for villages"], "sdgs": ["7", "18"]}
    ).to_csv(data, index=False)
    result = runner.invoke(main, ["evaluate", str(tiny_model_dir), str(data), "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[str(data)]["skipped_rows"] == 1
    assert "1 row(s) skipped (first: labelled.csv row 2: SDG 18 is out of range" in result.stderr


def test_evaluate_writes_the_texts_that_disagree_with_their_labels(
    runner, tiny_model_dir, tmp_path
):
    """A new-user trial had to rebuild, with classify --lines, which texts the figures were about."""
    data = tmp_path / "labelled.csv"
    texts = ["Solar panels on school roofs", "Clean water for villages", "Ocean fish coral reef"]
    pd.DataFrame(
        {"project_id": ["A", "B", "C"], "text": texts, "sdgs": ["7", "6", "1;2;3"]}
    ).to_csv(data, index=False)
    out = tmp_path / "to_read.csv"
    args = ["evaluate", str(tiny_model_dir), str(data), "--threshold", "0.5"]
    result = runner.invoke(main, [*args, "--disagreements", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(rows.columns) == [
        "set",
        "text_number",
        "id",
        "labels",
        "tags",
        "missed",
        "added",
        "text",
    ]
    tagged = runner.invoke(
        main,
        ["classify", "--lines", "--json", "-q", "-m", str(tiny_model_dir), "--threshold", "0.5"],
        input="\n".join(texts),
    )
    labels = [{7}, {6}, {1, 2, 3}]
    expected = [
        pid
        for pid, record, wanted in zip("ABC", json.loads(tagged.stdout), labels, strict=True)
        if set(record["sdgs"]) != wanted
    ]
    assert rows["id"].tolist() == expected
    for _, row in rows.iterrows():
        assert row["text"] == texts["ABC".index(row["id"])]
        assert "(" in row["missed"] + row["added"]  # each SDG with its probability
    assert f"{len(expected)} of 3 texts whose tags differ" in result.stderr
    same = runner.invoke(main, [*args, "--disagreements", str(data)])
    assert same.exit_code != 0 and "labelled.csv" in same.output  # never overwrites the input


def test_a_missing_model_named_by_the_environment_says_so(runner, monkeypatch):
    """'model directory not found: .../nosuch' did not say the path came from $SDG_ALIGN_MODEL."""
    monkeypatch.setenv("SDG_ALIGN_MODEL", "nosuch")
    result = runner.invoke(main, ["classify", "solar panels on school roofs"])
    assert result.exit_code == 2 and "$SDG_ALIGN_MODEL names a model directory" in result.output


def test_classify_refuses_an_encoding_for_a_text_argument(runner, tiny_model_dir):
    """--encoding was silently ignored when the text was an argument."""
    result = runner.invoke(
        main, ["classify", "Café", "--encoding", "cp1252", "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 2 and "--encoding is for --file or stdin" in result.output


def test_classify_reads_a_windows_or_utf16_file_as_score_does(runner, tiny_model_dir, tmp_path):
    """A cp1252 file was refused ('save it as UTF-8') where score read the same bytes."""
    latin1, utf16 = tmp_path / "l.txt", tmp_path / "u.txt"
    latin1.write_bytes("Café à Lyon, Kläranlage".encode("cp1252"))
    utf16.write_bytes("Café à Lyon, Kläranlage".encode("utf-16"))
    for path, note in ((latin1, True), (utf16, False)):
        args = ["classify", "-f", str(path), "-m", str(tiny_model_dir), "--json", "-q"]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)[0]["text"] == "Café à Lyon, Kläranlage"
        assert ("read as cp1252" in result.stderr) == note
    polish = tmp_path / "pl.txt"
    polish.write_bytes("Wspólna chłodnia dla żywności w Łodzi.".encode("cp1250"))
    args = ["classify", "-f", str(polish), "-m", str(tiny_model_dir), "--json", "-q"]
    result = runner.invoke(main, args)
    assert json.loads(result.stdout)[0]["text"] == "Wspólna chłodnia dla żywności w Łodzi."
    assert "read as cp1250 (Windows Central European)" in result.stderr


def test_classify_reads_a_file_of_mixed_encodings_line_by_line(runner, tiny_model_dir, tmp_path):
    # a UTF-8 line beside a Windows-1252 line: the whole file was read as cp1252 ('WÃ¤rme')
    path = tmp_path / "mixed.txt"
    path.write_bytes("Wärmepumpe für Schulen\n".encode() + "Café à Lyon\n".encode("cp1252"))
    args = ["classify", "-f", str(path), "--lines", "-m", str(tiny_model_dir), "--json", "-q"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert [r["text"] for r in json.loads(result.stdout)] == [
        "Wärmepumpe für Schulen",
        "Café à Lyon",
    ]
    assert "mixes encodings: 1 line(s) read as UTF-8, 1 as cp1252" in result.stderr
    for order in ("utf-16-le", "utf-16-be"):  # without its byte-order mark it was called binary
        bare = tmp_path / "u16.txt"
        bare.write_bytes("Solar pumps for farms".encode(order))
        args = ["classify", "-f", str(bare), "-m", str(tiny_model_dir), "--json", "-q"]
        read = runner.invoke(main, args)
        assert read.exit_code == 0, read.output
        assert json.loads(read.stdout)[0]["text"] == "Solar pumps for farms"


def test_a_probability_and_threshold_that_round_alike_show_three_decimals():
    from sdg_align.cli.classify import _apart

    assert _apart(0.1873, 0.1905) == ("0.187", "0.191")
    assert _apart(0.5, 0.52) == ("0.50", "0.52")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["classify", "   "], None, "empty"),
        (["classify"], "", "empty"),
        (["classify", "-f", "{binary}"], None, "binary"),
        (["classify", "-f", "{pdf}"], None, "is a PDF, Word, Excel or other packed file, not text"),
        (["classify", "-f", "{latin1}", "--encoding", "utf-8"], None, "not utf-8 text"),
        (["classify", "-f", "/nonexistent/file.txt"], None, "cannot read"),
        (["classify", "text", "-m", "/nonexistent/model"], None, "model directory not found"),
        (["classify", "text", "-m", "{not_a_model}"], None, "not an sdg-align model"),
        (["classify", "text", "-m", "{pdf}"], None, "is a file, not a model folder"),
    ],
)
def test_classify_bad_input_gives_one_line_error(
    runner, tiny_model_dir, tmp_path, args, stdin, message
):
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\x00\x01\x02PNG")
    pdf = tmp_path / "project.pdf"  # was 'looks like a binary file'
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    latin1 = tmp_path / "l.txt"
    latin1.write_bytes("Caf\xe9 \xe0 Lyon".encode("latin-1"))
    not_a_model = tmp_path / "empty-dir"
    not_a_model.mkdir()
    args = [a.format(binary=binary, pdf=pdf, latin1=latin1, not_a_model=not_a_model) for a in args]
    if "-m" not in args:
        args += ["-m", str(tiny_model_dir)]
    result = runner.invoke(main, args, input=stdin)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_train_and_evaluate_end_to_end(runner, tiny_encoder_dir, toy_data_file, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(
        main,
        [
            "train",
            "-d",
            str(toy_data_file),
            "-o",
            str(out),
            "--base-encoder",
            str(tiny_encoder_dir),
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--max-length",
            "32",
            "--trainable-layers",
            "1",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "held-out test split" in result.output and "macro" in result.output
    assert (out / "config.json").is_file() and (out / "README.md").is_file()
    evaluated = runner.invoke(main, ["evaluate", str(out), str(toy_data_file), "--json", "-q"])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.stdout)[str(toy_data_file)]
    assert len(metrics["per_sdg"]) == 17 and {"macro", "micro"} <= set(metrics)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-d", "/nonexistent.csv"], "neither a file nor a named source"),
        (["-d", "{toy}", "--validation-fraction", "0.95"], "too little"),
        (["-d", "{toy}", "--base-encoder", "no-such-encoder"], "unknown base encoder"),
        (["-d", "{toy}", "--sheet", "Projects"], "--sheet is for Excel data files"),
        (["-d", "{toy}", "--encoding", "cp1250"], "--encoding is for CSV/TSV data files"),
        (["-d", "{toy}", "--sep", ";;"], "--sep takes one character"),
    ],
)
def test_train_bad_input(runner, toy_data_file, tmp_path, extra, message):
    extra = [e.format(toy=toy_data_file) for e in extra]
    result = runner.invoke(main, ["train", "-o", str(tmp_path / "m"), "-q", *extra])
    assert result.exit_code in (1, 2)
    assert message in result.output and "Traceback" not in result.output


def _workbook_with_a_cover_sheet(toy_data_file, path):
    """A workbook that opens on a README sheet; the labelled rows are on the second sheet."""
    import pandas as pd

    rows = pd.read_json(toy_data_file, lines=True).head(30)
    rows["sdgs"] = rows["sdgs"].map(lambda sdgs: ";".join(map(str, sdgs)))
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"about": ["labelled projects, 2026"]}).to_excel(writer, sheet_name="README")
        rows[["text", "sdgs"]].to_excel(writer, sheet_name="Projects", index=False)
    return path


def test_evaluate_and_train_read_the_sheet_named(runner, tiny_model_dir, toy_data_file, tmp_path):
    from sdg_align.training import TrainingConfig, assemble_training_data

    book = _workbook_with_a_cover_sheet(toy_data_file, tmp_path / "labelled.xlsx")
    first = runner.invoke(main, ["evaluate", str(tiny_model_dir), str(book)])
    assert first.exit_code == 1 and "expected column(s) text, sdgs" in first.output
    assert "reading sheet 'README' of labelled.xlsx (the first of 2" in first.output
    for sheet in ("Projects", "2"):
        chosen = runner.invoke(
            main, ["evaluate", str(tiny_model_dir), str(book), "--sheet", sheet, "--json", "-q"]
        )
        assert chosen.exit_code == 0, chosen.output
        assert json.loads(chosen.stdout)[str(book)]["samples"] == 30
    wrong = runner.invoke(main, ["evaluate", str(tiny_model_dir), str(book), "--sheet", "Data"])
    assert (
        wrong.exit_code == 1 and "has no sheet 'Data'; its sheets: README, Projects" in wrong.output
    )
    config = TrainingConfig(sources=[str(book)], sheet="Projects")
    assert assemble_training_data(config, log=lambda _: None).source_counts()["labelled"] == 30


def test_evaluate_and_train_read_a_csv_in_the_encoding_named(
    runner, tiny_model_dir, toy_data_file, tmp_path
):
    # A Polish CSV saved by Excel as Windows-1250 reads without error as Windows-1252 (the
    # fallback), every "ł" turned into "³": --encoding names the right one.
    import pandas as pd

    from sdg_align.training import TrainingConfig, assemble_training_data

    rows = pd.read_json(toy_data_file, lines=True).head(20)
    rows["text"] = rows["text"] + " Współpraca z uczelnią w Łodzi."
    rows["sdgs"] = rows["sdgs"].map(lambda sdgs: ";".join(map(str, sdgs)))
    path = tmp_path / "polish.csv"
    rows[["text", "sdgs"]].to_csv(path, sep=";", index=False, encoding="cp1250")
    config = TrainingConfig(sources=[str(path)], encoding="cp1250")
    texts = assemble_training_data(config, log=lambda _: None).texts()
    assert len(texts) == 20 and all(t.endswith("uczelnią w Łodzi.") for t in texts)
    result = runner.invoke(
        main, ["evaluate", str(tiny_model_dir), str(path), "--encoding", "cp1250", "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[str(path)]["samples"] == 20
    named = runner.invoke(main, ["evaluate", str(tiny_model_dir), "corpus", "--sep", ";"])
    assert named.exit_code == 1 and "--sep is for CSV/TSV data files" in named.output


@needs_shared
def test_train_refuses_eval_only_data(runner, tmp_path):
    result = runner.invoke(main, ["train", "-d", "oro-gold", "-o", str(tmp_path / "m"), "-q"])
    assert result.exit_code == 1
    assert "evaluation-only" in result.output


@needs_shared
def test_evaluate_reads_eval_only_files(runner, tiny_model_dir):
    result = runner.invoke(main, ["evaluate", str(tiny_model_dir), "dpga-test", "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dpga-test"]["samples"] == 215


def test_evaluate_names_a_bad_file_once(runner, tiny_model_dir, tmp_path):
    path = tmp_path / "nosdgs.csv"
    path.write_text("text\nsolar panels\n")
    result = runner.invoke(main, ["evaluate", str(tiny_model_dir), str(path), "-q"])
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error: ")]
    assert line.count(str(path)) == 1, line  # it read 'error: FILE: FILE: expected ...'


def test_evaluate_names_a_second_model_given_as_data(runner, tiny_model_dir, toy_data_file):
    """'evaluate default models/ours filled.xlsx' said only 'cannot tell the format of
    models/ours'."""
    result = runner.invoke(
        main, ["evaluate", str(tiny_model_dir), str(tiny_model_dir), str(toy_data_file), "-q"]
    )
    assert result.exit_code == 1
    assert "is a model folder, not labelled data: a run takes one model" in result.output
    assert "Traceback" not in result.output


def test_score_refuses_an_output_it_cannot_write_before_scoring(runner, tiny_model_dir, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    source = tmp_path / "in.csv"
    source.write_text("text\nsolar panels on schools\n")
    args = ["score", str(source), "-o", str(blocker / "x.csv"), "-m", str(tiny_model_dir), "-q"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1 and "is a file, not a folder" in result.output
    assert "Traceback" not in result.output


def test_an_unexpected_error_is_one_line_and_its_traceback_is_there_on_request(
    runner, tiny_model_dir, monkeypatch
):
    """A bug gave the user a Python traceback; a developer still gets it with SDG_ALIGN_DEBUG."""
    import sdg_align.modeling

    def broken(*_args, **_kwargs):
        raise AttributeError("'str' object has no attribute 'open'")

    monkeypatch.setattr(sdg_align.modeling, "load_classifier", broken)
    monkeypatch.delenv("SDG_ALIGN_DEBUG", raising=False)
    result = runner.invoke(main, ["classify", "solar panels", "-m", str(tiny_model_dir)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "unexpected error (AttributeError: 'str' object has no attribute 'open')" in (
        result.output
    )
    monkeypatch.setenv("SDG_ALIGN_DEBUG", "1")
    result = runner.invoke(main, ["classify", "solar panels", "-m", str(tiny_model_dir)])
    assert isinstance(result.exception, AttributeError)


def test_a_model_whose_thresholds_rest_on_a_few_texts_is_named_wherever_it_is_used(
    runner, tiny_model_dir, tmp_path
):
    """A model trained anew on 70 texts chose its thresholds on 3 and tagged 103 of 126 projects
    with SDG 6 or 14, while score, profile and its card said nothing."""
    import shutil

    from sdg_align.model_card import render_model_card
    from sdg_align.modeling import read_model_config

    folder = tmp_path / "few"
    shutil.copytree(tiny_model_dir, folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["validation"]["samples"] = 3
    (folder / "metrics.json").write_text(json.dumps(metrics))
    result = runner.invoke(main, ["classify", "solar wind battery", "-m", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    assert "chose its thresholds on 3 validation texts: too few for tags you can trust" in (
        result.stderr
    )
    assert "**Warning**" in render_model_card(read_model_config(folder), metrics, {})
    fine = runner.invoke(main, ["classify", "solar wind battery", "-m", str(tiny_model_dir), "-q"])
    assert "too few for tags you can trust" not in fine.stderr


def test_train_refuses_an_init_model_that_is_no_model_before_reading_data(runner, tmp_path):
    not_a_model = tmp_path / "notes"
    not_a_model.mkdir()
    (not_a_model / "x.txt").write_text("hello")
    data = tmp_path / "d.csv"
    data.write_text("text,sdgs\nsolar roofs for schools,7\n")
    args = ["train", "-d", str(data), "--init-model", str(not_a_model), "-o", str(tmp_path / "o")]
    result = runner.invoke(main, args)
    assert result.exit_code == 1 and "is not an sdg-align model folder" in result.stderr
    assert "examples" not in result.stderr  # refused before the data were read


def test_evaluate_against_another_model_says_how_sure_the_texts_are(
    runner, tiny_model_dir, toy_data_file
):
    """0.702 against 0.684 on 56 texts was printed to three decimals with no word of doubt."""
    args = ["evaluate", str(tiny_model_dir), str(toy_data_file), "--against", str(tiny_model_dir)]
    result = runner.invoke(main, [*args, "-q"])
    assert result.exit_code == 0, result.output
    assert f"against {tiny_model_dir}: macro-F1" in result.stdout
    assert "+0.000 (95% interval +0.000 to +0.000" in result.stdout
    assert "scores higher in 50% of 1,000 paired resamples of these 160 texts" in result.stdout
    assert "a difference these texts cannot tell from chance" in result.stdout
    as_json = json.loads(runner.invoke(main, [*args, "-q", "--json"]).stdout)
    assert as_json[str(toy_data_file)]["against"]["paired"]["gain"] == 0.0


def test_sigterm_stops_a_command_as_ctrl_c_does():
    """`timeout` and systemd send SIGTERM: the run ended silently and left stdin's copy in /tmp."""
    import os
    import signal

    from sdg_align.cli._common import _terminate_as_interrupt

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), _terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before  # restored after the command
