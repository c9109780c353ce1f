"""Assemble the parallel test set from its English originals and their translations.

    python scripts/build_parallel_test.py ORIGINALS.jsonl TRANSLATION.jsonl [...]

The originals carry the labels (sdgs, primary, targets, kind, form, sector, scenario) and a `pid`;
each translation file holds `pid`, `lang` and `text`. Every text gets the original's labels (one
label set per text, whatever the language) and the test split. Writes
training_data/parallel_test.jsonl, checked by scripts/check_corpus.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.corpus.records import PARALLEL, read_records, write_records  # noqa: E402

LABEL_FIELDS = ("sdgs", "primary", "targets", "kind", "form", "sector", "scenario")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("originals", type=Path)
    parser.add_argument("translations", type=Path, nargs="+")
    args = parser.parse_args()
    originals, problems = read_records(args.originals)
    by_pid = {r["pid"]: r for r in originals}
    records = []
    for path in [args.originals, *args.translations]:
        rows, more = read_records(path)
        problems += more
        for row in rows:
            source = by_pid.get(row.get("pid"))
            if source is None:
                problems.append(f"{path.name}: unknown pid {row.get('pid')}")
                continue
            record = {
                "id": f"{row['pid']}-{row['lang']}",
                "pid": row["pid"],
                "lang": row["lang"],
                "text": row["text"],
            }
            record.update({k: source[k] for k in LABEL_FIELDS if k in source})
            record["split"] = "test"
            record["label_version"] = 2
            records.append(record)
    if problems:
        raise SystemExit("; ".join(problems[:10]))
    records.sort(key=lambda r: (r["pid"], r["lang"]))
    write_records(records, PARALLEL)
    print(f"wrote {PARALLEL}: {len(records)} records, {len(by_pid)} texts", file=sys.stderr)


if __name__ == "__main__":
    main()
