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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.errors import DataError  # noqa: E402
from sdg_align.trained_texts import TrainedTexts  # noqa: E402
from sdg_align.training import splits_of_saved_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    args = parser.parse_args()
    try:
        train_set, dev_set, _test = splits_of_saved_model(args.model)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    path = TrainedTexts.of(train_set.texts(), dev_set.texts()).write(args.model)
    print(f"wrote {path}: {len(train_set)} training and {len(dev_set)} validation texts")


if __name__ == "__main__":
    main()
