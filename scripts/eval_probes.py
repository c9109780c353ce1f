"""How often the default model tags text that only looks like a goal: page furniture, negation, place names.

    python scripts/eval_probes.py            # -> results/eval_probes.json

Two new users' trials found confident tags on text that earns none: a page footer ("Page 3 of 12 -
CONFIDENTIAL", SDG 16), a partner-table row naming a women's association (SDG 5 at 0.99), "The
project does not address energy." (SDG 7 at 0.93), "Suppliers in Bangladesh are audited." (SDG 17).
``training_data/robustness_probes.jsonl`` holds 65 such short texts in nine languages, written for
this test and labelled under guide v2 (most advance no SDG); each names the ``trap``, the SDG its
wording invites. It is an evaluation set only: no recipe trains on it. For each kind of probe and
each operating point this reports how many texts get a tag outside their label set, how many get
their trap SDG, and the trap's mean probability.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.modeling import load_classifier  # noqa: E402

PROBES = ROOT / "training_data" / "robustness_probes.jsonl"
POINTS = ("precise", "balanced", "broad")


def figures(records: list[dict], probs: np.ndarray, cut: np.ndarray) -> dict:
    """Texts with a tag outside their labels, with their trap tagged, and the trap's probability."""
    tags = probs >= cut
    allowed = np.zeros_like(tags)
    for row, record in enumerate(records):
        allowed[row, [k - 1 for k in record["sdgs"]]] = True
    traps = np.array([record["trap"] - 1 for record in records])
    rows = np.arange(len(records))
    return {
        "texts": len(records),
        "with_a_false_tag": int((tags & ~allowed).any(axis=1).sum()),
        "trap_tagged": int(tags[rows, traps].sum()),
        "mean_trap_probability": round(float(probs[rows, traps].mean()), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="Model folder (default: the bundled one).")
    parser.add_argument("--output", default=None, help="JSON file (default: under results/).")
    args = parser.parse_args()
    records = [json.loads(line) for line in PROBES.read_text(encoding="utf-8").splitlines() if line]
    classifier = load_classifier(args.model)
    probs = classifier.predict_proba([r["text"] for r in records])
    groups: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(records):
        groups[f"kind {record['kind']}"].append(row)
        groups[f"lang {record['lang']}"].append(row)
    result: dict = {
        "command": "python scripts/eval_probes.py",
        "model": str(args.model or "bundled default model"),
        "probes": str(PROBES.relative_to(ROOT)),
        "points": {},
    }
    for point in POINTS:
        cut = np.asarray(classifier.cut(point))
        block = {"all": figures(records, probs, cut)}
        for name, rows in sorted(groups.items()):
            block[name] = figures([records[r] for r in rows], probs[rows], cut)
        result["points"][point] = block
        for name in ("all", *(g for g in sorted(groups) if g.startswith("kind"))):
            f = block[name]
            print(
                f"{point:<8} {name:<22} {f['texts']:>3} texts: a false tag on "
                f"{f['with_a_false_tag']:>2}, the trap SDG on {f['trap_tagged']:>2} (mean trap "
                f"probability {f['mean_trap_probability']:.2f})"
            )
    output = Path(args.output) if args.output else ROOT / "results" / "eval_probes.json"
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
