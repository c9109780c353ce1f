"""Acceleration: each SDG's share per period, and how fast it moves per year.

The slope is an ordinary least-squares line through the projects (1 if the project advances the SDG,
else 0) against their year, so periods with more projects weigh more; its 95% interval uses the t
distribution with n - 2 degrees of freedom, cut to the steepest slope shares can have at those
periods. With the model's error rates the same line is drawn
through the projects' corrected values (:mod:`.prevalence`), and the trend label follows the
corrected line, so what the model misses does not read as a change of pace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..labels import NUM_SDGS
from .error_rates import ErrorRates
from .figures import Trend
from .prevalence import METHOD, anchors, slope_draws


@dataclass(frozen=True)
class Line:
    """Least-squares slopes per SDG with their standard errors and 95% intervals."""

    slope: np.ndarray
    stderr: np.ndarray
    low: np.ndarray
    high: np.ndarray
    df: int
    steepest: float = math.inf  # no line through values in [0, 1] at these periods is steeper


def fit_lines(periods: np.ndarray, y: np.ndarray) -> Line:
    """The slope of each column of ``y`` (values in [0, 1]) against the period.

    NaN where it cannot be fitted. The t interval is cut to the steepest slope values in [0, 1]
    allow at these periods: a few projects a year give intervals wider than any share can move.
    """
    nothing = np.full(y.shape[1], np.nan)
    n = len(periods)
    if len(np.unique(periods)) < 2:
        return Line(nothing, nothing, nothing, nothing, 0)
    t = periods - periods.mean()
    sxx = float(t @ t)
    slope = (t @ y) / sxx
    # the slope is sum(t * y) / sxx; with y in [0, 1] it is largest with y = 1 where t > 0
    steepest = float(np.clip(t, 0, None).sum()) / sxx
    if n <= 2:
        return Line(slope, nothing, nothing, nothing, 0, steepest)
    centred = y - y.mean(axis=0)
    residual = np.maximum((centred**2).sum(axis=0) - slope**2 * sxx, 0.0)
    stderr = np.sqrt(residual / (n - 2) / sxx)
    half = stats.t.ppf(0.975, n - 2) * stderr
    low, high = np.fmax(slope - half, -steepest), np.fmin(slope + half, steepest)
    return Line(slope, stderr, low, high, n - 2, steepest)


SLOPE_TOLERANCE = 1e-6  # a slope this close to 0 is 0: '-0.0' made a constant 100% 'slowing'


def trend_label(low: float, high: float, ever: bool) -> str | None:
    if not math.isfinite(low) or not ever:
        return None  # no slope to judge, or an SDG the group never advances
    if low > SLOPE_TOLERANCE:
        return "accelerating"
    if high < -SLOPE_TOLERANCE:
        return "slowing"
    return "unclear"


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class _Corrected:
    per_period: np.ndarray  # (periods, 17) corrected prevalence, NaN where undefined
    line: Line
    last: np.ndarray


def _corrected(
    periods: np.ndarray,
    inverse: np.ndarray,
    values: np.ndarray,
    rates: ErrorRates,
    rng: np.random.Generator,
    draws: int,
    tag_line: Line,
) -> _Corrected:
    """The same trend on corrected values: per-period prevalence and the corrected slope.

    Its interval is at least as wide as the tags' own (``tag_line``) scaled to prevalence: a
    line through probabilities varies less than the yes-or-no labels it estimates, and with one
    project a year it fitted almost exactly (a trial's 3-project group read 'accelerating' at
    +32 to +36 points a year while the tags' interval ran from -36 to +36).
    """
    low, high = anchors(METHOD, rates)
    gap = np.where(high - low > 0, high - low, np.nan)
    sums = np.zeros((inverse.max() + 1, NUM_SDGS))
    np.add.at(sums, inverse, values)
    means = sums / np.bincount(inverse)[:, None]
    per_period = np.clip((means - low) / gap, 0.0, 1.0)
    raw = fit_lines(periods, values)
    slope = raw.slope / gap
    if draws and raw.df:
        sampled = slope_draws(raw.slope, raw.stderr, raw.df, METHOD, rates, rng, draws)
        ci_low, ci_high = np.quantile(sampled, [0.025, 0.975], axis=0)
        ci_low, ci_high = np.fmin(ci_low, slope), np.fmax(ci_high, slope)
    else:
        ci_low, ci_high = raw.low / gap, raw.high / gap
    ci_low = np.fmin(ci_low, np.where(np.isfinite(tag_line.low), tag_line.low / gap, ci_low))
    ci_high = np.fmax(ci_high, np.where(np.isfinite(tag_line.high), tag_line.high / gap, ci_high))
    # corrected values are prevalences, in [0, 1] too: no steeper than the raw line can be
    slope = np.clip(slope, -raw.steepest, raw.steepest)
    ci_low = np.where(np.isfinite(gap), np.fmax(ci_low, -raw.steepest), np.nan)
    ci_high = np.where(np.isfinite(gap), np.fmin(ci_high, raw.steepest), np.nan)
    last = per_period[-1] - per_period[-2] if len(per_period) >= 2 else np.full(NUM_SDGS, np.nan)
    line = Line(slope, raw.stderr / gap, ci_low, ci_high, raw.df)
    return _Corrected(per_period, line, last)


def _labels_as_scores(
    values: np.ndarray, tags: np.ndarray, labelled: np.ndarray, rates: ErrorRates
) -> np.ndarray:
    """Model values for person-labelled rows that the correction maps back to their labels.

    The correction is linear, ``(value - low) / (high - low)``, so a row valued ``low + label *
    (high - low)`` is corrected to exactly its label (0 or 1), and every per-period prevalence and
    slope counts it as it is. SDGs the rates cannot correct keep the row's value.
    """
    low, high = anchors(METHOD, rates)
    exact = low + tags[labelled].astype(float) * (high - low)
    out = np.array(values, dtype=float, copy=True)
    out[labelled] = np.where(np.isfinite(exact), exact, out[labelled])
    return out


def trends(
    periods: np.ndarray,
    tags: np.ndarray,
    probs: np.ndarray,
    *,
    rates: ErrorRates | None = None,
    rng: np.random.Generator | None = None,
    draws: int = 1000,
    labelled: np.ndarray | None = None,
) -> list[Trend]:
    """Per SDG: shares per period and the slope of a linear probability model, all 17 at once.

    ``labelled`` marks projects whose tags are a person's labels: the corrected trend counts them
    as they are (see :func:`_labels_as_scores`).
    """
    values, inverse = np.unique(periods, return_inverse=True)
    per_period = np.zeros((len(values), NUM_SDGS))
    np.add.at(per_period, inverse, tags)
    shares = per_period / np.bincount(inverse)[:, None]
    line = fit_lines(periods, tags.astype(float))
    last = shares[-1] - shares[-2] if len(values) >= 2 else np.full(NUM_SDGS, np.nan)
    corrected = None
    if rates is not None:
        source = tags.astype(float) if METHOD in ("cc", "acc") else probs
        if labelled is not None and labelled.any():
            source = _labels_as_scores(source, tags, labelled, rates)
        rng = rng or np.random.default_rng(0)
        corrected = _corrected(periods, inverse, source, rates, rng, draws, line)
    found = []
    for k in range(NUM_SDGS):
        judged = line
        if corrected is not None and math.isfinite(corrected.line.low[k]):
            judged = corrected.line
        trend = Trend(
            periods=[int(v) for v in values],
            projects=[int(c) for c in per_period[:, k]],
            shares=[float(s) for s in shares[:, k]],
            slope=_num(line.slope[k]),
            slope_ci_low=_num(line.low[k]),
            slope_ci_high=_num(line.high[k]),
            last_change=_num(last[k]),
            trend=trend_label(judged.low[k], judged.high[k], bool(per_period[:, k].any())),
        )
        if corrected is not None:
            trend.prevalences = [_rounded(v) for v in corrected.per_period[:, k]]
            trend.prevalence_slope = _rounded(corrected.line.slope[k])
            trend.prevalence_slope_ci_low = _rounded(corrected.line.low[k])
            trend.prevalence_slope_ci_high = _rounded(corrected.line.high[k])
            trend.prevalence_last_change = _rounded(corrected.last[k])
        found.append(trend)
    return found


def _rounded(value: float) -> float | None:
    """Corrected figures carry no more than 0.1 percentage point of precision."""
    return round(float(value), 3) if math.isfinite(value) else None
