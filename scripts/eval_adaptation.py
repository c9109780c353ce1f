"""Does adapting the default model to a cluster's own labelled texts help? A simulation.

    python scripts/eval_adaptation.py [--domain snsf] [--sizes 30 100 300] [--seeds 0 1 2]
    python scripts/eval_adaptation.py --tune --variant layers0:adapt_trainable_layers=0 ...

A cluster with texts of one kind (``--domain``: a named source such as ``snsf`` or ``dpga``, or
``corpus:LANG`` for one language of the corpus) labels 30, 100 or 300 of them and runs
``sdg-align train --init-model`` with the default settings (the small-data protocol of
``sdg_align.adaptation``). The texts come from the training side of the domain only (never a test
split or an evaluation-only set), minus any text the base model records as trained on; a fixed
part of them is held out and never trained on. Measured, against the base model: macro-F1 on that
held-out part, and on the general test sets (``corpus-test``, ``real-test``, and ``real-test``
without the domain's own texts). The texts to label are picked at random (one run per seed) or by
the review picker (``sdg-align review``; one run per seed, the seed changing folds, replay and
batch order).

The simulation is honest only with a base model that never saw the domain: the default recipe
trains on every named source, so use ``--model`` with a model trained from a recipe without the
domain's source (or one whose folder records its training texts, which the pool then leaves out).
The script warns when the base model's recipe names the domain's source and no record says which
texts it learned.

``--tune`` is for choosing the protocol's defaults without touching a test set: the held-out part
stays unused, the domain's figures come from another part of its training-side texts and the
general figures from the corpus's validation split. ``--variant NAME:field=value,...`` runs a
variant of the settings (TrainingConfig fields). Writes ``results/eval_adaptation.json`` (or
``--output``) and prints the table. Frozen layers are encoded once, shared by every run and kept
in ``$SDG_ALIGN_CACHE/eval_adaptation/`` (keyed by the frozen layers' fingerprint) for the next.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from sdg_align.data import (  # noqa: E402
    LabelledSet,
    content_keys,
    drop_evaluation_texts,
    evaluation_keys,
    load_source,
)
from sdg_align.e5_convert import default_cache_root  # noqa: E402
from sdg_align.evaluation import metrics_from_probs  # noqa: E402
from sdg_align.modeling import SDGClassifier, resolve_model_path  # noqa: E402
from sdg_align.review import pick_for_review  # noqa: E402
from sdg_align.runtime import configure_threads  # noqa: E402
from sdg_align.trained_texts import TrainedTexts  # noqa: E402
from sdg_align.training import TRAINING_CONFIG_FILE, TrainingConfig, train  # noqa: E402
from sdg_align.window_cache import FrozenStates  # noqa: E402

RECIPE = ROOT / "training_data" / "recipes" / "sdg-align-base.toml"


def load_domain(name: str) -> LabelledSet:
    """The domain's training-side texts: ``snsf``, ``dpga``, ... or ``corpus:de``."""
    if name.startswith("corpus:"):
        lang = name.split(":", 1)[1]
        labelled = load_source("corpus")
        return LabelledSet([e for e in labelled.examples if e.lang == lang and e.split == "train"])
    labelled = load_source(name)
    return LabelledSet([e for e in labelled.examples if e.split not in ("test", "eval-only")])


def domain_pool(
    domain: str, general: Iterable[LabelledSet], model: Path
) -> tuple[LabelledSet, str]:
    """The domain's training-side texts minus evaluation-only texts, the ``general`` test sets'
    texts and those the base model trained or tuned on; and a note saying what was dropped."""
    keys, _missing = evaluation_keys()
    pool = drop_evaluation_texts(load_domain(domain), keys)
    test_keys = {k for s in general for t in s.texts() for k in content_keys(t)}
    pool = LabelledSet(
        [e for e in pool.examples if not test_keys.intersection(content_keys(e.text))]
    )
    record = TrainedTexts.read(model)
    if record is None:
        return pool, "the base model records no training texts: check it never saw the domain"
    kept = [e for e in pool.examples if not record.knows(e.text)]
    dropped = len(pool) - len(kept)
    return LabelledSet(
        kept
    ), f"{dropped} domain texts the base model trained or tuned on were dropped"


def split_holdout(pool: LabelledSet, holdout: int | None) -> tuple[LabelledSet, LabelledSet]:
    """(held out, candidates): a fixed shuffle; ``holdout`` texts, by default a quarter (>= 50)."""
    order = list(range(len(pool)))
    random.Random(0).shuffle(order)
    holdout_n = holdout or max(50, len(pool) // 4)
    return (
        LabelledSet([pool.examples[i] for i in order[:holdout_n]]),
        LabelledSet([pool.examples[i] for i in order[holdout_n:]]),
    )


def split_tuning(candidates: LabelledSet) -> tuple[LabelledSet, LabelledSet]:
    """(tuning texts, candidates left): for --tune, measured instead of the held-out part."""
    tune_n = min(80, len(candidates) // 3)
    return LabelledSet(candidates.examples[:tune_n]), LabelledSet(candidates.examples[tune_n:])


def replay_sources(model: Path, domain: str) -> tuple[list[str], str, bool]:
    """The base model's recipe's sources (else the default recipe's), without the domain's.

    The flag says whether that recipe trains on the domain's source: then the base model has seen
    the domain (unless it records its training texts, which the pool then leaves out).
    """
    recipe = model / TRAINING_CONFIG_FILE
    where = "the base model's training_config.yaml"
    if not recipe.is_file():
        recipe, where = RECIPE, f"{RECIPE.relative_to(ROOT)} (the base model records none)"
    sources = TrainingConfig.from_file(recipe).sources
    source = domain.split(":")[0]
    # A language of the corpus: the corpus stays in the replay, its texts in that language do
    # not enter the pool of the domain's training picks anyway (replay draws across the corpus).
    kept = [s for s in sources if s != source or source == "corpus"]
    return kept, where, source in sources


def macro(block: dict[str, Any]) -> dict[str, float]:
    return {k: round(block["macro"][k], 4) for k in ("precision", "recall", "f1")}


def measure(
    classifier: SDGClassifier, frozen: FrozenStates, sets: dict[str, LabelledSet]
) -> dict[str, dict[str, float]]:
    """Macro figures of ``classifier`` on each set, from the shared frozen states."""
    out = {}
    for name, labelled in sets.items():
        probs = classifier.calibrate(frozen.logits(classifier, labelled.texts()))
        out[name] = macro(metrics_from_probs(classifier, labelled, probs, by=()))
    return out


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    name, _, assignments = text.partition(":")
    settings: dict[str, Any] = {}
    for item in filter(None, assignments.split(",")):
        key, _, value = item.partition("=")
        settings[key] = json.loads(value) if value not in ("", "None") else None
    return name, settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "sdg-align-base")
    parser.add_argument("--domain", default="snsf")
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--picks", nargs="+", default=["random", "review"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--holdout", type=int, default=None, help="held-out texts (default: 1/4)")
    parser.add_argument("--tune", action="store_true", help="dev data only (choosing defaults)")
    parser.add_argument("--variant", action="append", default=[], help="NAME:field=value,...")
    parser.add_argument("--general", nargs="+", default=["corpus-test", "real-test"])
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--no-cache", action="store_true", help="do not keep frozen states in $SDG_ALIGN_CACHE"
    )
    args = parser.parse_args()
    configure_threads(args.threads)
    started = time.time()
    model = resolve_model_path(args.model)
    base = SDGClassifier.from_pretrained(model)
    variants = [parse_variant(v) for v in args.variant] or [("default", {})]
    layers = {
        s.get("adapt_trainable_layers", TrainingConfig().adapt_trainable_layers)
        for _n, s in variants
    }
    layers = {TrainingConfig().trainable_layers if v is None else v for v in layers}
    if len(layers) != 1:
        raise SystemExit("all variants must fine-tune the same number of layers (one cache)")
    first_trainable = base.network.num_layers - min(layers.pop(), base.network.num_layers)
    frozen = FrozenStates.for_model(base, first_trainable)
    store = default_cache_root() / "eval_adaptation" / f"frozen-{frozen.fingerprint}.safetensors"
    if store.is_file() and not args.no_cache:
        print(f"frozen states of {frozen.load(store)} texts from {store}", file=sys.stderr)

    # ---- the domain: training-side texts, minus evaluation and test texts and the base's own
    general = {name: load_source(name) for name in args.general}
    pool, trained_note = domain_pool(args.domain, general.values(), model)
    print(f"domain {args.domain}: {len(pool)} training-side texts; {trained_note}", file=sys.stderr)
    holdout, candidates = split_holdout(pool, args.holdout)
    if args.tune:  # never look at the held-out part or a test set
        domain_eval, candidates = split_tuning(candidates)
        corpus = load_source("corpus")
        sets = {
            f"{args.domain} tuning": domain_eval,
            "corpus-dev": LabelledSet([e for e in corpus.examples if e.split == "dev"]),
        }
    else:
        sets = {f"{args.domain} held-out": holdout, **general}
        if "real-test" in general:
            source = args.domain.split(":")[0]
            sets[f"real-test without {source}"] = LabelledSet(
                [e for e in general["real-test"].examples if e.source != source]
            )
    sizes = [n for n in args.sizes if n <= len(candidates)]
    if sizes != args.sizes:
        print(f"only {len(candidates)} candidate texts: sizes {sizes}", file=sys.stderr)
    print(
        f"held out {len(holdout)}; candidates {len(candidates)}; evaluation sets: "
        + ", ".join(f"{k} {len(v)}" for k, v in sets.items()),
        file=sys.stderr,
    )
    replay, replay_from, base_saw_source = replay_sources(model, args.domain)
    if base_saw_source and TrainedTexts.read(model) is None:
        print(
            f"WARNING: the base model's recipe ({replay_from}) trains on {args.domain.split(':')[0]}"
            " and the model records no training texts, so the domain's texts may be ones it "
            "learned: the figures then measure re-learning, not adaptation. Use a base model "
            "trained without that source (or one that records its training texts).",
            file=sys.stderr,
        )

    # ---- the base model, and the picks the review would make from its probabilities
    t0 = time.time()
    base_figures = measure(base, frozen, sets)
    print(f"base model measured in {time.time() - t0:.0f}s: {base_figures}", file=sys.stderr)
    candidate_probs = base.calibrate(frozen.logits(base, candidates.texts()))
    if not args.no_cache:
        store.parent.mkdir(parents=True, exist_ok=True)
        frozen.save(store)
    review_order = [
        p.row for p in pick_for_review(candidate_probs, base.config.thresholds, n=max(sizes))
    ]

    runs: list[dict[str, Any]] = []
    for variant, settings in variants:
        for size in sizes:
            for pick in args.picks:
                for seed in args.seeds:
                    if pick == "review":
                        rows = review_order[:size]
                    else:
                        rows = list(range(len(candidates)))
                        random.Random(seed).shuffle(rows)
                        rows = rows[:size]
                    chosen = LabelledSet([candidates.examples[r] for r in rows])
                    fields = {
                        "sources": [args.domain],
                        "init_model": str(model),
                        "replay_sources": replay,
                        "seed": seed,
                        **settings,
                    }
                    config = TrainingConfig.from_dict(fields)
                    t0 = time.time()
                    messages: list[str] = []
                    result = train(
                        chosen, config, progress=False, log=messages.append, frozen=frozen
                    )
                    figures = measure(result.classifier, frozen, sets)
                    adaptation = result.metrics["adaptation"]
                    run = {
                        "variant": variant,
                        "settings": settings,
                        "size": size,
                        "pick": pick,
                        "seed": seed,
                        "positives": int(chosen.label_matrix().sum()),
                        "epochs_chosen": adaptation["epochs_chosen"],
                        "refit_sdgs": adaptation["refit_sdgs"],
                        "out_of_fold_macro_f1": {
                            k: round(v["macro"]["f1"], 4)
                            for k, v in adaptation["out_of_fold"].items()
                        },
                        "replay_out_of_fold_macro_f1": {
                            k: round(v["macro"]["f1"], 4)
                            for k, v in (adaptation["replay_out_of_fold"] or {}).items()
                        },
                        "gain_vs_base": round(adaptation["gain_vs_base"], 4),
                        "confidence": adaptation["confidence"],
                        "candidates": [  # what the protocol weighed (out of fold)
                            {
                                k: round(v, 4) if isinstance(v, float) else v
                                for k, v in h.items()
                                if k != "what"
                            }
                            | {"refit": "refitted" in h["what"]}
                            for h in result.metrics["history"]
                        ],
                        "figures": figures,
                        "seconds": round(time.time() - t0, 1),
                    }
                    runs.append(run)
                    print(
                        f"{variant} n={size} {pick} seed {seed}: epochs "
                        f"{run['epochs_chosen']}, refit {len(run['refit_sdgs'])} SDGs "
                        f"(out of fold {run['gain_vs_base']:+.3f}, confidence "
                        f"{run['confidence']:.2f}), "
                        + ", ".join(f"{k} {v['f1']:.3f}" for k, v in figures.items())
                        + f" ({run['seconds']:.0f}s)",
                        file=sys.stderr,
                    )
                    del result

    if not args.no_cache:
        frozen.save(store)  # with the replay texts encoded during the runs
    summary = summarise(runs, base_figures, list(sets))
    print_table(summary, base_figures, list(sets))
    output = args.output or ROOT / "results" / (
        "eval_adaptation_tune.json" if args.tune else "eval_adaptation.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    command = "python scripts/eval_adaptation.py " + " ".join(sys.argv[1:])
    output.write_text(
        json.dumps(
            {
                "command": command.strip(),
                "model": str(args.model),
                "base_weights_hash": base.weights_hash(),
                "domain": args.domain,
                "tune": args.tune,
                "texts": {
                    "domain_training_side": len(pool),
                    "held_out": len(holdout),
                    "candidates": len(candidates),
                    **{name: len(s) for name, s in sets.items()},
                },
                "base_training_texts": trained_note,
                "base_recipe_has_domain_source": base_saw_source,
                "replay_sources": replay,
                "replay_sources_from": replay_from,
                "defaults": {
                    k: v
                    for k, v in TrainingConfig().to_dict().items()
                    if k
                    in (
                        "small_data_limit",
                        "cv_folds",
                        "replay_examples",
                        "replay_tolerance",
                        "anchor_weight",
                        "refit_min_positives",
                        "adapt_min_confidence",
                        "adapt_trainable_layers",
                        "adapt_learning_rate",
                        "trainable_layers",
                        "epochs",
                        "patience",
                        "learning_rate",
                        "encoder_learning_rate",
                    )
                },
                "base": base_figures,
                "summary": summary,
                "runs": runs,
                "seconds": round(time.time() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {output} in {time.time() - started:.0f}s", file=sys.stderr)


def summarise(
    runs: list[dict[str, Any]], base: dict[str, dict[str, float]], sets: list[str]
) -> list[dict[str, Any]]:
    """Mean macro-F1 per variant, size and pick, with its change from the base model."""
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["variant"], run["size"], run["pick"]), []).append(run)
    rows = []
    for (variant, size, pick), members in groups.items():
        row: dict[str, Any] = {"variant": variant, "size": size, "pick": pick, "runs": len(members)}
        for name in sets:
            values = [m["figures"][name]["f1"] for m in members]
            row[name] = {
                "macro_f1": round(float(np.mean(values)), 4),
                "change": round(float(np.mean(values)) - base[name]["f1"], 4),
                "min": round(min(values), 4),
                "max": round(max(values), 4),
            }
        rows.append(row)
    return rows


def print_table(
    summary: list[dict[str, Any]], base: dict[str, dict[str, float]], sets: list[str]
) -> None:
    print("| labelled texts | picked by | runs | " + " | ".join(sets) + " |")
    print("|---" * (3 + len(sets)) + "|")
    print("| 0 (base model) | | | " + " | ".join(f"{base[s]['f1']:.3f}" for s in sets) + " |")
    for row in summary:
        label = f"{row['size']}" + (f" ({row['variant']})" if row["variant"] != "default" else "")
        cells = [f"{row[s]['macro_f1']:.3f} ({row[s]['change'] * 100:+.1f})" for s in sets]
        print(f"| {label} | {row['pick']} | {row['runs']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
