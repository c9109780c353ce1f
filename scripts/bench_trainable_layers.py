"""What more trainable encoder layers cost on this machine: seconds per training epoch.

    python scripts/bench_trainable_layers.py [--layers 4 8] [--texts 512] [--sources corpus aurora]

Takes the first ``--texts`` texts of each source (the corpus's train split: short project texts;
Aurora: abstracts of several windows), and for each number of trainable top
layers times what a training run does: caching the frozen layers' output once, then one epoch of
the recipe's optimisation (batch 32, up to 4 windows a text) over those texts. Accuracy is not
measured here (docs/training.md has it); only time. Prints a table; writes
results/bench_trainable_layers.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.errors import DataError  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.runtime import configure_threads, torch_device  # noqa: E402
from sdg_align.training import TrainingConfig  # noqa: E402
from sdg_align.training.loop import FitRun, trainable_parameters  # noqa: E402
from sdg_align.window_cache import build_cache  # noqa: E402

RECIPE = ROOT / "training_data" / "recipes" / "sdg-align-base.toml"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--sources", nargs="+", default=["corpus", "aurora"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "results" / "bench_trainable_layers.json"
    )
    args = parser.parse_args()
    threads = configure_threads(args.threads)
    recipe = TrainingConfig.from_file(RECIPE)
    rows = []
    for source, layers in [(s, n) for s in args.sources for n in args.layers]:
        try:
            texts = load_source(source)
        except DataError as exc:
            sys.exit(f"error: {exc}")
        texts = texts.where(split="train") if source == "corpus" else texts
        subset = type(texts)(texts.examples[: args.texts])
        config = replace(recipe, trainable_layers=layers)
        classifier = SDGClassifier.from_base(config.base_encoder, max_length=config.max_length)
        classifier.to(torch_device(args.device))
        classifier.config.pooling = config.pooling
        first = classifier.network.num_layers - layers
        trainable_parameters(classifier.network, first)
        started = time.perf_counter()
        cache = build_cache(classifier, subset.texts(), first, config.batch_size, False, "")
        cached = time.perf_counter() - started
        run = FitRun(classifier, cache, subset, config, first)
        started = time.perf_counter()
        run.epoch(random.Random(0), progress=False, desc="")
        epoch = time.perf_counter() - started
        rows.append(
            {
                "source": source,
                "texts": len(subset),
                "windows": sum(len(w) for w in cache.owners),
                "trainable_layers": layers,
                "cache_seconds": round(cached, 1),
                "epoch_seconds": round(epoch, 1),
                "epoch_seconds_per_1000_texts": round(epoch * 1000 / len(subset), 1),
            }
        )
        print(
            f"{source}, {layers} trainable layers: frozen cache {cached:.1f} s, one epoch {epoch:.1f} s "
            f"({epoch * 1000 / len(subset):.1f} s per 1,000 texts)",
            flush=True,
        )
    result = {
        "command": "python scripts/bench_trainable_layers.py " + " ".join(sys.argv[1:]),
        "device": args.device,
        "threads": threads,
        "rows": rows,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
