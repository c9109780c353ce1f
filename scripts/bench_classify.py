"""How long one interactive `sdg-align classify` takes, as a whole process, on this machine.

Measures, each over several runs (median):
- ``import``: a bare ``python -c "import torch, transformers"``; ``transformers`` imports its model
  code lazily, so also ``import torch, transformers; from transformers import BertModel`` (the floor
  any tool that runs a BERT encoder with transformers pays);
- ``classify``: the whole ``sdg-align classify TEXT`` process, from exec to exit;
- in-process split of one classify: imports (including the BERT model code), model loading
  (weights and the 250k-piece tokenizer), inference.

The aim is that model loading plus inference stay well under the import time.

    python scripts/bench_classify.py [--model DIR] [--runs 5]    # table + results/bench_classify.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
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
import torch, transformers
from transformers import BertModel
from sdg_align.modeling import SDGClassifier
t1 = time.perf_counter()
model = SDGClassifier.from_pretrained(sys.argv[1])
t2 = time.perf_counter()
model.predict(sys.argv[2])
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
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
    timed(
        [cli, "classify", TEXT, "-m", str(args.model)]
    )  # warm the file cache (and any e5 conversion)

    imports = [
        timed([sys.executable, "-c", "import torch, transformers"]) for _ in range(args.runs)
    ]
    imports_bert = [
        timed(
            [sys.executable, "-c", "import torch, transformers; from transformers import BertModel"]
        )
        for _ in range(args.runs)
    ]
    whole = [timed([cli, "classify", TEXT, "-m", str(args.model)]) for _ in range(args.runs)]
    splits = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", SPLIT, str(args.model), TEXT],
            check=True,
            capture_output=True,
            text=True,
        )
        splits.append([float(x) for x in out.stdout.split()])
    result = {
        "import_torch_transformers_s": statistics.median(imports),
        "import_with_bert_model_code_s": statistics.median(imports_bert),
        "classify_process_s": statistics.median(whole),
        "in_process_imports_s": statistics.median(s[0] for s in splits),
        "model_load_s": statistics.median(s[1] for s in splits),
        "inference_s": statistics.median(s[2] for s in splits),
        "runs": args.runs,
        "model": str(args.model),
    }
    result["load_plus_inference_over_import"] = (
        result["model_load_s"] + result["inference_s"]
    ) / result["import_torch_transformers_s"]
    result["load_plus_inference_over_import_with_bert"] = (
        result["model_load_s"] + result["inference_s"]
    ) / result["import_with_bert_model_code_s"]
    for key, value in result.items():
        if isinstance(value, float):
            print(f"{key:<36} {value:8.3f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
