"""The script-subset tokenizer gives the full tokenizer's ids for every text (script_subset.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from tokenizers import AddedToken, Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from sdg_align.modeling.config import TOKENIZER_FILE_GZ
from sdg_align.modeling.script_subset import (
    SUBSET_FILE,
    SubsetTokenizer,
    kept_character,
    load_fast,
    subset_json,
)
from sdg_align.modeling.windows import TokenWindows, load_tokenizer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOKENIZER = ROOT / "models" / "sdg-align-base" / TOKENIZER_FILE_GZ

TEXTS = [
    "solar energy for schools",
    "水 water 水资源",  # CJK pieces exist only in the full vocabulary
    "énergie solaire ☀ 🌍",
    "ενέργεια и энергия",
    "",
    "   ",
    "<s> literal specials <unk>",
    "a " * 300,
]


def small_unigram(tmp_path: Path) -> Path:
    """An XLM-R-shaped Unigram tokenizer whose pieces mix Latin, Greek, Cyrillic, CJK and emoji;
    some pieces (``▁水water``) cross scripts, so dropping them must not change any segmentation."""
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u2581"]
    pieces += list("abcdefghijklmnoprstuwyé") + ["水", "资", "源", "ε", "н", "и", "я", "☀", "🌍"]
    pieces += [
        "\u2581solar",
        "\u2581sol",
        "ar",
        "\u2581water",
        "\u2581水",
        "水资源",
        "\u2581水water",
    ]
    pieces += [
        "\u2581energy",
        "\u2581en",
        "ergy",
        "\u2581énergie",
        "\u2581энергия",
        "\u2581ενέργεια",
    ]
    vocab = [(p, -1.0 - 0.1 * i) for i, p in enumerate(pieces)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=3, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC()])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace("\u2581", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.add_special_tokens([AddedToken(p, normalized=False) for p in pieces[:4]])
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def subset_of(path: Path, min_pieces: int = 0) -> SubsetTokenizer:
    data, full_ids = subset_json(json.loads(path.read_text()), min_pieces=min_pieces) or (
        None,
        None,
    )
    assert data is not None and full_ids is not None
    return SubsetTokenizer(
        Tokenizer.from_str(json.dumps(data)),
        full_ids,
        data["model"]["unk_id"],
        lambda: load_tokenizer(path),
    )


def test_subset_drops_other_scripts_and_keeps_every_id(tmp_path):
    path = small_unigram(tmp_path)
    full, subset = load_tokenizer(path), subset_of(path)
    assert subset.subset.get_vocab_size() < full.get_vocab_size()
    assert subset.subset.token_to_id("\u2581水water") is None  # crosses scripts: dropped
    for text in TEXTS:
        for specials in (True, False):
            ours = subset.encode(text, add_special_tokens=specials).ids
            assert ours == full.encode(text, add_special_tokens=specials).ids, text
    assert subset.fallbacks >= 2  # the CJK text and the literal <unk>
    assert subset.token_to_id("<pad>") == full.token_to_id("<pad>") == 1


def test_windows_are_the_same_with_the_subset(tmp_path):
    path = small_unigram(tmp_path)
    full = TokenWindows(load_tokenizer(path), 16, 4, "")
    fast = TokenWindows(subset_of(path), 16, 4, "")
    assert (fast.cls_id, fast.sep_id, fast.pad_id) == (full.cls_id, full.sep_id, full.pad_id)
    assert fast.windows(TEXTS) == full.windows(TEXTS)


def test_small_or_other_tokenizers_are_left_whole(tmp_path, tiny_encoder_dir):
    assert subset_json(json.loads(small_unigram(tmp_path).read_text())) is None  # too small to gain
    wordpiece = json.loads((tiny_encoder_dir / "tokenizer.json").read_text())
    assert subset_json(wordpiece, min_pieces=0) is None
    loaded = load_fast(tiny_encoder_dir / "tokenizer.json", load_tokenizer, tmp_path / "cache")
    assert isinstance(loaded, Tokenizer)


def test_kept_characters():
    assert all(kept_character(c) for c in "aéßœαжё€—“▁🌍☀")
    assert not any(kept_character(c) for c in "水ا한क")


@pytest.mark.skipif(not DEFAULT_TOKENIZER.is_file(), reason="the default model is not in this tree")
def test_default_tokenizer_subset_is_cached_exact_and_rebuilt_when_corrupt(tmp_path):
    cache = tmp_path / "cache"
    first = load_fast(DEFAULT_TOKENIZER, load_tokenizer, cache)
    assert isinstance(first, SubsetTokenizer)
    (entry,) = (cache / "tokenizers").iterdir()
    again = load_fast(DEFAULT_TOKENIZER, load_tokenizer, cache)
    full = load_tokenizer(DEFAULT_TOKENIZER)
    texts = [*TEXTS, "Die Region fördert Solarenergie", "Проект по възобновяема енергия"]
    for text in texts:
        assert again.encode(text).ids == list(full.encode(text).ids), text
    (entry / SUBSET_FILE).write_text("{ half written")
    rebuilt = load_fast(DEFAULT_TOKENIZER, load_tokenizer, cache)
    assert isinstance(rebuilt, SubsetTokenizer)
    assert rebuilt.encode(texts[-1]).ids == list(full.encode(texts[-1]).ids)
    assert json.loads((entry / SUBSET_FILE).read_text())["model"]["type"] == "Unigram"
    assert gzip.decompress(DEFAULT_TOKENIZER.read_bytes())  # the model folder is untouched
