"""Add newly written records to the cluster-project corpus without moving existing ones.

    python scripts/add_to_corpus.py new_records.jsonl [more.jsonl ...] [--embeddings]

Each new record (text, sdgs, primary, targets, lang, sector, kind, form, scenario) gets the next free
id and a split (stratified by SDG, one split per story; see sdg_align.corpus.add). --embeddings also
groups near-paraphrases found by multilingual-e5. The split lock records every id's split.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.corpus.add import add_records  # noqa: E402
from sdg_align.corpus.records import CORPUS, LOCK, read_records, write_lock, write_records  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()
    existing, problems = read_records(CORPUS) if CORPUS.is_file() else ([], [])
    if problems:
        raise SystemExit("; ".join(problems))
    new = [
        json.loads(line)
        for path in args.files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    embed = None
    if args.embeddings:
        from sdg_align.modeling import SDGClassifier

        model = SDGClassifier.from_base("multilingual-e5-small")
        embed = lambda texts: model.embed(list(texts))  # noqa: E731
    records, skipped = add_records(
        [{k: v for k, v in r.items() if k != "_line"} for r in existing], new, embed=embed
    )
    write_records(records, CORPUS)
    write_lock(records, LOCK)
    print(
        f"added {len(records) - len(existing)} records ({skipped} duplicates skipped); corpus now {len(records)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
