"""The zero-shot baseline every trained model must beat, measured on the same held-out sets.

A text gets, for each SDG, the highest cosine similarity between its all-MiniLM-L6-v2 embedding and
the official English titles of that goal, its targets and its indicators. One threshold per SDG is
chosen on training-side data (the corpus dev split and the DPGA training part), never on the
evaluation sets; then the baseline is scored on corpus-test, dpga-test and oro-gold.

    python scripts/zero_shot_baseline.py            # prints tables, writes results/zero_shot_baseline.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import EVALUATION_SOURCES, LabelledSet, load_source, shared_data_dir  # noqa: E402
from sdg_align.decisions import choose_thresholds  # noqa: E402
from sdg_align.evaluation import format_metrics_table, multilabel_metrics  # noqa: E402
from sdg_align.labels import NUM_SDGS, load_reference  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def sdg_scores(encoder: SDGClassifier, texts: list[str], titles: dict[str, str]) -> np.ndarray:
    codes = list(titles)
    title_vectors = encoder.embed([titles[c] for c in codes])
    owner = np.array([int(c.split(".")[0]) for c in codes])
    similarity = encoder.embed(texts) @ title_vectors.T
    return np.stack([similarity[:, owner == k].max(1) for k in range(1, NUM_SDGS + 1)], axis=1)


def main() -> None:
    configure_threads()
    encoder = SDGClassifier.from_base("all-minilm-l6-v2")
    titles = load_reference(shared_data_dir() / "sdg-reference", "en")

    tuning = LabelledSet()
    for name in ("corpus", "dpga"):
        try:
            part = load_source(name)
        except Exception as exc:  # the corpus may be absent in a user's clone
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        tuning.extend(part.where(split="dev") if name == "corpus" else part)
    scores = sdg_scores(encoder, tuning.texts(), titles)
    # F1-best per SDG on labels known for certain, each source weighing the same (as training does)
    chosen = choose_thresholds(
        scores, tuning.label_matrix(), tuning.certain_mask(), tuning.sources()
    )
    thresholds = np.array(chosen["balanced"])
    print(f"thresholds tuned on {len(tuning)} training-side texts", file=sys.stderr)

    results = {
        "method": "max cosine to official EN goal/target/indicator titles, all-MiniLM-L6-v2",
        "thresholds": thresholds.tolist(),
        "tuning_texts": len(tuning),
        "evaluations": {},
    }
    for name in EVALUATION_SOURCES:
        try:
            evaluation_set = load_source(name)
        except Exception as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        predicted = sdg_scores(encoder, evaluation_set.texts(), titles) >= thresholds
        metrics = multilabel_metrics(
            evaluation_set.label_matrix(), predicted, evaluation_set.certain_mask()
        )
        results["evaluations"][name] = metrics
        print(
            format_metrics_table(
                metrics, title=f"== zero-shot baseline on {name} ({len(evaluation_set)} texts)"
            )
        )
        print()
    out = ROOT / "results" / "zero_shot_baseline.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
