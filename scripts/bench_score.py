"""Benchmark `sdg-align score` against naive baselines on the same machine, model and texts.

Each method runs in its own process (so peak memory is its own) on the same texts of realistic
length, drawn from real project descriptions (the project corpus, the DPGA registry's training part,
SNSF project summaries). Methods:

- ``naive-one``: Hugging Face ``pipeline("feature-extraction")`` on the same encoder, one text at a
  time, mean pooling and the model's head in numpy;
- ``naive-batched``: the same pipeline with batch_size 32 (padding to the longest text of a batch);
- ``st-batched``: sentence-transformers ``encode`` (batch 32, it sorts by length) + the head;
- ``score-fp32`` / ``score-onnx`` / ``score-int8``: ``sdg-align score`` on a CSV file (length-sorted
  dynamic batches, all cores; fp32 = PyTorch, onnx = the same float32 network in ONNX Runtime, the
  default, exported once before the runs; int8 = dynamically quantised encoder layers), full output
  written;
- ``score-onnx-explain``: the default backend with ``--explain``.

    python scripts/bench_score.py                         # 1k and 10k texts, default model
    python scripts/bench_score.py --sizes 1000 --skip naive-one

Prints a table and writes results/bench_score.json. ``--memory-rows`` also checks that memory stays
flat as inputs grow (streaming in chunks), on the real model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

METHODS = [
    "naive-one",
    "naive-batched",
    "st-batched",
    "score-fp32",
    "score-onnx",
    "score-int8",
    "score-onnx-explain",
]


def realistic_texts(n: int, seed: int = 0, long: bool = False) -> list[str]:
    """n texts sampled (with replacement) from real project descriptions.

    The default pool is what cluster managers score: the project corpus, the DPGA registry's
    training part and the example portfolio (short descriptions, one 128-token window each).
    ``long=True`` draws SNSF project summaries instead (about 3,000 characters: 7.4 windows of 128
    tokens each on average; the naive baselines truncate them to one window).
    """
    import pandas as pd

    from sdg_align.data import load_source, shared_data_dir

    pool: list[str] = []
    if long:
        snsf = shared_data_dir() / "snsf-projects" / "snsf_projects.csv"
        pool = [t for t in pd.read_csv(snsf)["projects"].dropna().astype(str) if t.strip()]
    else:
        for name in ("corpus", "dpga"):
            with contextlib.suppress(Exception):  # the corpus may be absent in a user's clone
                pool += load_source(name).texts()
        portfolio = pd.read_csv(ROOT / "examples" / "portfolio.csv")
        pool += (portfolio["title"] + ". " + portfolio["description"]).tolist()
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(n)]


def _head(model_dir: Path):
    import numpy as np
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    return weights["head.weight"].astype(np.float32), weights["head.bias"].astype(np.float32)


def _export_encoder(model_dir: Path, target: Path) -> None:
    """The fine-tuned encoder as a plain Hugging Face folder, for the naive baselines."""
    from sdg_align.modeling import SDGClassifier

    classifier = SDGClassifier.from_pretrained(model_dir)
    classifier.network.encoder.save_pretrained(str(target))
    from transformers import PreTrainedTokenizerFast

    pad = classifier.tokenizer.id_to_token(classifier.windower.pad_id)
    PreTrainedTokenizerFast(tokenizer_object=classifier.tokenizer, pad_token=pad).save_pretrained(
        str(target)
    )


def run_method(method: str, texts_file: Path, model_dir: Path, encoder_dir: Path) -> dict:
    """Runs in a child process: time one method over the texts; returns rows/s."""
    import numpy as np
    import pandas as pd

    from sdg_align.runtime import configure_threads

    threads = configure_threads()
    if method.startswith("score"):  # sdg-align streams the file itself: never hold it here
        count = sum(len(c) for c in pd.read_csv(texts_file, usecols=["text"], chunksize=20_000))
        texts: list[str] = []
    else:
        texts = pd.read_csv(texts_file)["text"].astype(str).tolist()
        count = len(texts)
    config = json.loads((model_dir / "config.json").read_text())
    prefix = config.get("text_prefix", "")
    weight, bias = _head(model_dir)
    started = time.perf_counter()
    if method.startswith("score"):
        from click.testing import CliRunner

        from sdg_align.cli import main

        out = texts_file.with_suffix(".scored.csv")
        args = [
            "score",
            str(texts_file),
            "-o",
            str(out),
            "-m",
            str(model_dir),
            "-q",
            "--backend",
            "int8" if "int8" in method else "onnx" if "onnx" in method else "float32",
        ]
        if method.endswith("explain"):
            args.append("--explain")
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    elif method.startswith("naive"):
        from transformers import pipeline
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        extractor = pipeline("feature-extraction", model=str(encoder_dir), device="cpu")
        batch = 1 if method == "naive-one" else 32
        outputs = extractor(
            [prefix + t for t in texts],
            batch_size=batch,
            tokenize_kwargs={"truncation": True, "max_length": config["max_length"]},
            return_tensors=True,
        )
        pooled = np.stack([o[0].numpy().mean(0) for o in outputs])
        _ = 1 / (1 + np.exp(-(pooled @ weight.T + bias)))
    elif method == "st-batched":
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(encoder_dir), device="cpu")
        st.max_seq_length = config["max_length"]
        pooled = st.encode([prefix + t for t in texts], batch_size=32, normalize_embeddings=False)
        _ = 1 / (1 + np.exp(-(pooled @ weight.T + bias)))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows_per_second": count / seconds, "threads": threads}


def child(args: argparse.Namespace) -> None:
    result = run_method(args.child, Path(args.texts), Path(args.model), Path(args.encoder))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--long-sizes",
        type=int,
        nargs="*",
        default=[1000],
        help="also run on long texts (SNSF summaries, ~7 windows each)",
    )
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument(
        "--long-skip",
        nargs="*",
        default=["naive-one", "score-onnx-explain"],
        help="methods not run on long texts (slow, and measured on short ones)",
    )
    parser.add_argument(
        "--one-at-a-time-max",
        type=int,
        default=1000,
        help="naive-one runs only up to this size (it is very slow)",
    )
    parser.add_argument(
        "--memory-rows",
        type=int,
        nargs="*",
        default=[],
        help="also measure score-fp32 peak memory at these row counts",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "bench_score.json")
    parser.add_argument("--child"), parser.add_argument("--texts"), parser.add_argument("--encoder")
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-score-"))
    encoder_dir = work / "encoder"
    # In a child process, like everything that loads a model here: a child forked from a parent
    # that holds a model would inherit that peak memory (ru_maxrss survives fork and exec).
    export = "import sys; sys.path.insert(0, sys.argv[3]); import bench_score; "
    export += (
        "bench_score._export_encoder(bench_score.Path(sys.argv[1]), bench_score.Path(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", export, str(args.model), str(encoder_dir), str(ROOT / "scripts")],
        check=True,
    )
    if not {"score-onnx", "score-onnx-explain"} <= set(args.skip):
        # The ONNX export is a one-time cost (cached), not timed; in its own process as above.
        warm = (
            "import sys; from sdg_align.modeling import SDGClassifier; "
            "from sdg_align.onnx_backend import with_onnx; "
            "with_onnx(SDGClassifier.from_pretrained(sys.argv[1]), sys.argv[1])"
        )
        subprocess.run([sys.executable, "-c", warm, str(args.model)], check=True)
    rows = []
    runs = [("short", n) for n in args.sizes] + [("long", n) for n in args.long_sizes]
    runs += [("memory", n) for n in args.memory_rows]
    for kind, size in runs:
        import pandas as pd

        texts_file = work / f"texts-{kind}-{size}.csv"
        texts = realistic_texts(size, long=kind == "long")
        pd.DataFrame({"text": texts}).to_csv(texts_file, index=False)
        methods = ["score-fp32"] if kind == "memory" else [m for m in METHODS if m not in args.skip]
        if kind == "long":
            methods = [m for m in methods if m not in args.long_skip]
        for method in methods:
            if method == "naive-one" and size > args.one_at_a_time_max:
                continue
            command = [
                sys.executable,
                __file__,
                "--child",
                method,
                "--texts",
                str(texts_file),
                "--model",
                str(args.model),
                "--encoder",
                str(encoder_dir),
            ]
            out = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
            if out.returncode:
                print(out.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"{method} failed at {size}")
            measured = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append({"method": method, "set": kind, "texts": size, **measured})
            print(
                f"{method:<20} {kind:<6} {size:>8} texts {measured['rows_per_second']:8.1f} texts/s "
                f"peak {measured['peak_rss_mb']:7.0f} MB",
                file=sys.stderr,
            )

    print()
    print(
        f"{'method':<20} {'set':<6} {'texts':>8} {'texts/s':>9} {'vs naive-batched':>17} {'peak MB':>8}"
    )
    for row in rows:
        base = next(
            (
                r
                for r in rows
                if r["method"] == "naive-batched"
                and r["texts"] == row["texts"]
                and r["set"] == row["set"]
            ),
            None,
        )
        ratio = f"{row['rows_per_second'] / base['rows_per_second']:.2f}x" if base else "-"
        print(
            f"{row['method']:<20} {row['set']:<6} {row['texts']:>8} {row['rows_per_second']:9.1f} "
            f"{ratio:>17} {row['peak_rss_mb']:8.0f}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "model": str(args.model),
                "cpu_cores": os.cpu_count(),
                "rows": rows,
                "command": " ".join(sys.argv),
            },
            indent=2,
        )
    )
    print(f"\nwritten to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
