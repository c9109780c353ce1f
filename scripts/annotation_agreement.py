"""Agreement between the two independent annotation passes, and with the sources' own labels.

    python scripts/annotation_agreement.py                  # real texts
    python scripts/annotation_agreement.py --set contrast   # the contrast test set

Reads ``training_data/annotations/agreement/pass{1,2}.jsonl`` (the real-test texts, annotated twice
under guide v2 by annotators who never saw each other's labels) and the final annotation files. Prints
Cohen's kappa per SDG, micro-F1 between the passes (pass 1 as reference), exact set agreement and
primary-goal agreement, per source as well; and how often each source's own label is among our
final labels. Writes results/annotation_agreement.json.

With ``--set contrast`` it compares ``contrast_pass{1,2}.jsonl``: the labels the writers of the
contrast test set gave (before adjudication) and a second pass by annotators who saw only the guide
and the texts; writes results/annotation_agreement_contrast.json. ``--set contrast_train`` and
``--set probes`` (the robustness probes) do the same for those sets.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import ANNOTATIONS_DIR  # noqa: E402
from sdg_align.labels import GOALS  # noqa: E402

KAPPA_BAR = 0.6


def matrix(records: list[dict]) -> np.ndarray:
    out = np.zeros((len(records), 17), dtype=bool)
    for i, record in enumerate(records):
        for sdg in record["sdgs"]:
            out[i, sdg - 1] = True
    return out


def kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if not (a.any() or b.any()) or (a.all() and b.all()):
        return None
    return float(cohen_kappa_score(a, b))


def pair_figures(first: list[dict], second: list[dict]) -> dict:
    a, b = matrix(first), matrix(second)
    tp = (a & b).sum()
    return {
        "texts": len(first),
        "micro_f1": float(2 * tp / max(a.sum() + b.sum(), 1)),
        "exact_set": float((a == b).all(1).mean()) if len(first) else 0.0,
        "primary_same": float(
            np.mean([x["primary"] == y["primary"] for x, y in zip(first, second, strict=True)])
        )
        if first
        else 0.0,
        "labels_per_text": [float(a.sum(1).mean()), float(b.sum(1).mean())],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--set",
        dest="which",
        choices=["real", "contrast", "contrast_train", "probes"],
        default="real",
    )
    args = parser.parse_args()
    folder = ANNOTATIONS_DIR / "agreement"
    prefix = "" if args.which == "real" else f"{args.which}_"
    first = [
        json.loads(line)
        for line in (folder / f"{prefix}pass1.jsonl").read_text().splitlines()
        if line.strip()
    ]
    second = [
        json.loads(line)
        for line in (folder / f"{prefix}pass2.jsonl").read_text().splitlines()
        if line.strip()
    ]
    assert [(r["source"], r["source_id"]) for r in first] == [
        (r["source"], r["source_id"]) for r in second
    ]
    a, b = matrix(first), matrix(second)
    per_sdg = []
    for goal in GOALS:
        k = goal.number - 1
        per_sdg.append(
            {
                "sdg": goal.number,
                "name": goal.short_name,
                "kappa": kappa(a[:, k], b[:, k]),
                "pass1_positives": int(a[:, k].sum()),
                "pass2_positives": int(b[:, k].sum()),
                "both": int((a[:, k] & b[:, k]).sum()),
            }
        )
    by_source = defaultdict(lambda: ([], []))
    for x, y in zip(first, second, strict=True):
        by_source[x["source"]][0].append(x)
        by_source[x["source"]][1].append(y)
    result = {
        "overall": pair_figures(first, second),
        "per_sdg": per_sdg,
        "by_source": {s: pair_figures(*pair) for s, pair in sorted(by_source.items())},
        "below_bar": [
            r["sdg"] for r in per_sdg if r["kappa"] is not None and r["kappa"] < KAPPA_BAR
        ],
    }
    # How often is each source's own label among our final labels?
    inclusion = {}
    for source in ("aurora", "dpga", "swisstext", "zora") if args.which == "real" else ():
        path = ANNOTATIONS_DIR / f"{source}.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        labelled = [r for r in records if r.get("source_label")]
        named = sum(len(r["source_label"]) for r in labelled)
        kept = sum(len(set(r["source_label"]) & set(r["sdgs"])) for r in labelled)
        none_said = [r for r in records if r.get("source_label") == []]
        inclusion[source] = {
            "texts_with_source_label": len(labelled),
            "source_labels": named,
            "source_labels_we_keep": kept,
            "share_kept": kept / named if named else None,
            "texts_where_all_source_labels_kept": sum(
                set(r["source_label"]) <= set(r["sdgs"]) for r in labelled
            ),
            "mean_labels_ours": float(np.mean([len(r["sdgs"]) for r in labelled]))
            if labelled
            else None,
            "mean_labels_source": named / len(labelled) if labelled else None,
            "source_says_no_sdg": len(none_said),
            "of_which_we_say_no_sdg": sum(not r["sdgs"] for r in none_said),
        }
    result["source_label_inclusion"] = inclusion
    overall = result["overall"]
    print(
        f"{overall['texts']} texts annotated twice: micro-F1 between passes {overall['micro_f1']:.3f}, "
        f"same label set {overall['exact_set']:.1%}, same primary {overall['primary_same']:.1%}; "
        f"labels per text {overall['labels_per_text'][0]:.2f} / {overall['labels_per_text'][1]:.2f}"
    )
    print(f"{'SDG':<42} {'kappa':>6} {'pass1':>6} {'pass2':>6} {'both':>5}")
    for row in per_sdg:
        k = "n/a" if row["kappa"] is None else f"{row['kappa']:.2f}"
        print(
            f"{row['sdg']:>2} {row['name']:<39} {k:>6} {row['pass1_positives']:>6} {row['pass2_positives']:>6} {row['both']:>5}"
        )
    for source, block in result["by_source"].items():
        print(
            f"{source:<10} {block['texts']:>4} texts  micro-F1 {block['micro_f1']:.3f}  same set {block['exact_set']:.1%}"
        )
    for source, block in inclusion.items():
        share = block["share_kept"]
        print(
            f"{source:<10} source labels kept: {block['source_labels_we_keep']}/{block['source_labels']}"
            + (f" ({share:.1%})" if share is not None else "")
            + f"; ours {block['mean_labels_ours']:.2f} vs source {block['mean_labels_source']:.2f} labels per text"
            + (
                f"; source says no SDG for {block['source_says_no_sdg']}, we agree for {block['of_which_we_say_no_sdg']}"
                if block["source_says_no_sdg"]
                else ""
            )
        )
    print("SDGs below kappa 0.6:", result["below_bar"] or "none")
    out = (
        ROOT
        / "results"
        / f"annotation_agreement{'' if args.which == 'real' else '_' + args.which}.json"
    )
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
