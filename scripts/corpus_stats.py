"""Statistics of the cluster-project corpus, as Markdown tables.

    python scripts/corpus_stats.py            # print the tables
    python scripts/corpus_stats.py --write    # replace the block in training_data/README.md

The README's block sits between the markers below; a test recomputes it and compares.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.labels import GOALS  # noqa: E402

CORPUS = ROOT / "training_data" / "cluster_projects.jsonl"
README = ROOT / "training_data" / "README.md"
BEGIN, END = "<!-- corpus-stats:begin -->", "<!-- corpus-stats:end -->"
SPLITS = ("train", "dev", "test")
LANGS = ("en", "de", "fr", "es", "it")


def stats_markdown(path: Path = CORPUS) -> str:
    records = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    lines = [f"{len(records)} texts.", ""]
    lines += ["| SDG | " + " | ".join(SPLITS) + " | all |", "|---|" + "---:|" * (len(SPLITS) + 1)]
    for goal in GOALS:
        counts = [sum(goal.number in r["sdgs"] for r in records if r["split"] == s) for s in SPLITS]
        lines.append(
            f"| {goal.number} {goal.short_name} | "
            + " | ".join(map(str, counts))
            + f" | {sum(counts)} |"
        )
    none = [sum(not r["sdgs"] for r in records if r["split"] == s) for s in SPLITS]
    lines.append("| no SDG | " + " | ".join(map(str, none)) + f" | {sum(none)} |")
    texts = [sum(r["split"] == s for r in records) for s in SPLITS]
    lines.append("| **texts** | " + " | ".join(map(str, texts)) + f" | {len(records)} |")
    lines += [
        "",
        "| language | " + " | ".join(SPLITS) + " | all |",
        "|---|" + "---:|" * (len(SPLITS) + 1),
    ]
    for lang in LANGS:
        counts = [sum(r["lang"] == lang and r["split"] == s for r in records) for s in SPLITS]
        lines.append(f"| {lang} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    kinds = Counter(r["kind"] for r in records)
    lines += ["", "| kind | texts | share |", "|---|---:|---:|"]
    for kind in ("positive", "hard_negative", "no_sdg"):
        lines.append(f"| {kind} | {kinds[kind]} | {kinds[kind] / len(records):.1%} |")
    sectors = Counter(r["sector"] for r in records)
    lines += ["", "| sector | texts |", "|---|---:|"]
    lines += [f"| {sector} | {n} |" for sector, n in sorted(sectors.items())]
    with_targets = sum(bool(r.get("targets")) for r in records)
    labels = [len(r["sdgs"]) for r in records if r["sdgs"]]
    lines += [
        "",
        f"Texts with target labels: {with_targets}. Mean SDGs per positive text: "
        f"{sum(labels) / max(1, len(labels)):.2f}.",
    ]
    return "\n".join(lines) + "\n"


def readme_block(readme: Path = README) -> str:
    text = readme.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="update training_data/README.md")
    args = parser.parse_args()
    block = stats_markdown()
    if not args.write:
        print(block)
        return
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{BEGIN}\n{block}{END}{tail}", encoding="utf-8")
    print(f"updated {README}", file=sys.stderr)


if __name__ == "__main__":
    main()
