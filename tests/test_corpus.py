"""The committed cluster-project corpus passes its checker; broken copies fail; README stats match."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "training_data" / "cluster_projects.jsonl"
LOCK = ROOT / "training_data" / "cluster_projects.splits.tsv"
CHECKER = ROOT / "scripts" / "check_corpus.py"


def run_checker(path: Path, lock: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECKER), "--path", str(path), "--lock", str(lock)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_committed_corpus_is_valid():
    result = run_checker(CORPUS, LOCK)
    assert result.returncode == 0, result.stdout + result.stderr


def _records() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def _write(records: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("duplicate", "duplicate"),
        ("near_duplicate", "near-duplicate"),
        ("label_range", "sdgs must be a list of integers 1-17"),
        ("split_moved", "split changed from"),
        ("bad_target", "is not of an SDG in"),
        ("too_few", "texts; at least 2000 expected"),
        ("bad_lang", "lang 'pt'"),
        ("not_json", "not JSON"),
    ],
)
def test_checker_fails_on_a_broken_copy(tmp_path, breakage, message):
    records = _records()
    first = records[0]
    if breakage == "duplicate":
        records.append({**first, "id": "cp-9999"})
    elif breakage == "near_duplicate":
        records.append(
            {**first, "id": "cp-9999", "text": first["text"].replace(".", "!", 1) + " Indeed."}
        )
    elif breakage == "label_range":
        first["sdgs"] = [0, 18]
    elif breakage == "split_moved":
        test_record = next(r for r in records if r["split"] == "test")
        test_record["split"] = "train"
    elif breakage == "bad_target":
        record = next(r for r in records if r.get("targets"))
        record["targets"] = ["17.19" if 17 not in record["sdgs"] else "1.1"]
    elif breakage == "too_few":
        records = records[:100]
    elif breakage == "bad_lang":
        first["lang"] = "pt"
    path = _write(records, tmp_path / "copy.jsonl")
    if breakage == "not_json":
        path.write_text(path.read_text() + "{not json\n")
    lock = tmp_path / "copy.splits.tsv"
    lock.write_text(
        LOCK.read_text() + ("cp-9999\ttrain\n" if breakage.endswith("duplicate") else "")
    )
    result = run_checker(path, lock)
    assert result.returncode == 1
    assert message in result.stdout


def test_readme_statistics_match_the_script():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import corpus_stats
    finally:
        sys.path.pop(0)
    assert corpus_stats.readme_block() == corpus_stats.stats_markdown()
