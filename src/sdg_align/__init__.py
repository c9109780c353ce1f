"""sdg-align: which UN Sustainable Development Goals do a cluster's projects advance?

The Python API does what the command line does (``sdg-align --help``), with the same numbers::

    import sdg_align as sa

    model = sa.load_classifier()                     # the default model; a folder picks another
    model.predict("Solar roofs for forty schools.")  # Prediction: sdgs, probabilities
    scored = sa.score_frame(projects, model, explain=True)  # a DataFrame in, the scored copy out
    rates, note = sa.error_rates_for_model(None)     # for the error-corrected prevalence
    profile = sa.build_profile(scored, columns={"by": "cluster", "time_col": "year"},
                               error_rates=rates)
    profile.to_tidy_frame()                          # one row per group and SDG
    profile.comparison = sa.compare_profiles(profile, "last_year.json")
    sa.write_html(profile, "report.html")

Bad input raises :class:`DataError` (a :class:`SDGAlignError`) with a one-line reason. The names
above are loaded on first use, so ``import sdg_align`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> the module that defines it; imported on first use (torch and pandas load slowly)
_API = {
    "load_classifier": "sdg_align.modeling",
    "Prediction": "sdg_align.modeling",
    "score_frame": "sdg_align.scoring",
    "score_file": "sdg_align.scoring",
    "BatchScorer": "sdg_align.scoring",
    "build_profile": "sdg_align.profile",
    "compare_profiles": "sdg_align.profile",
    "error_rates_for_model": "sdg_align.profile",
    "Profile": "sdg_align.profile",
    "ProfileColumns": "sdg_align.profile",
    "write_html": "sdg_align.report",
    "write_pngs": "sdg_align.report",
    "explain_texts": "sdg_align.evidence",
    "load_source": "sdg_align.data",
    "evaluate": "sdg_align.evaluation",
    "DataError": "sdg_align.errors",
    "SDGAlignError": "sdg_align.errors",
    "GOALS": "sdg_align.labels",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'sdg_align' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
