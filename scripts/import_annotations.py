"""Turn annotation batches (done outside the repository) into label files without any text.

    python scripts/import_annotations.py --scratch /work/annot

The scratch folder holds what annotators saw and wrote; it contains the texts, so it never enters the
repository. It has ``units.json`` (each annotated text: its members as (source, source id, text
hash) and the text), ``out/<batch>.jsonl`` (first pass), ``out2/<batch>.jsonl`` (the independent
second pass on the real-test texts), ``adjudicated/<batch>.jsonl`` (decisions on the texts where the
passes disagreed) and ``real_test_units.json``. This script writes:

- ``training_data/annotations/<source>.jsonl``: the final labels (adjudicated where the passes
  disagreed, first pass otherwise), one record per source id, with the text's hash;
- ``training_data/annotations/agreement/pass1.jsonl`` and ``pass2.jsonl``: both passes' labels on the
  double-annotated texts, so ``scripts/annotation_agreement.py`` can recompute agreement;
- ``training_data/annotations/real_test.tsv``: the locked real-test split (source, source id).

Records are sorted by source id, so reruns give identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import ANNOTATIONS_DIR  # noqa: E402

SOURCES = ("aurora", "dpga", "swisstext", "zora", "snsf")


def read_outputs(folder: Path) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl")):
        if path.name.startswith("corpus-"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                found[record["unit"]] = record
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scratch", type=Path, required=True)
    args = parser.parse_args()
    units = {u["unit"]: u for u in json.loads((args.scratch / "units.json").read_text())}
    first = read_outputs(args.scratch / "out")
    second = read_outputs(args.scratch / "out2")
    adjudicated = (
        read_outputs(args.scratch / "adjudicated")
        if (args.scratch / "adjudicated").is_dir()
        else {}
    )
    test_units = set(json.loads((args.scratch / "real_test_units.json").read_text()))
    missing = sorted(set(units) - set(first))
    if missing:
        print(
            f"warning: {len(missing)} units have no first-pass labels (e.g. {missing[:3]})",
            file=sys.stderr,
        )

    per_source: dict[str, list[dict]] = {s: [] for s in SOURCES}
    lock, pass1, pass2 = [], [], []
    for unit_id, unit in units.items():
        if unit_id not in first:
            continue
        final = adjudicated.get(unit_id, first[unit_id])
        in_test = unit_id in test_units
        for member in unit["members"]:
            record = {
                "source": member["source"],
                "source_id": member["source_id"],
                "text_sha256": member["text_sha256"],
                "sdgs": final["sdgs"],
                "primary": final["primary"],
                "targets": final.get("targets") or [],
                "source_label": member["source_label"],
                "note": final.get("note", ""),
                "label_version": 2,
            }
            if in_test:
                record["split"] = "test"
                record["adjudicated"] = unit_id in adjudicated
                lock.append((member["source"], member["source_id"]))
            per_source[member["source"]].append(record)
        if in_test and unit_id in second:
            anchor = unit["members"][0]
            for store, labels in ((pass1, first[unit_id]), (pass2, second[unit_id])):
                store.append(
                    {
                        "source": anchor["source"],
                        "source_id": anchor["source_id"],
                        "sdgs": labels["sdgs"],
                        "primary": labels["primary"],
                    }
                )
    ANNOTATIONS_DIR.mkdir(parents=True, exist_ok=True)
    for source, records in per_source.items():
        records.sort(key=lambda r: r["source_id"])
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        (ANNOTATIONS_DIR / f"{source}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{source}: {len(records)} records", file=sys.stderr)
    agreement = ANNOTATIONS_DIR / "agreement"
    agreement.mkdir(exist_ok=True)
    for name, store in (("pass1", pass1), ("pass2", pass2)):
        store.sort(key=lambda r: (r["source"], r["source_id"]))
        (agreement / f"{name}.jsonl").write_text(
            "\n".join(json.dumps(r) for r in store) + "\n", encoding="utf-8"
        )
    rows = sorted(set(lock))
    (ANNOTATIONS_DIR / "real_test.tsv").write_text(
        "source\tsource_id\n" + "".join(f"{s}\t{i}\n" for s, i in rows), encoding="utf-8"
    )
    print(f"real-test: {len(rows)} records; double-annotated: {len(pass1)}", file=sys.stderr)


if __name__ == "__main__":
    main()
