"""`sdg-align profile` through click's CliRunner: outputs, raw input, and bad input."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sdg_align.cli import main
from sdg_align.errors import ModelError
from sdg_align.profile import json_schema

KEYWORDS = {"solar": 7, "water": 6, "school": 4, "partner": 17}


def scored_rows() -> pd.DataFrame:
    """Six scored projects in two clusters over two years, with budgets and partners."""
    rows = []
    for i, (cluster, sdgs) in enumerate(
        [("A", [7]), ("A", [7, 13]), ("A", []), ("B", [6]), ("B", [6, 4]), ("B", [17])]
    ):
        row = {
            "project_id": f"P{i + 1}",
            "cluster": cluster,
            "year": str(2021 + i % 2),
            "title": f"Project {i + 1}",
            "budget_eur": str(1000 * (i + 1)),
            "partners": "Acme (DE, sme); City (FR, public)" if i % 2 else "Acme (DE, sme)",
            "sdgs": ";".join(map(str, sdgs)),
            "primary_sdg": str(sdgs[0]) if sdgs else "",
            "error": "",
        }
        row.update({f"p_sdg{k}": "0.9" if k in sdgs else "0.05" for k in range(1, 18)})
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture
def scored_csv(tmp_path) -> Path:
    path = tmp_path / "scored.csv"
    scored_rows().to_csv(path, index=False)
    return path


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["profile", *args], input=stdin, catch_exceptions=False)


def test_an_output_file_of_dash_goes_to_stdout(scored_csv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    as_file = run(str(scored_csv), "--csv", "tidy.csv", "--html", "r.html", "--quiet")
    assert as_file.exit_code == 0, as_file.output
    tidy = run(str(scored_csv), "--csv", "-", "--html", "r2.html", "--quiet")
    assert tidy.exit_code == 0 and tidy.stdout == (tmp_path / "tidy.csv").read_text()
    html = run(str(scored_csv), "--html", "-", "--quiet")
    assert html.stdout.startswith("<!doctype html>") and html.stdout.rstrip().endswith("</html>")
    document = json.loads(run(str(scored_csv), "--json-out", "-", "--quiet").stdout)
    assert document["overall"]["projects"] > 0
    assert not (tmp_path / "-").exists()  # no file named '-'
    both = run(str(scored_csv), "--markdown", "-", "--json")
    assert both.exit_code == 2
    assert "only one output can go to stdout; --markdown and --json ask for it" in both.stderr


def test_json_goes_to_stdout_alone_and_matches_the_schema(scored_csv):
    jsonschema = pytest.importorskip("jsonschema")
    result = run(str(scored_csv), "--by", "cluster", "--weight-col", "budget_eur",
                 "--time-col", "year", "--partners-col", "partners", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, json_schema())
    assert [g["name"] for g in document["groups"]] == ["A", "B"]
    assert document["overall"]["sdgs"][6]["projects"] == 2


def test_every_output_file(scored_csv, tmp_path):
    out = tmp_path / "out"
    result = run(
        str(scored_csv), "--by", "cluster", "--json-out", str(out / "p.json"),
        "--csv", str(out / "p.csv"), "--markdown", str(out / "p.md"),
        "--html", str(out / "p.html"), "--png-dir", str(out / "png"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # data went to files; stderr says where
    assert "wrote" in result.stderr and str(out / "p.html") in result.stderr
    assert json.loads((out / "p.json").read_text())["settings"]["by"] == "cluster"
    tidy = pd.read_csv(out / "p.csv")
    assert len(tidy) == 17 * 3 and list(tidy["sdg"][:17]) == list(range(1, 18))
    assert (out / "p.md").read_text().startswith("# SDG acceleration profile")
    html = (out / "p.html").read_text()
    assert "<svg" in html and 'href="#def-share"' in html and 'id="def-share"' in html
    assert "profile.md" not in html  # the definitions travel inside the report
    assert sorted(p.name for p in (out / "png").iterdir())[0] == "heatmap.png"


def test_markdown_to_stdout_by_default_and_quiet(scored_csv, tmp_path, rated_model_dir):
    result = run(str(scored_csv))
    assert result.exit_code == 0
    assert (
        result.stdout.startswith("# SDG acceleration profile")
        and "## All projects" in result.stdout
    )
    quiet = run(
        str(scored_csv), "-q", "--json-out", str(tmp_path / "p.json"), "-m", str(rated_model_dir)
    )
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_a_model_without_error_rates_profiles_as_before_with_one_warning(
    scored_csv, tiny_model_dir, rated_model_dir, tmp_path
):
    import shutil

    unrated = tmp_path / "unrated-model"
    shutil.copytree(tiny_model_dir, unrated)
    (unrated / "error_rates.json").unlink(missing_ok=True)  # a model from an older sdg-align
    plain = run(str(scored_csv), "--json", "-m", str(unrated))
    assert plain.exit_code == 0, plain.output
    assert plain.stderr.count("warning:") == 1 and "has no error_rates.json" in plain.stderr
    document = json.loads(plain.stdout)
    assert document["settings"]["prevalence"] is None
    assert all(s["prevalence"] is None for s in document["overall"]["sdgs"])
    rated = run(str(scored_csv), "--json", "-m", str(rated_model_dir))
    assert rated.exit_code == 0 and rated.stderr == ""
    corrected = json.loads(rated.stdout)
    assert corrected["settings"]["prevalence"]["method"] == "pacc"
    seven = corrected["overall"]["sdgs"][6]
    assert seven["share"] == pytest.approx(2 / 6)
    # probabilistic adjusted count: (mean p - 0.05) / (0.7 - 0.05), mean p = (0.9 * 2 + 0.05 * 4) / 6
    assert seven["prevalence"] == pytest.approx((2 / 6 - 0.05) / 0.65, abs=1e-3)
    assert seven["prevalence_ci_low"] <= seven["prevalence"] <= seven["prevalence_ci_high"]
    for key in ("share", "prevalence"):  # the corrected figures also go to every other output
        assert key in plain.stdout and key in rated.stdout


def test_stdin_input(scored_csv):
    result = run("-", "--json", stdin=scored_csv.read_text())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["input"]["rows"] == 6


def test_compare_with_a_previous_profile(scored_csv, tmp_path):
    old = tmp_path / "old.json"
    assert run(str(scored_csv), "--by", "cluster", "--json-out", str(old)).exit_code == 0
    frame = scored_rows()
    frame.loc[2, ["sdgs", "primary_sdg", "p_sdg7"]] = ["7", "7", "0.9"]
    frame.to_csv(tmp_path / "new.csv", index=False)
    result = run(str(tmp_path / "new.csv"), "--by", "cluster", "--compare", str(old), "--json")
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)["comparison"]
    change = comparison["overall"]["sdgs"][6]
    assert (change["projects_old"], change["projects_new"]) == (2, 3)
    assert change["share_change"] == pytest.approx(1 / 6, abs=1e-6)
    tidy = tmp_path / "t.csv"
    assert run(str(tmp_path / "new.csv"), "--compare", str(old), "--csv", str(tidy)).exit_code == 0
    assert "share_change" in pd.read_csv(tidy).columns


def test_compare_file_that_is_not_a_profile(scored_csv, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = run(str(scored_csv), "--compare", str(bad))
    assert result.exit_code == 1 and "bad.json is not JSON" in result.stderr
    bad.write_text('{"rows": 1}')
    result = run(str(scored_csv), "--compare", str(bad))
    assert result.exit_code == 1 and "not a profile" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"sdgs": [7], "primary_sdg": 7}, {"sdgs": [], "primary_sdg": null}]',
         "lines.json holds a JSON list (like the output of `sdg-align classify --json --lines`), "
         "not a profile; pass a file written by `sdg-align profile --json-out`"),
        ('{"sdgs": [7]}\n{"sdgs": []}\n',
         "lines.json holds several JSON documents, one per line"),
    ],
)  # fmt: skip
def test_compare_with_classify_output_is_one_clear_line(scored_csv, tmp_path, text, expected):
    lines = tmp_path / "lines.json"
    lines.write_text(text)
    result = run(str(scored_csv), "--compare", str(lines))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: ") and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_compare_says_which_settings_differ_in_words(scored_csv, tmp_path):
    old = tmp_path / "old.json"
    assert run(str(scored_csv), "--json-out", str(old)).exit_code == 0
    result = run(str(scored_csv), "--by", "cluster", "--compare", str(old), "--json")
    assert result.exit_code == 0
    assert (
        "--by was not set in the previous profile and is 'cluster' now; compare with care"
        in result.stderr
    )
    assert "None" not in result.stderr


@pytest.mark.parametrize(
    ("change", "args", "expected"),
    [
        (lambda f: f[["project_id", "cluster"]], [],
         "expected a text column 'text', or 'title' and 'description' (or 'titre', 'Titel', "
         "'descripción', 'Beschreibung', ...); the input has: project_id, cluster. Use --text-col to choose one, or give the output of "
         "`sdg-align score`"),
        (lambda f: f, ["--by", "sector"],
         "--by column 'sector' not found; the input has: project_id, cluster, year"),
        (lambda f: f, ["--by", "Clustre"],  # a typo: the close name is offered
         "--by column 'Clustre' not found (did you mean 'cluster'?); the input has: project_id"),
        (lambda f: f.assign(budget_eur=["lots", "", "tbd", "-", "", "?"]),
         ["--weight-col", "budget_eur"],
         "--weight-col column 'budget_eur' holds no number we can read; found 'lots' in row 1 "
         "(P1), '' in row 2 (P2)"),
        (lambda f: f.assign(year=["", "soon", "", "next year", "", ""]),
         ["--time-col", "year"],
         "--time-col column 'year' holds no year (2021) or date (2021-03-15) we can read; "
         "found '' in row 1 (P1), 'soon' in row 2 (P2)"),
        (lambda f: f.drop(columns=["p_sdg3"]), [], "lacks the scored column(s) p_sdg3"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line_and_exit_1(tmp_path, change, args, expected):
    path = tmp_path / "in.csv"
    change(scored_rows()).to_csv(path, index=False)
    result = run(str(path), *args)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output


def test_currency_budgets_and_blank_cells_are_read_or_counted(tmp_path, rated_model_dir):
    frame = scored_rows().assign(
        budget_eur=["80.000 €", "1,2 Mio.", "€ 45 000", "", "1.234,56", "n/a"]
    )
    path = tmp_path / "budgets.csv"
    frame.to_csv(path, index=False)
    result = run(str(path), "--weight-col", "budget_eur", "--json", "-m", str(rated_model_dir))
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["overall"]
    assert overall["total_weight"] == pytest.approx(80_000 + 1_200_000 + 45_000 + 1234.56)
    assert overall["weight_missing"] == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "warning: --weight-col 'budget_eur': 1 of 6 scored rows have no value ('' in row 4 (P4)); "
        "they count in every figure except the weighted ones",
        "warning: --weight-col 'budget_eur': 1 of 6 scored rows are not an amount we can read "
        "(a number of at least 0, with a currency and a scale such as 'Mio' or 'k' if any) "
        "('n/a' in row 6 (P6)); they count in every figure except the weighted ones",
    ]


def test_missing_input_file_and_bad_flags(tmp_path):
    result = run(str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "input file not found" in result.stderr
    result = run(str(tmp_path / "nope.csv"), "--bootstrap", "-1")
    assert result.exit_code == 2


@pytest.fixture
def fake_model(monkeypatch, tmp_path_factory):
    """Stand-ins for the classifier and score_frame: keywords decide the SDGs."""
    calls: dict[str, object] = {}

    class FakeClassifier:
        def __init__(self) -> None:
            self.extras = {} if calls.get("no_evidence") else {"target_codes": []}

    def load_classifier(path, backend="onnx"):
        calls["model"], calls["backend"] = path, backend
        return FakeClassifier()

    def score_rows(frame, classifier, *, on_progress=None, **options):
        scored = score_frame(frame, classifier, **options)
        if on_progress is not None:
            on_progress(len(frame))
        return scored

    def score_frame(frame, classifier, *, text_cols, explain=False, **_):
        calls.setdefault("text_cols", list(text_cols))
        calls.setdefault("explain", []).append(explain)
        if explain and calls.get("no_evidence"):
            raise ModelError("this model has no evidence index")
        out = frame.copy()
        texts = frame[list(text_cols)].astype(str).agg(" ".join, axis=1).str.lower()
        tags = [[k for word, k in KEYWORDS.items() if word in text] for text in texts]
        out["sdgs"] = [";".join(map(str, t)) for t in tags]
        out["primary_sdg"] = [t[0] if t else None for t in tags]
        for k in range(1, 18):
            out[f"p_sdg{k}"] = [0.8 if k in t else 0.1 for t in tags]
        out["error"] = ["" if text.strip() else "empty text" for text in texts]
        if explain:
            out["evidence"] = ""
        return out

    models = tmp_path_factory.mktemp("fake-models")  # a bundled model without error rates
    monkeypatch.setitem(sys.modules, "sdg_align.modeling",
                        types.SimpleNamespace(load_classifier=load_classifier,
                                              resolve_model_path=lambda path: Path(path or models)))  # fmt: skip
    monkeypatch.setitem(sys.modules, "sdg_align.scoring",
                        types.SimpleNamespace(score_rows=score_rows,
                                              short_texts_warning=lambda *_: None))  # fmt: skip
    return calls


def test_raw_input_is_scored_first(tmp_path, fake_model):
    raw = pd.DataFrame({
        "title": ["Solar school", "Water", ""],
        "description": ["rooftop solar for a school", "clean water", ""],
        "cluster": ["A", "B", "B"],
    })  # fmt: skip
    raw.to_csv(tmp_path / "raw.csv", index=False)
    result = run(str(tmp_path / "raw.csv"), "--by", "cluster", "--json", "-m", "my-model")
    assert result.exit_code == 0, result.output
    assert fake_model["model"] == "my-model" and fake_model["text_cols"] == ["title", "description"]
    assert fake_model["explain"] == [True]
    document = json.loads(result.stdout)
    assert document["input"]["excluded"] == 1  # the empty text
    assert document["overall"]["sdgs"][6]["projects"] == 1


def test_raw_input_with_chosen_text_column_and_no_evidence(tmp_path, fake_model):
    fake_model["no_evidence"] = True
    pd.DataFrame({"summary": ["solar", "water"]}).to_csv(tmp_path / "raw.csv", index=False)
    result = run(str(tmp_path / "raw.csv"), "--text-col", "summary", "--json")
    assert result.exit_code == 0, result.output
    assert "warning: no evidence in the report" in result.stderr
    assert json.loads(result.stdout)["overall"]["projects"] == 2
    result = run(str(tmp_path / "raw.csv"), "--text-col", "abstract")
    assert result.exit_code == 1
    assert "text column(s) not found: abstract; the input has: summary" in result.stderr


def test_raw_input_with_a_text_column_is_scored_from_it(tmp_path, fake_model):
    raw = pd.DataFrame({"text": ["rooftop solar", "clean water"], "title": ["Solar", "Water"]})
    raw.to_csv(tmp_path / "raw.csv", index=False)
    result = run(str(tmp_path / "raw.csv"), "--json")
    assert result.exit_code == 0, result.output
    assert fake_model["text_cols"] == ["text"]  # the same default as `sdg-align score`


def test_text_col_on_scored_input_is_ignored_with_a_warning(scored_csv):
    result = run(str(scored_csv), "--text-col", "title", "--json")
    assert result.exit_code == 0
    assert "--text-col is ignored" in result.stderr
    json.loads(result.stdout)


def test_a_scored_file_saved_by_a_european_spreadsheet_gives_the_same_profile(scored_csv, tmp_path):
    """Excel in German or French saves semicolons and decimal commas: 0,83 is 0.83."""
    frame = pd.read_csv(scored_csv, dtype=str, keep_default_na=False)
    probability = [c for c in frame.columns if c.startswith("p_sdg")]
    frame[probability] = frame[probability].apply(lambda c: c.str.replace(".", ",", regex=False))
    european = tmp_path / "scored_de.csv"
    frame.to_csv(european, sep=";", index=False)
    plain = run(str(scored_csv), "--csv", "-", "--quiet")
    comma = run(str(european), "--csv", "-", "--quiet")
    assert comma.exit_code == 0, comma.output
    assert comma.stdout == plain.stdout


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (["--csv", "{input}"], "--csv names the input file itself"),
        (["--html", "{input}"], "--html names the input file itself"),
        (["--json-out", "{old}"], "--json-out names the --compare file itself"),
        (["--csv", "{out}", "--markdown", "{out}"], "--csv and --markdown name the same file"),
    ],
)
def test_outputs_never_overwrite_an_input(scored_csv, tmp_path, outputs, message):
    """profile --csv scored.csv replaced the projects with the profile's table, exit 0."""
    old = tmp_path / "old.json"
    assert run(str(scored_csv), "--json-out", str(old), "-q").exit_code == 0
    before = scored_csv.read_bytes(), old.read_bytes()
    paths = {"input": str(scored_csv), "old": str(old), "out": str(tmp_path / "p.csv")}
    args = [a.format(**paths) for a in outputs]
    result = run(str(scored_csv), *args, "--compare", str(old), "-q")
    assert result.exit_code == 1 and message in result.stderr
    assert (scored_csv.read_bytes(), old.read_bytes()) == before
    assert not (tmp_path / "p.csv").exists()


def test_the_command_draws_as_many_as_the_python_api():
    """The CLI writes the default out (importing the profile package would slow every command)."""
    from sdg_align.cli.profile import profile
    from sdg_align.profile.figures import DEFAULT_DRAWS

    (option,) = [p for p in profile.params if p.name == "bootstrap"]
    assert option.default == DEFAULT_DRAWS == 4000


def test_another_operating_point_retags_and_says_how_many_tags_changed(scored_csv, rated_model_dir):
    from sdg_align.modeling import read_model_config

    broad = read_model_config(str(rated_model_dir)).thresholds_for("broad")
    frame = scored_rows()
    probs = frame[[f"p_sdg{k}" for k in range(1, 18)]].astype(float).to_numpy()
    expected = sum(
        {str(k + 1) for k in range(17) if p[k] >= broad[k]} != set(filter(None, s.split(";")))
        for p, s in zip(probs, frame["sdgs"], strict=True)
    )
    args = [str(scored_csv), "--model", str(rated_model_dir), "--tags", "broad", "--json-out", "-"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    note = f"tagged again from its probabilities at the 'broad' thresholds; {expected} of 6"
    assert note in result.stderr
    assert note not in run(*args, "-q").stderr
    # a row that could not be scored has no tags to change: it is not counted (said 'of 7')
    failed = pd.concat([frame, frame.iloc[:1].assign(error="empty text")], ignore_index=True)
    failed.to_csv(scored_csv, index=False)
    assert f"{expected} of 6 projects' tags changed" in run(*args).stderr


def test_sdgs_no_project_reaches_at_precise_are_named(scored_csv, rated_model_dir):
    from sdg_align.modeling import read_model_config

    precise = read_model_config(str(rated_model_dir)).thresholds_for("precise")
    frame = scored_rows()
    probs = frame[[f"p_sdg{k}" for k in range(1, 18)]].astype(float).to_numpy()
    tagged = {int(s) for cell in frame["sdgs"] for s in str(cell).split(";") if s}
    lost = sorted(k for k in tagged if not (probs[:, k - 1] >= precise[k - 1]).any())
    args = [
        str(scored_csv),
        "--model",
        str(rated_model_dir),
        "--tags",
        "precise",
        "--json-out",
        "-",
    ]
    result = run(*args, "-q")
    assert result.exit_code == 0, result.output
    if lost:
        assert f"no project reaches the 'precise' threshold of SDG {lost[0]}" in result.stderr
    else:
        assert "no project reaches" not in result.stderr
    frame["p_sdg7"] = 0.01  # SDG 7 tagged in the file, but no project reaches any threshold now
    frame.loc[0, "sdgs"] = "7"
    frame.to_csv(scored_csv, index=False)
    assert "threshold of SDG 7" in run(*args, "-q").stderr


def test_a_scored_file_with_decimal_commas_is_retagged_and_corrected(tmp_path, rated_model_dir):
    """A German spreadsheet saves p_sdg cells as '0,50': --tags broad then tagged nothing (every
    share 0%) and --corrections turned every unreviewed project's probabilities into NaN."""
    from sdg_align.corrections import Corrections, apply_corrections

    frame = scored_rows()
    dotted, commas = tmp_path / "dotted.csv", tmp_path / "commas.csv"
    frame.to_csv(dotted, index=False)
    probability = [f"p_sdg{k}" for k in range(1, 18)]
    german = frame.assign(**{c: frame[c].str.replace(".", ",") for c in probability})
    german.to_csv(commas, index=False, sep=";")
    outputs = []
    for path in (dotted, commas):
        args = [str(path), "--model", str(rated_model_dir), "--tags", "broad", "--json-out", "-"]
        result = run(*args, "-q")
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout)["overall"]["sdgs"])
    assert [s["projects"] for s in outputs[1]] == [s["projects"] for s in outputs[0]]
    assert sum(s["projects"] for s in outputs[0]) > 0

    sheet = tmp_path / "sheet.csv"
    pd.DataFrame(
        {"project_id": [frame["project_id"][0]], "text": [""], "SDG 7": ["1"], "reviewed": ["yes"]}
        | {f"SDG {k}": [""] for k in range(1, 18) if k != 7}
    ).to_csv(sheet, index=False)
    read = pd.read_csv(commas, sep=";", dtype=str, keep_default_na=False)
    corrected, _ = apply_corrections(read, Corrections.read(sheet))
    assert corrected["p_sdg1"].notna().all()


@pytest.mark.parametrize(
    "outputs",
    [
        ["--png-dir", "{blocker}/slides"],
        ["--json-out", "{tmp}/good.json", "--html", "{blocker}/r.html"],
        ["--csv", "{blocker}/sub/p.csv"],
        ["--json-out", "{tmp}/good.json", "--markdown", "{blocker}/deeper/p.md"],
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_is(scored_csv, tmp_path, outputs):
    """A file where a folder belongs gave a traceback, after the outputs before it were written."""
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    args = [a.format(blocker=blocker, tmp=tmp_path) for a in outputs]
    result = run(str(scored_csv), *args, "-q")
    assert result.exit_code == 1, result.output
    assert "cannot be written" in result.output and "is a file, not a folder" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "good.json").exists() and blocker.read_text() == "mine"


def test_charts_of_an_earlier_profile_in_the_png_folder_are_named(scored_csv, tmp_path):
    """Reusing --png-dir left last year's group charts beside this year's, unnoticed."""
    folder = tmp_path / "slides"
    folder.mkdir()
    (folder / "profile-07-old-group.png").write_bytes(b"old")
    (folder / "logo.png").write_bytes(b"mine")  # not a chart name of ours: not named
    result = run(str(scored_csv), "--png-dir", str(folder), "-q")
    assert result.exit_code == 0, result.output
    assert "also holds 1 chart(s) this run did not write (profile-07-old-group.png)" in (
        result.stderr
    )
    assert (folder / "logo.png").exists() and (folder / "profile-07-old-group.png").exists()
    again = run(str(scored_csv), "--png-dir", str(tmp_path / "new"), "-q")
    assert "did not write" not in again.stderr


def test_the_tidy_csv_is_written_as_the_input_csv_was(scored_csv, tmp_path):
    """A German Excel export gave a comma-separated UTF-8 profile.csv that its Excel shows as one
    column; score already wrote its output in the input's dialect."""
    german = tmp_path / "scored_de.csv"
    frame = scored_rows().assign(cluster=["Süd", "Nord"] * 3)
    frame.to_csv(german, index=False, sep=";", encoding="cp1252")
    out = tmp_path / "profile.csv"
    result = run(str(german), "--by", "cluster", "--csv", str(out))
    assert result.exit_code == 0, result.output
    assert "(semicolon-separated, cp1252, as the input)" in result.stderr
    back = pd.read_csv(out, sep=";", encoding="cp1252", decimal=",")
    assert "Süd" in set(back["group"]) and back["share"].dtype == float
    plain = tmp_path / "plain.csv"
    assert run(str(scored_csv), "--csv", str(plain), "-q").exit_code == 0
    assert pd.read_csv(plain)["share"].dtype == float  # comma-separated UTF-8, as before


def test_a_bad_exchange_rate_is_a_usage_error(tmp_path):
    path = tmp_path / "in.csv"
    scored_rows().assign(budget=["1 mln zł", "€ 5", "3", "4", "5", "6"]).to_csv(path, index=False)
    bad = run(str(path), "--weight-col", "budget", "--exchange-rate", "PLN")
    assert bad.exit_code == 2 and "write CUR=RATE" in bad.output
    alone = run(str(path), "--exchange-rate", "PLN=0.2")
    assert alone.exit_code == 2 and "converts the budgets of --weight-col" in alone.output
    good = run(str(path), "--weight-col", "budget", "--exchange-rate", "pln=0,2", "--json")
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["settings"]["exchange_rates"] == {"PLN": 0.2}
