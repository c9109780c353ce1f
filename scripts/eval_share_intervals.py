"""How often the profile's 95% interval of a tag share holds the share of the process behind it.

    python scripts/eval_share_intervals.py            # -> results/eval_share_intervals.json

A group's `share` is k of its n projects; its interval says how far the share of projects like
these could be from k/n by the luck of which projects the group happens to hold (sampling noise
only; the classifier's own errors are the corrected prevalence's business). For a true share p,
k is Binomial(n, p), so the coverage of an interval rule is exact: the sum over k = 0..n of
P(k) * [p lies in the interval computed from k]. No simulation of portfolios is needed; the
bootstrap rule's own randomness is drawn with the profile's default of 1,000 resamples.

Rules compared: the bootstrap percentile interval the profile used until now (resampling
projects draws the count from Binomial(n, k/n), so it is zero-wide at 0 and n), Wilson's score
interval, Jeffreys' interval and Clopper-Pearson's exact interval.

The rule for choosing, written before the first run: among the rules whose coverage is at least
0.90 at every (n, p) of the grid with n >= 12, take the one with the smallest mean width; the
grid is n in 5, 12, 30, 100, 500 and p in 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5 (SDG shares of real
portfolios run from about 1% to 50%).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.profile.intervals import share_interval  # noqa: E402

SIZES = [5, 12, 30, 100, 500]
SHARES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5]
LEVEL = 0.95


def bootstrap(k: np.ndarray, n: int, rng: np.random.Generator, draws: int) -> tuple:
    """The earlier rule: percentiles of Binomial(n, k/n) / n, as the profile drew them."""
    samples = rng.binomial(n, k / n, size=(draws, len(k))) / n
    low, high = np.quantile(samples, [0.025, 0.975], axis=0)
    return low, high


def wilson(k: np.ndarray, n: int) -> tuple:
    """Wilson's score interval (the end at 0 or 1 when k is 0 or n)."""
    z = stats.norm.ppf(0.975)
    share = k / n
    centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2))
    return np.where(k > 0, centre - half, 0.0), np.where(k < n, centre + half, 1.0)


def clopper_pearson(k: np.ndarray, n: int) -> tuple:
    low = np.where(k > 0, stats.beta.ppf(0.025, k, n - k + 1), 0.0)
    high = np.where(k < n, stats.beta.ppf(0.975, k + 1, n - k), 1.0)
    return low, high


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draws", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "results" / "eval_share_intervals.json"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rules = {
        "bootstrap percentile": lambda k, n: bootstrap(k, n, rng, args.draws),
        "wilson": wilson,
        "jeffreys": share_interval,  # what the profile ships
        "clopper-pearson": clopper_pearson,
    }
    cells = []
    for n in SIZES:
        k = np.arange(n + 1)
        bounds = {name: rule(k, n) for name, rule in rules.items()}
        for p in SHARES:
            weight = stats.binom.pmf(k, n, p)
            for name, (low, high) in bounds.items():
                # a hair of tolerance: Wilson's and the beta bounds are floats, p is exact
                held = (low <= p + 1e-12) & (p - 1e-12 <= high)
                cells.append(
                    {
                        "rule": name,
                        "n": n,
                        "p": p,
                        "coverage": round(float(weight @ held), 4),
                        "mean_width": round(float(weight @ (high - low)), 4),
                    }
                )

    summary = {}
    for name in rules:
        mine = [c for c in cells if c["rule"] == name]
        judged = [c for c in mine if c["n"] >= 12]
        summary[name] = {
            "min_coverage_n12plus": min(c["coverage"] for c in judged),
            "mean_coverage_n12plus": round(float(np.mean([c["coverage"] for c in judged])), 4),
            "mean_width_n12plus": round(float(np.mean([c["mean_width"] for c in judged])), 4),
            "by_n": {
                n: {
                    "min_coverage": min(c["coverage"] for c in mine if c["n"] == n),
                    "mean_coverage": round(
                        float(np.mean([c["coverage"] for c in mine if c["n"] == n])), 4
                    ),
                    "mean_width": round(
                        float(np.mean([c["mean_width"] for c in mine if c["n"] == n])), 4
                    ),
                }
                for n in SIZES
            },
        }
    eligible = [r for r in rules if summary[r]["min_coverage_n12plus"] >= 0.90]
    chosen = min(eligible, key=lambda r: summary[r]["mean_width_n12plus"]) if eligible else None

    print(f"coverage of the 95% share interval (exact over Binomial(n, p); p in {SHARES})")
    print(f"{'rule':22} " + " ".join(f"{'n=' + str(n):>17}" for n in SIZES))
    for name in rules:
        row = " ".join(
            f"{s['mean_coverage']:.3f} ({s['min_coverage']:.3f})"
            for s in summary[name]["by_n"].values()
        )
        print(f"{name:22} {row}")
    print("(mean over p, and the minimum in brackets)")
    print(f"{'rule':22} " + " ".join(f"{'width n=' + str(n):>17}" for n in SIZES))
    for name in rules:
        row = " ".join(f"{s['mean_width']:17.3f}" for s in summary[name]["by_n"].values())
        print(f"{name:22} {row}")
    print(f"chosen by the rule fixed beforehand: {chosen}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    command = "python scripts/eval_share_intervals.py" + (
        f" --draws {args.draws}" if args.draws != 1000 else ""
    )
    args.output.write_text(
        json.dumps(
            {
                "command": command,
                "level": LEVEL,
                "sizes": SIZES,
                "shares": SHARES,
                "choice_rule": "coverage >= 0.90 at every cell with n >= 12, then smallest mean width",
                "chosen": chosen,
                "summary": summary,
                "cells": cells,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {args.output.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
