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
        return cls(
            operating_point=operating_point,
            texts=int(data.get("texts", 0)),
            source=source,
            **arrays,
        )

    def to_settings(self) -> dict[str, Any]:
        """What the profile's settings record about the correction."""
        return {
            "operating_point": self.operating_point,
            "validation_texts": self.texts,
            "source": self.source or None,
        }


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
    """The error rates of a model folder (None: the bundled model), or None and a warning why not.

    A model without the file, or without rates for this operating point, profiles uncorrected.
    """
    from ..modeling import default_model_path

    folder = Path(model_path) if model_path is not None else default_model_path()
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
