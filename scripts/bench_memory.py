"""Does `sdg-align score` keep memory flat as the input grows from 10k to 1M rows?

Scoring a million rows with the real model takes hours on two cores, so this benchmark swaps the
encoder for a stand-in: a randomly initialised 2-layer BERT of width 32 that uses the default
model's real tokenizer (250k pieces) and the same 128-token windows. Everything that could grow
with the number of rows runs for real: reading the input in chunks, tokenising, length-sorted
batching, writing the output and the resume bookkeeping. The model's own memory is constant by
construction (its weights), so the growth measured here is the growth of the real run.

Each size runs `sdg-align score` in its own process on realistic texts (as in bench_score.py) and
records the peak resident memory of that process.

    python scripts/bench_memory.py                       # 10k, 100k and 1M rows
    python scripts/bench_memory.py --rows 10000 100000   # table + results/bench_memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

MEASURE = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def stand_in_model(folder: Path) -> Path:
    """A tiny sdg-align model folder on the default model's tokenizer."""
    import shutil

    import torch
    from transformers import BertConfig, BertModel

    from sdg_align.encoders import resolve_encoder
    from sdg_align.modeling import SDGClassifier

    encoder_dir = folder / "encoder"
    encoder_dir.mkdir(parents=True)
    real = resolve_encoder("multilingual-e5-small")
    shutil.copy(real.path / "tokenizer.json", encoder_dir / "tokenizer.json")
    vocab = json.loads((real.path / "config.json").read_text())["vocab_size"]
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=514,
    )
    BertModel(config).save_pretrained(str(encoder_dir))
    model = SDGClassifier.from_base(str(encoder_dir), max_length=128)
    return model.save_pretrained(folder / "model", card={"name": "memory stand-in"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "bench_memory.json")
    args = parser.parse_args()

    import pandas as pd
    from bench_score import realistic_texts

    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    model_dir = stand_in_model(work)
    rows = []
    print(f"{'rows':>10} {'seconds':>8} {'rows/s':>8} {'peak MB':>8} {'input MB':>9}")
    for size in args.rows:
        source = work / f"texts-{size}.csv"
        pd.DataFrame({"id": range(size), "text": realistic_texts(size, seed=size)}).to_csv(
            source, index=False
        )
        output = work / f"scored-{size}.csv"
        command = [sys.executable, "-m", "sdg_align", "score", str(source), "-o", str(output)]
        command += ["-m", str(model_dir), "-q", "--id-col", "id"]
        started = time.perf_counter()
        measured = subprocess.run(
            [sys.executable, "-c", MEASURE, *command],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        seconds = time.perf_counter() - started
        code, peak_kb = measured.stdout.split()[-2:]
        if code != "0":
            raise SystemExit(f"score failed at {size} rows:\n{measured.stderr[-2000:]}")
        written = sum(len(c) for c in pd.read_csv(output, usecols=["id"], chunksize=100_000))
        assert written == size, f"{written} rows written for {size}"
        row = {
            "rows": size,
            "seconds": round(seconds, 1),
            "rows_per_second": round(size / seconds, 1),
            "peak_rss_mb": round(int(peak_kb) / 1024, 1),
            "input_mb": round(source.stat().st_size / 2**20, 1),
        }
        rows.append(row)
        print(
            f"{size:>10} {row['seconds']:>8} {row['rows_per_second']:>8} "
            f"{row['peak_rss_mb']:>8} {row['input_mb']:>9}",
            flush=True,
        )
        source.unlink()
        output.unlink()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"model": "stand-in (see docstring)", "rows": rows}, indent=2) + "\n"
    )
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
