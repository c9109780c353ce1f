"""Evidence for each tag: the closest SDG targets and the sentences of the text that support it.

At training time :func:`build_evidence_index` embeds every target (the project's short title, plus the
official title in each language of ``sdg-reference`` when that folder is given) with the model's own
encoder and stores only target codes, short titles and embeddings in the model folder. At run time
each text is split into sentences, embedded once, and:

- a sentence's support for SDG k is the classifier's probability for k on that sentence alone;
  up to three sentences with support of at least ``MIN_SENTENCE_SUPPORT`` are quoted (headings
  and record rows only when the text has nothing else), so a tag that rests on the text as a
  whole quotes none rather than a sentence at 0.00;
- a target's score blends two cosines: between the target's title (in the text's language when the
  model is multilingual and that language was indexed; English otherwise) and the text or its best
  sentence, and between the text and the *examples* of that target: the training texts labelled
  with it (when at least two are), scored by the mean cosine of the text's ``EXAMPLE_NEIGHBOURS``
  nearest ones among them. Titles are short and formal; examples show how projects that serve a
  target are actually written. A target's nearest example beat the mean of its examples (the
  earlier index, still read in older model folders) by 9 points of top-3 accuracy on validation
  texts (0.868 against 0.775); the neighbours and the blend weight were chosen there (``scripts/eval_evidence.py
  --split dev``, the mean of corpus and real-text validation texts).

Embedding the sentences is one extra encoder pass over the same tokens, so evidence costs about 2x.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .labels import load_reference, targets
from .modeling.windows import sentence_key, split_into_sentences

if TYPE_CHECKING:
    from .modeling import Classifier

TOP_TARGETS = 3
TOP_SENTENCES = 3
MIN_EXAMPLES = 2  # labelled training texts a target needs before its examples count
EXAMPLE_WEIGHT = 0.5  # share of the example cosine (chosen on validation texts: eval_evidence.py)
EXAMPLE_NEIGHBOURS = 1  # nearest examples of a target whose cosines are averaged (chosen there too)

_STOPWORDS = {
    "en": "the and of to in for with is are on by this that from",
    "de": "der die und das mit für von den ist im zu ein eine wird des auf",
    "fr": "le la les et des du pour une un dans avec est sur au aux",
    "es": "el la los las y de del para con en una un por que se",
    "it": "il lo la gli le e di del della per con un una che nel alla",
    "cs": "a v na se je s z do pro o k že ve",
    "ro": "și în de la cu pentru a al ale din pe care este",
}
_STOPWORD_SETS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}

MIN_SENTENCE_SUPPORT = 0.1  # a sentence the model gives less alone does not carry the tag
FRAGMENT_MAX_WORDS = 3  # a piece with no more words than this is a heading or a label, not a claim
# Labels of a project sheet's record rows ('Partners: ...', 'Budget: ...'), in the corpus's
# languages: such a row names who or how much, never what the project does.
_RECORD_LABELS = re.compile(
    r"^\W*(?:lead\s+)?(?:partners?|partenaires?|partner\s+\w+|socios?|soci|partnerzy|parceiros"
    r"|consorti(?:um|o)|konsortium|lead|coordinat(?:or|eur|ion)|koordinator\w*|coordinador\w*"
    r"|capofila|contact|kontakt|contacto|contatto|budget|presupuesto|or[cç]amento|bud[zż]et"
    r"|bilancio|kosten|costs?|funding|f[öo]rderung|financ\w*|finanz\w*|zuwendungsempf[äa]nger"
    r"|duration|laufzeit|dur[ée]e|duraci[óo]n|durata|looptijd|period|zeitraum|timeline|dates?"
    r"|website|web|url|e-?mail|tel(?:ephone)?|phone|acronym|akronym|call|bando|programme"
    r"|program|programm|grant(?:\s+agreement)?)\s*:",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text (a light rule: end punctuation before a capital, or a line break, but
    not after an abbreviation such as 'No.' or 'ca.')."""
    parts = [p.strip() for p in split_into_sentences(text)]
    return [p for p in parts if p and any(ch.isalpha() for ch in p)] or [text.strip()]


def is_fragment(sentence: str) -> bool:
    """Whether a piece of text is a heading or a record row rather than a sentence that says
    something: 'Work packages', 'Partners and budget', 'Partners: Acme GmbH (industry), ...'.

    The classifier reads such a piece alone with nothing to weigh against, so it can give it a
    near-certain probability ('Work packages' 1.00 for SDG 8 in a new-user trial), and quoting it
    as the evidence for a tag explains nothing.
    """
    words = [w for w in sentence.split() if re.search(r"[^\W\d_]", w)]  # 'E-Bus-Verbund' is one
    return len(words) <= FRAGMENT_MAX_WORDS or bool(_RECORD_LABELS.match(sentence))


def _quotable(sentences: list[str], order: np.ndarray) -> list[int]:
    """``order`` without a sentence the text said before (a repeat is no new evidence), and
    without headings and record rows when the text has any other sentence."""
    seen: set[str] = set()
    kept = []
    for index in order:
        key = sentence_key(sentences[index])
        if key not in seen:
            seen.add(key)
            kept.append(int(index))
    said = [index for index in kept if not is_fragment(sentences[index])]
    return said or kept


def quote(text: str, width: int = 100) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def guess_language(text: str) -> str:
    """The most likely of en/de/fr/es/it/cs/ro by stopword counts (English when unsure)."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORD_SETS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > scores["en"] else "en"


def build_evidence_index(
    classifier: Classifier, reference_dir: str | Path | None = None
) -> dict[str, Any]:
    """Embed the targets with the classifier's encoder; store the index in ``classifier.extras``."""
    catalogue = targets()
    codes = [t.code for t in catalogue]
    short = classifier.embed([t.short_title for t in catalogue])
    index: dict[str, Any] = {
        "target_codes": codes,
        "target_titles": [t.short_title for t in catalogue],
        "languages": ["en"],
    }
    languages: list[str] = []
    if reference_dir is not None and Path(reference_dir).is_dir():
        languages = sorted(p.name for p in Path(reference_dir).iterdir() if p.is_dir())
        if not classifier.config.multilingual:
            languages = [lang for lang in languages if lang == "en"]
    english = short
    for lang in languages:
        official = load_reference(reference_dir, lang, kinds=("targets",))  # type: ignore[arg-type]
        titles = [
            official.get(code, t.short_title) for code, t in zip(codes, catalogue, strict=True)
        ]
        vectors = classifier.embed(titles)
        if lang == "en":  # the short title and the official one, averaged
            english = _normalise(short + vectors)
        else:
            index[f"targets_{lang}"] = vectors.astype(np.float16)
            index["languages"].append(lang)
    index["targets_en"] = english.astype(np.float16)
    index["multilingual"] = bool(classifier.config.multilingual)
    classifier.extras.update(index)
    return index


def add_target_examples(
    classifier: Classifier, texts: Sequence[str], targets_of_text: Sequence[Sequence[str]]
) -> int:
    """Add the embeddings of the training texts labelled with targets to the evidence index.

    Stores one vector per text (``example_vectors``) and its (text, target) pairs
    (``example_pairs``); explaining scores a target by the text's nearest examples of it. Returns
    how many targets got enough examples. Call after :func:`build_evidence_index`.
    """
    codes: list[str] = list(classifier.extras["target_codes"])
    position = {code: i for i, code in enumerate(codes)}
    pairs = [(i, position[t]) for i, ts in enumerate(targets_of_text) for t in ts if t in position]
    used = sorted({i for i, _ in pairs})
    row_of = {i: row for row, i in enumerate(used)}
    width = classifier.extras["targets_en"].shape[1]
    vectors = (
        classifier.embed([texts[i] for i in used])
        if used
        else np.zeros((0, width), dtype=np.float32)
    )
    counts = np.bincount([j for _, j in pairs], minlength=len(codes))
    classifier.extras.pop("targets_examples", None)  # the mean-of-examples index of older models
    classifier.extras["example_vectors"] = vectors.astype(np.float16)
    classifier.extras["example_pairs"] = np.array(
        [(row_of[i], j) for i, j in pairs], dtype=np.int32
    ).reshape(-1, 2)
    classifier.extras["target_example_counts"] = counts.astype(np.int32)
    classifier.extras["example_weight"] = EXAMPLE_WEIGHT
    classifier.extras["example_neighbours"] = EXAMPLE_NEIGHBOURS
    return int((counts >= MIN_EXAMPLES).sum())


def _example_similarity(
    extras: dict[str, Any], document: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """Per target in ``wanted`` (each with enough examples): how close the document is to them."""
    if "example_vectors" not in extras:  # older model folders: the mean embedding of the examples
        return extras["targets_examples"].astype(np.float32)[wanted] @ document[0]
    neighbours = int(extras.get("example_neighbours", EXAMPLE_NEIGHBOURS))
    pairs = np.asarray(extras["example_pairs"]).reshape(-1, 2)
    cosines = extras["example_vectors"].astype(np.float32) @ document[0]
    nearest = [np.sort(cosines[pairs[pairs[:, 1] == target, 0]])[-neighbours:] for target in wanted]
    return np.array([c.mean() for c in nearest], dtype=np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9, None)


def explain_texts(
    classifier: Classifier,
    texts: Sequence[str],
    selected: Sequence[Sequence[int]],
    *,
    batch_size: int = 32,
) -> list[dict[str, Any]]:
    """For each text and each of its selected SDGs: top targets and supporting sentences."""
    extras = classifier.extras
    if "target_codes" not in extras:
        from .errors import ModelError

        raise ModelError(
            "this model has no evidence index; rebuild it with scripts/train_default.py"
        )
    codes: list[str] = list(extras["target_codes"])
    titles: list[str] = list(extras["target_titles"])
    sdg_of = np.array([int(code.split(".")[0]) for code in codes])

    sentences = [split_sentences(t) for t in texts]
    flat = [s for group in sentences for s in group]
    logits, vectors_all = classifier.logits_and_embeddings(flat, batch_size=batch_size)
    sentence_probs = classifier.calibrate(logits)
    sentence_vectors = vectors_all

    results: list[dict[str, Any]] = []
    start = 0
    for text, group, sdgs in zip(texts, sentences, selected, strict=True):
        rows = slice(start, start + len(group))
        start += len(group)
        vectors = sentence_vectors[rows]
        document = _normalise(vectors.mean(0, keepdims=True))
        candidates = np.vstack([document, vectors])
        lang = guess_language(text) if extras.get("multilingual") else "en"
        table = extras.get(f"targets_{lang}", extras["targets_en"]).astype(np.float32)
        similarity = (candidates @ table.T).max(0)  # best of the text and its sentences
        if "example_vectors" in extras or "targets_examples" in extras:
            weight = float(extras.get("example_weight", EXAMPLE_WEIGHT))
            has = np.asarray(extras["target_example_counts"]) >= MIN_EXAMPLES
            wanted = np.flatnonzero(np.isin(sdg_of, list(sdgs)) & has)
            examples = _example_similarity(extras, document, wanted)
            similarity[wanted] = (1 - weight) * similarity[wanted] + weight * examples
        block: dict[str, Any] = {}
        for sdg in sdgs:
            mine = np.flatnonzero(sdg_of == sdg)
            best_targets = mine[np.argsort(-similarity[mine], kind="stable")[:TOP_TARGETS]]
            support = sentence_probs[rows][:, sdg - 1]
            order = [
                j
                for j in _quotable(group, np.argsort(-support, kind="stable"))
                if support[j] >= MIN_SENTENCE_SUPPORT
            ][:TOP_SENTENCES]  # none: the tag rests on the text as a whole, no sentence alone
            block[str(sdg)] = {
                "targets": [
                    {
                        "target": codes[j],
                        "title": titles[j],
                        "score": round(float(similarity[j]), 4),
                    }
                    for j in best_targets
                ],
                "sentences": [
                    {"text": group[j], "index": int(j), "score": round(float(support[j]), 4)}
                    for j in order
                ],
                "target_language": lang if f"targets_{lang}" in extras else "en",
            }
        results.append(block)
    return results
