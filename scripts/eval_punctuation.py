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

    python scripts/eval_punctuation.py --validation   # -> results/eval_punctuation_validation.json

tests the remedy that offers itself, a full stop added before scoring to every text that lacks
one, on the validation texts of the default model's recipe (the texts its thresholds were chosen
on; no test or evaluation-only text): macro precision, recall and F1 per source, as written, with
the stop added where missing, and with every final stop removed.
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


ENDS_A_SENTENCE = (".", "!", "?")
VALIDATION_VARIANTS = {
    "as_written": lambda t: t,
    "stop_added_where_missing": lambda t: (
        t if t.rstrip().endswith(ENDS_A_SENTENCE) else t.rstrip() + "."
    ),
    "final_stop_removed": lambda t: t.rstrip()[:-1] if t.rstrip().endswith(".") else t,
}


def on_validation(classifier) -> dict:
    """Each variant of the recipe's validation texts, scored: macro P/R/F1 overall and per source."""
    from sdg_align.evaluation import validation_figures
    from sdg_align.training import TrainingConfig, assemble_training_data, split_like_training

    recipe = TrainingConfig.from_file(ROOT / "training_data" / "recipes" / "sdg-align-base.toml")
    _train, validation, _test = split_like_training(
        assemble_training_data(recipe, log=lambda _line: None), recipe
    )
    texts = validation.texts()
    ending = {}
    for source, text in zip(validation.sources(), texts, strict=True):
        counts = ending.setdefault(source, {"texts": 0, "ending_a_sentence": 0})
        counts["texts"] += 1
        counts["ending_a_sentence"] += text.rstrip().endswith(ENDS_A_SENTENCE)
    found: dict = {"texts": len(texts), "ending_a_sentence": ending, "variants": {}}
    for name, change in VALIDATION_VARIANTS.items():
        probs = classifier.predict_proba([change(t) for t in texts])
        block = found["variants"][name] = validation_figures(classifier, validation, probs)
        per = ", ".join(f"{s} {b['f1']:.3f}" for s, b in block["by_source"].items())
        every = block["all"]
        print(
            f"validation, {name}: P/R/F1 {every['precision']:.3f}/{every['recall']:.3f}/"
            f"{every['f1']:.3f}, sources equal {block['f1_sources_weighed_equally']:.3f}; {per}",
            flush=True,
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="Model folder (default: the bundled one).")
    parser.add_argument("--limit", type=int, default=300, help="Texts per set (default 300).")
    parser.add_argument("--output", default=None, help="JSON file (default: under results/).")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="Test a stop added where missing on the recipe's validation texts instead.",
    )
    args = parser.parse_args()
    classifier = load_classifier(args.model)
    if args.validation:
        result = {
            "command": "python scripts/eval_punctuation.py --validation",
            "model": str(args.model or "bundled default model"),
            "operating_point": "balanced",
            **on_validation(classifier),
        }
        output = args.output or ROOT / "results" / "eval_punctuation_validation.json"
        Path(output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return
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
    output = args.output or ROOT / "results" / "eval_punctuation.json"
    Path(output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
