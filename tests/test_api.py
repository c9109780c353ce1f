"""The Python API as a notebook user meets it: one import, the CLI's defaults, clear errors."""

from __future__ import annotations

import io
import json
import warnings

import pandas as pd
import pytest

import sdg_align as sa
from sdg_align.errors import SDGAlignWarning

from .test_profile import scored


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return sa.load_classifier(tiny_model_dir, backend="float32")


def test_the_package_names_its_api():
    """``dir(sdg_align)`` listed only 'annotations': nothing said what to call."""
    assert {"load_classifier", "score_frame", "build_profile", "write_html"} <= set(dir(sa))
    for name in sa.__all__:
        assert getattr(sa, name) is not None, name
    assert "score_frame" in (sa.__doc__ or "")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sa.nope  # noqa: B018


def test_missing_cells_of_string_columns_are_missing_not_the_text_na(model):
    """read_csv(dtype='string') holds pd.NA: an empty row was scored as '<NA>', a title with an
    empty description as 'Wetland buffer strips. <NA>' (SDG 6 fell from 0.65 to 0.33)."""
    csv = "title,description\nWetland buffer strips for the river,\n,\n"
    for frame in (
        pd.read_csv(io.StringIO(csv), dtype="string"),
        pd.read_csv(io.StringIO(csv), dtype_backend="pyarrow"),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SDGAlignWarning)
            out = sa.score_frame(frame, model)  # title and description found as the CLI finds them
        assert out["error"].tolist() == ["", "empty text"]
        expected = model.predict_proba(["Wetland buffer strips for the river"])[0, 5]
        assert out.loc[0, "p_sdg6"] == pytest.approx(expected, abs=1e-4)


def test_wrong_arguments_name_themselves(model):
    frame = pd.DataFrame({"text": ["solar wind battery grid energy for schools"]})
    cases = [
        (lambda: sa.score_frame(["solar"], model), "takes a DataFrame, not list"),
        (lambda: sa.score_frame(frame["text"], model), "not a Series"),
        (lambda: sa.score_frame(frame, "default"), "load it with sdg_align.load_classifier"),
        (lambda: model.predict(frame), "not a DataFrame: score a table with score_frame"),
        (lambda: model.predict("solar wind", threshold=1.5), "threshold must be between 0 and 1"),
        (lambda: model.predict("solar wind", top_k=0), "top_k must be between 1 and 17"),
    ]
    for call, message in cases:
        with pytest.raises(sa.DataError, match=message):
            call()


def test_build_profile_takes_a_dict_of_columns_and_warns_a_notebook(rated_model_dir):
    frame = scored(
        [{"probs": {7: 0.9}, "cluster": "A", "budget": "lots"}]
        + [{"probs": {13: 0.8}, "cluster": "B", "budget": "100"}]
        + [{"probs": {7: 0.7}, "cluster": "A", "budget": "200"}]
    )
    # the warnings of profile.warnings reach a notebook too (they sat unseen in a list)
    with pytest.warns(SDGAlignWarning, match="budget") as caught:
        profile = sa.build_profile(frame, columns={"by": "cluster", "weight_col": "budget"})
    assert [str(w.message) for w in caught] == profile.warnings
    assert [g.name for g in profile.groups] == ["A", "B"]
    assert repr(profile).startswith("<Profile: 3 projects in 2 groups by 'cluster'")
    assert len(repr(profile.overall)) < 200
    rates = sa.error_rates_for_model(rated_model_dir)
    with pytest.raises(sa.DataError, match="returns \\(rates, note\\), pass its first item"):
        sa.build_profile(frame, error_rates=rates)  # type: ignore[arg-type]
    with pytest.raises(sa.DataError, match="unknown column choice\\(s\\) group"):
        sa.build_profile(frame, columns={"group": "cluster"})
    with pytest.raises(sa.DataError, match="by names one column, not list"):
        sa.ProfileColumns(by=["cluster", "year"])  # type: ignore[arg-type]


def test_compare_profiles_reads_a_path(tmp_path):
    """A path was taken for a document: 'not a profile ... (no schema_version)'."""
    frame = scored([{"probs": {7: 0.9}}, {"probs": {13: 0.8}}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SDGAlignWarning)
        profile = sa.build_profile(frame, bootstrap=0)
    path = tmp_path / "last_year.json"
    path.write_text(json.dumps(profile.to_dict()))
    change = sa.compare_profiles(profile, str(path))
    assert change == sa.compare_profiles(profile, profile.to_dict(), old_name=str(path))
    with pytest.raises(sa.DataError, match="cannot read .*nope.json"):
        sa.compare_profiles(profile, tmp_path / "nope.json")
