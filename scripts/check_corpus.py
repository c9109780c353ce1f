"""Validate the cluster-project corpus, the parallel test set and the annotation files.

    python scripts/check_corpus.py                  # exit 0 when valid, 1 with one line per problem
    python scripts/check_corpus.py --embeddings     # also compare stories with multilingual-e5
    python scripts/check_corpus.py --path copy.jsonl --lock copy.splits.tsv

The rules live in sdg_align.corpus.check (see its docstring); this script only runs them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.corpus import (  # noqa: E402
    CONTRAST,
    CONTRAST_TRAIN,
    CORPUS,
    LOCK,
    PARALLEL,
    check_annotations,
    check_corpus,
)
from sdg_align.corpus.check import CORPUS_MINIMUMS  # noqa: E402
from sdg_align.data import ANNOTATIONS_DIR, shared_data_dir  # noqa: E402


def e5_embedder():  # type: ignore[no-untyped-def]
    from sdg_align.modeling import SDGClassifier

    model = SDGClassifier.from_base("multilingual-e5-small")
    return lambda texts: model.embed(list(texts))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", type=Path, default=CORPUS)
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--parallel", type=Path, default=PARALLEL)
    parser.add_argument("--contrast", type=Path, default=CONTRAST)
    parser.add_argument("--contrast-train", type=Path, default=CONTRAST_TRAIN)
    parser.add_argument("--annotations", type=Path, default=ANNOTATIONS_DIR)
    parser.add_argument("--embeddings", action="store_true", help="check stories with e5 (slow)")
    args = parser.parse_args()
    if not args.path.is_file():
        raise SystemExit(f"corpus not found: {args.path}")
    problems = check_corpus(
        args.path,
        args.lock,
        parallel_path=args.parallel,
        contrast_path=args.contrast,
        contrast_train_path=args.contrast_train,
        minimums=CORPUS_MINIMUMS,
        embed=e5_embedder() if args.embeddings else None,
    )
    data = shared_data_dir().is_dir()
    if not data:
        print("shared data not found: annotation hashes are not compared", file=sys.stderr)
    problems += check_annotations(args.annotations, data_available=data)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        raise SystemExit(1)
    print(
        f"{args.path}, {args.parallel.name}, {args.contrast.name}, {args.contrast_train.name} "
        "and the annotation files: valid",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
