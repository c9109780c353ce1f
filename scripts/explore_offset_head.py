"""Could a light head learn a cluster's domain from 30-200 labelled texts? A dev-data exploration.

    python scripts/previous_model.py          # once: the base model that never saw SNSF summaries
    python scripts/explore_offset_head.py     # -> results/explore_offset_head.json (about 2 min)

Fine-tuning on a cluster's few labelled texts did not gain (README, "Continuing from a model on
little data"); an earlier note suggested a head on frozen embeddings blended with the base model
instead. This tries the simplest such head: per SDG, the base model's pooled logit plus an offset
``b + w . x`` learned on the labelled texts, where ``x`` are the first ``dims`` principal
components of the texts' embeddings (standardised) and an L2 penalty ``lam`` pulls ``b`` and ``w``
to zero (so ``lam`` large is the base model). The new logit goes through the base model's
calibration and balanced thresholds. ``dims`` 0 is a bias shift per SDG.

Data as ``scripts/eval_adaptation.py --tune`` splits it, on development data only: the SNSF
summaries' training side, minus evaluation-only and test texts; the held-out quarter is never
read; 80 further texts measure (macro-F1, labels known for certain) and the rest are the pool
the labelled texts are drawn from (at random, one draw per seed). Every cell of the grid is
printed, so the best cell is an optimistic figure, not a tuned result.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_adaptation import domain_pool, split_holdout, split_tuning  # noqa: E402

from sdg_align.data import LabelledSet, load_source  # noqa: E402
from sdg_align.evaluation import multilabel_metrics  # noqa: E402
from sdg_align.labels import NUM_SDGS  # noqa: E402
from sdg_align.modeling import load_classifier  # noqa: E402


def tuning_split(domain: str, model: Path) -> tuple[LabelledSet, LabelledSet]:
    """(measure, pool) exactly as ``eval_adaptation.py --tune`` draws them."""
    general = [load_source(name) for name in ("corpus-test", "real-test")]
    pool, _note = domain_pool(domain, general, model)
    _holdout, candidates = split_holdout(pool, None)
    return split_tuning(candidates)


def fit_offsets(
    logits: np.ndarray, vectors: np.ndarray, labels: np.ndarray, mask: np.ndarray, lam: float
) -> np.ndarray:
    """Per SDG, ``[b, w]`` minimising the masked logistic loss of ``logit + b + w.x`` + lam |.|^2."""
    design = np.c_[np.ones(len(logits)), vectors]
    weights = np.zeros((design.shape[1], NUM_SDGS))
    for k in range(NUM_SDGS):
        known = mask[:, k] > 0
        y, z0, x = labels[known, k], logits[known, k], design[known]
        if not known.any() or y.sum() == 0:
            continue

        def loss(w: np.ndarray, y=y, z0=z0, x=x) -> tuple[float, np.ndarray]:  # noqa: ANN001
            z = z0 + x @ w
            p = 1 / (1 + np.exp(-z))
            value = float(np.sum(np.logaddexp(0, z) - y * z) + lam * w @ w)
            return value, x.T @ (p - y) + 2 * lam * w

        weights[:, k] = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "runs" / "previous-model-adapt")
    parser.add_argument("--domain", default="snsf")
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 200])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lams", type=float, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--dims", type=int, nargs="+", default=[0, 4, 8, 16])
    parser.add_argument(
        "--output", type=Path, default=ROOT / "results" / "explore_offset_head.json"
    )
    args = parser.parse_args()
    if not (args.model / "config.json").is_file():
        raise SystemExit(f"no model at {args.model}: run python scripts/previous_model.py first")
    started = time.time()
    measure_set, pool = tuning_split(args.domain, args.model)
    model = load_classifier(args.model)
    texts = measure_set.texts() + pool.texts()
    logits, vectors = model.logits_and_embeddings(texts)
    labels = np.vstack([measure_set.label_matrix(), pool.label_matrix()])
    mask = np.vstack([measure_set.certain_mask(), pool.certain_mask()])
    measure_rows = np.arange(len(measure_set))
    pool_rows = np.arange(len(measure_set), len(texts))
    thresholds = model.cut("balanced")

    def macro_f1(rows: np.ndarray, new_logits: np.ndarray) -> float:
        tags = model.calibrate(new_logits) >= thresholds
        return float(multilabel_metrics(labels[rows], tags, mask[rows])["macro"]["f1"])

    base = macro_f1(measure_rows, logits[measure_rows])
    print(f"{args.domain}: {len(measure_set)} texts measure, pool {len(pool)}; base {base:.4f}")
    cells = []
    for size in [s for s in args.sizes if s <= len(pool)]:
        for lam in args.lams:
            for dims in args.dims:
                gains = []
                for seed in args.seeds:
                    rows = np.array(random.Random(seed).sample(list(pool_rows), size))
                    centre = vectors[rows].mean(0)
                    used = min(dims, size // 4)
                    _, _, axes = np.linalg.svd(vectors[rows] - centre, full_matrices=False)
                    project = axes[:used].T
                    scale = (vectors[rows] - centre) @ project
                    spread = scale.std(0) + 1e-6 if used else np.ones(0)

                    def features(r: np.ndarray, c=centre, p=project, s=spread) -> np.ndarray:  # noqa: ANN001
                        return ((vectors[r] - c) @ p) / s

                    w = fit_offsets(logits[rows], features(rows), labels[rows], mask[rows], lam)
                    shifted = (
                        logits[measure_rows]
                        + np.c_[np.ones(len(measure_rows)), features(measure_rows)] @ w
                    )
                    gains.append(macro_f1(measure_rows, shifted) - base)
                cells.append(
                    {
                        "size": size,
                        "lam": lam,
                        "dims": dims,
                        "gain_points": [round(100 * g, 2) for g in gains],
                        "mean_gain_points": round(100 * float(np.mean(gains)), 2),
                    }
                )
                print(
                    f"n={size:3d} lam={lam:4g} dims={dims:2d}: "
                    + " ".join(f"{100 * g:+5.1f}" for g in gains)
                    + f"  mean {100 * np.mean(gains):+5.1f}"
                )
    best = max(cells, key=lambda c: c["mean_gain_points"])
    print(f"best cell (optimistic, chosen after the fact): {best}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "command": "python scripts/explore_offset_head.py",
                "model": str(args.model.relative_to(ROOT))
                if args.model.is_relative_to(ROOT)
                else str(args.model),
                "domain": args.domain,
                "measure_texts": len(measure_set),
                "pool_texts": len(pool),
                "base_macro_f1": round(base, 4),
                "cells": cells,
                "best_cell": best,
                "seconds": round(time.time() - started),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {args.output.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
