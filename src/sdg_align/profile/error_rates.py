"""The model's own error rates, as training measured them on its validation texts.

``error_rates.json`` in a model folder (written by training with
:func:`sdg_align.decisions.error_rates`) counts, per operating point and SDG, how many validation texts
were positives and negatives and how many of each the model tagged, plus the mean probability it gave
each class. The profile corrects its shares with these counts (:mod:`.prevalence`); the counts, not
just the rates, are kept so that the uncertainty of each rate can enter the interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..labels import NUM_SDGS

ERROR_RATES_FILE = "error_rates.json"
_COUNTS = ("positives", "negatives", "true_positives", "false_positives")
_MEANS = ("mean_probability_positives", "mean_probability_negatives")


@dataclass(frozen=True)
class ErrorRates:
    """Validation counts of one operating point, one entry per SDG (arrays of 17)."""

    operating_point: str
    texts: int
    positives: np.ndarray
    negatives: np.ndarray
    true_positives: np.ndarray
    false_positives: np.ndarray
    mean_probability_positives: np.ndarray  # NaN where the validation texts had no positive
    mean_probability_negatives: np.ndarray
    source: str = ""  # where the counts come from, for the report
    thresholds: np.ndarray | None = None  # the operating point's thresholds, to check the tags
    by_source: tuple[ErrorRates, ...] = ()  # the same counts per kind of validation text
    kind: str = ""  # in ``by_source``: the validation source these counts are of
    # a model adapted to a user's texts: the SDGs counted out of fold on them, and how many
    adapted_sdgs: tuple[int, ...] = ()
    adaptation_texts: int = 0

    def anchor_counts(self, method: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """(hits, size) of the low and the high anchor of ``acc`` or ``pacc``, per SDG.

        The size is the number of validation texts, shrunk where the rate differs between the
        validation sources more than counting noise explains: a portfolio is written in a style of
        its own, so its rate can differ from the pooled one as much as one source's does from
        another's. A mean probability is counted like a proportion (its largest variance).
        """
        if method == "acc":
            low, high = self.false_positive_rate, self.true_positive_rate
        else:
            low, high = self.mean_probability_negatives, self.mean_probability_positives
        sizes = (self.negatives, self.positives)
        result = []
        for index, (rate, size) in enumerate(zip((low, high), sizes, strict=True)):
            size = np.asarray(size, dtype=float)
            if len(self.by_source) > 1:
                parts = [s.anchor_counts(method)[index] for s in self.by_source]
                part_rates = np.array([_rate(h, n) for h, n in parts])
                part_sizes = np.array([n for _h, n in parts])
                size = np.minimum(size, spread_size(rate, size, part_rates, part_sizes))
            result.append((np.nan_to_num(rate) * size, size))
        return tuple(result)

    @property
    def true_positive_rate(self) -> np.ndarray:
        return _rate(self.true_positives, self.positives)

    @property
    def false_positive_rate(self) -> np.ndarray:
        return _rate(self.false_positives, self.negatives)

    @classmethod
    def from_dict(
        cls, data: Any, operating_point: str = "balanced", *, source: str = ""
    ) -> ErrorRates:
        """One operating point of an ``error_rates.json`` document; a ModelError says what is off."""
        name = source or ERROR_RATES_FILE
        if not isinstance(data, dict) or not isinstance(data.get("operating_points"), dict):
            raise ModelError(f"{name} is not an error-rates file (no operating_points)")
        if data.get("version") != 1:
            raise ModelError(f"{name} has version {data.get('version')!r}; this version reads 1")
        points = data["operating_points"]
        if operating_point not in points:
            raise ModelError(
                f"{name} has no error rates for the '{operating_point}' tags (it has: "
                f"{', '.join(points) or 'none'}); profile with --tags {next(iter(points), '')}"
            )
        block = points[operating_point]
        arrays = {key: _array(block, key, name, counts=True) for key in _COUNTS}
        arrays.update({key: _array(block, key, name, counts=False) for key in _MEANS})
        if np.any(arrays["true_positives"] > arrays["positives"]) or np.any(
            arrays["false_positives"] > arrays["negatives"]
        ):
            raise ModelError(f"{name}: more tagged texts than texts for some SDG")
        by_source = block.get("by_source") or {}
        if not isinstance(by_source, dict):
            raise ModelError(f"{name}: 'by_source' must map source names to counts")
        parts = tuple(
            replace(
                cls.from_dict(
                    {"version": 1, "operating_points": {operating_point: counts}},
                    operating_point,
                    source=f"{name} (source {part})",
                ),
                kind=str(part),
            )
            for part, counts in sorted(by_source.items())
        )
        return cls(
            operating_point,
            int(data.get("texts", 0)),
            **arrays,
            source=source,
            by_source=parts,
            kind="",
            adapted_sdgs=tuple(int(n) for n in data.get("adapted_sdgs") or ()),
            adaptation_texts=int(data.get("adaptation_texts") or 0),
        )

    def to_settings(self) -> dict[str, Any]:
        """What the profile's settings record about the correction."""
        return {
            "operating_point": self.operating_point,
            "validation_texts": self.texts,
            "source": self.source or None,
            "validation_sources": [part.kind for part in self.by_source],
            "adapted_sdgs": list(self.adapted_sdgs),
            "adaptation_texts": self.adaptation_texts,
        }


def spread_size(
    rate: np.ndarray, size: np.ndarray, part_rates: np.ndarray, part_sizes: np.ndarray
) -> np.ndarray:
    """The sample size whose binomial variance equals a new source's predictive variance.

    ``part_rates``/``part_sizes`` (sources, 17) are the rate and size per source. The
    between-source variance is the DerSimonian-Laird moment estimate: what the size-weighted spread
    of the per-source rates holds beyond counting noise. A new kind of text then has the rate's
    counting variance plus that. An SDG with no spread (or fewer than two sources with texts)
    keeps its size.
    """
    rate = np.nan_to_num(rate)
    base = rate * (1 - rate)
    seen = (part_sizes > 0) & np.isfinite(part_rates)
    weights = np.where(seen, part_sizes, 0.0)
    total = weights.sum(axis=0)
    deviations = np.where(seen, part_rates - rate[None, :], 0.0)
    q = (weights * deviations**2).sum(axis=0)
    groups = seen.sum(axis=0)
    scale = total - np.divide(
        (weights**2).sum(axis=0), total, out=np.zeros_like(total), where=total > 0
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        between = np.maximum(q - (groups - 1) * base, 0.0) / scale
        variance = between + base / (np.maximum(size, 0) + 1)
        effective = base / variance - 1
    usable = (groups > 1) & (scale > 0) & (base > 0) & np.isfinite(effective)
    return np.where(usable, np.clip(effective, 1.0, None), size)


def _rate(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.full(NUM_SDGS, np.nan), where=whole > 0)


def _array(block: Any, key: str, name: str, *, counts: bool) -> np.ndarray:
    values = block.get(key) if isinstance(block, dict) else None
    if not isinstance(values, list) or len(values) != NUM_SDGS:
        raise ModelError(f"{name}: '{key}' must list {NUM_SDGS} values, one per SDG")
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    if counts and (np.isnan(array).any() or (array < 0).any() or (array % 1 != 0).any()):
        raise ModelError(f"{name}: '{key}' must hold counts (whole numbers of at least 0)")
    if not counts and ((array < 0) | (array > 1)).any():
        raise ModelError(f"{name}: '{key}' must hold probabilities between 0 and 1")
    return array


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


def load_error_rates(model_dir: str | Path, operating_point: str = "balanced") -> ErrorRates | None:
    """The error rates in a model folder for one operating point; None when it has none.

    The operating point's thresholds come with them (from ``config.json``), so the profile can
    check that the tags it corrects were made at that operating point.
    """
    folder = Path(model_dir)
    path = folder / ERROR_RATES_FILE
    if not path.is_file():
        return None
    from ..modeling import read_model_config

    data = _read(path)
    rates = ErrorRates.from_dict(data, operating_point, source=str(path))
    thresholds = read_model_config(folder).thresholds_for(operating_point)
    return replace(rates, thresholds=np.asarray(thresholds, dtype=float))


def error_rates_for_model(
    model_path: str | Path | None, operating_point: str = "balanced"
) -> tuple[ErrorRates | None, str | None]:
    """The error rates of a model folder (None or 'default': the bundled model), or None and a
    warning why not; ``build_profile(error_rates=...)`` needs them for the corrected prevalence.

    A model without the file, or without rates for this operating point, profiles uncorrected.
    """
    from ..modeling import resolve_model_path

    folder = resolve_model_path(model_path)
    path = folder / ERROR_RATES_FILE
    if path.is_file():
        data = _read(path)
        points = data.get("operating_points") if isinstance(data, dict) else None
        if isinstance(points, dict) and points and operating_point not in points:
            return None, (
                f"{path} has no error rates for the '{operating_point}' tags (it has: "
                f"{', '.join(points)}), so shares are not corrected (no prevalence)"
            )
    rates = load_error_rates(folder, operating_point)
    if rates is not None:
        return rates, None
    return None, (
        f"the model in {folder} has no {ERROR_RATES_FILE}, so shares are not corrected for its "
        "own misses and false alarms (no prevalence); models trained by this version of "
        "sdg-align have one"
    )
