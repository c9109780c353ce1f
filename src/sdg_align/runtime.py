"""Process-wide settings the CLI chooses once (never a library constructor)."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

_threads: int | None = None


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def thread_count() -> int:
    """The CPU threads inference should use: what the CLI chose, else every available core."""
    return _threads or available_cores()


def configure_threads(threads: int | None = None) -> int:
    """Use ``threads`` (default: all available cores) for ONNX Runtime and torch; return it.

    torch is not imported for this: the ONNX backend runs without it. If torch is loaded later,
    it reads the same count from ``OMP_NUM_THREADS``.
    """
    global _threads
    _threads = threads or available_cores()
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_threads)
    else:
        os.environ["OMP_NUM_THREADS"] = str(_threads)
    return _threads


def package_version(distribution: str) -> str:
    """The installed version of a distribution, or "absent"; part of cache keys (ONNX export,
    tokenizer subset) so that an upgrade never serves a stale entry."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


DEVICES = ("auto", "cpu", "cuda")


def check_device(name: str) -> str:
    """``name`` if it names a device sdg-align can train on ("auto", "cpu", "cuda", "cuda:N")."""
    base, _, index = name.partition(":")
    if base not in DEVICES or (index and (base != "cuda" or not index.isdigit())):
        raise ValueError(f"device must be one of {', '.join(DEVICES)} or cuda:N; got {name!r}")
    return name


def torch_device(name: str = "auto") -> torch.device:
    """The torch device to train and score on: "auto" takes a CUDA GPU when one is present.

    A GPU is a bonus, never a requirement: "auto" falls back to the CPU, and the saved model is
    the same kind of file either way (it is always written from CPU copies of the weights).
    """
    import torch

    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was asked for, but torch sees no CUDA GPU here")
    return torch.device(name)
