"""How often the evidence names the right SDG target: top-3 target accuracy on labelled texts.

For every text with target labels and every SDG it advances that has a labelled target, the
evidence for that SDG is computed (as if the SDG were tagged) and counted as a hit when one of the
text's labelled targets of that SDG is among the 3 targets shown. Chance level is reported beside it
(3 / number of targets of the SDG, averaged the same way).

    python scripts/eval_evidence.py --split dev --weights 0 0.3 0.5 0.7 1   # choose the blend
    python scripts/eval_evidence.py                                         # report: test split

Texts: the corpus split named by --split (dev: validation, to choose; test: to report). When the
model has no target examples yet (an older model), they are built from the corpus train split.
Writes results/eval_evidence.json (test) or results/eval_evidence_dev.json.
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
from sdg_align.evidence import add_target_examples, explain_texts  # noqa: E402
from sdg_align.labels import targets_of  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402


def top3(model, examples, wanted) -> dict:  # type: ignore[no-untyped-def]
    evidence = explain_texts(model, [e.text for e in examples], wanted)
    hits, chance, by_sdg, by_lang = [], [], defaultdict(list), defaultdict(list)
    for example, sdgs, block in zip(examples, wanted, evidence, strict=True):
        for sdg in sdgs:
            truth = {t for t in example.targets if t.split(".")[0] == str(sdg)}
            shown = [t["target"] for t in block[str(sdg)]["targets"]]
            hit = bool(truth & set(shown))
            hits.append(hit)
            chance.append(min(1.0, 3 * len(truth) / len(targets_of(sdg))))
            by_sdg[sdg].append(hit)
            by_lang[example.lang or "?"].append(hit)
    return {
        "pairs": len(hits),
        "top3_target_accuracy": sum(hits) / max(1, len(hits)),
        "chance": sum(chance) / max(1, len(chance)),
        "by_sdg": {
            str(k): {"pairs": len(v), "top3": sum(v) / len(v)} for k, v in sorted(by_sdg.items())
        },
        "by_lang": {
            k: {"pairs": len(v), "top3": sum(v) / len(v)} for k, v in sorted(by_lang.items())
        },
        "evidence": evidence,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument(
        "--weights", type=float, nargs="*", default=None, help="blend weights to compare"
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    configure_threads()
    model = load_classifier(args.model)
    corpus = load_corpus()
    if "targets_examples" not in model.extras:
        train = [e for e in corpus.where(split="train").examples if e.targets]
        added = add_target_examples(model, [e.text for e in train], [e.targets for e in train])
        print(
            f"built target examples from {len(train)} corpus train texts ({added} targets)",
            file=sys.stderr,
        )
    examples = [e for e in corpus.where(split=args.split).examples if e.targets]
    wanted = [sorted({int(t.split(".")[0]) for t in e.targets} & set(e.sdgs)) for e in examples]
    weights = args.weights if args.weights else [float(model.extras.get("example_weight", 0.5))]
    results = {}
    for weight in weights:
        model.extras["example_weight"] = weight
        results[str(weight)] = top3(model, examples, wanted)
        row = results[str(weight)]
        print(
            f"example weight {weight:.2f}: top-3 target accuracy {row['top3_target_accuracy']:.3f} "
            f"on {row['pairs']} (text, SDG) pairs from {len(examples)} {args.split} texts; "
            f"chance {row['chance']:.3f}"
        )
    best = results[str(weights[-1])] if len(weights) == 1 else None
    if best is not None:
        again = top3(model, examples, wanted)
        for sdg, row in best["by_sdg"].items():
            print(f"  SDG {sdg:>2}: {row['top3']:.3f} ({row['pairs']})")
        for lang, row in best["by_lang"].items():
            print(f"  {lang}: {row['top3']:.3f} ({row['pairs']})")
        best["deterministic"] = again["evidence"] == best["evidence"]
    for row in results.values():
        row.pop("evidence")
    output = args.output or ROOT / "results" / (
        "eval_evidence.json" if args.split == "test" else "eval_evidence_dev.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "model": str(args.model),
                "split": args.split,
                "texts": len(examples),
                "by_weight": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
