"""Can a bag of words tell "advances some SDG" from "advances none", and is that a shortcut?

    python scripts/eval_shortcuts.py          # -> results/eval_shortcuts.json

Issue 12 asks that neither text length nor a bag-of-words model separate the corpus's positives
from its negatives (held-out AUC at most 0.70). Length is bounded by the corpus checker. Whether a
text advances a goal is largely a matter of what it says it does, so some vocabulary signal is the
task itself, not a shortcut. This script measures how much, so the corpus can be judged against
real text rather than against a number picked in advance:

1. the AUC of any-SDG vs none (5-fold, logistic regression on binary word counts, as the checker
   computes it) on the corpus v2 records, per form, and on the real texts we annotated with all 17
   SDGs (training side only: the locked real-test split and evaluation-only sets are not read);
2. transfer: the corpus v2 bag of words fitted on all corpus v2 records and scored on the real
   annotated texts. A model that learnt the corpus's own shortcuts (its negatives' topics: trade
   fairs, ERP roll-outs) loses most of its AUC on real text; one that learnt what advancing a goal
   reads like keeps it;
3. the words that weigh most towards "no SDG" in the corpus model, to read what it relies on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.corpus.records import read_records, word_count  # noqa: E402
from sdg_align.data.sources import REAL_SOURCES, SOURCES  # noqa: E402

FOLDS = 5


def bag_of_words() -> Pipeline:
    """The checker's model: binary word counts (words in at least 2 texts), logistic regression."""
    return make_pipeline(CountVectorizer(binary=True, min_df=2), LogisticRegression(max_iter=2000))


def held_out_aucs(texts: list[str], positive: np.ndarray, seed: int = 0) -> dict[str, float]:
    """5-fold held-out AUC from length alone and from a bag of words (None when too few)."""
    if min(positive.sum(), (~positive).sum()) < FOLDS:
        return {}
    cv = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    lengths = np.log1p([[word_count(t)] for t in texts])
    by_length = cross_val_predict(
        LogisticRegression(), lengths, positive, cv=cv, method="predict_proba"
    )
    by_words = cross_val_predict(bag_of_words(), texts, positive, cv=cv, method="predict_proba")
    return {
        "length": round(float(roc_auc_score(positive, by_length[:, 1])), 3),
        "bag_of_words": round(float(roc_auc_score(positive, by_words[:, 1])), 3),
    }


def described(texts: list[str], positive: np.ndarray, seed: int = 0) -> dict:
    return {
        "texts": len(texts),
        "no_sdg": int((~positive).sum()),
        "median_words": int(np.median([word_count(t) for t in texts])) if texts else 0,
        **held_out_aucs(texts, positive, seed),
    }


def real_annotated() -> dict[str, tuple[list[str], np.ndarray]]:
    """Real texts labelled with all 17 SDGs, training side (no real-test, no evaluation-only)."""
    by_source = {}
    for name in REAL_SOURCES:
        examples = [
            e for e in SOURCES[name].load().examples if e.known is None and e.split != "test"
        ]
        by_source[name] = (
            [e.text for e in examples],
            np.array([bool(e.sdgs) for e in examples]),
        )
    return by_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "eval_shortcuts.json")
    parser.add_argument("--top", type=int, default=25, help="words to list per direction")
    args = parser.parse_args()

    records, _ = read_records(ROOT / "training_data" / "cluster_projects.jsonl")
    v2 = [r for r in records if "form" in r]
    v1 = [r for r in records if "form" not in r]

    def texts_and_labels(rows: list[dict]) -> tuple[list[str], np.ndarray]:
        return [r["text"] for r in rows], np.array([bool(r.get("sdgs")) for r in rows])

    result: dict = {"corpus": {}, "corpus_v2_by_form": {}, "real": {}}
    result["corpus"]["v1"] = described(*texts_and_labels(v1))
    result["corpus"]["v2"] = described(*texts_and_labels(v2))
    for form, count in sorted(Counter(r["form"] for r in v2).items()):
        rows = [r for r in v2 if r["form"] == form]
        result["corpus_v2_by_form"][form] = described(*texts_and_labels(rows))
        result["corpus_v2_by_form"][form]["records"] = count

    real = real_annotated()
    for name, (texts, positive) in real.items():
        result["real"][name] = described(texts, positive)
    all_texts = [t for texts, _ in real.values() for t in texts]
    all_positive = np.concatenate([p for _, p in real.values()])
    result["real"]["all"] = described(all_texts, all_positive)

    corpus_texts, corpus_positive = texts_and_labels(v2)
    model = bag_of_words().fit(corpus_texts, corpus_positive)
    transfer = {}
    for name, (texts, positive) in [*real.items(), ("all", (all_texts, all_positive))]:
        if positive.all() or not positive.any():
            continue
        scores = model.predict_proba(texts)[:, 1]
        transfer[name] = round(float(roc_auc_score(positive, scores)), 3)
    result["transfer_corpus_v2_to_real"] = transfer

    vocabulary = model[0].get_feature_names_out()
    weights = model[1].coef_[0]
    order = np.argsort(weights)
    result["words_towards_no_sdg"] = [
        [str(vocabulary[i]), round(float(weights[i]), 2)] for i in order[: args.top]
    ]
    result["words_towards_some_sdg"] = [
        [str(vocabulary[i]), round(float(weights[i]), 2)] for i in order[::-1][: args.top]
    ]

    print("held-out AUC of any-SDG vs none (5-fold): length / bag of words")
    print(f"{'set':<26} {'texts':>6} {'no SDG':>7} {'words':>6} {'length':>7} {'words':>7}")
    rows = [(f"corpus {k}", v) for k, v in result["corpus"].items()]
    rows += [(f"  v2 {k}", v) for k, v in result["corpus_v2_by_form"].items()]
    rows += [(f"real {k}", v) for k, v in result["real"].items()]
    for label, row in rows:
        print(
            f"{label:<26} {row['texts']:>6} {row['no_sdg']:>7} {row['median_words']:>6} "
            f"{row.get('length', float('nan')):>7.3f} {row.get('bag_of_words', float('nan')):>7.3f}"
        )
    print("corpus v2 bag of words scored on real annotated texts (AUC):", transfer)
    print("towards no SDG:", ", ".join(w for w, _ in result["words_towards_no_sdg"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
