"""Are the profile's trend labels honest? Coverage and false alarms on synthetic portfolios over time.

A board reads "Accelerating: SDG 13" as a finding. This script builds portfolios whose SDG shares
change over the years by a known amount and asks how often the profile's 95% slope intervals
hold the true slope, and how often it calls a trend ('accelerating' or 'slowing') where the
share does not move at all.

Each portfolio has 2 or 3 yearly periods of n projects each, drawn with replacement from labelled
held-out texts (`corpus-test`, `real-test`; their probabilities are the model's, cached as
scripts/eval_prevalence.py caches them). Period p draws a text with weight
exp(sum over its SDGs of s_k + d_k (p - mean period)): s_k ~ N(0, 1) shifts the level as
eval_prevalence.py does; d_k, the change per year in log-odds, is 0 for half the SDGs (no trend)
and N(0, 0.6) for the others. The true slope of SDG k is the least-squares slope of the periods'
true shares (the weighted label rates), the quantity the profile's line estimates; an SDG with
d_k = 0 still moves a little when SDGs it shares texts with move, so 'no trend' means a true slope
under 1 point a year.

Per cell (set, periods, projects per period): the coverage and mean width of the raw interval
(the line through the tags) and of the corrected one (through error-corrected values, which the
trend label follows), the share of SDGs without a trend (under 1 point a year) labelled
accelerating or slowing (false trends; a 95% interval should keep it near 5%), and the share of SDGs moving by 5 points a year or more
that get the right label (power).

    python scripts/eval_trend_intervals.py [--portfolios 200] [--draws 1000]

Writes results/eval_trend_intervals.json.
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

from eval_prevalence import _scored  # noqa: E402

from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.profile.error_rates import ERROR_RATES_FILE, ErrorRates  # noqa: E402
from sdg_align.profile.trends import trends  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402

SETS = ("corpus-test", "real-test")
CELLS = ((3, 1), (3, 2), (2, 5), (3, 5), (3, 15), (3, 50))  # (periods, projects per period)
CHANGE_SD = 0.6  # log-odds change per year of an SDG that moves
MOVING = 0.05  # a true slope of 5 points a year or more counts for power
STILL = 0.01  # one under 1 point a year counts as no trend (d_k = 0 still moves with other SDGs)


def one_cell(
    data: dict[str, np.ndarray],
    thresholds: np.ndarray,
    rates: ErrorRates,
    periods: int,
    size: int,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> dict[str, Any]:
    y, probs = data["y"], data["probs"]
    years = np.arange(periods) - (periods - 1) / 2
    found: dict[str, list[float]] = {
        k: []
        for k in (
            "raw_covered",
            "raw_width",
            "corrected_covered",
            "corrected_width",
            "corrected_narrower",
            "false_trend",
            "power",
            "wrong_direction",
        )
    }
    for _ in range(args.portfolios):
        level = rng.normal(0.0, 1.0, y.shape[1])
        change = np.where(rng.random(y.shape[1]) < 0.5, 0.0, rng.normal(0, CHANGE_SD, y.shape[1]))
        rows, rate = [], []
        for year in years:
            weights = np.exp(y @ (level + change * year))
            weights /= weights.sum()
            rows.append(rng.choice(len(y), size=size, p=weights))
            rate.append(weights @ y)
        true_slope = (years @ (np.array(rate) - np.mean(rate, axis=0))) / (years @ years)
        picked = np.concatenate(rows)
        period_of = np.repeat(2023 + np.arange(periods), size)
        lines = trends(
            period_of,
            probs[picked] >= thresholds,
            probs[picked],
            rates=rates,
            rng=rng,
            draws=args.draws,
        )
        for k, line in enumerate(lines):
            if line.trend is None:  # an SDG the portfolio never shows: no label, no interval
                continue
            truth = true_slope[k]
            if line.slope_ci_low is not None and line.slope_ci_high is not None:
                found["raw_covered"].append(
                    line.slope_ci_low - 1e-9 <= truth <= line.slope_ci_high + 1e-9
                )
                found["raw_width"].append(line.slope_ci_high - line.slope_ci_low)
            low, high = line.prevalence_slope_ci_low, line.prevalence_slope_ci_high
            if low is not None and high is not None:
                found["corrected_covered"].append(low - 5e-4 <= truth <= high + 5e-4)
                found["corrected_width"].append(high - low)
                if line.slope_ci_low is not None and line.slope_ci_high is not None:
                    found["corrected_narrower"].append(
                        high - low < line.slope_ci_high - line.slope_ci_low - 1e-9
                    )
            called = line.trend in ("accelerating", "slowing")
            if abs(truth) < STILL:
                found["false_trend"].append(called)
            elif abs(truth) >= MOVING:
                right = "accelerating" if truth > 0 else "slowing"
                found["power"].append(line.trend == right)
                found["wrong_direction"].append(called and line.trend != right)
    return {
        key: (round(float(np.mean(values)), 4) if values else None) for key, values in found.items()
    } | {"judged_no_trend": len(found["false_trend"]), "judged_moving": len(found["power"])}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--tags", default="balanced")
    parser.add_argument("--portfolios", type=int, default=200, help="per set and cell")
    parser.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws per interval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "results" / "eval_trend_intervals.json"
    )
    args = parser.parse_args()
    configure_threads()
    started = time.time()
    model = SDGClassifier.from_pretrained(args.model)
    stored = json.loads((args.model / ERROR_RATES_FILE).read_text(encoding="utf-8"))
    rates = ErrorRates.from_dict(stored, args.tags, source=str(args.model / ERROR_RATES_FILE))
    thresholds = model.cut(args.tags)
    rng = np.random.default_rng(args.seed)
    results: dict[str, Any] = {}
    print(
        "| set | periods x projects | raw coverage (width) | corrected coverage (width) | "
        "corrected narrower | false trends | power | wrong direction |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in SETS:
        data = _scored(model, name)
        for periods, size in CELLS:
            cell = one_cell(data, thresholds, rates, periods, size, args, rng)
            results[f"{name} {periods}x{size}"] = cell
            print(
                f"| {name} | {periods} x {size} | {cell['raw_covered']:.1%} "
                f"({cell['raw_width']:.3f}) | {cell['corrected_covered']:.1%} "
                f"({cell['corrected_width']:.3f}) | {cell['corrected_narrower']:.1%} | "
                f"{cell['false_trend']:.1%} | {cell['power']:.1%} | {cell['wrong_direction']:.1%} |"
            )
    args.output.write_text(
        json.dumps(
            {
                "command": "python scripts/eval_trend_intervals.py " + " ".join(sys.argv[1:]),
                "model": "models/sdg-align-base",
                "tags": args.tags,
                "portfolios_per_cell": args.portfolios,
                "draws": args.draws,
                "seconds": round(time.time() - started),
                "cells": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
