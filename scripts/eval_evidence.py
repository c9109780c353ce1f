"""How often the evidence names the right SDG target: top-3 target accuracy on the corpus test split.

For every test text with target labels and every SDG it advances that has a labelled target, the
evidence for that SDG is computed (as if the SDG were tagged) and counted as a hit when one of the
text's labelled targets of that SDG is among the 3 targets shown. Chance level is reported beside it
(3 / number of targets of the SDG, averaged the same way).

    python scripts/eval_evidence.py [--model DIR]     # table + results/eval_evidence.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import load_corpus  # noqa: E402
from sdg_align.evidence import explain_texts  # noqa: E402
from sdg_align.labels import targets_of  # noqa: E402
from sdg_align.modeling import SDGClassifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "eval_evidence.json")
    args = parser.parse_args()
    configure_threads()
    model = SDGClassifier.from_pretrained(args.model)
    test = [e for e in load_corpus().where(split="test").examples if e.targets]
    wanted = [sorted({int(t.split(".")[0]) for t in e.targets} & set(e.sdgs)) for e in test]
    evidence = explain_texts(model, [e.text for e in test], wanted)
    hits, chance, by_sdg, by_lang = [], [], defaultdict(list), defaultdict(list)
    for example, sdgs, block in zip(test, wanted, evidence, strict=True):
        for sdg in sdgs:
            truth = {t for t in example.targets if t.split(".")[0] == str(sdg)}
            shown = [t["target"] for t in block[str(sdg)]["targets"]]
            hit = bool(truth & set(shown))
            hits.append(hit)
            chance.append(min(1.0, 3 * len(truth) / len(targets_of(sdg))))
            by_sdg[sdg].append(hit)
            by_lang[example.lang or "?"].append(hit)
    again = explain_texts(model, [e.text for e in test], wanted)
    result = {
        "pairs": len(hits),
        "texts": len(test),
        "top3_target_accuracy": sum(hits) / max(1, len(hits)),
        "chance": sum(chance) / max(1, len(chance)),
        "deterministic": again == evidence,
        "by_sdg": {
            str(k): {"pairs": len(v), "top3": sum(v) / len(v)} for k, v in sorted(by_sdg.items())
        },
        "by_lang": {
            k: {"pairs": len(v), "top3": sum(v) / len(v)} for k, v in sorted(by_lang.items())
        },
        "model": str(args.model),
    }
    print(
        f"top-3 target accuracy {result['top3_target_accuracy']:.3f} on {len(hits)} (text, SDG) pairs "
        f"from {len(test)} test texts; chance {result['chance']:.3f}; deterministic: {result['deterministic']}"
    )
    for sdg, row in result["by_sdg"].items():
        print(f"  SDG {sdg:>2}: {row['top3']:.3f} ({row['pairs']})")
    for lang, row in result["by_lang"].items():
        print(f"  {lang}: {row['top3']:.3f} ({row['pairs']})")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
