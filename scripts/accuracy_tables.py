"""Print the README's accuracy tables (Markdown) from measured results; nothing is re-measured.

    python scripts/accuracy_tables.py [--model-results results/sdg-align-base_eval.json]
                                      [--before EVAL.json]

Reads the saved default model's evaluations (written by scripts/train_default.py), the previous
default model's figures exactly as the model card takes them (`update_model_card.previous_model_figures`:
results/previous_model_eval.json, plus the base-model row of results/eval_adaptation.json for
corpus-test and real-test) and the zero-shot baseline (results/zero_shot_baseline.json). With
`--before`, the evaluations of the model a retrain replaced are set beside the new ones. Sets a file
lacks are shown as "-".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from update_model_card import previous_model_figures  # the same "previous model" as the card

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _macro(block: dict[str, Any] | None, key: str) -> str:
    return f"{block['macro'][key]:.3f}" if block else "-"


def _prf(block: dict[str, Any] | None) -> str:
    """Macro precision / recall / F1 of a block, or "-" when the set was not measured."""
    return " / ".join(_macro(block, key) for key in ("precision", "recall", "f1")) if block else "-"


def overview(model: dict, previous: dict, baseline: dict) -> str:
    rows = [
        "| evaluation set | texts | macro P | macro R | **macro F1** | micro F1 "
        "| previous model P / R / F1 | zero-shot baseline F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, block in model.items():
        old_text = _prf(previous.get(name))
        rows.append(
            f"| {name} | {block['samples']} | {_macro(block, 'precision')} | "
            f"{_macro(block, 'recall')} | **{_macro(block, 'f1')}** | "
            f"{block['micro']['f1']:.3f} | {old_text} | {_macro(baseline.get(name), 'f1')} |"
        )
    return "\n".join(rows)


def operating_points(model: dict) -> str:
    rows = [
        "| evaluation set | precise P / R / F1 | balanced P / R / F1 | broad P / R / F1 |",
        "|---|---|---|---|",
    ]
    for name, block in model.items():
        points = block.get("operating_points", {})
        cells = [_prf(points.get(point)) for point in ("precise", "balanced", "broad")]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def per_sdg(model: dict, sets: list[str]) -> str:
    present = [name for name in sets if name in model]
    rows = [
        "| SDG | " + " | ".join(f"{name} F1 (P / R, support)" for name in present) + " |",
        "|---|" + "---|" * len(present),
    ]
    for index in range(17):
        row = model[present[0]]["per_sdg"][index]
        cells = []
        for name in present:
            r = model[name]["per_sdg"][index]
            cells.append(
                f"{r['f1']:.2f} ({r['precision']:.2f} / {r['recall']:.2f}, {r['support']})"
                if r["support"]
                else "- (0)"
            )
        rows.append(f"| {row['sdg']} {row['name']} | " + " | ".join(cells) + " |")
    rows.append(
        "| **macro** | " + " | ".join(f"**{_macro(model[n], 'f1')}**" for n in present) + " |"
    )
    return "\n".join(rows)


def breakdown(model: dict, name: str, attribute: str) -> str:
    groups = model.get(name, {}).get(f"by_{attribute}", {})
    rows = [
        f"| {attribute} | texts | macro P | macro R | macro F1 | micro F1 |",
        "|---|---|---|---|---|---|",
    ]
    for value, block in groups.items():
        rows.append(
            f"| {value} | {block['samples']} | {_macro(block, 'precision')} | "
            f"{_macro(block, 'recall')} | {_macro(block, 'f1')} | {block['micro']['f1']:.3f} |"
        )
    return "\n".join(rows)


def before_after(model: dict, before: dict) -> str:
    """The evaluations of the model a retrain replaced beside the new model's, set by set."""
    rows = [
        "| evaluation set | texts | before: macro P / R / F1, micro F1 | after: macro P / R / F1, micro F1 "
        "| macro-F1 change |",
        "|---|---|---|---|---|",
    ]

    def cell(b: dict | None) -> str:
        return f"{_prf(b)}, {b['micro']['f1']:.3f}" if b else "-"

    for name, block in model.items():
        old = before.get(name)
        change = f"{100 * (block['macro']['f1'] - old['macro']['f1']):+.1f}" if old else "-"
        rows.append(f"| {name} | {block['samples']} | {cell(old)} | {cell(block)} | {change} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-results", type=Path, default=RESULTS / "sdg-align-base_eval.json")
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="evaluations of the model a retrain replaced (same format): a before/after table",
    )
    args = parser.parse_args()
    model = _load(args.model_results).get("evaluations", {})
    previous = previous_model_figures(lambda name: _load(RESULTS / name))
    baseline = _load(RESULTS / "zero_shot_baseline.json").get("evaluations", {})
    print(overview(model, previous, baseline), end="\n\n")
    if args.before:
        print(before_after(model, _load(args.before).get("evaluations", {})), end="\n\n")
    print(operating_points(model), end="\n\n")
    print(per_sdg(model, ["corpus-test", "real-test", "dpga-test", "oro-gold"]), end="\n\n")
    for name in ("corpus-test", "parallel-test", "real-test"):
        for attribute in ("lang", "length"):
            if model.get(name, {}).get(f"by_{attribute}"):
                print(f"{name} by {attribute}:\n\n" + breakdown(model, name, attribute), end="\n\n")
    swiss = model.get("swisstext-test", {}).get("shared_task")
    if swiss:
        print("swisstext-test shared task:", json.dumps(swiss))


if __name__ == "__main__":
    main()
