"""Recount a saved model's error rates (error_rates.json) on its validation texts, per source too.

    python scripts/record_error_rates.py [--model models/sdg-align-base] [--check]

Training writes ``error_rates.json`` from the validation split; models trained before the counts
were kept per source (``by_source``, which widens prevalence intervals where the rates differ
between kinds of text) lack them. This assembles the recipe's data, splits it exactly as training
does (same seed; refused when the sizes differ from the model's metrics.json), scores the
validation texts with the saved model (ONNX Runtime, the profile's backend) and rewrites the file.
It prints how far the recounted pooled counts are from the stored ones (they should agree up to a
few texts at a threshold: training counted on the in-memory network). ``--check`` only prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.decisions import error_rates  # noqa: E402
from sdg_align.errors import DataError  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.profile.error_rates import ERROR_RATES_FILE  # noqa: E402
from sdg_align.training import splits_of_saved_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = parser.parse_args()
    try:
        train_set, dev_set, _test = splits_of_saved_model(args.model)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    classifier = load_classifier(args.model)
    probs = classifier.predict_proba(dev_set.texts())
    points = classifier.config.operating_points or {"balanced": classifier.config.thresholds}
    recounted = error_rates(
        probs, dev_set.label_matrix(), dev_set.certain_mask(), points, dev_set.sources()
    )
    path = args.model / ERROR_RATES_FILE
    if path.is_file():
        stored = json.loads(path.read_text())
        for name, block in recounted["operating_points"].items():
            old = stored["operating_points"].get(name, {})
            for key in ("true_positives", "false_positives"):
                if key in old:
                    diff = np.abs(np.array(block[key]) - np.array(old[key]))
                    print(f"{name} {key}: {int(diff.sum())} texts differ from the stored counts")
    sources = sorted(recounted["operating_points"]["balanced"].get("by_source", {}))
    print(f"{len(dev_set)} validation texts; sources: {', '.join(sources)}")
    if not args.check:
        path.write_text(json.dumps(recounted, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
