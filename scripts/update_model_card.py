"""Re-render a model folder's card from its config and metrics, adding the baseline comparison.

    python scripts/update_model_card.py [--model models/sdg-align-base]

Reads results/zero_shot_baseline.json (scripts/zero_shot_baseline.py) and, when present,
results/eval_evidence.json (scripts/eval_evidence.py); the model's own metrics come from its
metrics.json, written at training time. Nothing is re-measured here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.model_card import render_model_card  # noqa: E402
from sdg_align.modeling import ModelConfig  # noqa: E402


def comparison_table(metrics: dict, baseline: dict) -> str:
    rows = [
        "| evaluation set | texts | this model macro-F1 | zero-shot baseline macro-F1 | this model micro-F1 | baseline micro-F1 |",
        "|---|---|---|---|---|---|",
    ]
    for name, block in metrics.get("evaluations", {}).items():
        base = baseline.get("evaluations", {}).get(name)
        if base is None:
            continue
        rows.append(
            f"| {name} | {block['samples']} | **{block['macro']['f1']:.3f}** | {base['macro']['f1']:.3f} "
            f"| {block['micro']['f1']:.3f} | {base['micro']['f1']:.3f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    args = parser.parse_args()
    config = ModelConfig.from_dict(json.loads((args.model / "config.json").read_text()))
    metrics = json.loads((args.model / "metrics.json").read_text())
    card = (
        json.loads((args.model / "card.json").read_text())
        if (args.model / "card.json").is_file()
        else {}
    )
    baseline_file = ROOT / "results" / "zero_shot_baseline.json"
    if baseline_file.is_file():
        baseline = json.loads(baseline_file.read_text())
        card["comparison"] = (
            "The baseline tags a text with every SDG whose best cosine similarity (all-MiniLM-L6-v2) to "
            "the official English goal, target and indicator titles passes a per-SDG threshold tuned on "
            "the corpus dev split and the DPGA training part (`python scripts/zero_shot_baseline.py`). "
            "Same held-out sets, same metrics:\n\n" + comparison_table(metrics, baseline) + "\n"
        )
    evidence_file = ROOT / "results" / "eval_evidence.json"
    if evidence_file.is_file():
        evidence = json.loads(evidence_file.read_text())
        card["extra"] = (
            "## Evidence\n\n"
            f"On the corpus test split, for {evidence['pairs']} (text, SDG) pairs with a labelled target, "
            f"one of the labelled targets is among the 3 targets the evidence shows "
            f"{evidence['top3_target_accuracy']:.1%} of the time (chance: {evidence['chance']:.1%}); "
            f"`python scripts/eval_evidence.py`."
        )
    (args.model / "README.md").write_text(render_model_card(config, metrics, card))
    print(f"updated {args.model / 'README.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
