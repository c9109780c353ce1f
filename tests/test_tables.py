"""Real European spreadsheets: separators and encodings detected, long cells refused, clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from sdg_align.cli import main
from sdg_align.errors import DataError
from sdg_align.tables import count_rows, iter_table_chunks, read_table, sniff, write_table

FRAME = pd.DataFrame(
    {
        "id": ["p1", "p2", "p3"],
        "title": ["Solaranlage für Schulen", "Kläranlage, Phase 2", "Café à Lyon"],
        "budget": ["80.000 €", "1,2 Mio.", "€ 45 000"],
    }
)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"])
def test_separator_and_encoding_are_detected(tmp_path, sep, encoding):
    """utf-16 with its byte order mark is what Excel's "Unicode Text" export writes; some tools
    leave the mark out (read as UTF-8, the columns were 'p r o j e c t _ i d')."""
    path = tmp_path / "export.csv"
    path.write_bytes(FRAME.to_csv(sep=sep, index=False).encode(encoding))
    dialect = sniff(path, "csv")
    assert dialect.sep == sep
    assert dialect.encoding == ("cp1252" if encoding == "cp1252" else encoding)
    pd.testing.assert_frame_equal(read_table(path), FRAME)
    assert count_rows(path) == 3


def test_given_separator_and_encoding_win(tmp_path):
    polish = pd.DataFrame({"id": ["p1"], "title": ["Oczyszczalnia ścieków w Łodzi"]})
    path = tmp_path / "export.csv"
    path.write_bytes(polish.to_csv(sep=";", index=False).encode("cp1250"))
    frame = read_table(path, sep=";", encoding="cp1250")
    assert frame["title"].tolist() == polish["title"].tolist()


def test_a_central_european_export_is_read_as_such(tmp_path, tiny_model_dir):
    """A Polish Excel export (cp1250) was read as cp1252 without a word: 'wspólną chłodnię' became
    'wspóln¹ ch³odniê' and was scored so. Western text keeps cp1252, Czech reads as cp1250."""
    texts = {
        "cp1250": ["Wspólna chłodnia dla żywności w Łodzi", "Příliš žluťoučký kůň úpěl"],
        "cp1252": ["Café à Lyon, 20°C, 5 €/m²", "¿Qué año? Größe «Ärger»"],
    }
    for encoding, titles in texts.items():
        frame = pd.DataFrame({"id": ["p1", "p2"], "title": titles})
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(frame.to_csv(sep=";", index=False).encode(encoding))
        dialect = sniff(path, "csv")
        assert dialect.encoding == encoding
        assert read_table(path)["title"].tolist() == titles
    scored = tmp_path / "scored.csv"
    args = ["score", str(tmp_path / "cp1250.csv"), "-o", str(scored), "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "as semicolon-separated, cp1250 (Windows Central European)" in result.stderr


def test_a_wrong_encoding_names_the_first_bad_byte_and_the_way_out(tmp_path):
    path = tmp_path / "export.csv"
    body = "id,title\n" + "p0,plain ascii line\n" * 5 + "p9,Caf\xe9\n"
    path.write_bytes(body.encode("latin-1"))
    with pytest.raises(DataError, match=r"byte 115\).*--encoding"):
        read_table(path, encoding="utf-8")


def test_excel_output_refuses_cells_it_would_cut(tmp_path):
    frame = pd.DataFrame({"text": ["short", "x" * 40_000]})
    with pytest.raises(DataError, match="longer than Excel's limit of 32,767"):
        write_table(frame, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_score_reads_a_semicolon_cp1252_export_and_says_how(tiny_model_dir, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(FRAME.to_csv(sep=";", index=False).encode("cp1252"))
    out = tmp_path / "scored.csv"
    args = ["score", str(path), "-o", str(out), "--text-col", "title", "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "semicolon-separated, cp1252" in result.stderr
    assert read_table(out)["title"].tolist() == FRAME["title"].tolist()
    # written back as it came (it came back comma-separated UTF-8, which that Excel misreads)
    assert "written as the input was: separator ';', encoding cp1252" in result.stderr
    scored = pd.read_csv(out, sep=";", encoding="cp1252", dtype=str)
    assert scored["title"].tolist() == FRAME["title"].tolist()
    assert scored["p_sdg7"].str.fullmatch(r"\d,\d+").all()  # a decimal comma, as ';' files use
    bad = CliRunner().invoke(main, [*args, "--sep", ";;"])
    assert bad.exit_code == 2 and "--sep takes one character" in bad.output
    bad = CliRunner().invoke(main, [*args, "--encoding", "klingon"])
    assert bad.exit_code == 2 and "unknown --encoding" in bad.output


def test_score_reads_utf16_without_its_mark_and_writes_it_with_one(tiny_model_dir, tmp_path):
    # read as UTF-8 the columns were 'p r o j e c t _ i d' and no text column was found
    path = tmp_path / "export.csv"
    path.write_bytes(FRAME.to_csv(index=False).encode("utf-16-le"))
    out = tmp_path / "scored.csv"
    args = ["score", str(path), "-o", str(out), "--text-col", "title", "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "comma-separated, utf-16-le" in result.stderr
    assert out.read_bytes().startswith(b"\xff\xfe")  # a spreadsheet needs the mark to read it
    assert read_table(out)["title"].tolist() == FRAME["title"].tolist()


def test_ctrl_c_says_what_was_kept_and_how_to_resume(tiny_model_dir, tmp_path, monkeypatch):
    import sdg_align.scoring as scoring

    path = tmp_path / "in.csv"
    pd.DataFrame({"text": ["solar wind"] * 30}).to_csv(path, index=False)
    real = scoring.score_frame
    calls = {"n": 0}

    def stop_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "score_frame", stop_on_third)
    args = ["score", str(path), "-o", str(tmp_path / "o.csv"), "-m", str(tiny_model_dir)]
    result = CliRunner().invoke(main, [*args, "--chunk-rows", "10", "-q"])
    assert result.exit_code == 130
    assert "interrupted: 20 scored rows are kept" in result.output and "--resume" in result.output
    monkeypatch.setattr(scoring, "score_frame", real)
    # --chunk-rows need not be repeated: the interrupted run's is kept (it was refused: '10, now 2000')
    resumed = CliRunner().invoke(main, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "scored 10 rows in" in resumed.stderr
    assert "and kept 20 rows from the interrupted run" in resumed.stderr
    # stopped before a chunk was saved: nothing is kept, and it does not promise a --resume
    calls["n"] = 2  # the next call stops it: inside the first chunk of 100
    monkeypatch.setattr(scoring, "score_frame", stop_on_third)
    early = CliRunner().invoke(main, [*args, "--chunk-rows", "100", "--restart"])
    assert early.exit_code == 130
    assert "interrupted before the first 100 rows were scored and saved: nothing is kept" in (
        early.output
    )
    # a run started with --restart is continued with --resume instead of it
    calls["n"] = 0
    later = CliRunner().invoke(main, [*args, "--chunk-rows", "10", "--restart"])
    assert "run the same command with --resume instead of --restart" in later.output


def workbook_with_a_cover_sheet(path):
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me first"]}).to_excel(writer, sheet_name="README", index=False)
        projects = pd.DataFrame(
            {"title": ["Wind", "Solar", "Water"], "description": ["a", "b", "c"]}
        )
        projects.to_excel(writer, sheet_name="Projects", index=False)
    return path


def test_an_excel_sheet_is_chosen_by_name_or_number(tmp_path):
    book = workbook_with_a_cover_sheet(tmp_path / "cluster.xlsx")
    assert list(read_table(book).columns) == ["note"]  # the first sheet, as before
    for sheet in ("Projects", "2"):
        assert read_table(book, sheet=sheet)["title"].tolist() == ["Wind", "Solar", "Water"]
        chunks = list(iter_table_chunks(book, chunk_rows=2, sheet=sheet))
        assert [len(c) for c in chunks] == [2, 1]
        assert count_rows(book, sheet=sheet) == 3
    assert count_rows(book) == 1
    with pytest.raises(DataError, match="has no sheet 'Nope'; its sheets: README, Projects"):
        read_table(book, sheet="Nope")
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("text\nx\n")
    with pytest.raises(DataError, match="--sheet is for Excel inputs"):
        read_table(csv_file, sheet="1")


def test_cli_names_the_sheet_it_reads_and_takes_sheet(tmp_path, tiny_model_dir):
    book = workbook_with_a_cover_sheet(tmp_path / "cluster.xlsx")
    runner = CliRunner()
    base = ["score", str(book), "-m", str(tiny_model_dir), "-o"]
    first = runner.invoke(main, [*base, str(tmp_path / "a.csv"), "-q"])  # -q hid it
    assert first.exit_code == 1
    assert (
        "reading sheet 'README' of cluster.xlsx (the first of 2: README, Projects)" in first.stderr
    )
    chosen = runner.invoke(main, [*base, str(tmp_path / "b.csv"), "--sheet", "Projects"])
    assert chosen.exit_code == 0, chosen.output
    assert len(read_table(tmp_path / "b.csv")) == 3 and "reading sheet" not in chosen.stderr
    wrong_sheet = runner.invoke(
        main, ["profile", str(book), "--json", "--sheet", "Nope", "-m", str(tiny_model_dir)]
    )
    assert wrong_sheet.exit_code == 1 and "has no sheet 'Nope'" in wrong_sheet.stderr
    not_excel = runner.invoke(
        main, ["review", str(tmp_path / "b.csv"), "-o", str(tmp_path / "r.xlsx"), "--sheet", "1"]
    )
    assert not_excel.exit_code == 1 and "--sheet is for Excel inputs" in not_excel.stderr


PROJECTS = pd.DataFrame({"id": ["a", "b", "c"], "text": ["solar wind", "ocean fish", "school"]})


def test_a_json_array_of_records_reads_like_json_lines(tmp_path):
    # most tools export ".json" as one array; it was read as one row of columns 0, 1, 2
    path = tmp_path / "projects.json"
    path.write_text(PROJECTS.to_json(orient="records", indent=1), encoding="utf-8")
    pd.testing.assert_frame_equal(read_table(path), PROJECTS)
    chunks = list(iter_table_chunks(path, chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 1] and count_rows(path) == 3
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataError, match="a JSON array, but not of objects"):
        read_table(path)


def test_excel_files_named_xls_and_old_workbooks(tmp_path):
    renamed = tmp_path / "renamed.xls"  # an .xlsx workbook saved under the old name
    write_table(PROJECTS, tmp_path / "book.xlsx")
    renamed.write_bytes((tmp_path / "book.xlsx").read_bytes())
    pd.testing.assert_frame_equal(read_table(renamed), PROJECTS)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(508))
    with pytest.raises(DataError, match=r"Excel 97-2003 workbook \(.xls\).*save it as .xlsx"):
        read_table(old)
    with pytest.raises(DataError, match="LibreOffice, Numbers or binary Excel workbook"):
        read_table(tmp_path / "book.ods")
    with pytest.raises(DataError, match="a document, not a table: save its text as a .txt"):
        read_table(tmp_path / "proposal.pdf")


def test_a_sheet_header_below_a_title_row_is_found(tmp_path, tiny_model_dir):
    """A sheet that opens on a title ('Portfolio 2025') and a blank row was refused; a user had
    to edit the workbook. A CSV with a title line still gets the hint."""
    path = tmp_path / "titled.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Portfolio 2025"]]).to_excel(writer, header=False, index=False)
        PROJECTS.to_excel(writer, startrow=2, index=False)
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(
        main, ["score", str(path), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "reading the column names of titled.xlsx from row 3: the 2 row(s) above" in (
        result.stderr
    )
    assert pd.read_csv(out, dtype=str)["id"].tolist() == PROJECTS["id"].tolist()
    assert count_rows(path) == len(PROJECTS)
    plain = tmp_path / "plain.xlsx"
    PROJECTS.to_excel(plain, index=False)  # a header in the first row is read as it is
    assert read_table(plain)["id"].tolist() == PROJECTS["id"].tolist()
    titled_csv = tmp_path / "titled.csv"
    titled_csv.write_text("Portfolio 2025,,\n,,\n" + PROJECTS.to_csv(index=False))
    result = CliRunner().invoke(
        main, ["score", str(titled_csv), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 1 and "is the header row below a title or notes?" in result.output


def test_a_csv_output_the_input_encoding_lacks_a_character_for_falls_back_to_utf8(tmp_path):
    from sdg_align.scoring import _assemble
    from sdg_align.tables import Dialect

    parts = tmp_path / "parts"
    parts.mkdir()
    pd.DataFrame({"text": ["Łódź: współpraca", "solar"]}).to_parquet(parts / "chunk-000000.parquet")
    written = _assemble(parts, tmp_path / "out.csv", "csv", [], Dialect(";", "cp1252"))
    assert written == Dialect(";", "utf-8-sig")
    assert read_table(tmp_path / "out.csv")["text"].tolist() == ["Łódź: współpraca", "solar"]


def test_an_id_column_is_found_whatever_its_case_or_spacing():
    """A cluster's 'Project ID' was not an id column: projects were named by row number."""
    from sdg_align.tables import guess_id_column

    assert guess_id_column(["Project ID", "text"]) == "Project ID"
    assert guess_id_column(["title", "ID"]) == "ID"
    assert guess_id_column(["id", "project-id"]) == "project-id"  # project_id first, as before
    assert guess_id_column(["identity", "text"]) is None
    # cluster sheets in other languages (duplicates went unnoticed without an id column)
    for name in ("Projekt-ID", "N° projet", "Nr projektu", "Projektnummer", "Project No."):
        assert guess_id_column(["Titel", name]) == name


def test_headers_are_found_whatever_their_case_or_stray_spaces(tmp_path):
    """A new user's 'Title', 'Description ' and 'SDGs' columns were refused as missing."""
    from sdg_align.data import load_generic
    from sdg_align.tables import default_text_columns, find_column

    assert default_text_columns(["ID", "Title", "Description "]) == ["Title", "Description "]
    assert default_text_columns(["Text", "title"]) == ["Text"]
    assert find_column(["sdgs", "SDGs"], "sdgs") == "sdgs"  # an exact name wins
    assert find_column(["SDG s", "SDGs"], "sdgs") is None  # two alike: neither is guessed
    for header in ("SDGs", "sdgs ", "SDG"):
        path = tmp_path / "labelled.csv"
        pd.DataFrame({"Text": ["Solar pilot", "Water reuse"], header: ["7", "6"]}).to_csv(
            path, index=False
        )
        assert [e.sdgs for e in load_generic(path).examples] == [(7,), (6,)], header


def test_an_empty_file_says_so(tmp_path):
    """An empty CSV gave pandas' 'No columns to parse from file'."""
    from sdg_align.errors import DataError
    from sdg_align.tables import read_table

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty.csv is empty"):
        read_table(empty)


def test_a_date_cell_of_a_sheet_reads_as_a_date_not_midnight(tmp_path):
    """A sheet's start dates came back as '2024-04-01 00:00:00' in every output."""
    import datetime

    path = tmp_path / "dates.xlsx"
    starts = [datetime.datetime(2024, 4, 1), datetime.datetime(2024, 5, 2, 13, 30)]
    pd.DataFrame({"id": ["a", "b"], "start": starts}).to_excel(path, index=False)
    assert read_table(path)["start"].tolist() == ["2024-04-01", "2024-05-02 13:30:00"]
    assert next(iter_table_chunks(path))["start"].tolist()[0] == "2024-04-01"


def test_an_output_that_cannot_be_written_is_named_as_given(tmp_path):
    """The error named '.forbidden.html.l75hztlh.partial', a temporary file the user never saw."""
    from sdg_align.tables import write_text

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "report.html"
    with pytest.raises(DataError, match=f"cannot write {target}") as caught:
        write_text("<html>", target)
    assert ".partial" not in str(caught.value)


def test_an_api_envelope_around_the_records_is_read_as_its_records(tmp_path):
    """{"count": 2, "results": [...]}, as a CRM's API returns it, was read as a single row."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"count": 3, "next": None, "results": PROJECTS.to_dict("records")}))
    pd.testing.assert_frame_equal(read_table(path), PROJECTS)
    assert count_rows(path) == 3
