"""How should a long text's windows be pooled: mean or max of the window logits? Decided on validation data.

Rebuilds the default model's validation split exactly as `scripts/train_default.py` made it (same
sources, deduplication, evaluation texts removed, seed 0), keeps the texts that need two or more
128-token windows (research abstracts, mostly), and compares mean and max pooling of the window
logits by macro average precision per SDG over the labels known for each text. Average precision
needs no threshold, so neither pooling is favoured by the thresholds the model picked (with mean
pooling). No evaluation-only set is read for the decision.

    python scripts/eval_pooling.py           # table + results/eval_pooling.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

sys.path.insert(0, str(ROOT / "scripts"))

from train_default import training_data  # noqa: E402

from sdg_align.data import (  # noqa: E402
    EVALUATION_SOURCES,
    TRAINING_SOURCES,
    LabelledSet,
    load_source,
    split_holdout,
)
from sdg_align.labels import NUM_SDGS  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def validation_split() -> LabelledSet:
    evaluation_sets = {name: load_source(name) for name in EVALUATION_SOURCES}
    labelled = training_data(list(TRAINING_SOURCES), evaluation_sets)
    _train, dev, _test = split_holdout(labelled, validation_fraction=0.1, test_fraction=0.0, seed=0)
    return dev


def macro_ap(scores: np.ndarray, labels: np.ndarray, known: np.ndarray) -> tuple[float, int]:
    values = []
    for k in range(NUM_SDGS):
        rows = known[:, k] >= 1.0  # fully known labels only
        if labels[rows, k].sum() >= 3:
            values.append(average_precision_score(labels[rows, k], scores[rows, k]))
    return float(np.mean(values)), len(values)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_pooling.json")
    args = parser.parse_args()
    configure_threads()
    model = SDGClassifier.from_pretrained(args.model)
    dev = validation_split()
    windows = model.windower.windows(dev.texts())
    long_rows = [i for i, w in enumerate(windows) if len(w) >= 2]
    examples = [dev.examples[i] for i in long_rows]
    labels = np.stack([e.label_vector() for e in examples])
    known = np.stack([e.known_mask() for e in examples])
    pooled: dict[str, list[np.ndarray]] = {"mean": [], "max": []}
    with torch.inference_mode():
        for i in long_rows:
            input_ids, mask = model.windower.pad(windows[i])
            logits = model.network.classify(model.network.embed(input_ids, mask)).numpy()
            pooled["mean"].append(logits.mean(0))
            pooled["max"].append(logits.max(0))
    result = {
        "validation_texts": len(dev),
        "long_texts": len(long_rows),
        "mean_windows": float(np.mean([len(windows[i]) for i in long_rows])),
        "sources": sorted({e.source for e in examples}),
    }
    print(f"{len(long_rows)} validation texts with 2+ windows (of {len(dev)})")
    for name, rows in pooled.items():
        value, sdgs = macro_ap(np.stack(rows), labels, known)
        result[f"{name}_macro_ap"] = round(value, 4)
        result["sdgs_scored"] = sdgs
        print(f"{name:<5} pooling: macro average precision {value:.3f} over {sdgs} SDGs")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
