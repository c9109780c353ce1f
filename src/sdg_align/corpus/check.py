"""Every rule the corpus, the parallel and contrast test sets and the annotation files must satisfy.

:func:`check_corpus` returns one line per problem (an empty list means valid). It checks the schema
of every record, labels and targets, duplicates and near-duplicates, that no record changed split
(the lock file), that texts telling one story share a split, the minimum counts the corpus promises
(per SDG, per language and per language in the test data), and that text length does not separate
"any SDG" from "no SDG" on the records written for corpus v2 (held-out AUC at most 0.70): a model
should have to learn the goals, not a shortcut. A bag-of-words model's AUC is measured too and
reported in the statistics; it is not bounded, because whether a text advances a goal is largely
a matter of its words (see training_data/README.md).
:func:`check_annotations` validates the annotation files of external texts.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.types import normalise_text
from ..labels import targets
from .records import FORMS, KINDS, LANGS, SECTORS, SPLITS, read_lock, read_records, word_count

NEAR_DUPLICATE = 0.9
SCENARIO_SIMILARITY = 0.955  # see training_data/README.md: 0.90 joins almost every text to another
SHORTCUT_AUC = 0.70


@dataclass(frozen=True)
class Minimums:
    """The counts the corpus promises (training_data/README.md states them)."""

    total: int = 2000
    per_sdg: int = 80
    negative_share: float = 0.15
    per_sdg_split: int = 8  # positives of every SDG in dev and in test
    per_lang: tuple[tuple[str, int], ...] = (
        ("de", 150),
        ("fr", 150),
        ("es", 150),
        ("it", 150),
    )
    test_positives_per_lang: int = 0  # per SDG and language in corpus test + parallel test
    v2_texts: int = 0  # records written for corpus v2 (with a `form`)
    v2_long: int = 0  # of them 120-400 words
    v2_negatives: int = 0  # of them negatives of a length matched to the positives


def check_schema(records: list[dict], id_prefix: str = "cp") -> list[str]:
    valid_targets = {t.code: t.sdg for t in targets()}
    problems = []
    for r in records:
        where = f"line {r['_line']} ({r.get('id', '?')})"
        if not isinstance(r.get("id"), str) or not re.fullmatch(rf"{id_prefix}-\d{{4,}}", r["id"]):
            problems.append(f"{where}: id must look like {id_prefix}-0001")
        text = r.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: empty or missing text")
        elif word_count(text) > 450:
            problems.append(f"{where}: {word_count(text)} words (at most 450)")
        sdgs = r.get("sdgs")
        if not isinstance(sdgs, list) or not all(isinstance(s, int) and 1 <= s <= 17 for s in sdgs):
            problems.append(f"{where}: sdgs must be a list of integers 1-17")
            continue
        if sdgs != sorted(set(sdgs)):
            problems.append(f"{where}: sdgs must be sorted and unique")
        if r.get("lang") not in LANGS:
            problems.append(f"{where}: lang {r.get('lang')!r} not in {list(LANGS)}")
        if r.get("sector") not in SECTORS:
            problems.append(f"{where}: unknown sector {r.get('sector')!r}")
        if r.get("split") not in SPLITS:
            problems.append(f"{where}: split {r.get('split')!r} not in {list(SPLITS)}")
        if r.get("kind") not in KINDS:
            problems.append(f"{where}: kind {r.get('kind')!r} not in {list(KINDS)}")
        elif (r["kind"] == "positive") != bool(sdgs) and r["kind"] != "hard_negative":
            # a hard negative may advance one goal while borrowing another goal's words
            problems.append(f"{where}: kind {r['kind']} does not fit sdgs {sdgs}")
        if "form" in r and r["form"] not in FORMS:
            problems.append(f"{where}: form {r['form']!r} not in {list(FORMS)}")
        if r.get("label_version") == 2:
            primary = r.get("primary")
            if sdgs and primary not in sdgs:
                problems.append(f"{where}: primary {primary} is not among sdgs {sdgs}")
            if not sdgs and primary is not None:
                problems.append(f"{where}: primary must be null without sdgs")
        for target in r.get("targets", []) or []:
            if target not in valid_targets:
                problems.append(f"{where}: unknown target {target!r}")
            elif valid_targets[target] not in sdgs:
                problems.append(f"{where}: target {target} is not of an SDG in {sdgs}")
        if "form" in r:  # corpus v2 records name a target for every goal
            covered = {valid_targets.get(t) for t in r.get("targets") or []}
            missing = sorted(set(sdgs) - covered)
            if missing:
                problems.append(f"{where}: no target for SDG(s) {missing}")
    ids = Counter(r.get("id") for r in records)
    problems += [f"id {i} appears {n} times" for i, n in ids.items() if n > 1]
    return problems


def check_duplicates(
    records: list[dict], same_story: Callable[[dict, dict], bool] | None = None
) -> list[str]:
    """Duplicates and near-duplicates, except between records ``same_story`` allows to be close."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [normalise_text(str(r.get("text", ""))) for r in records]
    if len(texts) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5), min_df=1).fit_transform(texts)
    similarity = (vectors @ vectors.T).tocoo()
    problems = []
    for i, j, value in zip(similarity.row, similarity.col, similarity.data, strict=True):
        if i < j and value >= NEAR_DUPLICATE:
            if same_story is not None and same_story(records[i], records[j]):
                continue
            kind = "duplicate" if texts[i] == texts[j] else f"near-duplicate (cosine {value:.2f})"
            problems.append(f"{records[i].get('id')} and {records[j].get('id')}: {kind}")
    return problems


def check_splits(records: list[dict], lock: dict[str, str]) -> list[str]:
    if not lock:
        return ["no split lock file: run scripts/add_to_corpus.py to create it"]
    problems = []
    current = {r.get("id"): r.get("split") for r in records}
    for record_id, split in lock.items():
        if record_id not in current:
            problems.append(f"{record_id}: in the split lock but missing from the corpus")
        elif current[record_id] != split:
            problems.append(f"{record_id}: split changed from {split} to {current[record_id]}")
    problems += [f"{i}: not in the split lock" for i in current if i not in lock]
    return problems


Embedder = Callable[[Sequence[str]], np.ndarray]


def check_scenarios(records: list[dict], embed: Embedder | None = None) -> list[str]:
    """Corpus v2 records that tell one story share one split.

    One story: the same ``scenario`` slug, or (when ``embed`` is given, e.g. the multilingual e5
    encoder) a cosine of at least SCENARIO_SIMILARITY between a v2 record and any other record.
    """
    problems = []
    by_scenario: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.get("scenario"):
            by_scenario[str(r["scenario"])].add(str(r.get("split")))
    for scenario, splits in sorted(by_scenario.items()):
        if len(splits) > 1:
            problems.append(f"scenario {scenario} is split across {sorted(splits)}")
    if embed is not None:
        vectors = embed([str(r.get("text", "")) for r in records])
        new = [i for i, r in enumerate(records) if "form" in r]
        if new:
            similarity = vectors[new] @ vectors.T
            for row, i in enumerate(new):
                for j in np.flatnonzero(similarity[row] >= SCENARIO_SIMILARITY):
                    if j != i and records[j].get("split") != records[i].get("split"):
                        problems.append(
                            f"{records[i].get('id')} and {records[j].get('id')} tell the same story "
                            f"(cosine {similarity[row, j]:.2f}) but sit in different splits"
                        )
    return problems


def shortcut_aucs(
    records: list[dict], folds: int = 5, seed: int = 0, *, bag_of_words: bool = True
) -> dict[str, float]:
    """Held-out AUC of "any SDG vs none" from text length alone and from a bag of words."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    texts = [str(r.get("text", "")) for r in records]
    y = np.array([bool(r.get("sdgs")) for r in records])
    if y.all() or not y.any() or min(y.sum(), (~y).sum()) < folds:
        return {}
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    lengths = np.log1p([[word_count(t)] for t in texts])
    by_length = cross_val_predict(LogisticRegression(), lengths, y, cv=cv, method="predict_proba")
    result = {"length": float(roc_auc_score(y, by_length[:, 1]))}
    if bag_of_words:
        words = make_pipeline(
            CountVectorizer(binary=True, min_df=2), LogisticRegression(max_iter=2000)
        )
        by_words = cross_val_predict(words, texts, y, cv=cv, method="predict_proba")
        result["bag_of_words"] = float(roc_auc_score(y, by_words[:, 1]))
    return result


def check_shortcuts(records: list[dict]) -> list[str]:
    v2 = [r for r in records if "form" in r]
    if len(v2) < 50:
        return []
    auc = shortcut_aucs(v2, bag_of_words=False).get("length", 0.5)
    if auc > SHORTCUT_AUC:
        return [
            f"corpus v2 records: text length alone tells any-SDG from no-SDG with held-out AUC "
            f"{auc:.2f} (at most {SHORTCUT_AUC:.2f}): write negatives as long as the positives"
        ]
    return []


def check_counts(records: list[dict], parallel: list[dict], minimums: Minimums) -> list[str]:
    problems = []
    if len(records) < minimums.total:
        problems.append(f"{len(records)} texts; at least {minimums.total} expected")
    positives = Counter(s for r in records for s in r.get("sdgs") or [])
    for sdg in range(1, 18):
        if positives[sdg] < minimums.per_sdg:
            problems.append(
                f"SDG {sdg}: {positives[sdg]} positives; at least {minimums.per_sdg} expected"
            )
        for split in ("dev", "test"):
            count = sum(sdg in (r.get("sdgs") or []) for r in records if r.get("split") == split)
            if count < minimums.per_sdg_split:
                problems.append(
                    f"SDG {sdg}: {count} positives in {split}; at least {minimums.per_sdg_split}"
                )
    negatives = sum(r.get("kind") in ("hard_negative", "no_sdg") for r in records)
    if records and negatives / len(records) < minimums.negative_share:
        problems.append(
            f"hard negatives and no-SDG texts: {negatives / len(records):.1%}; "
            f"at least {minimums.negative_share:.0%} expected"
        )
    languages = Counter(r.get("lang") for r in records)
    for lang, least in minimums.per_lang:
        if languages[lang] < least:
            problems.append(f"{lang}: {languages[lang]} texts; at least {least} expected")
    if minimums.test_positives_per_lang:
        test = [r for r in records if r.get("split") == "test"] + parallel
        for lang in LANGS:
            counts = Counter(s for r in test if r.get("lang") == lang for s in r.get("sdgs") or [])
            short = [s for s in range(1, 18) if counts[s] < minimums.test_positives_per_lang]
            if short:
                problems.append(
                    f"{lang}: fewer than {minimums.test_positives_per_lang} test positives for "
                    f"SDG(s) {short} (corpus test split and parallel test set together)"
                )
    v2 = [r for r in records if "form" in r]
    long_texts = [r for r in v2 if 120 <= word_count(r["text"]) <= 400]
    v2_negatives = [r for r in long_texts if not r.get("sdgs")]
    for count, least, what in (
        (len(v2), minimums.v2_texts, "corpus v2 texts"),
        (len(long_texts), minimums.v2_long, "corpus v2 texts of 120-400 words"),
        (len(v2_negatives), minimums.v2_negatives, "corpus v2 negatives of 120-400 words"),
    ):
        if count < least:
            problems.append(f"{count} {what}; at least {least} expected")
    return problems


def check_parallel(parallel: list[dict]) -> list[str]:
    """Every text of the parallel test set exists in every language, with one label set."""
    problems = []
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in parallel:
        groups[str(r.get("pid"))].append(r)
    for pid, members in sorted(groups.items()):
        langs = sorted(str(m.get("lang")) for m in members)
        if langs != sorted(LANGS):
            problems.append(f"parallel {pid}: languages {langs}, expected all of {list(LANGS)}")
        if len({tuple(m.get("sdgs") or []) for m in members}) > 1:
            problems.append(f"parallel {pid}: the languages carry different labels")
        if any(m.get("split") != "test" for m in members):
            problems.append(f"parallel {pid}: every record must be in the test split")
    return problems


def check_contrast(
    contrast: list[dict], *, id_prefix: str = "ct", splits: tuple[str, ...] = ("test",)
) -> list[str]:
    """A contrast set: per pair a written positive and negative, and minimal edits of them.

    An edited record (``contrast: edited``) copies the pair's record named by ``edited_from`` with
    the SDG label flipped: an edited negative comes from the positive, an edited positive from
    the negative. The test set (``ct-`` ids) lies wholly in the test split; the training set
    (``cx-`` ids) in train and dev, one split per pair.
    """
    problems = [f"contrast {p}" for p in check_schema(contrast, id_prefix=id_prefix)]
    pairs: dict[str, list[dict]] = defaultdict(list)
    for r in contrast:
        pairs[str(r.get("pair"))].append(r)
    for pair, members in sorted(pairs.items()):
        written = sorted(
            (m for m in members if m.get("contrast") == "written"),
            key=lambda m: m.get("kind") != "positive",
        )
        if [m.get("kind") for m in written] != ["positive", "hard_negative"]:
            problems.append(f"contrast {pair}: needs one written positive and one hard_negative")
            continue
        for field in ("lang", "sector", "form", "scenario", "split"):
            if len({m.get(field) for m in members}) > 1:
                problems.append(f"contrast {pair}: its texts differ in {field}")
        by_id = {m.get("id"): m for m in written}
        for m in members:
            if bool(m.get("sdgs")) != (m.get("kind") == "positive"):
                problems.append(f"contrast {m.get('id')}: a positive needs SDGs, a negative none")
            if m.get("contrast") == "written":
                continue
            source = by_id.get(m.get("edited_from"))
            if m.get("contrast") != "edited" or source is None:
                problems.append(
                    f"contrast {m.get('id')}: neither written nor an edit of a written text of {pair}"
                )
            elif source.get("kind") == m.get("kind") or source.get("text") == m.get("text"):
                problems.append(f"contrast {m.get('id')}: an edit must flip its original's label")
    problems += [
        f"contrast {r.get('id')}: every record must be in the {' or '.join(splits)} split"
        for r in contrast
        if r.get("split") not in splits
    ]
    return problems


def check_corpus(
    path: Path,
    lock_path: Path,
    *,
    parallel_path: Path | None = None,
    contrast_path: Path | None = None,
    contrast_train_path: Path | None = None,
    minimums: Minimums = Minimums(),
    embed: Embedder | None = None,
) -> list[str]:
    """All corpus checks; one line per problem."""
    records, problems = read_records(path)
    parallel: list[dict] = []
    if parallel_path is not None and parallel_path.is_file():
        parallel, parse_problems = read_records(parallel_path)
        problems += [f"{parallel_path.name}: {p}" for p in parse_problems]
        problems += check_parallel(parallel)
    contrast: list[dict] = []
    if contrast_path is not None and contrast_path.is_file():
        contrast, parse_problems = read_records(contrast_path)
        problems += [f"{contrast_path.name}: {p}" for p in parse_problems]
        problems += check_contrast(contrast)
    if contrast_train_path is not None and contrast_train_path.is_file():
        contrast_train, parse_problems = read_records(contrast_train_path)
        problems += [f"{contrast_train_path.name}: {p}" for p in parse_problems]
        problems += check_contrast(contrast_train, id_prefix="cx", splits=("train", "dev"))
        contrast += contrast_train
    problems += check_schema(records)
    # no text twice across the corpus and the contrast sets (a contrast test text must not be
    # trained on); an edit is meant to be close to its original
    problems += check_duplicates(
        records + contrast, same_story=lambda a, b: "pair" in a and a.get("pair") == b.get("pair")
    )
    problems += check_splits(records, read_lock(lock_path))
    problems += check_scenarios(records, embed)
    problems += check_counts(records, parallel, minimums)
    problems += check_shortcuts(records)
    return problems


# ----------------------------------------------------------------------- annotations
def check_annotations(folder: Path, *, data_available: bool = True) -> list[str]:
    """The annotation files: valid records, matching text hashes, no eval-only text, a stable lock.

    With ``data_available`` the texts are loaded from the shared data to compare hashes and to
    look for evaluation-only texts; without it only the files themselves are checked.
    """
    from ..data import read_annotations
    from ..data.sources import REAL_SOURCES, SOURCES
    from ..errors import DataError

    problems: list[str] = []
    test_ids: set[tuple[str, str]] = set()
    for source in REAL_SOURCES:
        path = folder / f"{source}.jsonl"
        if not path.is_file():
            problems.append(f"{path.name}: missing")
            continue
        try:
            annotations = read_annotations(path)
        except DataError as exc:
            problems.append(str(exc))
            continue
        for annotation in annotations.values():
            if annotation.source != source:
                problems.append(
                    f"{path.name}: {annotation.source_id} names source {annotation.source}"
                )
            if annotation.split == "test":
                test_ids.add((source, annotation.source_id))
    lock_path = folder / "real_test.tsv"
    if lock_path.is_file():
        rows = [line.split("\t") for line in lock_path.read_text().splitlines()[1:] if line.strip()]
        locked = {(row[0], row[1]) for row in rows}
        for source, source_id in sorted(locked - test_ids):
            problems.append(f"real-test lock: {source} {source_id} is no longer in the test split")
        for source, source_id in sorted(test_ids - locked):
            problems.append(
                f"real-test lock: {source} {source_id} is in the test split but not locked"
            )
    else:
        problems.append("real_test.tsv: the real-test split lock is missing")
    if not data_available or problems:
        return problems
    from ..data import content_keys, evaluation_keys

    eval_keys, _missing = evaluation_keys()
    for source in REAL_SOURCES:
        labelled = SOURCES[source].load()
        problems += [f"{source}: {p}" for p in labelled.problems if "hash mismatch" in p]
        annotated_ids = set(read_annotations(folder / f"{source}.jsonl"))
        loaded_ids = {e.source_id for e in labelled.examples}
        if source != "snsf":  # snsf keeps only annotated texts, so every id is found by design
            for source_id in sorted(annotated_ids - loaded_ids)[:20]:
                problems.append(f"{source} {source_id}: annotated, but no such text in the data")
        for example in labelled.examples:
            if example.source_id in annotated_ids and eval_keys.intersection(
                content_keys(example.text)
            ):
                problems.append(
                    f"{source} {example.source_id}: annotated, but it is an evaluation-only text"
                )
    return problems


# What the committed corpus promises (checked by scripts/check_corpus.py and the tests).
CORPUS_MINIMUMS = Minimums(
    total=4000,
    per_sdg=250,
    per_lang=(
        ("de", 350),
        ("fr", 350),
        ("es", 350),
        ("it", 350),
        ("nl", 150),
        ("pl", 150),
        ("pt", 150),
        ("sv", 150),
    ),
    test_positives_per_lang=10,
    v2_texts=1500,
    v2_long=800,
    v2_negatives=300,
)
