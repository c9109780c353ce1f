"""How often the evidence names the right SDG target: top-3 target accuracy on labelled texts.

For every text with target labels and every SDG it advances that has a labelled target, the
evidence for that SDG is computed (as if the SDG were tagged) and counted as a hit when one of the
text's labelled targets of that SDG is among the 3 targets shown. Chance level is reported beside it
(3 / number of targets of the SDG, averaged the same way).

    python scripts/eval_evidence.py --split dev --weights 0.5 0.7 --neighbours 1 3 5   # choose
    python scripts/eval_evidence.py                                                    # report

Texts, in two kinds reported apart and by their mean (each kind weighs the same, as sources do
when thresholds are chosen): the corpus's split, and real texts with our target labels. dev: the
corpus dev split and the real texts the model validated on (its ``training_texts.json.gz``), to
choose; test: the corpus test split and ``real-test``, to report. The target examples are the
model's own (``scripts/rebuild_evidence_examples.py`` rebuilds them for an older folder).
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

from sdg_align.data import load_corpus, load_source  # noqa: E402
from sdg_align.evidence import explain_texts  # noqa: E402
from sdg_align.labels import targets_of  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.trained_texts import TrainedTexts, short_hash  # noqa: E402

REAL_SOURCES = ("aurora", "dpga", "snsf", "swisstext", "zora")


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


def texts_for(split: str, model_dir: Path) -> dict[str, list]:  # type: ignore[type-arg]
    """The labelled texts of ``split``: {"corpus": [...], "real": [...]}, targets only."""
    corpus = [e for e in load_corpus().where(split=split).examples if e.targets]
    if split == "test":
        real = [e for e in load_source("real-test").examples if e.targets]
    else:
        record = TrainedTexts.read(model_dir)
        if record is None:
            raise SystemExit(f"{model_dir} records no validation texts: use --split test")
        real = [
            e
            for source in REAL_SOURCES
            for e in load_source(source).examples
            if e.targets and short_hash(e.text) in record.validation
        ]
    return {"corpus": corpus, "real": real}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--weights", type=float, nargs="*", default=None, help="blend weights")
    parser.add_argument(
        "--neighbours", type=int, nargs="*", default=None, help="nearest examples averaged"
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    configure_threads()
    model = load_classifier(args.model)
    older = "example_vectors" not in model.extras
    if older:  # one mean vector per target: measured as it is, to compare with
        print(
            f"{args.model} has the older index (the mean of each target's examples); "
            f"python scripts/rebuild_evidence_examples.py --model {args.model} rebuilds it",
            file=sys.stderr,
        )
    kinds = texts_for(args.split, args.model)
    weights = args.weights or [float(model.extras["example_weight"])]
    neighbours = [0] if older else args.neighbours or [int(model.extras["example_neighbours"])]
    results = {}
    for weight in weights:
        for k in neighbours:
            model.extras["example_weight"], model.extras["example_neighbours"] = weight, k
            row: dict = {}  # type: ignore[type-arg]
            for kind, examples in kinds.items():
                wanted = [
                    sorted({int(t.split(".")[0]) for t in e.targets} & set(e.sdgs))
                    for e in examples
                ]
                row[kind] = top3(model, examples, wanted)
                row[kind].pop("evidence")
            row["mean"] = sum(row[k]["top3_target_accuracy"] for k in kinds) / len(kinds)
            name = f"weight {weight}, " + ("mean of examples" if older else f"neighbours {k}")
            results[name] = row
            print(
                f"{name}: top-3 target accuracy "
                + "; ".join(
                    f"{kind} {row[kind]['top3_target_accuracy']:.3f} ({row[kind]['pairs']} pairs, "
                    f"chance {row[kind]['chance']:.3f})"
                    for kind in kinds
                )
                + f"; mean {row['mean']:.3f}"
            )
    if len(results) == 1:
        (row,) = results.values()
        for kind in kinds:
            weakest = sorted(row[kind]["by_sdg"].items(), key=lambda kv: kv[1]["top3"])[:3]
            print(
                f"  {kind}, weakest: "
                + ", ".join(f"SDG {k} {v['top3']:.3f} ({v['pairs']})" for k, v in weakest)
            )
    else:
        best = max(results, key=lambda name: results[name]["mean"])
        print(f"best mean: {best} ({results[best]['mean']:.3f})")
    output = args.output or ROOT / "results" / (
        "eval_evidence.json" if args.split == "test" else "eval_evidence_dev.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "model": str(args.model.resolve().relative_to(ROOT))
                if args.model.resolve().is_relative_to(ROOT)
                else str(args.model),
                "split": args.split,
                "texts": {kind: len(v) for kind, v in kinds.items()},
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
