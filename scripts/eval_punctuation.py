"""How much the default model's tags move when a text loses (or gains) its final full stop.

    python scripts/eval_punctuation.py            # -> results/eval_punctuation.json

Until December 2026 `score` cut the final "." of each text cell, and on the example portfolio 52
of 180 projects got other tags than `classify` gave the same text. A final full stop carries no
meaning, so a sound model should not care. This script measures how much it does, on texts that
are not test or evaluation-only texts: the corpus dev split (held out from training), and DPGA and
SNSF project texts outside their test splits (training-side: the model saw most of them, so
there the figure shows sensitivity on familiar texts). Each text ending in "." is scored as it is and without that ".", each text without one as
it is and with one added; it reports the mean and largest change of a probability, and how many
texts change their tag set, per set. It changes nothing; it is a robustness figure for the next
retrain (issue 10), which could add such variants to the training data.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.evaluation import evaluate  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402

SETS = {
    "corpus-dev": ("corpus", "dev"),
    "dpga-train-side": ("dpga", None),
    "snsf-train-side": ("snsf", None),
}


def toggled(text: str) -> str:
    """The text with its final full stop removed, or one added."""
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith(".") else stripped + "."


def _f1_as_written_and_without_stops(classifier) -> dict[str, float]:
    """Macro-F1 on the whole corpus dev split as written, with every final stop, and with none.

    Users' cells often lack the final stop that most training texts have; this says what that
    costs, and whether adding one before scoring would win it back.
    """
    dev = load_source("corpus")
    dev.examples = [e for e in dev.examples if e.split == "dev"]
    variants = {
        "as_written": lambda t: t,
        "every_text_ending_in_a_stop": lambda t: (
            t if t.rstrip().endswith(".") else t.rstrip() + "."
        ),
        "no_text_ending_in_a_stop": lambda t: t.rstrip().rstrip("."),
    }
    found = {}
    for name, change in variants.items():
        texts = [change(e.text) for e in dev.examples]
        altered = replace(
            dev, examples=[replace(e, text=t) for e, t in zip(dev.examples, texts, strict=True)]
        )
        found[name] = round(evaluate(classifier, altered, by=())["macro"]["f1"], 4)
        print(f"corpus dev ({len(texts)} texts), {name}: macro-F1 {found[name]:.4f}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="Model folder (default: the bundled one).")
    parser.add_argument("--limit", type=int, default=300, help="Texts per set (default 300).")
    parser.add_argument("--output", default=str(ROOT / "results" / "eval_punctuation.json"))
    args = parser.parse_args()
    classifier = load_classifier(args.model)
    cut = classifier.cut("balanced")
    rows = {}
    for name, (source, split) in SETS.items():
        texts = [e.text for e in load_source(source).examples if e.split == split][: args.limit]
        if not texts:
            print(f"{name}: no texts (is ../shared/data beside the checkout?)")
            continue
        before = classifier.predict_proba(texts)
        after = classifier.predict_proba([toggled(t) for t in texts])
        change = np.abs(after - before)
        tags_changed = int(((before >= cut) != (after >= cut)).any(axis=1).sum())
        rows[name] = {
            "texts": len(texts),
            "ending_in_full_stop": sum(t.rstrip().endswith(".") for t in texts),
            "mean_abs_probability_change": round(float(change.mean()), 4),
            "largest_probability_change": round(float(change.max()), 4),
            "texts_with_other_tags": tags_changed,
            "share_with_other_tags": round(tags_changed / len(texts), 4),
        }
        r = rows[name]
        print(
            f"{name}: {r['texts']} texts, mean |dp| {r['mean_abs_probability_change']:.4f}, "
            f"largest {r['largest_probability_change']:.3f}, other tags for "
            f"{r['texts_with_other_tags']} ({100 * r['share_with_other_tags']:.1f}%)"
        )
    written = _f1_as_written_and_without_stops(classifier)
    result = {
        "command": "python scripts/eval_punctuation.py",
        "corpus_dev_macro_f1": written,
        "model": str(args.model or "bundled default model"),
        "operating_point": "balanced",
        "sets": rows,
    }
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
