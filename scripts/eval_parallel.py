"""Does the model give the same tags whatever the language? Measured on the parallel test set.

    python scripts/eval_parallel.py [--model DIR]     # table + results/eval_parallel.json

The parallel test set (training_data/parallel_test.jsonl) holds 100 texts, each written once and
translated natively into eight more languages, with one label set per text. Reported: per language,
macro precision/recall/F1 against the labels; how often a language's tag set equals the English
one; and, per text, whether all nine languages give the same tags (and the mean pairwise Jaccard
similarity of the tag sets).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.evaluation import metrics_from_probs  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def jaccard(a: set[int], b: set[int]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_parallel.json")
    args = parser.parse_args()
    configure_threads()
    model = load_classifier(args.model)
    labelled = load_source("parallel-test")
    probs = model.predict_proba(labelled.texts())
    tags = [set(model.select(row)) for row in probs]
    by_text: dict[str, dict[str, set[int]]] = defaultdict(dict)
    for example, tagged in zip(labelled.examples, tags, strict=True):
        by_text[example.source_id.rsplit("-", 1)[0]][example.lang or "?"] = tagged
    languages = sorted({e.lang or "?" for e in labelled.examples})
    same_all = sum(len({frozenset(t) for t in sets.values()}) == 1 for sets in by_text.values())
    pairwise = [
        jaccard(a, b)
        for sets in by_text.values()
        for a, b in itertools.combinations(sets.values(), 2)
    ]
    metrics = metrics_from_probs(model, labelled, probs, by=("lang",))
    per_language = {}
    for lang in languages:
        equal_en = sum(sets.get(lang) == sets.get("en") for sets in by_text.values())
        block = metrics["by_lang"][lang]
        per_language[lang] = {
            "macro": block["macro"],
            "micro": block["micro"],
            "same_tags_as_english": equal_en / len(by_text),
        }
    result = {
        "model": str(args.model),
        "texts": len(by_text),
        "languages": languages,
        "all_languages_same_tags": same_all / len(by_text),
        "mean_pairwise_jaccard": sum(pairwise) / len(pairwise),
        "overall": {"macro": metrics["macro"], "micro": metrics["micro"]},
        "per_language": per_language,
    }
    print(
        f"{len(by_text)} texts x {len(languages)} languages: same tags in all languages for "
        f"{result['all_languages_same_tags']:.1%}; mean pairwise Jaccard {result['mean_pairwise_jaccard']:.3f}"
    )
    print(f"{'lang':<5} {'macro P':>8} {'macro R':>8} {'macro F1':>9} {'same as en':>11}")
    for lang, row in per_language.items():
        print(
            f"{lang:<5} {row['macro']['precision']:8.3f} {row['macro']['recall']:8.3f} "
            f"{row['macro']['f1']:9.3f} {row['same_tags_as_english']:11.1%}"
        )
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
