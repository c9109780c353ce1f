"""Process-wide settings the CLI chooses once (never a library constructor)."""

from __future__ import annotations

import os


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def configure_threads(threads: int | None = None) -> int:
    """Use all available cores for torch's intra-op threads by default; return the count."""
    import torch

    count = threads or available_cores()
    torch.set_num_threads(count)
    return count
