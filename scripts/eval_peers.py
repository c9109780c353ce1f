"""How does sdg-align compare with the SDG classifiers the field already uses? Same texts, same metric.

    python scripts/eval_peers.py [--model DIR] [--sets corpus-test oro-gold ...]
        # table + results/eval_peers.json

The field's most used SDG classifiers are Boolean keyword queries: the six systems text2sdg collects
(Aurora, Elsevier, Auckland, SIRIS, SDSN and the OSDG ontology; ``../shared/data/keywords/``, read by
path, parsed and matched by ``sdg_align.weak_labels``). Each system tags a text with an SDG when one
of its queries for that goal matches. Besides each system alone, the script scores the two ensembles
text2sdg's authors discuss: any system (most recall) and at least two systems agreeing (what our weak
labels use); and the default model at its ``balanced`` and ``broad`` operating points.

All are scored on every evaluation set with ``sdg_align.evaluation.multilabel_metrics`` (only labels
known for certain count; macro over the SDGs the set has positives for), on all texts and, for sets that
mix languages, on their English texts alone (the queries are English: their fair ground). Reading the evaluation-only sets
here only reports: nothing is chosen on them. The queries were written for research abstracts
(Scopus records), so ORO gold and SwissText are where they should do best.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source, shared_data_dir  # noqa: E402
from sdg_align.data.types import LabelledSet  # noqa: E402
from sdg_align.evaluation import multilabel_metrics  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.weak_labels import SYSTEMS, Document, QuerySystems  # noqa: E402

SETS = (
    "corpus-test",
    "real-test",
    "parallel-test",
    "contrast-test",
    "dpga-test",
    "oro-gold",
    "swisstext-test",
)
MODEL_POINTS = ("balanced", "broad")
ENSEMBLES = {"any system": 1, "2+ systems": 2}


def system_votes(systems: QuerySystems, texts: list[str], quiet: bool) -> dict[str, np.ndarray]:
    """Per system, a (texts x 17) 0/1 matrix: does one of its queries for the goal match."""
    hits = {name: np.zeros((len(texts), 17), dtype=bool) for name in systems.queries}
    for row, text in enumerate(tqdm(texts, desc="queries", disable=quiet, file=sys.stderr)):
        document = Document(text)
        for name, per_sdg in systems.queries.items():
            for sdg, trees in per_sdg.items():
                hits[name][row, sdg - 1] = any(document.match(tree) for tree in trees)
    return hits


def figures(truth: np.ndarray, mask: np.ndarray, predicted: np.ndarray) -> dict:
    """Macro and micro precision/recall/F1, and per-SDG F1, rounded for the JSON."""
    metrics = multilabel_metrics(truth, predicted, mask)
    return {
        "macro": {k: round(float(v), 4) for k, v in metrics["macro"].items()},
        "micro": {k: round(float(v), 4) for k, v in metrics["micro"].items()},
        "per_sdg_f1": {
            str(r["sdg"]): round(r["f1"], 4) for r in metrics["per_sdg"] if r["support"] > 0
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="models/sdg-align-base")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_peers.json")
    args = parser.parse_args()
    configure_threads(args.threads)
    started = time.time()

    systems = QuerySystems.load(shared_data_dir() / "keywords" / "all_query_systems.csv")
    classifier = load_classifier(args.model)
    cuts = {point: classifier.cut(point, None) for point in MODEL_POINTS}

    results: dict[str, dict] = {}
    for set_name in args.sets:
        labelled: LabelledSet = load_source(set_name)
        texts = labelled.texts()
        truth = labelled.label_matrix().astype(bool)
        mask = labelled.certain_mask().astype(bool)
        english = np.array([e.lang == "en" for e in labelled.examples])

        hits = system_votes(systems, texts, args.quiet)
        votes = sum(h.astype(int) for h in hits.values())
        probs = classifier.predict_proba(texts)
        predictions = {f"sdg-align {p}": probs >= cuts[p] for p in MODEL_POINTS}
        predictions |= {name: hits[name] for name in SYSTEMS if name in hits}
        predictions |= {name: votes >= k for name, k in ENSEMBLES.items()}

        results[set_name] = {"texts": len(texts), "english_texts": int(english.sum())}
        subsets = {"all": np.ones_like(english)}
        if 0 < english.sum() < len(texts):  # the queries' fair ground: their own language
            subsets["english"] = english
        for subset, rows in subsets.items():
            results[set_name][subset] = {
                name: figures(truth[rows], mask[rows], predicted[rows])
                for name, predicted in predictions.items()
            }

    print_tables(results)
    payload = {
        "model": args.model,
        "query_systems": {s: sum(len(v) for v in q.values()) for s, q in systems.queries.items()},
        "unparsed_queries": len(systems.problems),
        "sets": results,
        "seconds": round(time.time() - started, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.output}", file=sys.stderr)


def print_tables(results: dict[str, dict]) -> None:
    """One table per subset: macro P / R / F1 and micro F1 of every classifier on every set."""
    for subset, title in (("all", "all texts"), ("english", "English texts of mixed sets")):
        sets = [name for name, r in results.items() if subset in r]
        if not sets:
            continue
        names = list(results[sets[0]][subset])
        print(f"\n{title}: macro P / R / F1 (micro F1)")
        header = f"{'classifier':<20}" + "".join(f" {s:>22}" for s in sets)
        print(header)
        print(f"{'texts':<20}" + "".join(f" {count_of(results[s], subset):>22}" for s in sets))
        for name in names:
            cells = []
            for s in sets:
                row = results[s][subset][name]
                macro, micro = row["macro"], row["micro"]
                cells.append(
                    f"{macro['precision']:.2f}/{macro['recall']:.2f}/{macro['f1']:.2f} "
                    f"({micro['f1']:.2f})"
                )
            print(f"{name:<20}" + "".join(f" {c:>22}" for c in cells))


def count_of(result: dict, subset: str) -> int:
    return result["english_texts"] if subset == "english" else result["texts"]


if __name__ == "__main__":
    main()
