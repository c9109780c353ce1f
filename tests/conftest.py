"""Shared fixtures: a tiny random encoder and tiny trained model built in the test, caches in tmp."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared data folder not found at {SHARED} (a user's own clone)"
)

WORDS = [
    "solar",
    "wind",
    "battery",
    "energy",
    "grid",
    "water",
    "wastewater",
    "river",
    "ocean",
    "fish",
    "coral",
    "forest",
    "soil",
    "biodiversity",
    "school",
    "training",
    "skills",
    "women",
    "gender",
    "equality",
    "health",
    "hospital",
    "vaccine",
    "poverty",
    "income",
    "food",
    "farm",
    "city",
    "transport",
    "housing",
    "recycling",
    "waste",
    "circular",
    "climate",
    "emissions",
    "justice",
    "transparency",
    "partnership",
    "cooperation",
    "africa",
    "jobs",
    "growth",
    "sme",
    "innovation",
    "factory",
    "research",
    "the",
    "a",
    "of",
    "and",
    "for",
    "with",
    "in",
    "to",
    "cluster",
    "project",
    "launches",
    "pilot",
    "regional",
    "new",
]

TOPICS = {
    7: "solar wind battery energy grid",
    6: "water wastewater river",
    14: "ocean fish coral",
    4: "school training skills",
    3: "health hospital vaccine",
    13: "climate emissions",
}


def make_texts(n: int, seed: int = 0) -> list[dict]:
    """Labelled toy texts whose words reveal their SDGs, so a tiny model can learn them."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        sdgs = sorted(rng.sample(sorted(TOPICS), k=rng.choice([1, 1, 2])))
        words = [w for s in sdgs for w in rng.sample(TOPICS[s].split(), 2)]
        words += rng.sample(
            ["the", "cluster", "project", "launches", "pilot", "regional", "new"], 3
        )
        rng.shuffle(words)
        rows.append({"text": " ".join(words) + f" {i}", "sdgs": sdgs})
    return rows


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("SDG_ALIGN_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache / "datasets"))
    monkeypatch.delenv("SDG_ALIGN_MODEL", raising=False)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT with a word-piece tokenizer trained on toy words."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tokenizer.train_from_iterator([" ".join(WORDS)] * 5 + [str(i) for i in range(100)], trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def toy_data_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("toy") / "toy.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in make_texts(160)) + "\n")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_encoder_dir, toy_data_file) -> Path:
    """A tiny sdg-align model trained for a few epochs on toy data (seconds)."""
    from sdg_align.data import load_source
    from sdg_align.evidence import build_evidence_index
    from sdg_align.training import TrainingConfig, train

    config = TrainingConfig(
        base_encoder=str(tiny_encoder_dir),
        epochs=8,
        batch_size=16,
        max_length=32,
        trainable_layers=1,
        learning_rate=3e-2,
        encoder_learning_rate=3e-3,
        validation_fraction=0.2,
        test_fraction=0.1,
        patience=6,
    )
    result = train(load_source(str(toy_data_file)), config, progress=False, log=lambda m: None)
    build_evidence_index(result.classifier)
    folder = tmp_path_factory.mktemp("models") / "tiny"
    result.classifier.save_pretrained(folder, metrics=result.metrics, card={"name": "tiny"})
    return folder


def error_rates_document(
    *, positives=50, negatives=150, tp=40, fp=6, mean_pos=0.7, mean_neg=0.05
) -> dict:
    """An error_rates.json as training writes it, the same counts for all 17 SDGs (balanced tags).

    By default: 200 validation texts per SDG, 50 of them positives; the model tags 40 of those
    and 6 of the 150 negatives, and gives them mean probabilities 0.7 and 0.05.
    """
    block = {
        "positives": [positives] * 17,
        "negatives": [negatives] * 17,
        "true_positives": [tp] * 17,
        "false_positives": [fp] * 17,
        "mean_probability_positives": [mean_pos] * 17,
        "mean_probability_negatives": [mean_neg] * 17,
    }
    texts = positives + negatives
    return {"version": 1, "texts": texts, "operating_points": {"balanced": block}}


@pytest.fixture(scope="session")
def rated_model_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """The tiny model plus the error_rates.json training writes (:func:`error_rates_document`)."""
    import shutil

    folder = tmp_path_factory.mktemp("models") / "rated"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "error_rates.json").write_text(json.dumps(error_rates_document()))
    return folder


@pytest.fixture(scope="session")
def unrated_model_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """The tiny model without error_rates.json, as a model trained before training wrote them."""
    import shutil

    folder = tmp_path_factory.mktemp("models") / "unrated"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "error_rates.json").unlink(missing_ok=True)
    return folder
