"""Add newly written records to the cluster-project corpus without moving existing ones.

Each new record (JSON Lines with text, sdgs, lang, sector, kind and optional targets) gets the next
free id and a split. Splits are assigned by iterative stratification: records with the rarest SDGs
are placed first, each into the split that most lacks that SDG relative to 70/15/15, so every SDG
reaches dev and test in proportion. Existing records and their splits never change; the split lock
(cluster_projects.splits.tsv) records every id's split so the checker can prove it.

    python scripts/add_to_corpus.py new_records.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import normalise_text  # noqa: E402

CORPUS = ROOT / "training_data" / "cluster_projects.jsonl"
LOCK = ROOT / "training_data" / "cluster_projects.splits.tsv"
SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}
FIELDS = ("id", "text", "sdgs", "lang", "sector", "kind", "split", "targets")


def stratified_splits(records: list[dict], existing: list[dict], seed: int = 13) -> list[str]:
    """A split for each new record, balancing every SDG (and no-SDG texts) across splits."""
    rng = random.Random(seed)
    labels = [tuple(r["sdgs"]) or (0,) for r in records]  # 0 stands for "no SDG"
    have = {s: Counter() for s in SHARES}
    for r in existing:
        for label in tuple(r["sdgs"]) or (0,):
            have[r["split"]][label] += 1
    totals = Counter(label for ls in labels for label in ls)
    for r in existing:
        totals.update(tuple(r["sdgs"]) or (0,))
    order = list(range(len(records)))
    rng.shuffle(order)
    order.sort(key=lambda i: min(totals[label] for label in labels[i]))  # rarest first
    size = {s: sum(1 for r in existing if r["split"] == s) for s in SHARES}
    total_size = len(existing) + len(records)
    assigned = [""] * len(records)
    for i in order:
        rarest = min(labels[i], key=lambda label: totals[label])

        def lack(split: str, label: int = rarest) -> tuple[float, float]:
            return (
                SHARES[split] * totals[label] - have[split][label],
                SHARES[split] * total_size - size[split],
            )

        split = max(SHARES, key=lack)
        assigned[i] = split
        size[split] += 1
        for label in labels[i]:
            have[split][label] += 1
    return assigned


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()

    existing = (
        [json.loads(line) for line in CORPUS.read_text().splitlines()] if CORPUS.is_file() else []
    )
    seen = {normalise_text(r["text"]) for r in existing}
    next_id = max((int(r["id"].split("-")[1]) for r in existing), default=0) + 1
    new, skipped = [], 0
    for path in args.files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            key = normalise_text(record["text"])
            if key in seen:
                skipped += 1
                continue
            seen.add(key)
            new.append(record)
    for record, split in zip(new, stratified_splits(new, existing), strict=True):
        record["id"] = f"cp-{next_id:04d}"
        record["split"] = split
        record["sdgs"] = sorted(set(record["sdgs"]))
        next_id += 1
    records = existing + [
        {k: r[k] for k in FIELDS if k in r and (k != "targets" or r[k])} for r in new
    ]
    CORPUS.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    LOCK.write_text("id\tsplit\n" + "".join(f"{r['id']}\t{r['split']}\n" for r in records))
    print(
        f"added {len(new)} records ({skipped} duplicates skipped); corpus now {len(records)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
