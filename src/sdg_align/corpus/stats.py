"""Statistics of the corpus as Markdown tables (the block in training_data/README.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..labels import GOALS
from .records import (
    CONTRAST,
    CONTRAST_TRAIN,
    CORPUS,
    FORMS,
    LANGS,
    PARALLEL,
    SPLITS,
    read_records,
    word_count,
)

BEGIN, END = "<!-- corpus-stats:begin -->", "<!-- corpus-stats:end -->"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]


def stats_markdown(
    path: Path = CORPUS,
    parallel_path: Path = PARALLEL,
    contrast_path: Path = CONTRAST,
    contrast_train_path: Path = CONTRAST_TRAIN,
) -> str:
    records, _ = read_records(path)
    lines = [f"{len(records)} texts.", ""]
    rows: list[list[object]] = []
    for goal in GOALS:
        counts = [sum(goal.number in r["sdgs"] for r in records if r["split"] == s) for s in SPLITS]
        rows.append([f"{goal.number} {goal.short_name}", *counts, sum(counts)])
    none = [sum(not r["sdgs"] for r in records if r["split"] == s) for s in SPLITS]
    rows.append(["no SDG", *none, sum(none)])
    texts = [sum(r["split"] == s for r in records) for s in SPLITS]
    rows.append(["**texts**", *texts, len(records)])
    lines += _table(["SDG", *SPLITS, "all"], rows)
    rows = []
    for lang in LANGS:
        counts = [sum(r["lang"] == lang and r["split"] == s for r in records) for s in SPLITS]
        rows.append([lang, *counts, sum(counts)])
    lines += ["", *_table(["language", *SPLITS, "all"], rows)]
    kinds = Counter(r["kind"] for r in records)
    rows = [
        [k, kinds[k], f"{kinds[k] / len(records):.1%}"]
        for k in ("positive", "hard_negative", "no_sdg")
    ]
    lines += ["", *_table(["kind", "texts", "share"], rows)]
    forms = Counter(r.get("form", "short description (corpus v1)") for r in records)
    rows = [[f, forms[f]] for f in ["short description (corpus v1)", *FORMS] if forms[f]]
    lines += ["", *_table(["form", "texts"], rows)]
    sectors = Counter(r["sector"] for r in records)
    lines += ["", *_table(["sector", "texts"], [[s, n] for s, n in sorted(sectors.items())])]
    words = sorted(word_count(r["text"]) for r in records)
    with_targets = sum(bool(r.get("targets")) for r in records)
    labels = [len(r["sdgs"]) for r in records if r["sdgs"]]
    long_texts = sum(120 <= w <= 400 for w in words)
    lines += [
        "",
        f"Words per text: median {words[len(words) // 2]}, longest {words[-1]}; {long_texts} texts "
        f"of 120-400 words. Texts with target labels: {with_targets}. Mean SDGs per positive "
        f"text: {sum(labels) / max(1, len(labels)):.2f}. Labels under guide v2: "
        f"{sum(r.get('label_version') == 2 for r in records)}.",
    ]
    v2 = [r for r in records if "form" in r]
    if len(v2) >= 50:
        from .check import shortcut_aucs

        old = [r for r in records if "form" not in r]
        new_aucs, old_aucs = shortcut_aucs(v2), shortcut_aucs(old)
        lines += [
            "",
            "Shortcuts (held-out AUC of telling any-SDG from no-SDG texts; 0.5 is chance):",
            "",
            *_table(
                ["records", "texts", "length alone", "bag of words"],
                [
                    [
                        "corpus v1",
                        len(old),
                        f"{old_aucs['length']:.2f}",
                        f"{old_aucs['bag_of_words']:.2f}",
                    ],
                    [
                        "corpus v2",
                        len(v2),
                        f"{new_aucs['length']:.2f}",
                        f"{new_aucs['bag_of_words']:.2f}",
                    ],
                ],
            ),
        ]
    if parallel_path.is_file():
        parallel, _ = read_records(parallel_path)
        groups = {r["pid"] for r in parallel}
        langs = sorted({r["lang"] for r in parallel})
        lines += [
            "",
            f"Parallel test set (`parallel_test.jsonl`): {len(groups)} texts in "
            f"{len(langs)} languages ({', '.join(langs)}), {len(parallel)} records.",
        ]
    for name, file in (
        ("Contrast test set", contrast_path),
        ("Contrast training set", contrast_train_path),
    ):
        if file.is_file():
            lines += ["", _contrast_line(name, file)]
    return "\n".join(lines) + "\n"


def _contrast_line(name: str, path: Path) -> str:
    contrast, _ = read_records(path)
    written = [r for r in contrast if r.get("contrast") == "written" and r["sdgs"]]
    edits = Counter(r["kind"] for r in contrast if r.get("contrast") == "edited")
    per_lang = Counter(r["lang"] for r in written)
    primaries = Counter(r["primary"] for r in written)
    splits = Counter(r["split"] for r in contrast)
    return (
        f"{name} (`{path.name}`): {len(written)} written pairs "
        f"({', '.join(f'{lang} {n}' for lang, n in sorted(per_lang.items()))}), "
        f"{edits['hard_negative']} edited negatives and {edits['positive']} edited positives; "
        f"{', '.join(f'{split} {n}' for split, n in sorted(splits.items()))}; "
        f"median {_median_words(contrast)} words; written positives' primary SDG: "
        + ", ".join(f"{sdg} ({n})" for sdg, n in sorted(primaries.items()))
        + "."
    )


def _median_words(records: list[dict]) -> int:
    counts = sorted(word_count(r["text"]) for r in records)
    return counts[len(counts) // 2]


def readme_block(readme: Path) -> str:
    text = readme.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_readme_block(readme: Path, block: str) -> None:
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(f"{head}{BEGIN}\n{block}{END}{tail}", encoding="utf-8")
