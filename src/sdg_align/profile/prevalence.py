"""Error-corrected SDG prevalence: the share of projects that truly advance each SDG.

A share of tagged projects inherits the model's misses and false alarms: if the model finds 60% of
the projects that advance SDG 13 and wrongly tags 2% of the others, a true 20% shows as 13%. Knowing
those rates from the model's validation texts (:mod:`.error_rates`), the true share can be estimated
back (quantification). Five estimators are here, so they can be compared on the same footing
(``scripts/eval_prevalence.py``); the profile ships the one that measured best (:data:`METHOD`):

- ``cc``, classify and count: the share of tagged projects, uncorrected;
- ``pcc``, probabilistic classify and count: the mean calibrated probability;
- ``acc``, adjusted count: ``(share - fpr) / (tpr - fpr)``;
- ``pacc``, probabilistic adjusted count: ``(mean p - mean p of negatives) / (mean p of positives -
  mean p of negatives)``, the same correction on probabilities instead of tags;
- ``em``: the prior of each SDG re-estimated by expectation-maximisation (Saerens et al., 2002).

A random audit (``sdg-align review --random``, then ``profile --corrections``) measures the model's
errors on the portfolio itself. With at least :data:`MIN_AUDIT` randomly picked projects a person
labelled in a group, the group's prevalence is a difference (prediction-powered) estimate: every
other project's corrected value, shifted by the audited projects' mean residual (label minus
corrected value), which is unbiased for a random audit whatever the validation rates get wrong
(:func:`_audited`).

Every estimate is clipped to [0, 1]. Its 95% interval is the 2.5th and 97.5th percentile of Monte
Carlo draws that carry both sources of doubt: the portfolio's sampling noise (its projects
resampled by a Bayesian bootstrap with one unseen project, :func:`mean_draws`, because an ordinary
bootstrap of a few projects that all lack an SDG can only ever say 0%) and the uncertainty of the
error rates (each rate drawn from its Beta posterior given the validation counts, with fewer
effective counts where the rates differ between the validation sources: a portfolio's own style of
text moves its rates too). An estimate the clip pins at 0 or 1 keeps at least the tags' own interval
on its open side (:func:`_unpinned`): pinned there, the rates do not fit the texts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..labels import NUM_SDGS
from .error_rates import ErrorRates
from .intervals import share_interval

METHODS = ("cc", "pcc", "acc", "pacc", "em")
METHOD = "pacc"  # chosen by scripts/eval_prevalence.py; see docs/profile.md
# Randomly audited projects a group needs before its prevalence rests on them (chosen with
# scripts/eval_corrections.py: from 50 on, lower error and in-band coverage on both test splits).
MIN_AUDIT = 50
PRIOR = 0.5  # Jeffreys prior of every Beta posterior
NORMAL_FROM = (
    20_000  # from this many projects the bootstrap of a mean is drawn from its normal limit
)
EM_ITERATIONS = 200
# Groups of fewer projects also draw each project's label in their interval (label_draws): below
# 8, that held the true share of tagged SDGs more often on both kinds of validation text (corpus
# dev; the real texts the model validated on), from 8 the mean's bootstrap did on one of them
# (scripts/eval_small_groups.py, results/eval_small_groups.json).
LABEL_DRAWS_BELOW = 8
_CHUNK = 2_000_000  # numbers per block of bootstrap work, to keep memory flat


@dataclass(frozen=True)
class Audit:
    """Projects a person labelled after a random pick, and the model's probabilities for them.

    ``rows`` (bool (n,)) marks them; ``model_probs`` (n, 17) holds the model's probabilities of
    every project (the tags and probabilities the estimator gets are the person's for these rows).
    """

    rows: np.ndarray
    model_probs: np.ndarray

    @property
    def enough(self) -> bool:
        """Whether it has the :data:`MIN_AUDIT` projects a prevalence may rest on."""
        return int(self.rows.sum()) >= MIN_AUDIT


@dataclass(frozen=True)
class Prevalence:
    """Corrected shares of one group: 17 estimates and their 95% interval (NaN: not defined)."""

    method: str
    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray


def estimate_prevalence(
    tags: np.ndarray,
    probs: np.ndarray,
    rates: ErrorRates | None,
    *,
    method: str = METHOD,
    draws: int = 1000,
    rng: np.random.Generator | None = None,
    known: np.ndarray | None = None,
    audit: Audit | None = None,
    label_draws_below: int | None = None,
) -> Prevalence:
    """Each SDG's prevalence among these projects (``tags``: bool (n, 17); ``probs``: (n, 17)).

    ``rates`` may be None for ``cc`` and ``pcc``, which correct nothing. ``draws`` = 0 gives the
    estimates without intervals. An SDG whose validation texts held no positive (or no negative), or
    whose tags do not separate the classes at all, gets NaN.

    ``known`` (bool (n,)) marks projects whose tags are a person's labels (``profile
    --corrections``): they count as they are, and only the other projects are corrected for the
    model's errors. The estimate is the two parts' mean, each weighed by its number of projects.
    ``audit`` (its rows among ``known``) marks those picked at random; with :data:`MIN_AUDIT` of
    them, the others are corrected by the audit (:func:`_audited`) for ``pcc`` and ``pacc``.

    A group of fewer than ``label_draws_below`` projects (default :data:`LABEL_DRAWS_BELOW`) also
    draws each project's label in its interval (:func:`label_draws`).
    """
    if method not in METHODS:
        raise ValueError(f"unknown prevalence method {method!r}; choose one of {METHODS}")
    if rates is None and method not in ("cc", "pcc"):
        raise ValueError(f"the {method} estimator needs the model's error rates")
    rng = rng or np.random.default_rng(0)
    if audit is not None and audit.enough and method in ("pcc", "pacc"):
        labelled = audit.rows if known is None else (np.asarray(known, dtype=bool) | audit.rows)
        estimate, sample = _audited(tags, rates, method, draws, rng, labelled, audit)
    elif known is not None and known.any():
        known = np.asarray(known, dtype=bool)
        estimate, sample = _with_known(tags, probs, rates, method, draws, rng, known)
    else:
        below = LABEL_DRAWS_BELOW if label_draws_below is None else label_draws_below
        estimate, sample = _estimate(tags, probs, rates, method, draws, rng, len(tags) < below)
    if sample is None:
        nothing = np.full(NUM_SDGS, np.nan)
        return Prevalence(method, estimate, nothing, nothing)
    return _unpinned(_interval(method, estimate, sample), tags)


def _unpinned(found: Prevalence, tags: np.ndarray) -> Prevalence:
    """A correction pinned at 0 or 1 keeps at least the tags' own interval on its open side.

    The correction is clipped to [0, 1]; when nearly every draw lands beyond a bound, the interval
    collapses onto it: a trial's group read '100.0% (100.0-100.0%)' while 83% (76-88%) of its
    projects were tagged, and an SDG of 11 tagged projects read '0.0% (0.0-0.0%)'. Pinned there,
    the correction says the model's validation rates do not fit these texts, not that the share
    is certain, so the interval reaches the tags' own Jeffreys interval.
    """
    if not len(tags):
        return found
    share_low, share_high = share_interval(np.asarray(tags).sum(axis=0), len(tags))
    defined = np.isfinite(found.estimate)
    at_one = defined & (found.estimate >= 1.0)
    at_zero = defined & (found.estimate <= 0.0)
    low = np.where(at_one, np.fmin(found.low, share_low), found.low)
    high = np.where(at_zero, np.fmax(found.high, share_high), found.high)
    return Prevalence(found.method, found.estimate, low, high)


def _estimate(
    tags: np.ndarray,
    probs: np.ndarray,
    rates: ErrorRates | None,
    method: str,
    draws: int,
    rng: np.random.Generator,
    with_labels: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The 17 estimates and their Monte Carlo draws, (draws, 17) (None when ``draws`` is 0)."""
    if method == "em":
        return _em_prevalence(probs, _need(rates), draws, rng)
    values = tags.astype(float) if method in ("cc", "acc") else np.asarray(probs, dtype=float)
    low_anchor, high_anchor = anchors(method, rates)
    estimate = _adjust(values.mean(axis=0), low_anchor, high_anchor)
    if not draws:
        return estimate, None
    low_draws, high_draws = _anchor_draws(method, rates, rng, draws)
    if with_labels:
        return estimate, label_draws(values, low_draws, high_draws, rng)
    sample = mean_draws(values, rng, draws, binary=method in ("cc", "acc"))
    return estimate, _adjust(sample, low_draws, high_draws, undefined=False)


def label_draws(
    values: np.ndarray, low: np.ndarray, high: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draws of a small group's share (draws, 17) that also draw each project's label.

    Each project says yes with its corrected value ``(value - low) / (high - low)`` (clipped to
    [0, 1], with the draw's anchors), and the draws weigh the projects and one unseen project (a
    yes or a no at even odds) as :func:`mean_draws` does. The mean's bootstrap alone treats a
    project at 0.6 as 0.6 of a project for sure: a one-project group got an interval that
    excluded 0 (scripts/eval_small_groups.py measures both).
    """
    draws, n = len(low), len(values)
    weights = rng.exponential(size=(draws, n + 1))
    weights /= weights.sum(axis=1, keepdims=True)
    gap = np.maximum(high - low, 1e-9)
    corrected = np.clip((values[None, :, :] - low[:, None, :]) / gap[:, None, :], 0.0, 1.0)
    labels = rng.random(corrected.shape) < corrected
    unseen = rng.random((draws, NUM_SDGS)) < 0.5
    return np.einsum("dn,dnk->dk", weights[:, :n], labels) + weights[:, n:] * unseen


def _audited(
    tags: np.ndarray,
    rates: ErrorRates | None,
    method: str,
    draws: int,
    rng: np.random.Generator,
    labelled: np.ndarray,
    audit: Audit,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Labelled projects as they are; the others' corrected values plus the audit's mean residual.

    ``f = (p - m0) / (m1 - m0)`` is each project's corrected value from the model's probability.
    On the randomly audited projects, ``label - f`` measures how far the correction is off on
    this portfolio's own text; the unlabelled projects' sum of ``f`` is shifted by its mean. The
    interval draws that mean by the Bayesian bootstrap with one unseen project whose residual is
    uniform in [-1, 1] (as :func:`mean_draws` weighs one unseen project), so an audit in which
    the model never erred still leaves room for an error. The labelled projects keep the
    Bayesian bootstrap's doubt about projects of their kind, as in :func:`_with_known`: a
    portfolio labelled in full got the interval [p, p] overall while its groups, too small for
    an audit, got wide ones.
    """
    low, high = anchors(method, rates)
    corrected = (audit.model_probs - low) / np.maximum(high - low, 1e-9)
    labels = tags[labelled].astype(float)
    residual = tags[audit.rows].astype(float) - corrected[audit.rows]
    others = ~labelled
    fixed = labels.sum(axis=0) + corrected[others].sum(axis=0)
    scale = others.sum() / len(tags)
    defined = np.isfinite(high - low) & (high - low > 0)
    estimate = np.clip(fixed / len(tags) + scale * residual.mean(axis=0), 0.0, 1.0)
    estimate = np.where(defined, estimate, np.nan)
    if not draws:
        return estimate, None
    weights = rng.exponential(size=(draws, len(residual) + 1))
    weights /= weights.sum(axis=1, keepdims=True)
    unseen = rng.uniform(-1.0, 1.0, size=(draws, NUM_SDGS))
    mean_residual = weights[:, :-1] @ residual + weights[:, -1:] * unseen
    labelled_part = labelled.mean() * mean_draws(labels, rng, draws, binary=True)
    rest = corrected[others].sum(axis=0) / len(tags) + scale * mean_residual
    return estimate, np.clip(labelled_part + rest, 0.0, 1.0)


def _with_known(
    tags: np.ndarray,
    probs: np.ndarray,
    rates: ErrorRates | None,
    method: str,
    draws: int,
    rng: np.random.Generator,
    known: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Person-labelled projects counted as they are, the others corrected (see the caller).

    A person's label is not a model output: correcting it as one would push a confirmed "yes" above
    1 and a confirmed "no" below 0 before clipping. The labelled part keeps the Bayesian bootstrap's
    doubt about projects of its kind (:func:`mean_draws`), the rest its correction's.
    """
    labels = tags[known].astype(float)
    share_known = known.mean()
    estimate = share_known * labels.mean(axis=0)
    sample = None
    if draws:
        sample = share_known * mean_draws(labels, rng, draws, binary=True)
    if not known.all():
        rest, rest_sample = _estimate(tags[~known], probs[~known], rates, method, draws, rng)
        estimate = estimate + (1 - share_known) * rest
        if sample is not None and rest_sample is not None:
            sample = sample + (1 - share_known) * rest_sample
    return estimate, sample


def _need(rates: ErrorRates | None) -> ErrorRates:
    if rates is None:
        raise ValueError("this estimator needs the model's error rates")
    return rates


def anchors(method: str, rates: ErrorRates | None) -> tuple[np.ndarray, np.ndarray]:
    """What a project that does not / does advance the SDG scores on average, per SDG.

    Classify and count assumes 0 and 1; the adjusted counts use the validation rates.
    """
    if method in ("cc", "pcc"):
        return np.zeros(NUM_SDGS), np.ones(NUM_SDGS)
    rates = _need(rates)
    if method == "acc":
        return rates.false_positive_rate, rates.true_positive_rate
    return rates.mean_probability_negatives, rates.mean_probability_positives


def _anchor_draws(
    method: str, rates: ErrorRates | None, rng: np.random.Generator, draws: int
) -> tuple[np.ndarray, np.ndarray]:
    """Anchors drawn from their posteriors given the validation counts (shrunk where the rates
    differ between validation sources: ``ErrorRates.anchor_counts``), (draws, 17) each."""
    if method in ("cc", "pcc"):
        return np.zeros((draws, NUM_SDGS)), np.ones((draws, NUM_SDGS))
    (low_hits, low_size), (high_hits, high_size) = _need(rates).anchor_counts(method)
    low, high = (
        rng.beta(k + PRIOR, np.maximum(n - k, 0) + PRIOR, size=(draws, NUM_SDGS))
        for k, n in ((low_hits, low_size), (high_hits, high_size))
    )
    return low, high


def _adjust(
    mean: np.ndarray, low: np.ndarray, high: np.ndarray, *, undefined: bool = True
) -> np.ndarray:
    """``(mean - low) / (high - low)`` clipped to [0, 1].

    With ``undefined`` (point estimates), an SDG whose anchors do not separate gets NaN; in Monte
    Carlo draws such a draw is pushed to 0 or 1 instead, so the interval widens honestly.
    """
    gap = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.clip((mean - low) / np.maximum(gap, 1e-9), 0.0, 1.0)
    if undefined:
        value = np.where(np.isfinite(gap) & (gap > 0), value, np.nan)
    return value


def mean_draws(
    values: np.ndarray, rng: np.random.Generator, draws: int, *, binary: bool = False
) -> np.ndarray:
    """Draws of the 17 column means of the population these rows come from, (draws, 17).

    A Bayesian bootstrap with one unseen project: each draw weighs the n rows and one more project
    of unknown value (uniform; 0 or 1 for tags) by Dirichlet(1, ..., 1) weights, the posterior of a
    Dirichlet process with concentration 1. With many rows this is the ordinary bootstrap; with few
    it keeps an SDG that no row shows from getting the interval [0, 0]: twelve projects without
    it cannot rule out that about one in five projects of their kind has it.
    """
    n = len(values)
    if n >= NORMAL_FROM:  # the unseen project weighs nothing here; the bootstrap is normal
        spread = values.std(axis=0) / np.sqrt(n)
        return np.clip(rng.normal(values.mean(axis=0), spread, size=(draws, NUM_SDGS)), 0.0, 1.0)
    if binary:  # sums of Exp(1) weights over the tagged and untagged rows are Gamma draws: exact
        hits = values.sum(axis=0)
        tagged = rng.gamma(hits, size=(draws, NUM_SDGS))
        untagged = rng.gamma(n - hits, size=(draws, NUM_SDGS))
        unseen = rng.exponential(size=(draws, NUM_SDGS))
        value = rng.random((draws, NUM_SDGS)) < 0.5
        return (tagged + unseen * value) / (tagged + untagged + unseen)
    parts = []
    chunk = max(1, _CHUNK // (n + 1))
    for start in range(0, draws, chunk):
        weights = rng.exponential(size=(min(chunk, draws - start), n + 1))
        weights /= weights.sum(axis=1, keepdims=True)
        unseen = rng.random((len(weights), NUM_SDGS))
        parts.append(weights[:, :n] @ values + weights[:, n:] * unseen)
    return np.vstack(parts)


def _interval(method: str, estimate: np.ndarray, draws: np.ndarray) -> Prevalence:
    low, high = np.quantile(draws, [0.025, 0.975], axis=0)
    defined = np.isfinite(estimate)
    low = np.where(defined, np.fmin(low, estimate), np.nan)  # the estimate is always inside
    high = np.where(defined, np.fmax(high, estimate), np.nan)
    return Prevalence(method, estimate, low, high)


def _em(probs: np.ndarray, prior: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Saerens-Latinne-Decaestecker EM per SDG: the prevalence that makes the posteriors agree.

    ``weights`` (draws, n) are resampling counts; without them one estimate (17,) is returned.
    """
    w = np.ones((1, len(probs))) if weights is None else weights
    p = np.clip(probs, 1e-6, 1 - 1e-6)[None]
    prior = np.broadcast_to(prior, (len(w), NUM_SDGS))
    estimate = (w @ probs) / w.sum(axis=1, keepdims=True)
    for _ in range(EM_ITERATIONS):
        up = (estimate / prior)[:, None, :] * p
        down = ((1 - estimate) / (1 - prior))[:, None, :] * (1 - p)
        updated = np.einsum("bn,bnk->bk", w, up / (up + down)) / w.sum(axis=1, keepdims=True)
        done = np.nanmax(np.abs(updated - estimate)) < 1e-7
        estimate = updated
        if done:
            break
    return estimate if weights is not None else estimate[0]


def _em_prevalence(
    probs: np.ndarray, rates: ErrorRates, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    """EM with an ordinary bootstrap (EM needs every row's weight) and Beta-drawn priors."""
    texts = rates.positives + rates.negatives
    defined = (rates.positives > 0) & (rates.negatives > 0)
    prior = np.where(defined, rates.positives / np.maximum(texts, 1), 0.5)
    estimate = np.where(defined, np.clip(_em(probs, prior), 0, 1), np.nan)
    if not draws:
        return estimate, None
    n = len(probs)
    parts = []
    chunk = max(1, _CHUNK // (n * NUM_SDGS))
    for start in range(0, draws, chunk):
        size = min(chunk, draws - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)
        priors = rng.beta(rates.positives + PRIOR, rates.negatives + PRIOR, size=(size, NUM_SDGS))
        parts.append(_em(probs, priors, weights))
    return estimate, np.clip(np.vstack(parts), 0, 1)


def slope_draws(
    slope: np.ndarray,
    stderr: np.ndarray,
    df: int,
    method: str,
    rates: ErrorRates | None,
    rng: np.random.Generator,
    draws: int,
) -> np.ndarray:
    """Draws of the corrected slope per year, (draws, 17).

    A linear correction ``(x - low) / (high - low)`` turns the slope of ``x`` into
    ``slope / (high - low)``: the anchor ``low`` cancels, so only the gap's uncertainty is added to
    the regression's own (a t distribution with ``df`` degrees of freedom).
    """
    low, high = _anchor_draws(method, rates, rng, draws)
    noise = rng.standard_t(df, size=(draws, NUM_SDGS)) * stderr
    return (slope + noise) / np.maximum(high - low, 1e-9)
