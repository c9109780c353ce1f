"""Train the bundled default model from its recipe and record its evaluations.

    python scripts/train_default.py [--output models/sdg-align-base] [--threads N] [--quiet]

This is `sdg-align train --config training_data/recipes/sdg-align-base.toml -o models/sdg-align-base --overwrite`
plus one file: results/<model name>_eval.json with the saved model's figures on every evaluation set
(the recipe's `evaluate` list). Everything else (data, exclusion of evaluation texts, training,
calibration, operating points, evidence index, model card) lives in the package.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.evaluation import format_metrics_table  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.training import TrainingConfig, assemble_training_data, save_model, train  # noqa: E402

RECIPE = ROOT / "training_data" / "recipes" / "sdg-align-base.toml"


def machine(device: str, threads: int) -> str:
    """What the run trained on, in words, for the model card."""
    import torch

    from sdg_align.runtime import torch_device

    chosen = torch_device(device)
    if chosen.type == "cuda":
        return f"a GPU ({torch.cuda.get_device_name(chosen)})"
    return f"a CPU ({threads} threads)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", type=Path, default=RECIPE)
    parser.add_argument("--output", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--results", type=Path, default=None, help="JSON file for the evaluations")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    args = parser.parse_args()
    threads = configure_threads(args.threads)
    started = time.time()
    config = TrainingConfig.from_file(args.config)
    labelled = assemble_training_data(config)
    result = train(labelled, config, progress=not args.quiet)
    card = {
        "name": args.output.name,
        "training": (
            f"Recipe `{args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config}` "
            f"(copied here as `training_config.yaml`): {result.sizes['train']} training and "
            f"{result.sizes['validation']} validation texts after removing every text of the "
            f"evaluation-only sets. Trained by `python scripts/train_default.py` in "
            f"{time.time() - started:.0f} s on {machine(config.device, threads)}."
        ),
    }
    save_model(result, args.output, card)
    for name, metrics in result.metrics.get("evaluations", {}).items():
        print(format_metrics_table(metrics, title=f"== {name} ({metrics['samples']} texts)"))
        print()
    results_file = args.results or ROOT / "results" / f"{args.output.name}_eval.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(
        json.dumps(
            {
                "model": str(args.output),
                "recipe": config.to_dict(),
                "sizes": result.sizes,
                "history": result.metrics["history"],
                "validation_by_source": result.metrics["validation_by_source"],
                "seconds": round(time.time() - started, 1),
                "evaluations": result.metrics.get("evaluations", {}),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"model written to {args.output}; evaluations in {results_file}", file=sys.stderr)


if __name__ == "__main__":
    main()
