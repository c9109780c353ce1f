"""Does unfreezing more encoder layers pay for its training time? Measured on validation data.

    python scripts/eval_trainable_layers.py --layers 2 4 [--epochs 3] [--sources corpus aurora ...]

Trains the default recipe's setup with each number of trainable top layers on the same data (by
default the recipe's sources without the title-only and reference texts, to keep each run short),
and records the source-balanced validation macro-F1, per-source validation figures and the
training time. No test or evaluation-only text is read. Writes results/eval_trainable_layers.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.training import TrainingConfig, assemble_training_data, train  # noqa: E402

RECIPE = ROOT / "training_data" / "recipes" / "sdg-align-base.toml"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--sources", nargs="+", default=["corpus", "aurora", "dpga", "swisstext", "zora", "snsf"]
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "results" / "eval_trainable_layers.json"
    )
    args = parser.parse_args()
    configure_threads()
    base = TrainingConfig.from_file(RECIPE)
    config = replace(base, sources=args.sources, epochs=args.epochs, evaluate=[])
    labelled = assemble_training_data(config, log=lambda m: None)
    runs = {}
    for layers in args.layers:
        started = time.time()
        result = train(labelled, replace(config, trainable_layers=layers), progress=False)
        best = max(h["val_macro_f1"] for h in result.metrics["history"])
        runs[str(layers)] = {
            "seconds": round(time.time() - started, 1),
            "best_epoch_validation_macro_f1_balanced": best,
            "history": result.metrics["history"],
            "validation": {k: result.metrics["validation"][k] for k in ("macro", "micro")},
            "validation_by_source": result.metrics["validation_by_source"],
        }
        print(
            f"{layers} trainable layers: validation macro-F1 (sources weighed equally) {best:.3f}, "
            f"{runs[str(layers)]['seconds']:.0f} s",
            flush=True,
        )
        # Written after every run: one run takes most of an hour on a laptop CPU.
        record = {
            "command": "python " + " ".join(sys.argv),
            "sources": args.sources,
            "epochs": args.epochs,
            "sizes": result.sizes,
            "runs": runs,
        }
        args.output.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
