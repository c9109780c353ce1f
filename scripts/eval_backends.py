"""Accuracy of the faster scoring backends against PyTorch float32, on the same held-out sets.

`sdg-align score` offers `onnx` (the same float32 network in ONNX Runtime, the default) and `int8`
(dynamically quantised encoder layers); this script measures what each costs in macro-F1 (the aim:
at most 0.5 points) and how many texts keep exactly the same tags.

    python scripts/eval_backends.py [--model DIR]     # table + results/eval_backends.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import EVALUATION_SOURCES, load_source  # noqa: E402
from sdg_align.evaluation import metrics_from_probs  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.onnx_backend import with_onnx  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_backends.json")
    args = parser.parse_args()
    configure_threads()
    float_model = SDGClassifier.from_pretrained(args.model)
    int8_model = float_model.quantized()
    onnx_model = with_onnx(SDGClassifier.from_pretrained(args.model), args.model)
    result: dict = {"model": str(args.model), "sets": {}}
    print(
        f"{'set':<12} {'texts':>6} {'fp32 macro-F1':>14} {'int8 macro-F1':>14} {'diff (points)':>14} "
        f"{'same tags':>10} {'max |dp|':>9} {'onnx diff':>10} {'onnx same':>10} {'onnx |dp|':>10}"
    )
    for name in EVALUATION_SOURCES:
        labelled = load_source(name)
        texts = labelled.texts()
        started = time.perf_counter()
        p_float = float_model.predict_proba(texts)
        t_float = time.perf_counter() - started
        started = time.perf_counter()
        p_int8 = int8_model.predict_proba(texts)
        t_int8 = time.perf_counter() - started
        p_onnx = onnx_model.predict_proba(texts)
        f_onnx = metrics_from_probs(onnx_model, labelled, p_onnx, by=())["macro"]["f1"]
        f_float = metrics_from_probs(float_model, labelled, p_float, by=())["macro"]["f1"]
        f_int8 = metrics_from_probs(int8_model, labelled, p_int8, by=())["macro"]["f1"]
        thresholds = float_model.thresholds
        same = float(np.mean(((p_float >= thresholds) == (p_int8 >= thresholds)).all(1)))
        same_onnx = float(np.mean(((p_float >= thresholds) == (p_onnx >= thresholds)).all(1)))
        row = {
            "texts": len(texts),
            "fp32_macro_f1": f_float,
            "int8_macro_f1": f_int8,
            "diff_points": 100 * (f_int8 - f_float),
            "same_tags_share": same,
            "max_abs_probability_diff": float(np.abs(p_float - p_int8).max()),
            "onnx_macro_f1": f_onnx,
            "onnx_diff_points": 100 * (f_onnx - f_float),
            "onnx_same_tags_share": same_onnx,
            "onnx_max_abs_probability_diff": float(np.abs(p_float - p_onnx).max()),
            "fp32_seconds": t_float,
            "int8_seconds": t_int8,
        }
        result["sets"][name] = row
        print(
            f"{name:<12} {len(texts):>6} {f_float:14.3f} {f_int8:14.3f} {row['diff_points']:14.2f} "
            f"{same:10.1%} {row['max_abs_probability_diff']:9.3f} {row['onnx_diff_points']:10.2f} "
            f"{same_onnx:10.1%} {row['onnx_max_abs_probability_diff']:10.1e}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
