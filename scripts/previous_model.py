"""Rebuild the previous default model, the base model of the adaptation measurements.

    python scripts/previous_model.py [--output runs/previous-model-adapt]

`scripts/eval_adaptation.py` needs a base model that never saw the domain it adapts to. The
previous default model (``models/sdg-align-base`` as of commit 2ae239f) never saw SNSF summaries,
so the README's and docs/training.md's adaptation figures use it. This copies its files out of the
git history and writes the ``training_config.yaml`` naming the sources it was trained on (that
commit's ``TRAINING_SOURCES``), so that adaptation replays from them. Needs the git history (a
clone, not a source archive).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMIT = "2ae239f"
FOLDER = "models/sdg-align-base"
SOURCES = ["corpus", "aurora", "dpga", "swisstext", "zora", "sdg-reference"]
RECIPE = (
    "# Written beside the previous default model (commit 2ae239f) so that adaptation replays its"
    " sources.\nsources:\n"
    + "".join(f"- {name}\n" for name in SOURCES)
    + "base_encoder: multilingual-e5-small\nmax_length: 128\n"
)


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=ROOT / "runs" / "previous-model-adapt")
    args = parser.parse_args()
    if args.output.exists():
        sys.exit(f"error: {args.output} exists; remove it or choose another folder")
    try:
        names = git("ls-tree", "-r", "--name-only", COMMIT, FOLDER).decode().split()
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"error: cannot read commit {COMMIT} from git ({exc}); run this in a clone")
    args.output.mkdir(parents=True)
    for name in names:
        (args.output / Path(name).name).write_bytes(git("show", f"{COMMIT}:{name}"))
    (args.output / "training_config.yaml").write_text(RECIPE, encoding="utf-8")
    print(f"wrote {len(names) + 1} files to {args.output}")


if __name__ == "__main__":
    main()
