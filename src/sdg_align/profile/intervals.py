"""The 95% interval of a tag share: what k of n projects say about projects like them.

Resampling the projects (the bootstrap the profile used first) gives a zero-wide interval when no
project or every project advances an SDG, so "0 of 2 projects" read as "0% (0%-0%)", and it held
the true share only 61% of the time at 12 projects and 76% at 30. Jeffreys' interval (the central
95% of the Beta(k + 1/2, n - k + 1/2) posterior, with the end at 0 or 1 when k is 0 or n) held it
at least 91% of the time at every size and share measured from 12 projects up, and is narrower
than Clopper-Pearson's always-conservative interval: ``scripts/eval_share_intervals.py``,
docs/profile.md.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

LEVEL = 0.95


def share_interval(count: np.ndarray | int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys' interval of the share ``count / n`` at :data:`LEVEL` (arrays in, arrays out)."""
    if n <= 0:
        raise ValueError("a share interval needs at least one project")
    k = np.asarray(count, dtype=float)
    tail = (1 - LEVEL) / 2
    low = np.where(k > 0, stats.beta.ppf(tail, k + 0.5, n - k + 0.5), 0.0)
    high = np.where(k < n, stats.beta.ppf(1 - tail, k + 0.5, n - k + 0.5), 1.0)
    return low, high
