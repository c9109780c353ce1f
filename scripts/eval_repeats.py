"""How much a repeated sentence moves the default model's tags, and what dropping repeats does.

    python scripts/eval_repeats.py            # -> results/eval_repeats.json

A long text is read as windows whose logits are pooled as independent pieces of evidence
(noisy-or), so a sentence that a text says again in another window counts again. Real cells repeat
themselves: an export whose description column starts with the title's sentence, a summary pasted
twice, a funding acknowledgement on every page of a PDF. On the validation texts of the default
model's recipe (the texts its thresholds were chosen on; no test or evaluation-only text) this
scores each text as written, said twice (joined as `score` joins two text columns) and with a
funding footer on five lines, each read with every copy of a sentence (the reading before
December 2026) and with repeated sentences dropped (``drop_repeated_sentences``, the reading
since): macro precision, recall and F1, and how many texts get other tags than as written.

It then checks that the published figures of the held-out sets still stand under the new reading:
for each test split and evaluation-only set, how many texts repeat a sentence and how many of them
get other tags (only reported; nothing was chosen on these sets).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.data.types import join_texts  # noqa: E402
from sdg_align.evaluation import validation_figures  # noqa: E402
from sdg_align.modeling import load_classifier, windows  # noqa: E402
from sdg_align.modeling.windows import drop_repeated_sentences  # noqa: E402
from sdg_align.training import TrainingConfig, assemble_training_data, split_like_training  # noqa: E402

FOOTER = (
    "This project has received funding from the European Union's Horizon Europe research and "
    "innovation programme under grant agreement No 101056789."
)
HELD_OUT = (
    "corpus-test", "real-test", "multilingual-test", "parallel-test", "contrast-test",
    "oro-gold", "dpga-test", "swisstext-test",
)  # fmt: skip
READINGS = ("every_copy_read", "repeats_dropped")


@contextmanager
def reading(name: str) -> Iterator[None]:
    """Score under one reading: ``every_copy_read`` turns the dropping of repeats off."""
    if name == "repeats_dropped":
        yield
        return
    original = windows.drop_repeated_sentences
    windows.drop_repeated_sentences = lambda text: text
    try:
        yield
    finally:
        windows.drop_repeated_sentences = original


VARIANTS: dict[str, Callable[[str], str]] = {
    "as_written": lambda t: t,
    "said_twice": lambda t: join_texts([t, t]),
    "funding_footer_on_five_lines": lambda t: t + f"\n{FOOTER}" * 5,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="Model folder (default: the bundled one).")
    parser.add_argument("--output", default=None, help="JSON file (default: under results/).")
    args = parser.parse_args()
    classifier = load_classifier(args.model)
    cut = classifier.cut("balanced")
    recipe = TrainingConfig.from_file(ROOT / "training_data" / "recipes" / "sdg-align-base.toml")
    _train, validation, _test = split_like_training(
        assemble_training_data(recipe, log=lambda _line: None), recipe
    )
    written = validation.texts()
    scored: dict[tuple[str, str], np.ndarray] = {}  # by reading and text: none scored twice

    def probabilities(texts: list[str], how: str) -> np.ndarray:
        new = sorted({t for t in texts if (how, t) not in scored})
        if new:
            with reading(how):
                found = classifier.predict_proba(new)
            scored.update(((how, t), p) for t, p in zip(new, found, strict=True))
        return np.stack([scored[(how, t)] for t in texts])

    base = probabilities(written, "every_copy_read")
    base_tags = base >= cut
    rows: dict[str, dict] = {}
    for name, change in VARIANTS.items():
        texts = [change(t) for t in written]
        for how in READINGS:
            probs = probabilities(texts, how)
            other = int(((probs >= cut) != base_tags).any(axis=1).sum())
            figures = validation_figures(classifier, validation, probs)
            row = rows.setdefault(name, {})[how] = {
                **figures["all"],
                "f1_sources_weighed_equally": figures["f1_sources_weighed_equally"],
                "texts_with_other_tags_than_as_written": other,
                "tags": int((probs >= cut).sum()),
                "mean_abs_probability_change": round(float(np.abs(probs - base).mean()), 4),
                "largest_probability_change": round(float(np.abs(probs - base).max()), 4),
            }
            print(
                f"{name}, {how}: P/R/F1 {row['precision']:.3f}/{row['recall']:.3f}/"
                f"{row['f1']:.3f}, {row['tags']} tags, other tags than as written for "
                f"{other} of {len(texts)} texts, largest |dp| "
                f"{row['largest_probability_change']:.3f}",
                flush=True,
            )
    held_out = {}
    for name in HELD_OUT:
        repeating = [t for t in load_source(name).texts() if drop_repeated_sentences(t) != t]
        other = 0
        if repeating:
            before, after = (probabilities(repeating, how) >= cut for how in READINGS)
            other = int((before != after).any(axis=1).sum())
        held_out[name] = {"texts_repeating_a_sentence": len(repeating), "with_other_tags": other}
        print(f"{name}: {len(repeating)} texts repeat a sentence, {other} get other tags")
    result = {
        "command": "python scripts/eval_repeats.py",
        "model": str(args.model or "bundled default model"),
        "operating_point": "balanced",
        "validation_texts": len(written),
        "texts_with_a_repeated_sentence": sum(drop_repeated_sentences(t) != t for t in written),
        "footer": FOOTER,
        "variants": rows,
        "held_out_sets": held_out,
    }
    output = args.output or ROOT / "results" / "eval_repeats.json"
    Path(output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
