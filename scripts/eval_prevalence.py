"""Which prevalence estimator should the profile ship? Measured on synthetic portfolios.

Portfolios of 30, 100 and 500 texts (and 12, for small groups) are drawn with replacement from
labelled held-out texts: the corpus test split (`corpus-test`) and the annotated real texts' test
split (`real-test`). Each portfolio first shifts every SDG's prevalence at random (each text is
drawn with a weight exp(sum of N(0, 1) log-odds shifts of its SDGs)), so the estimators face
portfolios unlike the validation texts their error rates come from. Per method and size: the mean
absolute error of the 17 SDG shares against the portfolio's true shares, and how often the 95%
interval contains the true share. The method is chosen by the rule below, on these sets only.

The evaluation-only sets (`oro-gold`, `dpga-test`) are then profiled as one portfolio each and only
reported: the mean absolute error per SDG share and how many of the 17 intervals hold the true share.

    python scripts/eval_prevalence.py [--model DIR] [--tags balanced] [--portfolios 200]

The model's error rates come from its `error_rates.json`; a model without one (a model folder from
before training wrote the file) gets them counted here as training counts them: on the corpus dev
split, certain labels only (`--save-error-rates FILE` keeps them). Probabilities are
cached per model under $SDG_ALIGN_CACHE/eval_prevalence/. Prints tables; writes
results/eval_prevalence.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.decisions import error_rates  # noqa: E402
from sdg_align.e5_convert import default_cache_root  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.profile.error_rates import ERROR_RATES_FILE, ErrorRates  # noqa: E402
from sdg_align.profile.prevalence import METHOD, METHODS, estimate_prevalence  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402

CHOOSING_SETS = ("corpus-test", "real-test")
REPORTED_SETS = ("oro-gold", "dpga-test")
SIZES = (30, 100, 500)
SMALL = 12  # an extra row: does a group of 12 get an honest interval?
COVERAGE_BAND = (0.90, 0.98)
SHIFT_SD = 1.0  # standard deviation of the per-SDG log-odds shift of each portfolio


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--tags", default="balanced", help="operating point of the tags")
    parser.add_argument("--portfolios", type=int, default=200, help="per set and size")
    parser.add_argument("--draws", type=int, default=500, help="Monte Carlo draws per interval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-error-rates", type=Path, help="write the error rates used here")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_prevalence.json")
    args = parser.parse_args()
    configure_threads()
    started = time.time()
    model = SDGClassifier.from_pretrained(args.model)
    rates, rates_source = _error_rates(model, args)
    thresholds = model.cut(args.tags)
    sets = {name: _scored(model, name) for name in (*CHOOSING_SETS, *REPORTED_SETS)}
    rng = np.random.default_rng(args.seed)
    synthetic = {
        name: {
            str(size): _synthetic(sets[name], thresholds, rates, size, args, rng)
            for size in (SMALL, *SIZES)
        }
        for name in CHOOSING_SETS
    }
    chosen, ranking = _choose(synthetic)
    reported = {
        name: _one_portfolio(sets[name], thresholds, rates, 2000, rng) for name in REPORTED_SETS
    }
    by_set = {name: _recall_and_false_alarms(sets[name], thresholds) for name in sets}
    _print_tables(synthetic, reported, chosen, ranking)
    _print_rates(rates, by_set)
    result = {
        "model": str(args.model),
        "tags": args.tags,
        "error_rates": rates_source,
        "portfolios": args.portfolios,
        "draws": args.draws,
        "seed": args.seed,
        "shift_sd": SHIFT_SD,
        "sizes": [SMALL, *SIZES],
        "texts": {name: int(len(s["y"])) for name, s in sets.items()},
        "rule": (
            f"most (set, size) cells with coverage in {COVERAGE_BAND[0]:.0%}-"
            f"{COVERAGE_BAND[1]:.0%} over sizes {list(SIZES)}, ties by the lowest mean MAE"
        ),
        "ranking": ranking,
        "chosen": chosen,
        "shipped": METHOD,
        "synthetic": synthetic,
        "evaluation_only": reported,
        "validation_rates": {
            "true_positive_rate": _rounded(rates.true_positive_rate),
            "false_positive_rate": _rounded(rates.false_positive_rate),
        },
        "rates_by_set": by_set,
        "seconds": round(time.time() - started, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}", file=sys.stderr)


def _error_rates(model: SDGClassifier, args: argparse.Namespace) -> tuple[ErrorRates, str]:
    """The model's stored error rates, else counted on the corpus dev split as training would."""
    stored = args.model / ERROR_RATES_FILE
    if stored.is_file():
        data = json.loads(stored.read_text(encoding="utf-8"))
        return ErrorRates.from_dict(data, args.tags, source=str(stored)), str(stored)
    print(
        f"{args.model} has no {ERROR_RATES_FILE}: counting on the corpus dev split", file=sys.stderr
    )
    dev = load_source("corpus").where(split="dev")
    probs = _probabilities(model, "corpus-dev", dev.texts())
    points = {args.tags: model.cut(args.tags).tolist()}
    data = error_rates(probs, dev.label_matrix(), dev.certain_mask(), points)
    if args.save_error_rates:
        args.save_error_rates.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    source = f"counted here on the corpus dev split ({len(dev)} texts)"
    return ErrorRates.from_dict(data, args.tags, source=source), source


def _probabilities(model: SDGClassifier, name: str, texts: list[str]) -> np.ndarray:
    cache = default_cache_root() / "eval_prevalence" / model.weights_hash()[:16] / f"{name}.npy"
    if cache.is_file():
        cached = np.load(cache)
        if len(cached) == len(texts):
            return cached
    print(f"scoring {name} ({len(texts)} texts)", file=sys.stderr)
    probs = np.asarray(model.predict_proba(texts), dtype=float)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, probs)
    return probs


def _scored(model: SDGClassifier, name: str) -> dict[str, np.ndarray]:
    labelled = load_source(name)
    certain = labelled.certain_mask()
    if (certain < 1).any():
        print(f"note: {name} has uncertain labels; they count as absent", file=sys.stderr)
    return {
        "y": labelled.label_matrix() > 0,
        "probs": _probabilities(model, name, labelled.texts()),
    }


def _synthetic(
    data: dict[str, np.ndarray],
    thresholds: np.ndarray,
    rates: ErrorRates,
    size: int,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Many shifted portfolios of one size: MAE, coverage and width per method."""
    y, probs = data["y"], data["probs"]
    errors: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    covered: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    covered_rate: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    widths: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    for _ in range(args.portfolios):
        rows, weights = shifted_portfolio(y, size, rng)
        truth, rate = y[rows].mean(axis=0), weights @ y  # the portfolio's share; its source rate
        tags = probs[rows] >= thresholds
        for method in METHODS:
            draws = args.draws if method != "em" else min(args.draws, 100)  # EM is slow
            found = estimate_prevalence(
                tags, probs[rows], rates, method=method, draws=draws, rng=rng
            )
            errors[method].append(np.abs(found.estimate - truth))
            covered[method].append((found.low <= truth + 1e-9) & (truth <= found.high + 1e-9))
            covered_rate[method].append((found.low <= rate + 1e-9) & (rate <= found.high + 1e-9))
            widths[method].append(found.high - found.low)
    return {
        method: {
            "mae": _mean(errors[method]),
            "coverage": _mean(covered[method]),
            "coverage_of_source_rate": _mean(covered_rate[method]),
            "mean_width": _mean(widths[method]),
        }
        for method in METHODS
    }


def shifted_portfolio(
    y: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one portfolio with every SDG's prevalence shifted at random, and the draw weights.

    Each text is drawn with weight exp(sum of its SDGs' N(0, SHIFT_SD) log-odds shifts).
    """
    weights = np.exp(y @ rng.normal(0.0, SHIFT_SD, y.shape[1]))
    weights /= weights.sum()
    return rng.choice(len(y), size=size, p=weights), weights


def _mean(parts: list[np.ndarray]) -> float:
    return round(float(np.nanmean(np.stack(parts))), 4)


def _choose(synthetic: dict[str, dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Most cells with coverage in the band; ties by the lowest mean MAE."""
    ranking = []
    for method in METHODS:
        cells = [synthetic[name][str(size)][method] for name in CHOOSING_SETS for size in SIZES]
        in_band = sum(COVERAGE_BAND[0] <= c["coverage"] <= COVERAGE_BAND[1] for c in cells)
        mae = round(float(np.mean([c["mae"] for c in cells])), 4)
        ranking.append({"method": method, "cells_in_band": in_band, "mean_mae": mae})
    ranking.sort(key=lambda r: (-r["cells_in_band"], r["mean_mae"]))
    return ranking[0]["method"], ranking


def _one_portfolio(
    data: dict[str, np.ndarray],
    thresholds: np.ndarray,
    rates: ErrorRates,
    draws: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The whole set as one portfolio, as `sdg-align profile` would see it."""
    y, probs = data["y"], data["probs"]
    truth = y.mean(axis=0)
    out: dict[str, Any] = {"texts": int(len(y)), "true_mean_share": round(float(truth.mean()), 4)}
    for method in METHODS:
        found = estimate_prevalence(
            probs >= thresholds, probs, rates, method=method, draws=draws, rng=rng
        )
        inside = (found.low <= truth + 1e-9) & (truth <= found.high + 1e-9)
        out[method] = {
            "mean_share": round(float(np.nanmean(found.estimate)), 4),
            "mae": round(float(np.nanmean(np.abs(found.estimate - truth))), 4),
            "intervals_with_truth": int(inside.sum()),
            "mean_width": round(float(np.nanmean(found.high - found.low)), 4),
            "per_sdg": {
                str(k + 1): {
                    "true": round(float(truth[k]), 4),
                    "estimate": round(float(found.estimate[k]), 4),
                    "low": round(float(found.low[k]), 4),
                    "high": round(float(found.high[k]), 4),
                }
                for k in range(len(truth))
            },
        }
    return out


def _rounded(values: np.ndarray) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]


def _recall_and_false_alarms(
    data: dict[str, np.ndarray], thresholds: np.ndarray
) -> dict[str, list[float | None]]:
    """How the tags behave on a set: the error rates the correction assumes, measured there."""
    y, tags = data["y"], data["probs"] >= thresholds
    positives, negatives = y.sum(axis=0), (~y).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = (tags & y).sum(axis=0) / positives
        false_alarms = (tags & ~y).sum(axis=0) / negatives
    return {
        "positives": [int(v) for v in positives],
        "true_positive_rate": _rounded(recall),
        "false_positive_rate": _rounded(false_alarms),
    }


def _print_rates(rates: ErrorRates, by_set: dict[str, dict[str, list[float | None]]]) -> None:
    print("\nRecall of the tags per SDG: validation (what the correction assumes) and each set")
    names = list(by_set)
    print("| SDG | validation | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for k in range(len(rates.positives)):
        cells = [by_set[name]["true_positive_rate"][k] for name in names]
        shown = " | ".join("–" if c is None else f"{c:.2f}" for c in cells)
        print(f"| {k + 1} | {rates.true_positive_rate[k]:.2f} | {shown} |")


def _print_tables(
    synthetic: dict[str, dict[str, Any]],
    reported: dict[str, dict[str, Any]],
    chosen: str,
    ranking: list[dict[str, Any]],
) -> None:
    sizes = [SMALL, *SIZES]
    print("Synthetic portfolios: MAE per SDG share (points) / 95% interval coverage")
    header = "| set | method | " + " | ".join(f"n={n}" for n in sizes) + " |"
    print(header)
    print("|" + "---|" * (len(sizes) + 2))
    for name in CHOOSING_SETS:
        for method in METHODS:
            cells = [synthetic[name][str(n)][method] for n in sizes]
            row = " | ".join(f"{100 * c['mae']:.2f} / {100 * c['coverage']:.0f}%" for c in cells)
            print(f"| {name} | {method} | {row} |")
    print(f"\nn={SMALL}: coverage of the rate the portfolio was drawn from")
    for name in CHOOSING_SETS:
        line = ", ".join(
            f"{m} {100 * synthetic[name][str(SMALL)][m]['coverage_of_source_rate']:.0f}%"
            for m in METHODS
        )
        print(f"  {name}: {line}")
    print("\nRanking (cells with coverage in band over sizes 30-500, mean MAE):")
    for entry in ranking:
        print(f"  {entry['method']}: {entry['cells_in_band']} cells, {100 * entry['mean_mae']:.2f}")
    print(f"chosen: {chosen}; shipped in sdg_align.profile.prevalence.METHOD: {METHOD}")
    print("\nEvaluation-only sets, one portfolio each (reported, never used to choose):")
    print(
        "| set | texts | true mean share | method | mean share | MAE (points) | intervals with truth |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, found in reported.items():
        for method in METHODS:
            entry = found[method]
            print(
                f"| {name} | {found['texts']} | {100 * found['true_mean_share']:.1f}% | {method} | "
                f"{100 * entry['mean_share']:.1f}% | {100 * entry['mae']:.2f} | "
                f"{entry['intervals_with_truth']} of 17 |"
            )


if __name__ == "__main__":
    main()
