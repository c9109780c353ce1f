"""Re-render a model folder's card from its config and metrics, adding comparisons.

    python scripts/update_model_card.py [--model models/sdg-align-base]

Reads, when present: the previous default model's figures (results/previous_model_eval.json, its
own saved-model evaluations, and the base-model row of results/eval_adaptation.json), results/zero_shot_baseline.json
(scripts/zero_shot_baseline.py) and results/eval_evidence.json (scripts/eval_evidence.py). The
model's own metrics come from its metrics.json, written at training time. Nothing is re-measured.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.model_card import render_model_card  # noqa: E402
from sdg_align.modeling import read_model_config  # noqa: E402


def _row(block: dict | None) -> str:
    if block is None:
        return "- | - | - | -"
    macro = block["macro"]
    micro = f"{block['micro']['f1']:.3f}" if "micro" in block else "-"
    return f"{macro['precision']:.3f} | {macro['recall']:.3f} | {macro['f1']:.3f} | {micro}"


def previous_model_figures(load: Callable[[str], dict]) -> dict:
    """The previous default model's figures per set, from the runs that measured them.

    results/previous_model_eval.json holds its saved-model evaluations from its own training run;
    a set it lacks (corpus-test, real-test) is taken from results/eval_adaptation.json (macro
    figures only) when that run's base model has the previous model's weights hash (a folder name
    would not prove that it is the same model).
    """
    previous = load("previous_model_eval.json")
    figures = dict(previous.get("evaluations", {}))
    adaptation = load("eval_adaptation.json")
    known = previous.get("weights_hash")
    if known and adaptation.get("base_weights_hash") == known:
        for name in ("corpus-test", "real-test"):
            if name in adaptation.get("base", {}) and name not in figures:
                figures[name] = {"macro": adaptation["base"][name]}
    return figures


def comparison_table(metrics: dict, previous: dict, baseline: dict) -> str:
    rows = [
        "| evaluation set | texts | model | macro P | macro R | macro F1 | micro F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, block in metrics.get("evaluations", {}).items():
        rows.append(f"| {name} | {block['samples']} | this model | {_row(block)} |")
        if name in previous:
            rows.append(f"| | | previous default model | {_row(previous[name])} |")
        measured = baseline.get("evaluations", {}).get(name)
        if measured and measured["samples"] == block["samples"]:  # not an older version of the set
            rows.append(f"| | | zero-shot baseline | {_row(measured)} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    args = parser.parse_args()
    config = read_model_config(args.model)
    metrics = json.loads((args.model / "metrics.json").read_text())
    card_file = args.model / "card.json"
    card = json.loads(card_file.read_text()) if card_file.is_file() else {}

    def load(name: str) -> dict:
        path = ROOT / "results" / name
        return json.loads(path.read_text()) if path.is_file() else {}

    previous, baseline = previous_model_figures(load), load("zero_shot_baseline.json")
    card["comparison"] = (
        "The previous default model (the same recipe with four trainable layers and the goals a "
        "source asserts and our annotation drops trained as negatives; trained on a CPU) was "
        "measured on the same texts by its own training run (saved model; "
        "`results/previous_model_eval.json`); the "
        "zero-shot baseline tags a text with every SDG whose best cosine similarity "
        "(all-MiniLM-L6-v2) to the official goal, target and indicator titles passes a per-SDG "
        "threshold tuned on training-side data (`python scripts/zero_shot_baseline.py`). All at "
        "`balanced` for this model:\n\n" + comparison_table(metrics, previous, baseline) + "\n"
    )
    evidence = load("eval_evidence.json")
    if evidence:
        row = next(iter(evidence["results"].values()))
        corpus, real = row["corpus"], row["real"]
        card["extra"] = (
            "## Evidence\n\n"
            "For a (text, SDG) pair with a labelled target, one of the labelled targets is among the "
            f"3 targets the evidence shows {corpus['top3_target_accuracy']:.1%} of the time on the "
            f"corpus test split ({corpus['pairs']} pairs; chance {corpus['chance']:.1%}) and "
            f"{real['top3_target_accuracy']:.1%} on real-test ({real['pairs']} pairs; chance "
            f"{real['chance']:.1%}); `python scripts/eval_evidence.py`."
        )
    (args.model / "README.md").write_text(render_model_card(config, metrics, card))
    card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(f"updated {args.model / 'README.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
