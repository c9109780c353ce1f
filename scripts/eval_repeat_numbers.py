"""What reading sentences that differ only in their numbers as repeats changes, and for whom.

    python scripts/eval_repeat_numbers.py      # -> results/eval_repeat_numbers.json

``drop_repeated_sentences`` reads a sentence a text says again once (scripts/eval_repeats.py).
Since December 2026 two sentences that differ only in their numbers are the same one: a report
that says 'In work package k the team insulates N flats and installs M heat pumps' for 300
packages is one claim, but read 300 times and pooled as independent evidence it pushed four SDGs
to 1.00. For every labelled set this counts the texts whose reading changes (the text the model
reads after repeats are dropped) and, for those, whether their tags at 'balanced' change and the
largest change of a probability. It also scores that 300-sentence report and one sentence of it
both ways. Evaluation-only sets are only counted and reported; nothing is chosen on them.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import sdg_align.modeling.windows as windows  # noqa: E402
from sdg_align.data import load_source  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402

SETS = (
    "corpus", "aurora", "dpga", "snsf", "swisstext", "zora", "corpus-test", "real-test",
    "multilingual-test", "parallel-test", "contrast-test", "oro-gold", "dpga-test",
    "swisstext-test",
)  # fmt: skip
NUMBERS_READ = windows.sentence_key  # the shipped key: numbers left out


def numbers_kept(sentence: str) -> str:
    """The key before: words without case, spacing or end mark, numbers and all."""
    return " ".join(sentence.casefold().split()).rstrip(".!?;")


def read(text: str, key) -> str:  # type: ignore[no-untyped-def]
    windows.sentence_key = key
    try:
        return windows.drop_repeated_sentences(text)
    finally:
        windows.sentence_key = NUMBERS_READ


def probabilities(model, texts: list[str], key) -> np.ndarray:  # type: ignore[no-untyped-def]
    windows.sentence_key = key
    try:
        return np.asarray(model.predict_proba(texts), dtype=float)
    finally:
        windows.sentence_key = NUMBERS_READ


def main() -> None:
    model = load_classifier()
    cut = model.cut("balanced")
    result: dict = {"command": "python scripts/eval_repeat_numbers.py", "sets": {}}  # type: ignore[type-arg]
    for name in SETS:
        texts = load_source(name).texts()
        changed = [t for t in texts if read(t, numbers_kept) != read(t, NUMBERS_READ)]
        entry = {"texts": len(texts), "reading_changed": len(changed), "tags_changed": 0}
        if changed:
            before = probabilities(model, changed, numbers_kept)
            after = probabilities(model, changed, NUMBERS_READ)
            entry["tags_changed"] = int(((before >= cut) != (after >= cut)).any(axis=1).sum())
            entry["largest_probability_change"] = round(float(np.abs(before - after).max()), 4)
        result["sets"][name] = entry
        print(f"{name}: {entry}", flush=True)
    rng = random.Random(0)
    report = " ".join(
        f"In work package {k} the team insulates {rng.randint(10, 90)} social housing "
        f"apartments and installs {rng.randint(5, 30)} heat pumps."
        for k in range(1, 301)
    )
    one = report.split(". ")[0] + "."
    probe = {}
    for label, key in (("numbers_kept", numbers_kept), ("numbers_read_as_same", NUMBERS_READ)):
        probs = probabilities(model, [one, report], key)
        probe[label] = {
            "one_sentence": {str(k + 1): round(float(p), 3) for k, p in enumerate(probs[0])},
            "300_sentences": {str(k + 1): round(float(p), 3) for k, p in enumerate(probs[1])},
        }
        shown = {k: v for k, v in probe[label]["300_sentences"].items() if v >= 0.1}
        print(f"300-sentence report, {label}: {shown}")
    result["report_probe"] = probe
    (ROOT / "results" / "eval_repeat_numbers.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
