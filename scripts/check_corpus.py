"""Validate the cluster-project corpus (training_data/cluster_projects.jsonl).

Checks: the schema of every record; label range and targets that belong to the record's SDGs; no
duplicate or near-duplicate texts (TF-IDF cosine of character n-grams >= 0.9); split stability (every
id keeps the split recorded in cluster_projects.splits.tsv, so a test text never drifts into
training); and the minimum counts the corpus promises (2,000 texts, 80 positives per SDG, 15% hard
negatives or no-SDG texts, 150 texts in each of de/fr/es/it, every SDG in dev and test).

    python scripts/check_corpus.py                  # exit 0 when valid, 1 with one line per problem
    python scripts/check_corpus.py --path copy.jsonl --lock copy.splits.tsv
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.evidence import split_sentences  # noqa: E402
from sdg_align.labels import targets  # noqa: E402

CORPUS = ROOT / "training_data" / "cluster_projects.jsonl"
LOCK = ROOT / "training_data" / "cluster_projects.splits.tsv"
LANGS = {"en", "de", "fr", "es", "it"}
SECTORS = {
    "energy-batteries",
    "mobility",
    "agri-food",
    "health-life-sciences",
    "textiles",
    "construction",
    "digital-ai",
    "maritime",
    "tourism",
    "creative-industries",
    "chemicals",
    "aerospace",
    "water",
    "circular-economy",
    "cross-sector",
}
KINDS = {"positive", "hard_negative", "no_sdg"}
SPLITS = {"train", "dev", "test"}
MIN_TOTAL, MIN_PER_SDG, MIN_NEGATIVE_SHARE, MIN_PER_LANG, MIN_PER_SDG_SPLIT = 2000, 80, 0.15, 150, 8
NEAR_DUPLICATE = 0.9


def read_records(path: Path) -> tuple[list[dict], list[str]]:
    records, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        record["_line"] = number
        records.append(record)
    return records, problems


def check_schema(records: list[dict]) -> list[str]:
    valid_targets = {t.code: t.sdg for t in targets()}
    problems = []
    for r in records:
        where = f"line {r['_line']} ({r.get('id', '?')})"
        if not isinstance(r.get("id"), str) or not re.fullmatch(r"cp-\d{4,}", r["id"]):
            problems.append(f"{where}: id must look like cp-0001")
        text = r.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: empty or missing text")
        elif not 1 <= len(split_sentences(text)) <= 6:
            problems.append(f"{where}: {len(split_sentences(text))} sentences (1-6 expected)")
        sdgs = r.get("sdgs")
        if not isinstance(sdgs, list) or not all(isinstance(s, int) and 1 <= s <= 17 for s in sdgs):
            problems.append(f"{where}: sdgs must be a list of integers 1-17")
        elif sdgs != sorted(set(sdgs)):
            problems.append(f"{where}: sdgs must be sorted and unique")
        if r.get("lang") not in LANGS:
            problems.append(f"{where}: lang {r.get('lang')!r} not in {sorted(LANGS)}")
        if r.get("sector") not in SECTORS:
            problems.append(f"{where}: unknown sector {r.get('sector')!r}")
        if r.get("split") not in SPLITS:
            problems.append(f"{where}: split {r.get('split')!r} not in {sorted(SPLITS)}")
        if r.get("kind") not in KINDS:
            problems.append(f"{where}: kind {r.get('kind')!r} not in {sorted(KINDS)}")
        elif (r["kind"] == "positive") != bool(sdgs) and r["kind"] != "hard_negative":
            problems.append(f"{where}: kind {r['kind']} does not fit sdgs {sdgs}")
        for target in r.get("targets", []) or []:
            if target not in valid_targets:
                problems.append(f"{where}: unknown target {target!r}")
            elif isinstance(sdgs, list) and valid_targets[target] not in sdgs:
                problems.append(f"{where}: target {target} is not of an SDG in {sdgs}")
    ids = Counter(r.get("id") for r in records)
    problems += [f"id {i} appears {n} times" for i, n in ids.items() if n > 1]
    return problems


def check_duplicates(records: list[dict]) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sdg_align.data import normalise_text

    texts = [normalise_text(str(r.get("text", ""))) for r in records]
    if len(texts) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5), min_df=1).fit_transform(texts)
    similarity = (vectors @ vectors.T).tocoo()
    problems = []
    for i, j, value in zip(similarity.row, similarity.col, similarity.data, strict=True):
        if i < j and value >= NEAR_DUPLICATE:
            kind = "duplicate" if texts[i] == texts[j] else f"near-duplicate (cosine {value:.2f})"
            problems.append(f"{records[i].get('id')} and {records[j].get('id')}: {kind}")
    return problems


def read_lock(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    return {row[0]: row[1] for row in rows}


def check_splits(records: list[dict], lock: dict[str, str]) -> list[str]:
    if not lock:
        return ["no split lock file: run scripts/add_to_corpus.py to create it"]
    problems = []
    current = {r.get("id"): r.get("split") for r in records}
    for record_id, split in lock.items():
        if record_id not in current:
            problems.append(f"{record_id}: in the split lock but missing from the corpus")
        elif current[record_id] != split:
            problems.append(f"{record_id}: split changed from {split} to {current[record_id]}")
    problems += [f"{i}: not in the split lock" for i in current if i not in lock]
    return problems


def check_counts(records: list[dict]) -> list[str]:
    problems = []
    if len(records) < MIN_TOTAL:
        problems.append(f"{len(records)} texts; at least {MIN_TOTAL} expected")
    positives = Counter(s for r in records for s in r.get("sdgs") or [])
    for sdg in range(1, 18):
        if positives[sdg] < MIN_PER_SDG:
            problems.append(
                f"SDG {sdg}: {positives[sdg]} positives; at least {MIN_PER_SDG} expected"
            )
        for split in ("dev", "test"):
            count = sum(sdg in (r.get("sdgs") or []) for r in records if r.get("split") == split)
            if count < MIN_PER_SDG_SPLIT:
                problems.append(
                    f"SDG {sdg}: {count} positives in {split}; at least {MIN_PER_SDG_SPLIT}"
                )
    negatives = sum(r.get("kind") in ("hard_negative", "no_sdg") for r in records)
    if records and negatives / len(records) < MIN_NEGATIVE_SHARE:
        problems.append(
            f"hard negatives and no-SDG texts: {negatives / len(records):.1%}; "
            f"at least {MIN_NEGATIVE_SHARE:.0%} expected"
        )
    languages = Counter(r.get("lang") for r in records)
    for lang in ("de", "fr", "es", "it"):
        if languages[lang] < MIN_PER_LANG:
            problems.append(f"{lang}: {languages[lang]} texts; at least {MIN_PER_LANG} expected")
    return problems


def check(path: Path, lock_path: Path) -> list[str]:
    records, problems = read_records(path)
    problems += check_schema(records)
    problems += check_duplicates(records)
    problems += check_splits(records, read_lock(lock_path))
    problems += check_counts(records)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", type=Path, default=CORPUS)
    parser.add_argument("--lock", type=Path, default=LOCK)
    args = parser.parse_args()
    if not args.path.is_file():
        raise SystemExit(f"corpus not found: {args.path}")
    problems = check(args.path, args.lock)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {args.path}", file=sys.stderr)
        raise SystemExit(1)
    print(f"{args.path}: valid", file=sys.stderr)


if __name__ == "__main__":
    main()
