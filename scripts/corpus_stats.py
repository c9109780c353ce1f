"""Statistics of the cluster-project corpus, as Markdown tables.

    python scripts/corpus_stats.py            # print the tables
    python scripts/corpus_stats.py --write    # replace the block in training_data/README.md

The README's block sits between markers; a test recomputes it and compares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.corpus.stats import stats_markdown, write_readme_block  # noqa: E402

README = ROOT / "training_data" / "README.md"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="update training_data/README.md")
    args = parser.parse_args()
    block = stats_markdown()
    if args.write:
        write_readme_block(README, block)
        print(f"updated {README}", file=sys.stderr)
    else:
        print(block)


if __name__ == "__main__":
    main()
