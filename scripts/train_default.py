"""Train the bundled default model (models/sdg-align-base) from the data named in training_data/.

Rerun it from the project root with ../shared/data beside the checkout:

    python scripts/train_default.py                      # the default: multilingual-e5-small
    python scripts/train_default.py --base-encoder all-minilm-l6-v2 --output runs/minilm

Training data: the project's cluster-project corpus (its train and dev splits), the Digital Public
Goods registry's training part, SwissText 2024 task 1, ZORA, the Aurora survey and the official SDG
titles in seven languages. Texts that also occur in an evaluation-only set are dropped first. The
held-out evaluations (corpus test split, DPGA test, ORO gold) go into the model card and
results/<name>_eval.json.
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

from sdg_align.data import (  # noqa: E402
    EVALUATION_SOURCES,
    TRAINING_SOURCES,
    LabelledSet,
    deduplicate,
    load_source,
    shared_data_dir,
)
from sdg_align.evaluation import format_metrics_table, metrics_from_probs  # noqa: E402
from sdg_align.evidence import build_evidence_index  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.training import TrainingConfig, train  # noqa: E402

DESCRIPTIONS = {
    "corpus-test": "The test split of the project's own cluster-project corpus (never trained or tuned on).",
    "dpga-test": "Held-out real project descriptions from the Digital Public Goods registry (eval-only).",
    "oro-gold": "Research abstracts from the Open University, manually annotated (eval-only).",
}


def training_data(
    sources: list[str], evaluation_sets: dict[str, LabelledSet], *, verbose: bool = False
) -> LabelledSet:
    """The named sources, deduplicated, with every text of the eval-only sets removed."""
    eval_texts = [t for name in ("dpga-test", "oro-gold") for t in evaluation_sets[name].texts()]
    labelled = LabelledSet()
    for name in sources:
        part = load_source(name)
        if name == "sdg-reference":  # titles are not like users' texts: train only, never validate
            part.examples = [replace(e, split="train") for e in part.examples]
        if verbose:
            print(f"{name}: {len(part)} examples", file=sys.stderr)
        labelled.extend(part)
    labelled = deduplicate(labelled, exclude=eval_texts)
    if verbose:
        print(labelled.problems[-1] if labelled.problems else "no duplicates", file=sys.stderr)
    return labelled


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-encoder", default="multilingual-e5-small")
    parser.add_argument("--trainable-layers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--encoder-learning-rate", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--sources", nargs="+", default=list(TRAINING_SOURCES))
    parser.add_argument("--output", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--results", type=Path, default=None, help="JSON file for the evaluations")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    configure_threads()
    started = time.time()

    evaluation_sets = {name: load_source(name) for name in EVALUATION_SOURCES}
    labelled = training_data(args.sources, evaluation_sets, verbose=True)

    config = TrainingConfig(
        base_encoder=args.base_encoder,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        encoder_learning_rate=args.encoder_learning_rate,
        batch_size=args.batch_size,
        trainable_layers=args.trainable_layers,
        validation_fraction=0.1,
        test_fraction=0.0,  # external sets are evaluated on their eval-only parts instead
        patience=2,
    )
    result = train(labelled, config, progress=not args.quiet)
    classifier = result.classifier
    build_evidence_index(classifier, shared_data_dir() / "sdg-reference")

    evaluations = {}
    for name, evaluation_set in evaluation_sets.items():
        t0 = time.time()
        probs = classifier.predict_proba(evaluation_set.texts())
        metrics = metrics_from_probs(classifier, evaluation_set, probs)
        metrics["description"] = DESCRIPTIONS[name]
        metrics["seconds"] = round(time.time() - t0, 1)
        evaluations[name] = metrics
        print(format_metrics_table(metrics, title=f"== {name} ({metrics['samples']} texts)"))
        print()
    result.metrics["evaluations"] = evaluations
    sizes = result.sizes
    card = {
        "name": "sdg-align-base",
        "training": (
            f"Sources: {', '.join(args.sources)} (see training_data/README.md for each source and "
            f"licence), deduplicated and with every text of the evaluation-only sets removed: "
            f"{sizes['train']} training and {sizes['validation']} validation examples. Trained by "
            f"`python scripts/train_default.py` in {time.time() - started:.0f} s on a CPU. "
            f"Settings: `{json.dumps(config.to_dict())}`."
        ),
    }
    classifier.save_pretrained(args.output, metrics=result.metrics, card=card)
    results_file = args.results or ROOT / "results" / f"{args.output.name}_eval.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(
        json.dumps(
            {
                "model": str(args.output),
                "base_encoder": args.base_encoder,
                "trainable_layers": args.trainable_layers,
                "sizes": sizes,
                "history": result.metrics["history"],
                "seconds": round(time.time() - started, 1),
                "evaluations": {
                    k: {kk: vv for kk, vv in v.items()} for k, v in evaluations.items()
                },
            },
            indent=2,
        )
    )
    print(f"model written to {args.output}; evaluations in {results_file}", file=sys.stderr)


if __name__ == "__main__":
    main()
