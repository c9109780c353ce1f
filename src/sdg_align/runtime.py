"""Process-wide settings the CLI chooses once (never a library constructor)."""

from __future__ import annotations

import importlib.metadata
import os
import sys

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
