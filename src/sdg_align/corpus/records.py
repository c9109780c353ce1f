"""Reading the corpus files and the vocabularies their records use."""

from __future__ import annotations

import json
from pathlib import Path

from ..data.sources import TRAINING_DATA

CORPUS = TRAINING_DATA / "cluster_projects.jsonl"
LOCK = TRAINING_DATA / "cluster_projects.splits.tsv"
PARALLEL = TRAINING_DATA / "parallel_test.jsonl"
CONTRAST = TRAINING_DATA / "contrast_test.jsonl"
CONTRAST_TRAIN = TRAINING_DATA / "contrast_train.jsonl"
REAL_TEST_LOCK = TRAINING_DATA / "annotations" / "real_test.tsv"

LANGS = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv")
SECTORS = (
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
)
KINDS = ("positive", "hard_negative", "no_sdg")
SPLITS = ("train", "dev", "test")
FORMS = (
    "project-summary",
    "proposal",
    "progress-report",
    "strategy",
    "report-paragraph",
    "newsletter",
    "call",
    "event",
    "news",
)


def read_records(path: Path) -> tuple[list[dict], list[str]]:
    """Records of a JSON Lines file (with their line number in ``_line``) and parse problems."""
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


def write_records(records: list[dict], path: Path) -> None:
    lines = [
        json.dumps({k: v for k, v in r.items() if k != "_line"}, ensure_ascii=False)
        for r in records
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def read_lock(path: Path) -> dict[str, str]:
    """A two-column TSV lock (id and split) as a dict; empty when the file is missing."""
    if not path.is_file():
        return {}
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    return {row[0]: row[1] for row in rows}


def write_lock(records: list[dict], path: Path) -> None:
    path.write_text("id\tsplit\n" + "".join(f"{r['id']}\t{r['split']}\n" for r in records))


def word_count(text: str) -> int:
    return len(text.split())
