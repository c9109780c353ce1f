"""Does a person's review make the profile's corrected prevalence truer? Synthetic portfolios.

    python scripts/eval_corrections.py [--model DIR] [--portfolios 200] [--output results/eval_corrections.json]

The portfolios are those of ``scripts/eval_prevalence.py`` (drawn with shifted SDG prevalences
from the labelled test splits ``corpus-test`` and ``real-test``). In each, a person labels some
projects (``profile --corrections``): chosen at random, or the ones ``sdg-align review`` would
put on the sheet (nearest a threshold, spread over the SDGs). Their true labels replace the
model's tags and probabilities (1 and 0), as ``apply_corrections`` does. Three estimates of
every SDG's prevalence (the shipped estimator, probabilistic adjusted count) are compared with the
portfolio's true shares:

- ``no review``: the model's tags for every project;
- ``labels corrected as tags``: a person's labels go through the correction like model output
  (what ``profile`` did before December 2026);
- ``labels counted``: a person's labels count as they are, only the other projects are corrected.

Per set, size and number labelled: the mean absolute error per SDG share and the coverage of the
95% interval. No evaluation-only set is read.
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
sys.path.insert(0, str(ROOT / "scripts"))

import eval_prevalence as portfolios  # noqa: E402

from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.profile.prevalence import METHOD, estimate_prevalence  # noqa: E402
from sdg_align.review import pick_for_review  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402

CELLS = ((100, 20), (500, 50))  # (portfolio size, projects a person labels)
PICKS = ("random", "review")
VARIANTS = ("no review", "labels corrected as tags", "labels counted")


def one_cell(
    data: dict[str, np.ndarray],
    thresholds: np.ndarray,
    rates: Any,
    size: int,
    labelled: int,
    picks: str,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> dict[str, dict[str, float]]:
    y, probs = data["y"], data["probs"]
    errors: dict[str, list[np.ndarray]] = {v: [] for v in VARIANTS}
    covered: dict[str, list[np.ndarray]] = {v: [] for v in VARIANTS}
    for _ in range(args.portfolios):
        weights = np.exp(y @ rng.normal(0.0, portfolios.SHIFT_SD, y.shape[1]))
        rows = rng.choice(len(y), size=size, p=weights / weights.sum())
        truth, p = y[rows].mean(axis=0), probs[rows]
        if picks == "random":
            chosen = rng.choice(size, size=labelled, replace=False)
        else:
            chosen = np.array([pick.row for pick in pick_for_review(p, thresholds, n=labelled)])
        known = np.zeros(size, dtype=bool)
        known[chosen] = True
        reviewed = p.copy()
        reviewed[known] = y[rows][known]
        runs = {
            "no review": (p >= thresholds, p, None),
            "labels corrected as tags": (reviewed >= thresholds, reviewed, None),
            "labels counted": (reviewed >= thresholds, reviewed, known),
        }
        for variant, (tags, values, mask) in runs.items():
            found = estimate_prevalence(
                tags, values, rates, method=METHOD, draws=args.draws, rng=rng, known=mask
            )
            errors[variant].append(np.abs(found.estimate - truth))
            covered[variant].append((found.low <= truth + 1e-9) & (truth <= found.high + 1e-9))
    return {
        v: {
            "mae": portfolios._mean(errors[v]),
            "coverage": portfolios._mean(covered[v]),
        }
        for v in VARIANTS
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--tags", default="balanced", help="operating point of the tags")
    parser.add_argument("--portfolios", type=int, default=200, help="per set and cell")
    parser.add_argument("--draws", type=int, default=500, help="Monte Carlo draws per interval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-error-rates", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_corrections.json")
    args = parser.parse_args()
    if args.output.exists():
        parser.error(f"{args.output} exists; choose another --output or remove it")
    configure_threads()
    started = time.time()
    model = SDGClassifier.from_pretrained(args.model)
    rates, rates_source = portfolios._error_rates(model, args)
    thresholds = model.cut(args.tags)
    rng = np.random.default_rng(args.seed)
    results: dict[str, Any] = {}
    print("| set | portfolio | labelled | picks | " + " | ".join(VARIANTS) + " |")
    print("|---|---|---|---|" + "---|" * len(VARIANTS))
    for name in portfolios.CHOOSING_SETS:
        data = portfolios._scored(model, name)
        for size, labelled in CELLS:
            for picks in PICKS:
                cell = one_cell(data, thresholds, rates, size, labelled, picks, args, rng)
                results.setdefault(name, {})[f"{size}/{labelled}/{picks}"] = cell
                figures = " | ".join(
                    f"{100 * cell[v]['mae']:.2f} pts, {cell[v]['coverage']:.0%}" for v in VARIANTS
                )
                print(f"| {name} | {size} | {labelled} | {picks} | {figures} |", flush=True)
    print("\n(mean absolute error per SDG share, and coverage of the 95% interval)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "command": "python scripts/eval_corrections.py",
                "model": str(args.model),
                "tags": args.tags,
                "method": METHOD,
                "error_rates": rates_source,
                "portfolios": args.portfolios,
                "draws": args.draws,
                "seed": args.seed,
                "shift_sd": portfolios.SHIFT_SD,
                "cells": {f"{size}/{labelled}": [size, labelled] for size, labelled in CELLS},
                "results": results,
                "seconds": round(time.time() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
