"""The classifier's float32 network in ONNX Runtime: the same numbers, faster, and without torch.

ONNX Runtime fuses the encoder's attention, layer norms and GELUs into optimised CPU kernels. The
exported graph starts *after* the word-embedding lookup: the 250,002 x 384 word table (384 MB of
the multilingual encoder's 470) is stored beside it as a NumPy file that is memory-mapped, so a
process reads only the rows of the tokens it sees and opening the model takes a fraction of a
second. A cache entry ``<cache>/onnx/<key>/`` holds ``network.onnx`` and ``word_embeddings.npy``;
the key is the model's weights hash (weights, calibration, thresholds) with the torch and
onnxruntime versions, never a folder name, so one model can never be served another's network.
Exporting needs torch and takes about 10 s, once per model; a cache entry that cannot be opened is
deleted and exported again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ModelError
from .runtime import package_version

if TYPE_CHECKING:
    from .modeling.network import SDGClassifier

GRAPH_FILE = "network.onnx"
OPTIMIZED_FILE = "network.optimized.onnx"  # written on first use: later runs skip optimising
EMBEDDINGS_FILE = "word_embeddings.npy"
EXPORT_VERSION = 2  # bump when the exported graph changes


def available() -> bool:
    """True when onnxruntime can be imported (it is a dependency; this guards broken installs)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cache_entry(weights_hash: str, cache_root: Path | None = None) -> Path:
    """The cache folder of one model's export (no torch import)."""
    from .e5_convert import default_cache_root

    versions = f"{package_version('torch')}/{package_version('onnxruntime')}/{EXPORT_VERSION}"
    key = hashlib.sha256(f"{weights_hash}/{versions}".encode()).hexdigest()[:20]
    return (cache_root or default_cache_root()) / "onnx" / key


def export(classifier: SDGClassifier, entry: Path) -> Path:
    """Write the network (word vectors and mask in; logits and pooled embedding out) and the word
    table into ``entry``, atomically (a temporary folder renamed into place)."""
    import torch
    from torch import nn

    class _Network(nn.Module):
        def __init__(self, network: Any) -> None:
            super().__init__()
            self.network = network

        def forward(self, word_vectors: torch.Tensor, mask: torch.Tensor) -> Any:
            from .modeling.network import mean_pool

            hidden = self.network.run_layers(self.network.embed_vectors(word_vectors), mask, 0)
            pooled = mean_pool(hidden, mask)
            return self.network.head(pooled), pooled

    network = classifier.network
    module = _Network(network).eval()
    table = network.word_embeddings.detach().float().numpy()
    ids, mask = classifier.windower.pad([[5, 6, 7, 8], [5, 6]])
    example = (torch.from_numpy(table[ids]), torch.from_numpy(mask))
    entry.parent.mkdir(parents=True, exist_ok=True)
    partial = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    dynamic = {"word_vectors": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(
            module,
            example,
            str(partial / GRAPH_FILE),
            input_names=["word_vectors", "mask"],
            output_names=["logits", "pooled"],
            dynamic_axes={**dynamic, "logits": {0: "batch"}, "pooled": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    np.save(partial / EMBEDDINGS_FILE, table)
    shutil.rmtree(entry, ignore_errors=True)
    partial.replace(entry)
    return entry


def ensure_export(classifier: SDGClassifier, entry: Path) -> None:
    print(f"sdg-align: exporting the model to ONNX in {entry} (once)", file=sys.stderr)
    try:
        export(classifier, entry)
    except Exception as exc:  # an exporter failure should name the way out
        raise ModelError(f"ONNX export failed ({exc}); use --backend float32") from exc


class OnnxRunner:
    """Padded (input_ids, mask) -> (logits, pooled) with ONNX Runtime and a memory-mapped table."""

    name = "onnx"

    def __init__(self, entry: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        from .runtime import thread_count

        self.table = np.load(entry / EMBEDDINGS_FILE, mmap_mode="r")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or thread_count()
        options.log_severity_level = 3
        optimized = entry / OPTIMIZED_FILE
        if optimized.is_file():  # optimised once (about 1 s) and saved: opening it is quick
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            graph = optimized
        else:
            # Extended (not "all") optimisations are independent of the CPU they ran on, so the
            # saved graph stays valid for a cache shared between machines.
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            partial = entry / f".{OPTIMIZED_FILE}.{os.getpid()}.tmp"
            options.optimized_model_filepath = str(partial)
            graph = entry / GRAPH_FILE
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        if not optimized.is_file() and Path(options.optimized_model_filepath).is_file():
            Path(options.optimized_model_filepath).replace(optimized)

    @classmethod
    def open_or_rebuild(cls, entry: Path, *, rebuild: Callable[[], None]) -> OnnxRunner:
        """Open a cache entry, exporting it first when missing, and once more when unreadable."""
        if not available():
            raise ModelError("the onnx backend needs onnxruntime: pip install onnxruntime onnx")
        for attempt in (1, 2):
            if not ((entry / GRAPH_FILE).is_file() and (entry / EMBEDDINGS_FILE).is_file()):
                rebuild()
            try:
                return cls(entry)
            except Exception as exc:  # a corrupt cache entry: export it again, once
                if attempt == 2:
                    raise ModelError(f"cannot open the ONNX export {entry}: {exc}") from exc
                print(
                    f"sdg-align: the ONNX cache entry {entry} is unreadable; re-exporting",
                    file=sys.stderr,
                )
                shutil.rmtree(entry, ignore_errors=True)
        raise AssertionError("unreachable")

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vectors = np.ascontiguousarray(self.table[input_ids], dtype=np.float32)
        logits, pooled = self.session.run(
            ["logits", "pooled"], {"word_vectors": vectors, "mask": mask}
        )
        return logits, pooled


def with_onnx(
    classifier: SDGClassifier,
    model_dir: str | Path | None = None,
    *,
    cache_root: Path | None = None,
) -> SDGClassifier:
    """Run an in-memory ``classifier`` with ONNX Runtime (exported once per weights hash).

    It needs no folder and can never serve or overwrite another model's network: the cache entry
    is chosen by the classifier's own weights hash. ``model_dir`` is accepted for older callers
    and ignored.
    """
    entry = cache_entry(classifier.weights_hash(), cache_root)
    classifier.runner = OnnxRunner.open_or_rebuild(
        entry, rebuild=lambda: ensure_export(classifier, entry)
    )
    return classifier
