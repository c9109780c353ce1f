"""How good are keyword weak labels? Agreement of query systems against human labels.

For each vote threshold (a text is a weak positive for an SDG when at least that many query systems
fire), compares the weak labels with the human labels of training-side sets (the corpus dev split's
English texts and the DPGA training part), and reports the share of weak negatives (no system fires)
that are truly negative. Evaluation-only sets are not read: this chooses ``min_votes``.

    python scripts/eval_weak_labels.py          # table + results/eval_weak_labels.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source, shared_data_dir  # noqa: E402
from sdg_align.weak_labels import QuerySystems  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_weak_labels.json")
    args = parser.parse_args()
    started = time.time()
    systems = QuerySystems.load(shared_data_dir() / "keywords" / "all_query_systems.csv")
    corpus_dev = load_source("corpus").where(split="dev")
    corpus_dev.examples = [e for e in corpus_dev.examples if e.lang == "en"]
    sets = {"corpus-dev (en)": corpus_dev, "dpga-train": load_source("dpga")}

    results: dict[str, list[dict[str, float]]] = {}
    print(
        f"{'set':<16} {'texts':>5} {'votes':>5} {'macro P':>8} {'macro R':>8} {'macro F1':>8} "
        f"{'micro F1':>8} {'neg. correct':>12}"
    )
    for name, labelled in sets.items():
        truth = labelled.label_matrix().astype(int)
        votes = np.array([systems.votes(t) for t in labelled.texts()])
        none_fire = votes == 0
        negative_precision = float((none_fire & (truth == 0)).sum() / max(none_fire.sum(), 1))
        rows = []
        for k in (1, 2, 3, 4):
            weak = (votes >= k).astype(int)
            row = {
                "min_votes": k,
                "macro_precision": precision_score(truth, weak, average="macro", zero_division=0),
                "macro_recall": recall_score(truth, weak, average="macro", zero_division=0),
                "macro_f1": f1_score(truth, weak, average="macro", zero_division=0),
                "micro_f1": f1_score(truth, weak, average="micro", zero_division=0),
                "negative_precision": negative_precision,
            }
            rows.append({key: round(float(v), 4) for key, v in row.items()})
            print(
                f"{name:<16} {len(truth):>5} {k:>5} {row['macro_precision']:>8.3f} "
                f"{row['macro_recall']:>8.3f} {row['macro_f1']:>8.3f} {row['micro_f1']:>8.3f} "
                f"{negative_precision:>12.3f}"
            )
        results[name] = rows
    payload = {
        "systems": {s: sum(len(v) for v in q.values()) for s, q in systems.queries.items()},
        "unparsed_queries": len(systems.problems),
        "results": results,
        "seconds": round(time.time() - started, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2))
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
