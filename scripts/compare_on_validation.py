"""Compare saved models on the validation texts of a recipe, under either reading of disputed labels.

    python scripts/compare_on_validation.py --models DIR [DIR ...]
        [--config training_data/recipes/sdg-align-base.toml] [--output results/validation_compare.json]

The check a design change needs before it is kept: the recipe's data is assembled and split exactly
as training splits it (same seed and fractions), the validation texts are scored by each saved model
(the backend `score` uses), and macro precision, recall and F1 are printed per source and with every
source weighed the same (F1 only: the rule training uses for early stopping). Each model is
measured twice: with the goals a source asserts and our annotation drops counted as negatives
(`disputed_source_labels = "negative"`) and left out (`"unknown"`), so a change in the recipe's
reading cannot win by changing the yardstick alone. Evaluation-only sets are not read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.evaluation import validation_figures  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.training import (  # noqa: E402
    TrainingConfig,
    assemble_training_data,
    split_like_training,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=Path, nargs="+", required=True)
    parser.add_argument(
        "--config", type=Path, default=ROOT / "training_data" / "recipes" / "sdg-align-base.toml"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "validation_compare.json")
    args = parser.parse_args()
    configure_threads()
    recipe = TrainingConfig.from_file(args.config)
    readings = {}
    for reading in ("negative", "unknown"):
        config = replace(recipe, disputed_source_labels=reading)
        _train, validation, _test = split_like_training(
            assemble_training_data(config, log=lambda _line: None), config
        )
        readings[reading] = validation
    texts = readings["negative"].texts()
    assert texts == readings["unknown"].texts(), "the readings must split the same texts"
    results: dict = {"config": str(args.config), "texts": len(texts), "models": {}}
    for model_dir in args.models:
        classifier = load_classifier(model_dir)
        probs = classifier.predict_proba(texts)
        measured = {}
        for reading, validation in readings.items():
            measured[reading] = validation_figures(classifier, validation, probs)
        results["models"][str(model_dir)] = measured
    print(f"{len(texts)} validation texts of {args.config.name}; macro P / R / F1")
    for reading in readings:
        print(f"\ndisputed source labels counted as {reading}:")
        print(f"{'model':40s} {'all texts P/R/F1':>20s} {'F1, sources equal':>18s}  per source F1")
        for model, measured in results["models"].items():
            block = measured[reading]

            def prf(b: dict) -> str:
                return f"{b['precision']:.3f}/{b['recall']:.3f}/{b['f1']:.3f}"

            per = ", ".join(f"{n} {b['f1']:.3f}" for n, b in block["by_source"].items())
            print(
                f"{model[-40:]:40s} {prf(block['all']):>20s} "
                f"{block['f1_sources_weighed_equally']:>18.3f}  {per}"
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
