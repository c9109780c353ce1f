"""Refit a saved model's calibration and thresholds on its validation texts, and compare.

    python scripts/refit_decision_rule.py [--model models/sdg-align-base] [--output DIR]
        [--sets corpus-test real-test ...] [--results results/refit_decision_rule.json]

For a decision-rule change that needs no retraining (how validation rows are weighed, say): the
network stays as saved, only calibration, the operating points' thresholds and the error rates are
fitted again, exactly as training fits them (`training.fit_decision_rule`) on the saved model's
validation split (rebuilt from its recipe; refused when the sizes differ from its metrics.json).
Every text is scored once (pooled raw logits of the saved float32 network); both decision rules are
applied to the same logits, so the only difference between the two columns is the rule.

Prints and writes, for the stored and the refitted rule: the thresholds per SDG, the validation
figures (every source weighed as training weighs it now, and per source) and the figures on each
named set. Evaluation-only sets may be named to *report* the effect; nothing here is chosen on
them. With ``--output`` the model folder is copied there with the refitted rule and error rates.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_source  # noqa: E402
from sdg_align.decisions import balanced_macro_f1  # noqa: E402
from sdg_align.errors import DataError  # noqa: E402
from sdg_align.evaluation import metrics_from_probs  # noqa: E402
from sdg_align.labels import SDG_NUMBERS  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.modeling.config import CONFIG_FILE  # noqa: E402
from sdg_align.profile.error_rates import ERROR_RATES_FILE  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.training import splits_of_saved_model  # noqa: E402
from sdg_align.training.protocol import fit_decision_rule  # noqa: E402

DECISION_KEYS = ("calibration_slope", "calibration_intercept", "thresholds", "operating_points")
DEFAULT_SETS = ["corpus-test", "real-test", "dpga-test", "oro-gold", "swisstext-test"]


def _prf(block: dict[str, Any]) -> dict[str, float]:
    return {key: round(float(block[key]), 4) for key in ("precision", "recall", "f1")}


def measure(classifier: Any, labelled: Any, logits: np.ndarray, *, by_source: bool) -> dict:
    """Macro and micro P/R/F1 at every operating point of the classifier's current rule."""
    probs = classifier.calibrate(logits)
    out: dict[str, Any] = {}
    for point in ["balanced", *[p for p in classifier.config.operating_points if p != "balanced"]]:
        metrics = metrics_from_probs(
            classifier, labelled, probs, tags=point, by=("source",) if by_source else ()
        )
        out[point] = {"macro": _prf(metrics["macro"]), "micro": _prf(metrics["micro"])}
        if by_source and point == "balanced":
            out["by_source"] = {
                name: {"samples": block["samples"], **_prf(block["macro"])}
                for name, block in metrics.get("by_source", {}).items()
            }
            out["f1_sources_weighed_as_training_does"] = round(
                balanced_macro_f1(
                    probs,
                    labelled.label_matrix(),
                    labelled.certain_mask(),
                    classifier.cut("balanced"),
                    labelled.sources(),
                ),
                4,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--sets", nargs="*", default=DEFAULT_SETS)
    parser.add_argument("--output", type=Path, default=None, help="write the refitted model here")
    parser.add_argument(
        "--results", type=Path, default=ROOT / "results" / "refit_decision_rule.json"
    )
    args = parser.parse_args()
    if args.output is not None and args.output.exists():  # before minutes of scoring, not after
        sys.exit(f"error: {args.output} exists; choose a new folder")
    configure_threads()
    started = time.time()
    try:
        named = {name: load_source(name) for name in args.sets}
        _train, validation, _test = splits_of_saved_model(args.model)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    classifier = load_classifier(args.model, "float32")
    stored = {key: getattr(classifier.config, key) for key in DECISION_KEYS}
    logits = {"validation": classifier.window_logits(validation.texts(), progress=True)[0]}
    for name, labelled in named.items():
        print(f"scoring {name} ({len(labelled)} texts)", file=sys.stderr)
        logits[name] = classifier.window_logits(labelled.texts(), progress=True)[0]

    fit_decision_rule(classifier, logits["validation"], validation)
    refit = {key: getattr(classifier.config, key) for key in DECISION_KEYS}
    rules = {"stored": stored, "refit": refit}
    figures: dict[str, dict[str, Any]] = {}
    for rule_name, rule in rules.items():
        for key, value in rule.items():
            setattr(classifier.config, key, value)
        figures[rule_name] = {
            "validation": measure(classifier, validation, logits["validation"], by_source=True)
        }
        for name, labelled in named.items():
            figures[rule_name][name] = measure(classifier, labelled, logits[name], by_source=False)

    results = {
        "command": "python scripts/refit_decision_rule.py " + " ".join(sys.argv[1:]),
        "model": str(args.model),
        "validation_texts": len(validation),
        "validation_sources": dict(Counter(validation.sources())),
        "thresholds": {rule_name: rule["operating_points"] for rule_name, rule in rules.items()},
        "calibration": {
            rule_name: {
                "slope": rule["calibration_slope"],
                "intercept": rule["calibration_intercept"],
            }
            for rule_name, rule in rules.items()
        },
        "figures": figures,
        "seconds": round(time.time() - started, 1),
    }
    print_table(results)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1) + "\n")
    print(f"written to {args.results}")

    if args.output is not None:
        shutil.copytree(args.model, args.output)
        config_path = args.output / CONFIG_FILE
        config = json.loads(config_path.read_text())
        config.update({key: refit[key] for key in DECISION_KEYS})
        config_path.write_text(json.dumps(config, indent=2) + "\n")
        (args.output / ERROR_RATES_FILE).write_text(
            json.dumps(classifier.error_rates, indent=1) + "\n"
        )
        print(f"refitted model written to {args.output}")


def _cell(block: dict[str, Any]) -> str:
    macro = block["macro"]
    return f"{macro['precision']:.3f}/{macro['recall']:.3f}/{macro['f1']:.3f}"


def print_table(results: dict[str, Any]) -> None:
    stored, refit = (results["thresholds"][r]["balanced"] for r in ("stored", "refit"))
    print("balanced thresholds per SDG (stored -> refit), where they differ:")
    for sdg, old, new in zip(SDG_NUMBERS, stored, refit, strict=True):
        if abs(old - new) > 1e-9:
            print(f"  SDG {sdg:2d}: {old:.2f} -> {new:.2f}")
    print(
        f"\n{'set':16s} {'point':9s} {'stored macro P/R/F1':>22s} {'refit macro P/R/F1':>22s}"
        f" {'stored micro F1':>16s} {'refit micro F1':>15s}"
    )
    for name in results["figures"]["stored"]:
        for point in ("balanced", "precise", "broad"):
            old = results["figures"]["stored"][name].get(point)
            new = results["figures"]["refit"][name].get(point)
            if old is None or new is None:
                continue
            print(
                f"{name:16s} {point:9s} {_cell(old):>22s} {_cell(new):>22s}"
                f" {old['micro']['f1']:>16.3f} {new['micro']['f1']:>15.3f}"
            )
    for rule in ("stored", "refit"):
        block = results["figures"][rule]["validation"]
        print(
            f"{rule}: validation F1 with sources weighed as training does now "
            f"{block['f1_sources_weighed_as_training_does']:.3f}"
        )


if __name__ == "__main__":
    main()
