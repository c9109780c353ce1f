"""Write the training-text record (training_texts.json.gz) of a model trained before it existed.

    python scripts/record_training_texts.py [--model models/sdg-align-base]

`sdg-align train` now records hashes of the texts a model learned from and was tuned on, so that
`evaluate` warns on texts the model has seen. A model folder saved before that has its recipe
(training_config.yaml) but no record; this rebuilds the record by assembling the recipe's data and
splitting it exactly as training does (same seed), and refuses when the sizes differ from those the
model's metrics.json reports (the data changed since, so the record would be wrong).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.trained_texts import TrainedTexts  # noqa: E402
from sdg_align.training import (  # noqa: E402
    TRAINING_CONFIG_FILE,
    TrainingConfig,
    assemble_training_data,
    split_like_training,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    args = parser.parse_args()
    config = TrainingConfig.from_file(args.model / TRAINING_CONFIG_FILE)
    labelled = assemble_training_data(config)
    train_set, dev_set, _test = split_like_training(labelled, config)
    expected = json.loads((args.model / "metrics.json").read_text())["sizes"]
    found = {"train": len(train_set), "validation": len(dev_set)}
    if any(found[key] != expected[key] for key in found):
        sys.exit(f"error: the recipe now gives {found}, the model was trained on {expected}")
    path = TrainedTexts.of(train_set.texts(), dev_set.texts()).write(args.model)
    print(f"wrote {path}: {found['train']} training and {found['validation']} validation texts")


if __name__ == "__main__":
    main()
