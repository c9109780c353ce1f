"""How should a long text's windows be pooled? Measured on validation texts only.

    python scripts/eval_pooling.py [--model models/sdg-align-base] [--config RECIPE]

Uses the recipe's validation split (the same one training uses) and builds three kinds of text:
- the validation texts as they are;
- long validation texts (more than one 128-token window);
- *joined* texts: 2-5 fully labelled validation texts concatenated (labels: the union), like a
  newsletter or programme report that covers several projects.
The window logits are computed once; each pooling (mean, max, mean-max, noisy-or) is then calibrated
and thresholded on one half of the validation texts (as training would) and measured on the other
half. Prints a table and writes results/eval_pooling.json. No evaluation-only or test text is read.

    python scripts/eval_pooling.py --report-test

reports instead (never to choose) the saved model's recall on long texts joined from the test
splits (corpus-test and real-test, 2-5 fully labelled texts each), with the model's own pooling,
calibration and thresholds; results/eval_pooling_test.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import Example, LabelledSet  # noqa: E402
from sdg_align.decisions import (  # noqa: E402
    balanced_macro_f1,
    calibrate,
    choose_thresholds,
    fit_calibration,
)
from sdg_align.evaluation import multilabel_metrics  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.pooling import POOLINGS, pool_texts  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.training import TrainingConfig, assemble_training_data, split_like_training  # noqa: E402


def joined_texts(examples: list[Example], count: int, seed: int) -> list[Example]:
    """``count`` texts made of 2-5 fully labelled texts each, labels their union."""
    rng = random.Random(seed)
    full = [e for e in examples if e.known is None]
    joined = []
    for _ in range(count):
        parts = rng.sample(full, rng.randint(2, 5))
        sdgs = tuple(sorted({s for e in parts for s in e.sdgs}))
        joined.append(Example("\n\n".join(e.text for e in parts), sdgs, "joined"))
    return joined


def figures(probs: np.ndarray, labelled: LabelledSet, thresholds: list[float]) -> dict:
    m = multilabel_metrics(
        labelled.label_matrix(), probs >= np.array(thresholds), labelled.certain_mask()
    )
    return {"macro": m["macro"], "micro": m["micro"], "texts": len(labelled)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "sdg-align-base"))
    parser.add_argument(
        "--config", default=str(ROOT / "training_data" / "recipes" / "sdg-align-base.toml")
    )
    parser.add_argument("--joined", type=int, default=400)
    parser.add_argument(
        "--fit-on",
        choices=["plain", "plain+joined"],
        default="plain",
        help="What calibration and thresholds are fitted on: plain validation texts (as training "
        "does) or those plus joined texts.",
    )
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--report-test", action="store_true", help="joined test texts, the saved model"
    )
    args = parser.parse_args()
    configure_threads()
    if args.report_test:
        report_test(args)
        return
    args.output = args.output or str(ROOT / "results" / "eval_pooling.json")
    config = TrainingConfig.from_file(args.config)
    labelled = assemble_training_data(config, log=lambda m: None)
    _train, dev, _test = split_like_training(labelled, config)
    rng = random.Random(1)
    order = list(range(len(dev)))
    rng.shuffle(order)
    halves = [
        LabelledSet([dev.examples[i] for i in order[: len(order) // 2]]),
        LabelledSet([dev.examples[i] for i in order[len(order) // 2 :]]),
    ]
    sets = {}
    for name, half in zip(("fit", "measure"), halves, strict=True):
        sets[f"{name}-plain"] = half
        sets[f"{name}-joined"] = LabelledSet(
            joined_texts(half.examples, args.joined // 2, seed=len(name))
        )
    model = SDGClassifier.from_pretrained(args.model)
    windows = {}
    for name, part in sets.items():
        logits, counts = model.raw_window_logits(part.texts())
        windows[name] = (logits, counts)
        print(f"{name}: {len(part)} texts, {sum(counts)} windows", file=sys.stderr)

    results = {}
    for pooling in POOLINGS:
        pooled = {name: pool_texts(w, c, pooling) for name, (w, c) in windows.items()}
        if args.fit_on == "plain":
            fit, fit_logits = sets["fit-plain"], pooled["fit-plain"]
        else:
            fit = LabelledSet(sets["fit-plain"].examples + sets["fit-joined"].examples)
            fit_logits = np.vstack([pooled["fit-plain"], pooled["fit-joined"]])
        y, certain, sources = fit.label_matrix(), fit.certain_mask(), fit.sources()
        slopes, intercepts = fit_calibration(fit_logits, y, certain, sources)
        thresholds = choose_thresholds(
            calibrate(fit_logits, slopes, intercepts), y, certain, sources
        )["balanced"]
        measured = {}
        plain = sets["measure-plain"]
        probs = calibrate(pooled["measure-plain"], slopes, intercepts)
        long_rows = [i for i, c in enumerate(windows["measure-plain"][1]) if c > 1]
        measured["plain"] = figures(probs, plain, thresholds)
        measured["plain_balanced_f1"] = balanced_macro_f1(
            probs, plain.label_matrix(), plain.certain_mask(), thresholds, plain.sources()
        )
        long_set = LabelledSet([plain.examples[i] for i in long_rows])
        measured["long"] = figures(probs[long_rows], long_set, thresholds)
        measured["joined"] = figures(
            calibrate(pooled["measure-joined"], slopes, intercepts),
            sets["measure-joined"],
            thresholds,
        )
        results[pooling] = measured
    print(
        f"{'pooling':<10} {'plain F1':>9} {'plain bal.':>10} {'long F1':>8} {'long R':>7} {'joined F1':>10} {'joined R':>9} {'joined P':>9}"
    )
    for pooling, m in results.items():
        print(
            f"{pooling:<10} {m['plain']['macro']['f1']:9.3f} {m['plain_balanced_f1']:10.3f} {m['long']['macro']['f1']:8.3f} "
            f"{m['long']['macro']['recall']:7.3f} {m['joined']['macro']['f1']:10.3f} {m['joined']['macro']['recall']:9.3f} "
            f"{m['joined']['macro']['precision']:9.3f}"
        )
    out = {
        "model": args.model,
        "validation_texts": len(dev),
        "long_texts_measured": results[POOLINGS[0]]["long"]["texts"],
        "joined_texts_measured": len(sets["measure-joined"]),
        "fit_on": args.fit_on,
        "results": results,
        "command": "python scripts/eval_pooling.py " + " ".join(sys.argv[1:]),
    }
    Path(args.output).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)


def report_test(args: argparse.Namespace) -> None:
    """Recall of the saved model on texts joined from the test splits (reported, never chosen)."""
    from sdg_align.data import load_source
    from sdg_align.modeling import load_classifier

    model = load_classifier(args.model)
    tests = [e for name in ("corpus-test", "real-test") for e in load_source(name).examples]
    joined = LabelledSet(joined_texts(tests, args.joined, seed=7))
    single = LabelledSet([e for e in tests if e.known is None])
    out = {"model": args.model, "pooling": model.config.pooling}
    for name, part in (("single test texts", single), ("joined test texts", joined)):
        probs = model.predict_proba(part.texts())
        out[name] = figures(probs, part, list(model.config.thresholds))
        macro = out[name]["macro"]
        print(
            f"{name}: {len(part)} texts, macro P {macro['precision']:.3f} R {macro['recall']:.3f} "
            f"F1 {macro['f1']:.3f}; micro R {out[name]['micro']['recall']:.3f}"
        )
    output = args.output or str(ROOT / "results" / "eval_pooling_test.json")
    Path(output).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
