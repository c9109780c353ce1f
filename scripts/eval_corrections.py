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
- ``labels counted``: a person's labels count as they are, only the other projects are corrected;
- ``audit`` (random picks only): the reviewed projects are a random sample, and the others are
  corrected by their residuals (``profile`` does this from ``MIN_AUDIT`` audited projects in a
  group; here at every size, to show where that minimum belongs).

Per set, size and number labelled: the mean absolute error per SDG share and the coverage of the
95% interval. The evaluation-only sets (ORO gold, DPGA test) are then only reported, each as one
portfolio whose random audit of 50 projects is drawn 200 times: nothing is chosen on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import eval_prevalence as portfolios  # noqa: E402

from sdg_align.errors import ModelError  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.profile import prevalence  # noqa: E402
from sdg_align.profile.prevalence import METHOD, Audit, estimate_prevalence  # noqa: E402
from sdg_align.review import pick_for_review  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402

# (portfolio size, projects a person labels)
CELLS = ((100, 10), (100, 20), (100, 30), (500, 20), (500, 50), (500, 100))
AUDIT = 50  # projects audited in each evaluation-only set (reported only)
PICKS = ("random", "review")
VARIANTS = ("no review", "labels corrected as tags", "labels counted", "audit")


@contextmanager
def no_minimum() -> Iterator[None]:
    """The audit estimator at any audit size (the profile needs MIN_AUDIT), to show where the
    minimum belongs."""
    kept = prevalence.MIN_AUDIT
    prevalence.MIN_AUDIT = 1
    try:
        yield
    finally:
        prevalence.MIN_AUDIT = kept


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
    widths: dict[str, list[np.ndarray]] = {v: [] for v in VARIANTS}
    for _ in range(args.portfolios):
        rows, _weights = portfolios.shifted_portfolio(y, size, rng)
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
        if picks == "random":
            audit = Audit(known, p)
            with no_minimum():
                found = estimate_prevalence(
                    reviewed >= thresholds, reviewed, rates, method=METHOD, draws=args.draws,
                    rng=rng, known=known, audit=audit,
                )  # fmt: skip
            errors["audit"].append(np.abs(found.estimate - truth))
            covered["audit"].append((found.low <= truth + 1e-9) & (truth <= found.high + 1e-9))
            widths["audit"].append(found.high - found.low)
        for variant, (tags, values, mask) in runs.items():
            found = estimate_prevalence(
                tags, values, rates, method=METHOD, draws=args.draws, rng=rng, known=mask
            )
            errors[variant].append(np.abs(found.estimate - truth))
            covered[variant].append((found.low <= truth + 1e-9) & (truth <= found.high + 1e-9))
            widths[variant].append(found.high - found.low)
    return {
        v: {
            "mae": portfolios._mean(errors[v]),
            "coverage": portfolios._mean(covered[v]),
            "mean_width": portfolios._mean(widths[v]),
        }
        for v in VARIANTS
        if errors[v]
    }


def reported(
    data: dict[str, np.ndarray],
    thresholds: np.ndarray,
    rates: Any,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> dict[str, dict[str, float]]:
    """One whole evaluation-only set as the portfolio, audited at random ``args.audits`` times."""
    y, p = data["y"], data["probs"]
    truth = y.mean(axis=0)
    found: dict[str, list[tuple[float, int]]] = {
        v: [] for v in ("no review", "labels counted", "audit")
    }
    for _ in range(args.audits):
        known = np.zeros(len(y), dtype=bool)
        known[rng.choice(len(y), size=AUDIT, replace=False)] = True
        reviewed = p.copy()
        reviewed[known] = y[known]
        runs = {
            "no review": (p, None, None),
            "labels counted": (reviewed, known, None),
            "audit": (reviewed, known, Audit(known, p)),
        }
        for variant, (values, mask, audit) in runs.items():
            estimate = estimate_prevalence(
                values >= thresholds, values, rates, method=METHOD, draws=args.draws, rng=rng,
                known=mask, audit=audit,
            )  # fmt: skip
            inside = (estimate.low <= truth + 1e-9) & (truth <= estimate.high + 1e-9)
            found[variant].append(
                (float(np.nanmean(np.abs(estimate.estimate - truth))), int(inside.sum()))
            )
    return {
        v: {
            "mae": round(float(np.mean([m for m, _ in runs_])), 4),
            "sdgs_inside": round(float(np.mean([i for _, i in runs_])), 2),
        }
        for v, runs_ in found.items()
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
    parser.add_argument("--audits", type=int, default=200, help="random audits per reported set")
    parser.add_argument("--save-error-rates", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_corrections.json")
    args = parser.parse_args()
    if args.output.exists():
        parser.error(f"{args.output} exists; choose another --output or remove it")
    configure_threads()
    started = time.time()
    try:
        model = SDGClassifier.from_pretrained(args.model)
    except ModelError as exc:
        sys.exit(f"error: {exc}")
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
                    f"{100 * cell[v]['mae']:.2f}, {cell[v]['coverage']:.0%}, "
                    f"{100 * cell[v]['mean_width']:.0f}"
                    if v in cell
                    else "-"
                    for v in VARIANTS
                )
                print(f"| {name} | {size} | {labelled} | {picks} | {figures} |", flush=True)
    print(
        "\n(mean absolute error per SDG share in points, coverage of the 95% interval, its mean "
        "width in points)"
    )
    evaluation_only = {}
    print(f"\nEvaluation-only sets, one portfolio each, a random audit of {AUDIT} projects "
          f"drawn {args.audits} times: mean error per SDG share, SDGs of 17 inside the interval")  # fmt: skip
    for name in portfolios.REPORTED_SETS:
        block = reported(portfolios._scored(model, name), thresholds, rates, args, rng)
        evaluation_only[name] = block
        print(f"{name}: " + "; ".join(
            f"{v} {100 * b['mae']:.2f} pts, {b['sdgs_inside']:.1f}/17" for v, b in block.items()
        ), flush=True)  # fmt: skip
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
                "evaluation_only": {"audited": AUDIT, "audits": args.audits, **evaluation_only},
                "seconds": round(time.time() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
