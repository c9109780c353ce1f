"""Evidence: deterministic, sentences from the input, valid targets of the tagged SDG."""

from __future__ import annotations

import numpy as np
import pytest

from sdg_align.evidence import explain_texts, guess_language, is_fragment, split_sentences
from sdg_align.labels import targets_of
from sdg_align.modeling import SDGClassifier

TEXTS = [
    "The cluster pilots solar wind battery storage. Schools run training on skills. Ocean fish coral.",
    "Hospital vaccine health pilot with regional partners",
]


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return SDGClassifier.from_pretrained(tiny_model_dir)


def test_sentence_splitting_keeps_every_sentence():
    text = "First sentence here. Second one! Third? And 4 more.\nA new line"
    assert split_sentences(text) == [
        "First sentence here.",
        "Second one!",
        "Third?",
        "And 4 more.",
        "A new line",
    ]
    assert split_sentences("no end punctuation") == ["no end punctuation"]


@pytest.mark.parametrize(
    "text",
    [
        "Funded under Grant No. 101036588 of Horizon Europe.",
        "Die Anlage spart ca. 640 t CO2 pro Jahr, inkl. Wärme.",
        "Contact Prof. Dr. S. Wendler at the OrbitalEye S.A. lab.",
        "Einweihung am Donnerstag, 13. November, mit z. B. Führungen.",
        "Redukcja emisji o ok. 270 t/rok, m.in. Lelkowo.",
    ],
)
def test_an_abbreviation_does_not_end_a_sentence(text):
    # 'Grant No.' and '101036588 of Horizon Europe.' were two evidence quotes
    assert split_sentences(text) == [text]


def test_a_full_stop_after_an_ordinary_word_or_capitals_still_ends_a_sentence():
    assert len(split_sentences("Lakes sink fixed N. In addition, they emit gas.")) == 2
    assert len(split_sentences("Immune cells in MS. MiRNAs also act outside.")) == 2
    assert len(split_sentences("Finished in 2026. The next phase starts.")) == 2
    # capitals beyond Latin-1 ('Ż', 'Ł', 'Ś', 'Š'): a Polish paragraph was quoted as one sentence
    polish = "Bank odbiera nadwyżki. Żywność trafia dalej. Łącznie 600 ton. Środki z FEW."
    assert len(split_sentences(polish)) == 4
    assert len(split_sentences("Hotovo. Šest obcí se připojí.")) == 2
    assert len(split_sentences("Savings of approx. two thirds, e.g. the boilers.")) == 1


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The cluster launches a training academy for the region", "en"),
        ("Das Cluster startet eine Akademie für die Region und die Betriebe", "de"),
        ("Le pôle lance une académie pour les entreprises de la région", "fr"),
        ("El clúster lanza una academia para las empresas de la región", "es"),
        ("Il cluster lancia una accademia per le imprese della regione", "it"),
    ],
)
def test_guess_language(text, lang):
    assert guess_language(text) == lang


def test_evidence_is_deterministic_and_points_into_the_input(model):
    selected = [[7, 14, 4], [3]]
    first = explain_texts(model, TEXTS, selected)
    again = explain_texts(model, TEXTS, selected)
    assert first == again
    for text, sdgs, block in zip(TEXTS, selected, first, strict=True):
        assert set(block) == {str(s) for s in sdgs}
        sentences = split_sentences(text)
        for sdg in sdgs:
            entry = block[str(sdg)]
            valid = {t.code for t in targets_of(sdg)}
            assert 1 <= len(entry["targets"]) <= 3
            assert all(t["target"] in valid for t in entry["targets"])
            scores = [t["score"] for t in entry["targets"]]
            assert scores == sorted(scores, reverse=True)
            for sentence in entry["sentences"]:
                assert sentence["text"] in text
                assert sentences[sentence["index"]] == sentence["text"]


def test_a_repeated_sentence_is_quoted_once(model, monkeypatch):
    monkeypatch.setattr("sdg_align.evidence.MIN_SENTENCE_SUPPORT", 0.0)  # every sentence counts
    text = "Ocean fish coral. Solar wind battery. Ocean fish coral. Schools run training."
    quoted = explain_texts(model, [text], [[14]])[0]["14"]["sentences"]
    assert [q["text"] for q in quoted].count("Ocean fish coral.") == 1
    assert len(quoted) == 3 and quoted[0]["index"] == 0  # the first copy is the one quoted


@pytest.mark.parametrize(
    ("piece", "fragment"),
    [
        ("Work packages", True),
        ("Partners and budget", True),
        ("Partners: Molkerei Berger GmbH (industry), TU Graz (university).", True),
        ("Förderung: Landesförderung, 460.000 €, 2025–2027", True),
        ("Partenaires : Parc naturel marin, communes d'Audresselles", True),
        ("WP2 – Train 16 Roma women as community health mediators", False),
        ("Hintergrund: Im vergangenen Jahr wurden am Terminal 118.000 Lkw abgefertigt.", False),
        ("Solar panels for rural schools.", False),
    ],
)
def test_headings_and_record_rows_are_fragments(piece, fragment):
    assert is_fragment(piece) == fragment


def test_headings_and_record_rows_are_not_quoted_when_the_text_says_something(model, monkeypatch):
    """A new-user trial saw 'Work packages' quoted as the evidence for SDG 8 (support 1.00)."""
    monkeypatch.setattr("sdg_align.evidence.MIN_SENTENCE_SUPPORT", 0.0)
    text = (
        "Work packages\nOcean fish coral reef.\nPartners: Acme (company), Uni (university)\n"
        "The cluster pilots solar wind battery storage for the port."
    )
    for sdg in range(1, 18):
        quoted = explain_texts(model, [text], [[sdg]])[0][str(sdg)]["sentences"]
        assert [q["index"] for q in quoted] == [1, 3] or [q["index"] for q in quoted] == [3, 1]
    only_headings = explain_texts(model, ["Ocean fish\nSolar wind"], [[14]])[0]["14"]
    assert len(only_headings["sentences"]) == 2  # nothing else to quote: they are quoted


def test_a_sentence_the_model_gives_little_alone_is_not_quoted(model):
    """A new-user trial's board report quoted 'E-Bus-Verbund Tirol.' at 0.00 as the evidence for
    SDG 13: a tag that rests on the whole text quotes no sentence rather than a wrong one."""
    from sdg_align.evidence import MIN_SENTENCE_SUPPORT

    text = TEXTS[0]
    for sdg in range(1, 18):
        quoted = explain_texts(model, [text], [[sdg]])[0][str(sdg)]["sentences"]
        assert all(q["score"] >= MIN_SENTENCE_SUPPORT for q in quoted)
    supports = [
        q["score"]
        for sdg in range(1, 18)
        for q in explain_texts(model, [text], [[sdg]])[0][str(sdg)]["sentences"]
    ]
    assert supports  # the tiny model supports some SDG with a sentence


def test_model_without_index_gives_a_clear_error(model):
    from sdg_align.errors import ModelError

    bare = SDGClassifier(model.network, model.tokenizer, model.config, model.encoder_spec)
    with pytest.raises(ModelError, match="no evidence index"):
        explain_texts(bare, ["text"], [[1]])


def test_target_examples_pull_the_labelled_target_up(tiny_model_dir):
    from sdg_align.evidence import add_target_examples, explain_texts

    model = SDGClassifier.from_pretrained(tiny_model_dir)
    text = "ocean fish coral"
    before = explain_texts(model, [text], [[14]])[0]["14"]["targets"]
    unlikely = [t["target"] for t in before][-1]  # shown, but last of three
    if unlikely == before[0]["target"]:
        pytest.skip("only one target shown")
    examples = ["ocean fish coral reef", "coral fish ocean", "fish ocean coral project"]
    added = add_target_examples(model, examples, [[unlikely]] * 3)
    assert added == 1 and model.extras["target_example_counts"].sum() == 3
    assert model.extras["example_vectors"].shape[0] == 3
    model.extras["example_weight"] = 1.0
    after = explain_texts(model, [text], [[14]])[0]["14"]["targets"]
    assert after[0]["target"] == unlikely


def test_a_target_scores_by_its_nearest_example_and_older_indexes_still_work(tiny_model_dir):
    from sdg_align.evidence import _normalise, add_target_examples, explain_texts

    model = SDGClassifier.from_pretrained(tiny_model_dir)
    text = "ocean fish coral"
    target = explain_texts(model, [text], [[14]])[0]["14"]["targets"][-1]["target"]
    examples = [text, "budget office printer", "trade fair stand"]  # one twin, two far off
    add_target_examples(model, examples, [[target]] * 3)
    model.extras["example_weight"], model.extras["example_neighbours"] = 1.0, 1
    shown = explain_texts(model, [text], [[14]])[0]["14"]["targets"]
    assert shown[0]["target"] == target and shown[0]["score"] == pytest.approx(1.0, abs=0.01)
    model.extras["example_neighbours"] = 3  # the mean of all three is further away
    assert explain_texts(model, [text], [[14]])[0]["14"]["targets"][0]["score"] < 0.99

    # a model folder from before: one mean vector per target ("targets_examples")
    vectors = model.extras.pop("example_vectors").astype(np.float32)
    pairs = model.extras.pop("example_pairs")
    means = np.zeros((len(model.extras["target_codes"]), vectors.shape[1]), dtype=np.float32)
    for row, column in pairs:
        means[column] += vectors[row]
    model.extras["targets_examples"] = _normalise(means).astype(np.float16)
    older = explain_texts(model, [text], [[14]])[0]["14"]["targets"]
    assert older[0]["target"] == target and older[0]["score"] < 0.99


def test_a_heading_or_bullet_after_a_title_starts_a_sentence():
    """score joins 'Title' and a Markdown description as 'Title. ## Background ...': the heading
    was quoted as part of the title's sentence."""
    text = "Regionale Direktvermarktung. ## Ausgangslage\nText. • Hofladen für 20 Betriebe."
    assert split_sentences(text) == [
        "Regionale Direktvermarktung.",
        "## Ausgangslage",
        "Text.",
        "• Hofladen für 20 Betriebe.",
    ]
