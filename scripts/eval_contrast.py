"""Does the model read what a project does, or the words it uses? Measured on minimal pairs.

    python scripts/eval_contrast.py [--model DIR]    # table + results/eval_contrast.json

The contrast test set (training_data/contrast_test.jsonl) holds pairs of project texts that share
their setting, organisations, form and language; one advances an SDG, the other does not (business
as usual, or the goal's vocabulary without the substance). Each pair also has two minimal edits: the
positive edited into a negative and the negative into a positive, most words kept. A model that
learnt topic words tags both texts of a comparison; one that learnt the goals tags only the
positive. Three comparisons (COMPARISONS), each reported:

- the positive gets its primary SDG; the negative gets no tag; both at once; and whether the
  positive's probability of its primary SDG is above the negative's (the ranking, free of
  thresholds); the median share of words the two texts have in common;
- the AUC of "advances some SDG" from the highest SDG probability;
- the same AUC and ranking for a bag-of-words model fitted on the corpus v2 records (the shortcut
  baseline of scripts/eval_shortcuts.py), to show what vocabulary alone achieves here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.corpus.records import CONTRAST, CORPUS, read_records  # noqa: E402
from sdg_align.data import load_source  # noqa: E402
from sdg_align.evaluation import metrics_from_probs  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402

COMPARISONS = {
    "written": "a written positive against its written negative (same setting, other words)",
    "edited_negative": "a written positive against a minimal edit of it that advances no SDG",
    "edited_positive": "a minimal edit of the written negative that advances an SDG, against it",
}


def positive_negative_pairs(records: list[dict]) -> dict[str, list[tuple[int, int]]]:
    """(positive, negative) row numbers per kind of comparison."""
    row_of = {r["id"]: i for i, r in enumerate(records)}
    written: dict[str, dict[str, int]] = defaultdict(dict)
    pairs: dict[str, list[tuple[int, int]]] = {kind: [] for kind in COMPARISONS}
    for i, record in enumerate(records):
        if record["contrast"] == "written":
            written[record["pair"]][record["kind"]] = i
        elif record["kind"] == "hard_negative":
            pairs["edited_negative"].append((row_of[record["edited_from"]], i))
        else:
            pairs["edited_positive"].append((i, row_of[record["edited_from"]]))
    pairs["written"] = [(m["positive"], m["hard_negative"]) for m in written.values()]
    return pairs


def word_overlap(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word sets (1: the same words)."""
    first, second = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return len(first & second) / len(first | second)


def pair_figures(pairs: list[dict]) -> dict:
    """Shares over pairs; each pair dict holds the positive's and the negative's outcome."""
    n = len(pairs)
    if not n:
        return {"pairs": 0}
    return {
        "pairs": n,
        "words_shared": float(np.median([p["words_shared"] for p in pairs])),
        "positive_primary_tagged": sum(p["positive_hit"] for p in pairs) / n,
        "negative_untagged": sum(p["negative_clean"] for p in pairs) / n,
        "both_right": sum(p["positive_hit"] and p["negative_clean"] for p in pairs) / n,
        "positive_ranked_higher": sum(p["ranked"] for p in pairs) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_contrast.json")
    parser.add_argument(
        "--tags",
        default="balanced",
        choices=["precise", "balanced", "broad"],
        help="operating point that decides the tags",
    )
    args = parser.parse_args()
    configure_threads()
    records, problems = read_records(CONTRAST)
    if problems:
        raise SystemExit("; ".join(problems))
    model = load_classifier(args.model)
    labelled = load_source("contrast-test")
    assert [e.source_id for e in labelled.examples] == [r["id"] for r in records]
    probs = model.predict_proba(labelled.texts())
    tags = [set(model.select(row, tags=args.tags)) for row in probs]
    some_sdg = np.array([bool(r["sdgs"]) for r in records])

    from eval_shortcuts import bag_of_words  # the checker's shortcut model

    corpus, _ = read_records(CORPUS)
    v2 = [r for r in corpus if "form" in r]
    words = bag_of_words().fit([r["text"] for r in v2], [bool(r["sdgs"]) for r in v2])
    word_scores = words.predict_proba([r["text"] for r in records])[:, 1]

    comparisons = positive_negative_pairs(records)
    outcomes: dict[str, list[dict]] = {}
    per_lang: dict[str, list[dict]] = defaultdict(list)
    word_ranked: dict[str, list[bool]] = {}
    for kind, pairs in comparisons.items():
        outcomes[kind], word_ranked[kind] = [], []
        for pos, neg in pairs:
            primary = records[pos]["primary"] - 1
            outcome = {
                "positive_hit": primary + 1 in tags[pos],
                "negative_clean": not tags[neg],
                "ranked": bool(probs[pos, primary] > probs[neg, primary]),
                "words_shared": word_overlap(records[pos]["text"], records[neg]["text"]),
            }
            outcomes[kind].append(outcome)
            per_lang[records[pos]["lang"]].append(outcome)
            word_ranked[kind].append(bool(word_scores[pos] > word_scores[neg]))
    metrics = metrics_from_probs(model, labelled, probs, tags=args.tags)
    result = {
        "model": str(args.model.resolve().relative_to(ROOT))
        if args.model.resolve().is_relative_to(ROOT)
        else str(args.model),
        "tags": args.tags,
        "texts": len(records),
        "by_comparison": {kind: pair_figures(rows) for kind, rows in outcomes.items()},
        "overall": pair_figures([row for rows in outcomes.values() for row in rows]),
        "per_language": {lang: pair_figures(rows) for lang, rows in sorted(per_lang.items())},
        "negatives_tags_mean": float(np.mean([len(tags[i]) for i in np.flatnonzero(~some_sdg)])),
        "any_sdg_auc": float(roc_auc_score(some_sdg, probs.max(axis=1))),
        "macro": metrics["macro"],
        "micro": metrics["micro"],
        "bag_of_words_baseline": {
            "fitted_on": f"{len(v2)} corpus v2 records",
            "any_sdg_auc": float(roc_auc_score(some_sdg, word_scores)),
            "positive_ranked_higher": {
                kind: sum(ranked) / len(ranked) for kind, ranked in word_ranked.items() if ranked
            },
        },
    }
    baseline = result["bag_of_words_baseline"]
    print(
        f"{args.model.name} ({args.tags}) on {len(records)} contrast texts: any-SDG AUC "
        f"{result['any_sdg_auc']:.3f} (bag of words fitted on corpus v2: "
        f"{baseline['any_sdg_auc']:.3f})"
    )
    header = f"{'':<16} {'pairs':>5} {'words':>6} {'primary':>8} {'neg clean':>10} {'both':>6} {'ranked':>7}"
    print(header + f" {'words ranked':>13}")
    rows = [*result["by_comparison"].items(), ("all", result["overall"])]
    rows += list(result["per_language"].items())
    for label, row in rows:
        if not row["pairs"]:
            continue
        words_ranked = baseline["positive_ranked_higher"].get(label)
        print(
            f"{label:<16} {row['pairs']:>5} {row['words_shared']:>6.2f} "
            f"{row['positive_primary_tagged']:>8.1%} {row['negative_untagged']:>10.1%} "
            f"{row['both_right']:>6.1%} {row['positive_ranked_higher']:>7.1%}"
            + (f" {words_ranked:>13.1%}" if words_ranked is not None else "")
        )
    macro = result["macro"]
    print(f"macro P / R / F1 {macro['precision']:.3f} / {macro['recall']:.3f} / {macro['f1']:.3f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
