"""Error-corrected prevalence on constructed cases whose answers are known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sdg_align.decisions import error_rates
from sdg_align.errors import ModelError
from sdg_align.profile.error_rates import ErrorRates, load_error_rates
from sdg_align.profile.prevalence import METHODS, estimate_prevalence

from .conftest import error_rates_document


def rates(*, positives=100, negatives=100, tp=100, fp=0, mean_pos=1.0, mean_neg=0.0) -> ErrorRates:
    """Validation counts, the same for all 17 SDGs; by default a perfect classifier."""
    return ErrorRates.from_dict(
        error_rates_document(
            positives=positives, negatives=negatives, tp=tp, fp=fp, mean_pos=mean_pos,
            mean_neg=mean_neg,
        )
    )  # fmt: skip


def portfolio(n: int, truth: np.ndarray, recall: float = 1.0, seed: int = 0):
    """``n`` projects; SDG k truly advanced by the first truth[k] * n of them; the classifier tags
    (probability 1) the first ``recall`` part of those and nothing else (probability 0)."""
    y = np.zeros((n, 17), dtype=bool)
    tags = np.zeros((n, 17), dtype=bool)
    for k, share in enumerate(truth):
        count = int(round(share * n))
        y[:count, k] = True
        tags[: int(round(count * recall)), k] = True
    return y, tags, tags.astype(float)


SHARES = np.array([0.4, 0.2, 0.0, 0.1] + [0.05] * 13)


@pytest.mark.parametrize("method", METHODS)
def test_a_perfect_classifier_gives_the_true_shares(method):
    y, tags, probs = portfolio(100, SHARES)
    found = estimate_prevalence(tags, probs, rates(), method=method, draws=400)
    assert found.estimate == pytest.approx(SHARES, abs=1e-6)
    assert np.all(found.low <= SHARES + 1e-9) and np.all(found.high + 1e-9 >= SHARES)


@pytest.mark.parametrize("method", ["acc", "pacc"])
def test_a_classifier_that_misses_half_is_corrected(method):
    y, tags, probs = portfolio(200, SHARES, recall=0.5)
    half = rates(tp=50, mean_pos=0.5)  # validation: half of the positives tagged, p=1; others p=0
    counted = estimate_prevalence(tags, probs, half, method="cc", draws=0)
    assert counted.estimate[0] == pytest.approx(0.2)  # the tags alone say half the truth
    found = estimate_prevalence(tags, probs, half, method=method, draws=1000)
    assert found.estimate == pytest.approx(SHARES, abs=1e-6)
    assert found.low[0] < 0.4 < found.high[0]
    assert np.isnan(counted.low).all()  # draws=0: no interval


def test_an_absent_sdg_is_zero_and_estimates_stay_between_0_and_1():
    y, tags, probs = portfolio(100, SHARES)
    noisy = rates(tp=80, fp=10, mean_pos=0.8, mean_neg=0.1)  # 10% false alarms on validation
    found = estimate_prevalence(tags, probs, noisy, method="acc", draws=500)
    assert found.estimate[2] == 0.0 and found.low[2] == 0.0  # 0 tags < 10% false alarms: clipped
    assert np.all((found.estimate >= 0) & (found.estimate <= 1))
    assert np.all((found.low >= 0) & (found.high <= 1) & (found.low <= found.high))


def test_a_group_of_12_gets_an_interval_that_says_how_little_12_projects_tell():
    _, tags, probs = portfolio(12, np.zeros(17))
    found = estimate_prevalence(tags, probs + 0.02, rates(mean_pos=0.7, mean_neg=0.02), draws=2000)
    assert found.estimate[0] == 0.0
    # no project looks like the SDG, but 12 projects cannot rule out a share of about 3/12
    assert 0.12 < found.high[0] < 0.45
    large = estimate_prevalence(
        *portfolio(1200, np.zeros(17))[1:], rates(mean_pos=0.7, mean_neg=0.0), draws=2000
    )
    assert large.high[0] < 0.01


def test_a_one_project_group_keeps_the_doubt_of_one_yes_or_no():
    """A one-project group's interval for its tagged SDG excluded everything below 0.24: the
    mean's bootstrap took the project's probability as a sure part of a project."""
    probs = np.full((1, 17), 0.02)
    probs[0, 0] = 0.6  # a tag the model gives 60%: the project may well not advance SDG 1
    noisy = rates(tp=80, fp=5, mean_pos=0.8, mean_neg=0.05)
    one = estimate_prevalence(probs >= 0.5, probs, noisy, draws=4000)
    assert one.low[0] < 0.1 < one.estimate[0] and one.high[0] == 1.0
    mean_only = estimate_prevalence(probs >= 0.5, probs, noisy, draws=4000, label_draws_below=0)
    assert mean_only.low[0] > one.low[0]
    # from 8 projects on, the shipped interval is the mean's bootstrap, as before
    eight = np.repeat(probs, 8, axis=0)
    shipped = estimate_prevalence(
        eight >= 0.5, eight, noisy, draws=500, rng=np.random.default_rng(1)
    )
    before = estimate_prevalence(
        eight >= 0.5, eight, noisy, draws=500, rng=np.random.default_rng(1), label_draws_below=0
    )
    assert np.array_equal(shipped.low, before.low) and np.array_equal(shipped.high, before.high)


@pytest.mark.parametrize("method", ["acc", "pacc"])
def test_intervals_cover_the_truth_about_95_percent_of_the_time(method):
    """A classifier with recall 0.7 and 3% false alarms, its rates counted on 100 validation
    positives and 400 negatives (counts that themselves vary), tags portfolios of 200 projects.

    The interval is for the rate the projects come from (resampling projects); the portfolio's
    own share varies less around it, so it is covered more often.
    """
    rng = np.random.default_rng(3)
    covered, covered_rate = [], []
    for _ in range(80):
        tp, fp = rng.binomial(100, 0.7), rng.binomial(400, 0.03)
        valid = rates(
            positives=100, negatives=400, tp=tp, fp=fp, mean_pos=tp / 100, mean_neg=fp / 400
        )
        truth = rng.uniform(0.02, 0.4, 17)
        y = rng.random((200, 17)) < truth
        tags = np.where(y, rng.random((200, 17)) < 0.7, rng.random((200, 17)) < 0.03)
        found = estimate_prevalence(
            tags, tags.astype(float), valid, method=method, draws=500, rng=rng
        )
        real = y.mean(axis=0)
        covered.append((found.low <= real) & (real <= found.high))
        covered_rate.append((found.low <= truth) & (truth <= found.high))
    assert 0.90 <= np.mean(covered_rate) <= 0.98
    assert np.mean(covered) >= 0.95


def test_em_recovers_a_shifted_prior_from_calibrated_probabilities():
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.random((n, 17)) < 0.3  # the portfolio: 30% of projects; validation prior: 50%
    scores = np.where(y, rng.normal(1.0, 1.0, (n, 17)), rng.normal(-1.0, 1.0, (n, 17)))
    probs = 1 / (1 + np.exp(-2 * scores))  # calibrated for a 50:50 prior
    found = estimate_prevalence(
        probs >= 0.5, probs, rates(positives=100, negatives=100), method="em", draws=0
    )
    assert found.estimate == pytest.approx(np.full(17, 0.3), abs=0.03)


def test_an_sdg_without_validation_positives_has_no_prevalence():
    block = rates().__dict__ | {"positives": np.array([0] + [100] * 16, dtype=float)}
    block["true_positives"] = np.array([0] + [100] * 16, dtype=float)
    block["mean_probability_positives"] = np.array([np.nan] + [1.0] * 16)
    odd = ErrorRates(**block)
    _, tags, probs = portfolio(50, SHARES)
    found = estimate_prevalence(tags, probs, odd, method="pacc", draws=100)
    assert np.isnan(found.estimate[0]) and np.isnan(found.low[0])
    assert found.estimate[1] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d | {"version": 2}, "version 2"),
        (lambda d: {"texts": 1}, "not an error-rates file"),
        (lambda d: d | {"operating_points": {"precise": d["operating_points"]["balanced"]}},
         "no error rates for the 'balanced' tags"),
        (lambda d: _set(d, "positives", [1] * 17), "more tagged texts than texts"),
        (lambda d: _set(d, "negatives", [1] * 16), "must list 17 values"),
        (lambda d: _set(d, "mean_probability_negatives", [1.5] * 17), "between 0 and 1"),
    ],
)  # fmt: skip
def test_bad_error_rate_files_are_one_clear_error(change, message):
    good = {"version": 1, "texts": 200, "operating_points": {"balanced": _block()}}
    ErrorRates.from_dict(good)
    with pytest.raises(ModelError, match=message):
        ErrorRates.from_dict(change(json.loads(json.dumps(good))))


def _block() -> dict:
    return {
        "positives": [10] * 17,
        "negatives": [90] * 17,
        "true_positives": [8] * 17,
        "false_positives": [3] * 17,
        "mean_probability_positives": [0.7] * 17,
        "mean_probability_negatives": [None] + [0.05] * 16,
    }


def _set(document: dict, key: str, value: list) -> dict:
    document["operating_points"]["balanced"][key] = value
    return document


def test_a_model_folder_gives_its_rates_and_thresholds(rated_model_dir, unrated_model_dir):
    found = load_error_rates(rated_model_dir)
    assert found is not None and found.thresholds is not None and len(found.thresholds) == 17
    assert found.true_positive_rate == pytest.approx(np.full(17, 0.8))
    assert load_error_rates(unrated_model_dir) is None
    with pytest.raises(ModelError, match="no error rates for the 'precise' tags"):
        load_error_rates(rated_model_dir, "precise")


def test_a_model_without_rates_for_the_tags_profiles_uncorrected(
    rated_model_dir, unrated_model_dir
):
    from sdg_align.profile.error_rates import error_rates_for_model

    found, warning = error_rates_for_model(rated_model_dir, "balanced")
    assert found is not None and warning is None
    found, warning = error_rates_for_model(rated_model_dir, "precise")
    assert found is None and "no error rates for the 'precise' tags (it has: balanced)" in warning
    found, warning = error_rates_for_model(unrated_model_dir)
    assert found is None and "has no error_rates.json" in warning


def _two_sources(first_tp: int, second_tp: int) -> dict:
    """Validation counts pooled from two sources of 100 positives and 100 negatives each."""

    def block(tp: int) -> dict:
        return {
            "positives": [100] * 17,
            "negatives": [100] * 17,
            "true_positives": [tp] * 17,
            "false_positives": [5] * 17,
            "mean_probability_positives": [tp / 100] * 17,
            "mean_probability_negatives": [0.05] * 17,
        }

    pooled = {
        "positives": [200] * 17,
        "negatives": [200] * 17,
        "true_positives": [first_tp + second_tp] * 17,
        "false_positives": [10] * 17,
        "mean_probability_positives": [(first_tp + second_tp) / 200] * 17,
        "mean_probability_negatives": [0.05] * 17,
        "by_source": {"corpus": block(first_tp), "registry": block(second_tp)},
    }
    return {"version": 1, "texts": 400, "operating_points": {"balanced": pooled}}


def test_error_rates_keep_counts_per_source_that_add_up():
    rng = np.random.default_rng(0)
    probs = rng.random((60, 17))
    y = rng.random((60, 17)) < 0.3
    sources = ["corpus"] * 40 + ["registry"] * 20
    data = error_rates(probs, y, np.ones_like(probs), {"balanced": [0.5] * 17}, sources)
    block = data["operating_points"]["balanced"]
    parts = block["by_source"]
    assert sorted(parts) == ["corpus", "registry"]
    for key in ("positives", "negatives", "true_positives", "false_positives"):
        assert np.add(parts["corpus"][key], parts["registry"][key]).tolist() == block[key]
    one_source = error_rates(probs, y, np.ones_like(probs), {"balanced": [0.5] * 17}, ["a"] * 60)
    assert "by_source" not in one_source["operating_points"]["balanced"]


def test_rates_that_differ_between_sources_widen_the_interval():
    same = ErrorRates.from_dict(_two_sources(60, 60))
    apart = ErrorRates.from_dict(_two_sources(95, 25))  # same pooled recall, 0.95 vs 0.25
    for method in ("acc", "pacc"):
        (_, same_neg), (_, same_pos) = same.anchor_counts(method)
        (_, apart_neg), (_, apart_pos) = apart.anchor_counts(method)
        assert same_pos == pytest.approx(200) and same_neg == pytest.approx(200)  # no spread
        assert (apart_pos < 10).all() and apart_neg == pytest.approx(200)
    y, tags, probs = portfolio(500, SHARES, recall=0.6)
    narrow = estimate_prevalence(tags, probs, same, method="acc", draws=2000)
    wide = estimate_prevalence(tags, probs, apart, method="acc", draws=2000)
    assert narrow.estimate == pytest.approx(wide.estimate)  # the same pooled rates
    width, narrow_width = wide.high - wide.low, narrow.high - narrow.low
    assert np.all(width >= narrow_width - 1e-9)
    assert np.all(width[:2] > 2 * narrow_width[:2])  # where the share is large, much wider
    assert wide.low[0] < 0.4 < wide.high[0]


def test_a_malformed_by_source_is_one_clear_error():
    document = _two_sources(60, 60)
    document["operating_points"]["balanced"]["by_source"] = ["corpus"]
    with pytest.raises(ModelError, match="by_source"):
        ErrorRates.from_dict(document)
    document["operating_points"]["balanced"]["by_source"] = {"corpus": {"positives": [1]}}
    with pytest.raises(ModelError, match="source corpus"):
        ErrorRates.from_dict(document)


def test_the_report_says_when_the_interval_allows_for_other_kinds_of_text():
    from sdg_align.report.format import correction_sentence

    settings = ErrorRates.from_dict(_two_sources(60, 60)).to_settings()
    assert settings["validation_sources"] == ["corpus", "registry"]
    sentence = correction_sentence({"prevalence": {**settings, "method": "pacc"}})
    assert sentence is not None and "differ between 2 kinds of validation text" in sentence
    pooled = correction_sentence({"prevalence": {**rates().to_settings(), "method": "pacc"}})
    assert pooled is not None and "written like those validation texts" in pooled
    few = {**rates().to_settings(), "method": "pacc", "audited_projects": 20, "min_audit": 50}
    assert "random pick" not in (correction_sentence({"prevalence": few}) or "")
    audited = correction_sentence({"prevalence": {**few, "audited_projects": 60}})
    assert audited is not None and "60 projects were labelled by a person after a random" in audited


@pytest.mark.parametrize("method", ["acc", "pacc", "em"])
def test_projects_a_person_labelled_count_as_they_are(method):
    y, tags, probs = portfolio(200, SHARES, recall=0.5)
    half = rates(tp=50, mean_pos=0.5)
    everyone = np.ones(200, dtype=bool)
    # every project labelled by a person: the shares are their labels, not labels "corrected"
    # as model tags (which would double them here: a confirmed yes counted as 1 / recall)
    found = estimate_prevalence(y, y.astype(float), half, method=method, draws=300, known=everyone)
    assert found.estimate == pytest.approx(SHARES, abs=1e-9)
    assert np.all(found.low <= SHARES + 1e-9) and np.all(found.high + 1e-9 >= SHARES)
    # some labelled: their exact share and the others' corrected one, each by its weight
    known = np.arange(200) % 4 == 0
    mixed_tags, mixed_probs = tags.copy(), probs.copy()
    mixed_tags[known], mixed_probs[known] = y[known], y[known].astype(float)
    found = estimate_prevalence(mixed_tags, mixed_probs, half, method=method, draws=0, known=known)
    rest = estimate_prevalence(tags[~known], probs[~known], half, method=method, draws=0)
    assert found.estimate == pytest.approx(0.25 * y[known].mean(axis=0) + 0.75 * rest.estimate)
    # nobody labelled: exactly as without the argument, intervals included
    plain = estimate_prevalence(tags, probs, half, method=method, draws=200)
    none = estimate_prevalence(tags, probs, half, method=method, draws=200, known=~everyone)
    for a, b in ((plain.estimate, none.estimate), (plain.low, none.low), (plain.high, none.high)):
        np.testing.assert_array_equal(a, b)


def test_trends_count_a_persons_labels_as_they_are():
    from sdg_align.profile.trends import trends

    y, tags, probs = portfolio(200, SHARES, recall=0.5)
    periods = np.where(np.arange(200) % 2 == 0, 2024, 2025)
    half = rates(tp=50, mean_pos=0.5)
    labelled = periods == 2025  # a person labelled every project of 2025
    tags, probs = tags.copy(), probs.copy()
    tags[labelled], probs[labelled] = y[labelled], y[labelled].astype(float)
    found = trends(periods, tags, probs, rates=half, draws=0, labelled=labelled)
    assert [t.prevalences[1] for t in found] == pytest.approx(y[labelled].mean(axis=0), abs=1e-3)
    uncorrected = trends(periods, tags, probs, rates=half, draws=0)
    assert uncorrected[0].prevalences[1] == pytest.approx(0.8)  # as model tags: 0.4 / recall 0.5


def test_a_portfolio_labelled_in_full_keeps_the_doubt_of_its_size():
    # An audit of every project gave the interval [p, p] overall while its groups, too small
    # for an audit, got the labels' bootstrap interval: now both carry the same doubt.
    from sdg_align.profile.prevalence import Audit

    y, _tags, probs = portfolio(60, SHARES, recall=0.5)
    everyone = np.ones(60, dtype=bool)
    labels, as_probs = y.astype(bool), y.astype(float)
    audited = estimate_prevalence(
        labels, as_probs, rates(), known=everyone, audit=Audit(everyone, probs), draws=2000
    )
    counted = estimate_prevalence(labels, as_probs, rates(), known=everyone, draws=2000)
    np.testing.assert_allclose(audited.estimate, y.mean(axis=0))
    assert np.all(audited.high - audited.low > 0.03)  # 3 points even where no project has it
    np.testing.assert_allclose(audited.high - audited.low, counted.high - counted.low, atol=0.04)


def test_a_random_audit_corrects_what_the_validation_rates_get_wrong():
    from sdg_align.profile.prevalence import MIN_AUDIT, Audit

    y, tags, probs = portfolio(400, SHARES, recall=0.5)
    perfect = rates()  # validation says the model misses nothing; here it misses half
    audited = np.zeros(400, dtype=bool)
    audited[np.random.default_rng(3).choice(400, size=100, replace=False)] = True
    reviewed_tags, reviewed_probs = tags.copy(), probs.copy()
    reviewed_tags[audited], reviewed_probs[audited] = y[audited], y[audited].astype(float)
    audit = Audit(audited, probs)
    found = estimate_prevalence(
        reviewed_tags, reviewed_probs, perfect, known=audited, audit=audit, draws=1000
    )
    counted = estimate_prevalence(reviewed_tags, reviewed_probs, perfect, known=audited, draws=0)
    truth = y.mean(axis=0)
    assert counted.estimate[0] < 0.3  # the validation rates alone keep the missed half missing
    assert np.abs(found.estimate - truth).max() < 0.05  # the audit's residuals bring it back
    assert np.all(found.low <= truth + 1e-9) and np.all(truth <= found.high + 1e-9)
    # too small an audit is not trusted: the labels count, the rest is corrected as before
    few = audited & (np.cumsum(audited) <= MIN_AUDIT - 1)
    small = estimate_prevalence(
        reviewed_tags, reviewed_probs, perfect, known=audited, audit=Audit(few, probs), draws=0
    )
    np.testing.assert_array_equal(small.estimate, counted.estimate)


def test_a_correction_pinned_at_a_bound_keeps_the_tags_interval():
    """A group read '100.0% (100.0-100.0%)' while 83% of its projects were tagged, and an SDG of
    11 tagged projects '0.0% (0.0-0.0%)': the clip had collapsed the interval onto the bound."""
    n = 400
    tags = np.zeros((n, 17), dtype=bool)
    probs = np.full((n, 17), 0.01)
    tags[: int(0.83 * n), 8] = True  # SDG 9: the projects score above the validation positives
    probs[:, 8] = np.where(tags[:, 8], 0.99, 0.9)
    tags[:3, 0] = True  # SDG 1: three tagged, scored below the validation negatives' mean
    found = estimate_prevalence(
        tags, probs, rates(mean_pos=0.7, mean_neg=0.05), rng=np.random.default_rng(0)
    )
    assert found.estimate[8] == 1.0 and found.low[8] <= 0.80  # the tags' own lower end (0.79)
    assert found.estimate[0] == 0.0 and found.high[0] >= 0.015  # three of 400: up to 2%
