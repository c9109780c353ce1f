"""How much a retrain moves by chance: recipe variants over several seeds, from device_train results.

    python scripts/summarise_seeds.py results/recipe_seeds/run*.json
        [--reference training_data/recipes/sdg-align-base.toml]
        [--shipped results/sdg-align-base_eval.json] [--output results/recipe_seeds.json]

Each input is a ``results.json`` of ``scripts/device_train.py`` (one entry per trained variant, with
the saved model's evaluations and its whole recipe). Runs are grouped by how their recipe differs
from ``--reference`` (the default model's recipe), ``seed`` aside: the seed draws the head's initial
weights, the order of the batches and the random tenth of each real source held out for validation.
Grouping by the whole recipe, not by a call's ``--variant`` overrides, keeps runs of one recipe
together whichever recipe file a call started from. A seed run twice in a group (a GPU run does not
repeat bit for bit) counts once, the first run read; the others are named on stderr. For every
group and evaluation set the script prints the mean, the standard deviation over seeds and the
range of macro precision, recall and F1 and of micro F1 at ``balanced``, beside the bundled model,
and writes the same to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.errors import DataError  # noqa: E402
from sdg_align.training import TrainingConfig  # noqa: E402

RECIPE = ROOT / "training_data" / "recipes" / "sdg-align-base.toml"
MEASURES = (("macro", "precision"), ("macro", "recall"), ("macro", "f1"), ("micro", "f1"))


def group_name(recipe: dict, reference: dict) -> str:
    """The settings in which ``recipe`` differs from ``reference``, seed aside, as one name."""
    changes = {
        k: v for k, v in sorted(recipe.items()) if k != "seed" and reference.get(k, "?") != v
    }
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or "recipe as is"


def spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 4),
        "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; anything else ends the script with a one-line error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.exit(f"error: cannot read {path}: {exc}")
    if not isinstance(data, dict):
        sys.exit(f"error: {path} is not a results file of scripts/device_train.py")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument(
        "--reference", type=Path, default=RECIPE, help="the recipe runs differ from"
    )
    parser.add_argument(
        "--shipped", type=Path, default=ROOT / "results" / "sdg-align-base_eval.json"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "recipe_seeds.json")
    args = parser.parse_args()
    try:
        reference = TrainingConfig.from_file(args.reference).to_dict()
    except DataError as exc:  # from_file's own error for a missing, unreadable or invalid recipe
        sys.exit(f"error: {exc}")

    groups: dict[str, list[tuple[str, dict]]] = {}
    for path in args.runs:
        for name, run in read_json(path).items():
            if not run.get("finished"):
                print(f"{path.name}: {name} did not finish; left out", file=sys.stderr)
                continue
            group = groups.setdefault(group_name(run["recipe"], reference), [])
            twin = next((n for n, r in group if r["recipe"]["seed"] == run["recipe"]["seed"]), None)
            if twin is not None:
                print(f"{path.name}: {name} repeats the seed of {twin}; left out", file=sys.stderr)
                continue
            group.append((name, run))
    shipped = read_json(args.shipped).get("evaluations")
    if not isinstance(shipped, dict):
        sys.exit(f"error: {args.shipped} has no 'evaluations' (a train_default.py results file?)")
    sets = list(shipped)

    summary: dict[str, dict] = {}
    for group, runs in groups.items():
        block: dict[str, dict] = {
            "runs": {
                name: {
                    "seed": run["recipe"]["seed"],
                    "seconds": run["seconds"],
                    "best_validation_macro_f1": max(h["val_macro_f1"] for h in run["history"]),
                    "validation_texts": run["sizes"]["validation"],
                    **{
                        s: {f"{a} {m}": round(run["evaluations"][s][a][m], 4) for a, m in MEASURES}
                        for s in sets
                    },
                }
                for name, run in runs
            }
        }
        for s in sets:
            block[s] = {
                f"{a} {m}": spread([run["evaluations"][s][a][m] for _, run in runs])
                for a, m in MEASURES
            }
        summary[group] = block

    print("| recipe change | seeds | validation | " + " | ".join(sets) + " |")
    print("|---|---|---|" + "---|" * len(sets))
    cells = [f"{shipped[s]['macro']['f1']:.3f}" for s in sets]
    print("| the bundled model (one run) | 1 | | " + " | ".join(cells) + " |")
    for group, block in summary.items():
        block["best_validation_macro_f1"] = spread(
            [run["best_validation_macro_f1"] for run in block["runs"].values()]
        )
        cells = [f"{block['best_validation_macro_f1']['mean']:.3f}"] + [
            f"{block[s]['macro f1']['mean']:.3f} ± {block[s]['macro f1']['sd']:.3f}" for s in sets
        ]
        print(f"| {group} | {len(block['runs'])} | " + " | ".join(cells) + " |")
    print(
        "\n(macro-F1 at balanced: mean ± standard deviation over seeds; validation: the best "
        "epoch's source-balanced macro-F1 on each run's own validation split, which the seed draws)"
    )
    args.output.write_text(
        json.dumps(
            {
                "command": "python scripts/summarise_seeds.py "
                + " ".join(str(p) for p in args.runs),
                "reference": str(
                    args.reference.relative_to(ROOT)
                    if args.reference.is_relative_to(ROOT)
                    else args.reference
                ),
                "shipped": {
                    s: {f"{a} {m}": round(shipped[s][a][m], 4) for a, m in MEASURES} for s in sets
                },
                "groups": summary,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
