"""Run a classifier's float32 network with ONNX Runtime: the same numbers, about twice as fast.

ONNX Runtime fuses the encoder's attention, layer norms and GELUs into optimised CPU kernels. With
the default model, `sdg-align score` did 84 and 117 texts/s on 1k and 10k texts against PyTorch's 53
and 59 (scripts/bench_score.py), with probabilities within 2.3e-6 and the same tags on every
evaluation text (scripts/eval_backends.py). Exporting the network takes about 10 s, so each model is exported once
into ``<cache>/onnx/<key>/model.onnx``, keyed by the classifier's own weights hash (weights,
calibration, thresholds) and the torch and onnxruntime versions, never by a folder name; later runs
only open the file. A cache entry that ONNX Runtime cannot open is deleted and exported again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ModelError

if TYPE_CHECKING:
    from .modeling import SDGClassifier

ONNX_FILE = "model.onnx"


def available() -> bool:
    """True when onnxruntime can be imported (it is a dependency; this guards broken installs)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cache_key(classifier: SDGClassifier) -> str:
    import onnxruntime
    import torch

    versions = f"{torch.__version__}/{onnxruntime.__version__}"
    return hashlib.sha256(f"{classifier.weights_hash()}/{versions}".encode()).hexdigest()[:20]


def export(classifier: SDGClassifier, target: Path) -> Path:
    """Write the network (token ids and mask in; logits and pooled embedding out) as ONNX."""
    import torch
    from torch import nn

    class _Network(nn.Module):
        def __init__(self, network: Any) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> Any:
            pooled = self.network.embed(input_ids, mask)
            return self.network.head(pooled), pooled

    module = _Network(classifier.network).eval()
    example = classifier.windower.pad([[5, 6, 7, 8], [5, 6]])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(
            module,
            example,
            str(partial),
            input_names=["input_ids", "mask"],
            output_names=["logits", "pooled"],
            dynamic_axes={**dynamic, "logits": {0: "batch"}, "pooled": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    partial.replace(target)  # atomic: a crash never leaves a half-written model behind
    return target


class OnnxRunner:
    """Callable that maps padded (input_ids, mask) arrays to (logits, pooled) numpy arrays."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, pooled = self.session.run(
            ["logits", "pooled"], {"input_ids": input_ids, "mask": mask}
        )
        return logits, pooled


def with_onnx(
    classifier: SDGClassifier,
    model_dir: str | Path | None = None,
    *,
    cache_root: Path | None = None,
) -> SDGClassifier:
    """Run ``classifier`` with ONNX Runtime (exporting it once per model); returns it.

    The cache entry is chosen by the classifier's weights hash, so it needs no folder and can never
    serve or overwrite another model's network. ``model_dir`` is accepted for older callers and
    ignored.
    """
    import torch

    from .e5_convert import default_cache_root

    if not available():
        raise ModelError("the onnx backend needs onnxruntime: pip install onnxruntime onnx")
    target = (cache_root or default_cache_root()) / "onnx" / cache_key(classifier) / ONNX_FILE
    threads = torch.get_num_threads()
    for attempt in (1, 2):
        if not target.is_file():
            print(
                f"sdg-align: exporting the model to ONNX in {target.parent} (once)", file=sys.stderr
            )
            try:
                export(classifier, target)
            except Exception as exc:  # an exporter failure should name the way out
                raise ModelError(f"ONNX export failed ({exc}); use --backend float32") from exc
        try:
            classifier.runner = OnnxRunner(target, threads)
            break
        except Exception as exc:  # a corrupt cache entry: export it again, once
            if attempt == 2:
                raise ModelError(f"cannot open the ONNX export {target}: {exc}") from exc
            print(
                f"sdg-align: the ONNX cache entry {target} is unreadable; re-exporting",
                file=sys.stderr,
            )
            target.unlink(missing_ok=True)
    classifier.backend = "onnx"
    return classifier
