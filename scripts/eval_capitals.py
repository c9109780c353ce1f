"""What reading sentences written in capitals in lower case changes, on validation texts.

    python scripts/eval_capitals.py              # -> results/eval_capitals.json
    python scripts/eval_capitals.py --split test # report on the test splits (chooses nothing)

A new-user trial found the encoder reads capitals as other words: the README's example in
capitals lost SDG 6 (0.81 -> 0.05) and gained SDGs 11 and 13, and upper-casing 80 texts changed
the tags of 22. Spreadsheets write titles in capitals. ``calm_capitals`` lowers each sentence
written in capitals before the model reads it. For the corpus dev split and the real texts the
model validated on (or, with ``--split test``, corpus-test and real-test), this scores four
versions of each text, with and without the calming: as written, the first sentence in capitals
(a title typed so), and the whole text in capitals; and counts the texts as written whose reading
changes. Macro-F1 at 'balanced', certain labels only. Evaluation-only sets are not read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

import sdg_align.modeling.windows as windows  # noqa: E402
from sdg_align.data import REAL_SOURCES, LabelledSet, load_corpus, load_source  # noqa: E402
from sdg_align.evaluation import metrics_from_probs  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.trained_texts import TrainedTexts, short_hash  # noqa: E402

CALM = windows.calm_capitals


def validation_sets(split: str, model_dir: Path) -> dict[str, LabelledSet]:
    """The corpus's ``split`` and the real texts of the same role (validation or real-test)."""
    corpus = load_corpus().where(split=split)
    if split == "test":
        return {"corpus": corpus, "real": load_source("real-test")}
    record = TrainedTexts.read(model_dir)
    if record is None:
        raise SystemExit(f"{model_dir} records no validation texts: use --split test")
    real = LabelledSet(
        [
            e
            for source in REAL_SOURCES
            for e in load_source(source).examples
            if short_hash(e.text) in record.validation
        ]
    )
    return {"corpus": corpus, "real": real}


def title_in_capitals(text: str) -> str:
    """The text with its first sentence in capitals: a title typed so, then the description."""
    breaks = windows.sentence_breaks(text)
    end = breaks[0][0] if breaks else len(text)
    return text[:end].upper() + text[end:]


VERSIONS = {
    "as written": lambda t: t,
    "title in capitals": title_in_capitals,
    "all in capitals": str.upper,
}


def macro_f1(model: Any, labelled: LabelledSet, calm: bool) -> tuple[float, np.ndarray]:
    windows.calm_capitals = CALM if calm else (lambda text: text)
    try:
        probs = np.asarray(model.predict_proba(labelled.texts()), dtype=float)
    finally:
        windows.calm_capitals = CALM
    return float(metrics_from_probs(model, labelled, probs, by=())["macro"]["f1"]), probs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    args = parser.parse_args()
    configure_threads()
    model = load_classifier(args.model)
    cut = model.cut("balanced")
    result: dict[str, Any] = {
        "command": "python scripts/eval_capitals.py"
        + (" --split test" if args.split == "test" else ""),
        "model": str(args.model.relative_to(ROOT))
        if args.model.is_relative_to(ROOT)
        else str(args.model),
        "split": args.split,
        "sets": {},
    }
    for name, labelled in validation_sets(args.split, args.model).items():
        entry: dict[str, Any] = {
            "texts": len(labelled),
            "reading_changed_as_written": sum(CALM(t) != t for t in labelled.texts()),
        }
        for version, change in VERSIONS.items():
            shifted = LabelledSet(
                [dataclasses.replace(e, text=change(e.text)) for e in labelled.examples]
            )
            before, p_before = macro_f1(model, shifted, calm=False)
            after, p_after = macro_f1(model, shifted, calm=True)
            entry[version] = {
                "macro_f1_read_as_typed": round(before, 4),
                "macro_f1_capitals_calmed": round(after, 4),
                "texts_whose_tags_change": int(
                    ((p_before >= cut) != (p_after >= cut)).any(axis=1).sum()
                ),
            }
            print(f"{name:<7} {version:<18} {entry[version]}", flush=True)
        result["sets"][name] = entry
    output = (
        ROOT
        / "results"
        / ("eval_capitals.json" if args.split == "dev" else "eval_capitals_test.json")
    )
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
