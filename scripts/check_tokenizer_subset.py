"""Are the script-subset tokenizer's ids the full tokenizer's ids, on every text we have?

Inference loads a cached subset of the multilingual tokenizer (script_subset.py) because parsing the
full 250,002-piece vocabulary is the slowest step of starting ``sdg-align classify``. This script
encodes every training-side text (all training sources and the project's parallel and multilingual test sets;
no evaluation-only file) plus probes in non-European scripts with both tokenizers and counts the
texts whose ids differ (the aim: none), how many needed the full tokenizer, and both load times.

    python scripts/check_tokenizer_subset.py [--model DIR]   # table + results/tokenizer_subset.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import TRAINING_SOURCES, load_source  # noqa: E402
from sdg_align.errors import DataError  # noqa: E402
from sdg_align.modeling.config import TOKENIZER_FILE_GZ  # noqa: E402
from sdg_align.modeling.script_subset import load_fast  # noqa: E402
from sdg_align.modeling.windows import load_tokenizer  # noqa: E402

PROBES = [
    "水资源管理与气候适应",  # Chinese
    "إدارة المياه والطاقة المتجددة",  # Arabic
    "जल प्रबंधन परियोजना",  # Hindi
    "Climate action 🌍 with solar ☀️ panels",
    "ｆｕｌｌ-width ﬁ ligatures and Ⅻ numerals",
    "Ελληνικά και Български и English mixed",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "tokenizer_subset.json")
    args = parser.parse_args()
    path = args.model / TOKENIZER_FILE_GZ
    texts: dict[str, list[str]] = {}
    for name in (*TRAINING_SOURCES, "parallel-test", "multilingual-test"):
        try:
            texts[name] = [e.text for e in load_source(name).examples]
        except DataError as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr)
    texts["probes"] = PROBES

    started = time.perf_counter()
    full = load_tokenizer(path)
    full_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        load_fast(path, load_tokenizer, Path(cache))  # builds and caches the subset
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        subset = load_fast(path, load_tokenizer, Path(cache))
        cached_s = time.perf_counter() - started
        rows = {}
        for name, batch in texts.items():
            subset.fallbacks = 0
            ours = subset.encode_batch(batch, add_special_tokens=True)
            theirs = full.encode_batch(batch, add_special_tokens=True)
            differ = sum(a.ids != list(b.ids) for a, b in zip(ours, theirs, strict=True))
            rows[name] = {
                "texts": len(batch),
                "different_ids": differ,
                "encoded_by_full_tokenizer": subset.fallbacks,
            }
    result = {
        "model": str(args.model),
        "pieces_full": full.get_vocab_size(),
        "pieces_subset": subset.subset.get_vocab_size(),
        "load_full_s": round(full_s, 3),
        "load_subset_first_use_s": round(first_s, 3),
        "load_subset_cached_s": round(cached_s, 3),
        "sources": rows,
        "texts": sum(r["texts"] for r in rows.values()),
        "different_ids": sum(r["different_ids"] for r in rows.values()),
    }
    print(f"{'source':<16}{'texts':>8}{'different ids':>15}{'by full tokenizer':>19}")
    for name, row in rows.items():
        print(
            f"{name:<16}{row['texts']:>8}{row['different_ids']:>15}"
            f"{row['encoded_by_full_tokenizer']:>19}"
        )
    print(
        f"pieces {result['pieces_subset']:,} of {result['pieces_full']:,}; load full "
        f"{full_s:.2f} s, subset {cached_s:.2f} s (first use {first_s:.2f} s)"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
