"""How often a profile's trend labels (accelerating, slowing, unclear) change with --seed alone.

    python scripts/eval_trend_stability.py          # -> results/eval_trend_stability.json

A board reads "Accelerating: SDG 13" as a finding; it must not hang on the random seed of the
Monte Carlo draws behind the corrected slope's interval. The script scores the example portfolio
with the bundled model (as the README's main command does), builds its profile by cluster and
year for seeds 0..9 at several numbers of draws (--bootstrap), and counts the (group, SDG) cells
whose label is not the same for every seed, and the seconds one profile takes.

The rule for choosing the default number of draws, written before the first run: the smallest
count in the grid at which at most one cell of the example portfolio changes its label across
the ten seeds, provided one profile then takes under 10 seconds on this 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.profile import ProfileColumns, build_profile  # noqa: E402
from sdg_align.profile.error_rates import error_rates_for_model  # noqa: E402
from sdg_align.scoring import score_rows  # noqa: E402
from sdg_align.tables import read_table  # noqa: E402

DRAWS = [1000, 2000, 4000, 10000]
SEEDS = range(10)


def labels(profile: dict) -> dict[str, str | None]:
    """'group/SDG' -> trend label, for the overall profile and every group."""
    found = {}
    for group in [profile["overall"], *profile["groups"]]:
        for item in group["sdgs"]:
            trend = item.get("trend") or {}
            found[f"{group['name']}/{item['sdg']}"] = trend.get("trend")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=str(ROOT / "results" / "eval_trend_stability.json"))
    args = parser.parse_args()
    frame = read_table(ROOT / "examples" / "portfolio.csv")
    scored = score_rows(frame, load_classifier(None), text_cols=["title", "description"])
    rates, _missing = error_rates_for_model(None, "balanced")
    columns = ProfileColumns(by="cluster", time_col="year", id_col="project_id")
    rows = []
    for draws in DRAWS:
        seen: dict[str, Counter] = {}
        seconds = []
        for seed in SEEDS:
            start = time.perf_counter()
            profile = build_profile(
                scored, columns=columns, bootstrap=draws, seed=seed, error_rates=rates
            ).to_dict()
            seconds.append(time.perf_counter() - start)
            for cell, label in labels(profile).items():
                seen.setdefault(cell, Counter())[label] += 1
        unstable = {cell: dict(c) for cell, c in seen.items() if len(c) > 1}
        rows.append(
            {
                "draws": draws,
                "cells": len(seen),
                "unstable_cells": len(unstable),
                "unstable": unstable,
                "seconds_per_profile": round(sum(seconds) / len(seconds), 2),
            }
        )
        print(
            f"draws {draws:>6}: {len(unstable)} of {len(seen)} cells change label across "
            f"{len(SEEDS)} seeds; {rows[-1]['seconds_per_profile']:.2f} s per profile"
        )
    chosen = next(
        (r["draws"] for r in rows if r["unstable_cells"] <= 1 and r["seconds_per_profile"] < 10),
        None,
    )
    print(f"chosen by the rule: {chosen}")
    result = {
        "command": "python scripts/eval_trend_stability.py",
        "portfolio": "examples/portfolio.csv (scored with the bundled model)",
        "seeds": list(SEEDS),
        "rule": "smallest draws with at most 1 unstable cell and under 10 s per profile",
        "chosen": chosen,
        "rows": rows,
    }
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
