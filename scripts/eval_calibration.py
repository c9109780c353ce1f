"""How well the default model's probabilities are calibrated: reliability, ECE and Brier score.

    python scripts/eval_calibration.py          # -> results/eval_calibration.json

"Calibrated probabilities" is the README's lead claim; this measures it. For each set (the corpus
test split, real-test and the parallel test set; the evaluation-only sets are not read), every
(text, SDG) pair whose label is known for certain is one prediction. Pairs are put in ten bins of
predicted probability; a bin's gap is its mean prediction minus the share of its pairs that are
positive. ECE is the pair-weighted mean gap size; the Brier score is the mean squared error of the
probabilities. Also per SDG (ECE over the SDG's pairs) and for the pairs with p >= 0.1 only, since
most pairs are near-certain negatives that flatter a pooled figure. Nothing is chosen on these sets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.labels import SDG_NUMBERS  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402

SETS = ("corpus-test", "real-test", "parallel-test")
BINS = np.linspace(0.0, 1.0, 11)


def reliability(p: np.ndarray, y: np.ndarray) -> tuple[list[dict[str, Any]], float]:
    """Ten bins of predicted probability: their size, mean prediction and observed rate; ECE."""
    rows, ece = [], 0.0
    which = np.clip(np.digitize(p, BINS[1:-1]), 0, 9)
    for b in range(10):
        inside = which == b
        if not inside.any():
            continue
        predicted, observed = float(p[inside].mean()), float(y[inside].mean())
        rows.append(
            {
                "bin": f"{BINS[b]:.1f}-{BINS[b + 1]:.1f}",
                "pairs": int(inside.sum()),
                "mean_predicted": round(predicted, 4),
                "observed_positive": round(observed, 4),
            }
        )
        ece += inside.sum() / len(p) * abs(predicted - observed)
    return rows, float(ece)


def main() -> None:
    configure_threads()
    model = load_classifier()
    result: dict[str, Any] = {"command": "python scripts/eval_calibration.py", "sets": {}}
    for name in SETS:
        labelled = load_source(name)
        probs = np.asarray(model.predict_proba(labelled.texts()), dtype=float)
        truth, certain = labelled.label_matrix() > 0, labelled.certain_mask() > 0
        p, y = probs[certain], truth[certain].astype(float)
        table, ece = reliability(p, y)
        above = p >= 0.1
        _, ece_above = reliability(p[above], y[above])
        per_sdg = {}
        for k, sdg in enumerate(SDG_NUMBERS):
            known = certain[:, k]
            if truth[known, k].any():
                per_sdg[str(sdg)] = round(
                    reliability(probs[known, k], truth[known, k].astype(float))[1], 4
                )
        entry = {
            "texts": len(labelled),
            "pairs": int(len(p)),
            "ece": round(ece, 4),
            "ece_pairs_at_or_above_0.1": round(ece_above, 4),
            "pairs_at_or_above_0.1": int(above.sum()),
            "brier": round(float(np.mean((p - y) ** 2)), 4),
            "reliability": table,
            "ece_per_sdg": per_sdg,
        }
        result["sets"][name] = entry
        print(
            f"{name}: {len(labelled)} texts, {entry['pairs']} pairs, ECE {entry['ece']:.4f} "
            f"(p >= 0.1: {entry['ece_pairs_at_or_above_0.1']:.4f} over "
            f"{entry['pairs_at_or_above_0.1']} pairs), Brier {entry['brier']:.4f}",
            flush=True,
        )
        for row in table:
            print(
                f"  {row['bin']}: {row['pairs']:>6} pairs, predicted {row['mean_predicted']:.3f}, "
                f"observed {row['observed_positive']:.3f}"
            )
    output = ROOT / "results" / "eval_calibration.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
