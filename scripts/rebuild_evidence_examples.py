"""Rebuild a saved model's target examples (the evidence index's second half) without retraining.

    python scripts/rebuild_evidence_examples.py [--model models/sdg-align-base]

The examples are the model's own training texts that carry target labels, embedded with its
encoder. Training stores them (``sdg_align.training.save``); this script redoes that step for a
model folder trained before the index changed form (December 2026: one vector per example text,
scored by the nearest examples, instead of one mean vector per target). The training split is
assembled again from the folder's recipe exactly as training split it
(``sdg_align.training.splits_of_saved_model``, which refuses when the data changed since); the
model's weights, thresholds and target titles are untouched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.errors import DataError  # noqa: E402
from sdg_align.evidence import add_target_examples  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.modeling.classifier import save_extras  # noqa: E402
from sdg_align.training import splits_of_saved_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    args = parser.parse_args()
    try:
        train_set, _dev, _test = splits_of_saved_model(args.model)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    model = load_classifier(args.model)
    before = int(model.extras["target_example_counts"].sum())
    with_targets = [e for e in train_set.examples if e.targets]
    texts = [e.text for e in with_targets]
    labels = [list(e.targets) for e in with_targets]
    added = add_target_examples(model, texts, labels)
    after = int(model.extras["target_example_counts"].sum())
    print(
        f"{len(texts)} training texts with targets ({after} target labels; the folder's index "
        f"had {before}); {added} targets have examples",
        file=sys.stderr,
    )
    save_extras(args.model, model.extras)
    print(f"rewrote the evidence index of {args.model}", file=sys.stderr)


if __name__ == "__main__":
    main()
