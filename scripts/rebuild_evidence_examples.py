"""Rebuild a saved model's target examples (the evidence index's second half) without retraining.

    python scripts/rebuild_evidence_examples.py [--model models/sdg-align-base]

The examples are the model's own training texts that carry target labels, embedded with its
encoder. Training stores them (``sdg_align.training.save``); this script redoes that step for a
model folder trained before the index changed form (December 2026: one vector per example text,
scored by the nearest examples, instead of one mean vector per target). The training texts are
found again from the sources the folder's ``training_config.yaml`` names and the hashes of
``training_texts.json.gz``; the model's weights, thresholds and target titles are untouched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.evidence import add_target_examples  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.modeling.classifier import save_extras  # noqa: E402
from sdg_align.trained_texts import TrainedTexts, short_hash  # noqa: E402
from sdg_align.training import TRAINING_CONFIG_FILE, TrainingConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    args = parser.parse_args()
    record = TrainedTexts.read(args.model)
    recipe = args.model / TRAINING_CONFIG_FILE
    if record is None or not recipe.is_file():
        raise SystemExit(f"{args.model} records no training texts or recipe: retrain it instead")
    model = load_classifier(args.model)
    before = int(model.extras["target_example_counts"].sum())
    texts, labels, seen = [], [], set()
    for source in TrainingConfig.from_file(recipe).sources:
        for example in load_source(source).examples:
            key = short_hash(example.text)
            if example.targets and key in record.train and key not in seen:
                seen.add(key)
                texts.append(example.text)
                labels.append(list(example.targets))
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
