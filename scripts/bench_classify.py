"""How long one interactive `sdg-align classify` takes, as a whole process, on this machine.

Measures, each over several runs in the same session (median):
- ``import``: a bare ``python -c "import torch, transformers"`` (what any tool that runs the model in
  PyTorch pays before it starts);
- ``classify warm``: the whole ``sdg-align classify TEXT`` process with the default backend (ONNX
  Runtime) and a warm cache: no torch import;
- ``classify float32``: the same with ``--backend float32`` (PyTorch);
- ``classify cold``: the first run on an empty cache (``SDG_ALIGN_CACHE`` pointed at a new folder),
  which converts the base encoder and exports the model to ONNX;
- the in-process split of a warm classify: imports, loading (tokenizer, ONNX session), inference.

    python scripts/bench_classify.py [--model DIR] [--runs 5]    # table + results/bench_classify.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (
    "The cluster launches a reskilling academy for battery-cell technicians with three vocational "
    "schools and two regions, and pilots second-life storage for a solar park."
)

SPLIT = """
import time, sys
t0 = time.perf_counter()
from sdg_align.modeling import load_classifier
t1 = time.perf_counter()
model = load_classifier(sys.argv[1])
t2 = time.perf_counter()
model.predict(sys.argv[2])
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, "torch" in sys.modules)
"""


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "bench_classify.json")
    args = parser.parse_args()
    cli = shutil.which("sdg-align") or "sdg-align"
    command = [cli, "classify", TEXT, "-m", str(args.model)]
    timed(command)  # warm the cache and the file system
    cold = []
    for _ in range(max(1, args.runs // 2)):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(timed(command, {**os.environ, "SDG_ALIGN_CACHE": cache}))
    imports = [
        timed([sys.executable, "-c", "import torch, transformers"]) for _ in range(args.runs)
    ]
    warm = [timed(command) for _ in range(args.runs)]
    float32 = [timed([*command, "--backend", "float32"]) for _ in range(args.runs)]
    splits = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", SPLIT, str(args.model), TEXT],
            check=True,
            capture_output=True,
            text=True,
        )
        parts = out.stdout.split()
        splits.append([float(x) for x in parts[:3]] + [parts[3] == "True"])
    result = {
        "import_torch_transformers_s": statistics.median(imports),
        "classify_warm_s": statistics.median(warm),
        "classify_float32_s": statistics.median(float32),
        "classify_cold_s": statistics.median(cold),
        "in_process_imports_s": statistics.median(s[0] for s in splits),
        "model_load_s": statistics.median(s[1] for s in splits),
        "inference_s": statistics.median(s[2] for s in splits),
        "torch_imported_in_warm_classify": any(s[3] for s in splits),
        "runs": args.runs,
        "model": str(args.model),
    }
    result["classify_warm_over_import"] = (
        result["classify_warm_s"] / result["import_torch_transformers_s"]
    )
    for key, value in result.items():
        if isinstance(value, (float, bool)):
            print(
                f"{key:<36} {value!s:>8}" if isinstance(value, bool) else f"{key:<36} {value:8.3f}"
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
